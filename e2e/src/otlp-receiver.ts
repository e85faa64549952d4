// An OTLP/HTTP (JSON) trace receiver for tests: collects the spans the real processes export.
import { createServer, type Server } from 'node:http';

/** One received span, flattened with its service name. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly start: bigint;
  readonly attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  attributes?: { key: string; value: OtlpValue }[];
}
const valueOf = (v: OtlpValue): unknown =>
  v.arrayValue
    ? (v.arrayValue.values ?? []).map(valueOf)
    : (v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue);
const attributesOf = (list: { key: string; value: OtlpValue }[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** Listens on a free loopback port for `POST /v1/traces` and keeps every span. */
export class OtlpReceiver {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly spans: readonly ReceivedSpan[],
  ) {}

  static async start(): Promise<OtlpReceiver> {
    const spans: ReceivedSpan[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            resourceSpans?: {
              resource?: { attributes?: { key: string; value: OtlpValue }[] };
              scopeSpans?: { spans?: OtlpSpan[] }[];
            }[];
          };
          for (const resourceSpans of body.resourceSpans ?? []) {
            const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
            for (const scope of resourceSpans.scopeSpans ?? []) {
              for (const span of scope.spans ?? []) {
                spans.push({
                  service,
                  traceId: span.traceId,
                  spanId: span.spanId,
                  parentSpanId: span.parentSpanId ?? '',
                  name: span.name,
                  kind: span.kind,
                  start: BigInt(span.startTimeUnixNano),
                  attributes: attributesOf(span.attributes),
                });
              }
            }
          }
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch {
          response.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return new OtlpReceiver(server, typeof address === 'object' && address ? address.port : 0, spans);
  }

  /** The spans of one trace, oldest first. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId).sort((a, b) => (a.start < b.start ? -1 : 1));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
