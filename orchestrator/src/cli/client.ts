// The CLI's admin API client: openapi-fetch over the generated schema, the bearer token, problems as CliError.
import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

/** A failure to report and the exit code it ends the process with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
    /** Field errors of a problem, one line each. */
    readonly lines: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Where the admin API is and the token to call it with. */
export interface Connection {
  readonly url: string;
  readonly token: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** The connection from the flags, else SAGAPORT_URL and SAGAPORT_TOKEN; exit 2 without a token. */
export function connectionFrom(
  flags: { url?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): Connection {
  const token = flags.token ?? env.SAGAPORT_TOKEN;
  if (!token) {
    throw new CliError(
      'no API token: set SAGAPORT_TOKEN (or pass --token). Create one in the console under Tokens.',
      2,
    );
  }
  const url = flags.url ?? env.SAGAPORT_URL ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`SAGAPORT_URL is not a URL: ${url} (expected e.g. ${DEFAULT_URL})`, 2);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol === 'http:' && !loopback) {
    process.stderr.write(`warning: sending the API token unencrypted to ${parsed.host}; use https\n`);
  }
  return { url: url.replace(/\/+$/, ''), token };
}

/** A typed client of the admin API that sends the token on every request. */
export function createAdminClient(connection: Connection) {
  const client = createClient<paths>({
    baseUrl: connection.url,
    headers: { authorization: `Bearer ${connection.token}`, 'user-agent': 'sagaport-cli' },
  });
  return client;
}
export type AdminClient = ReturnType<typeof createAdminClient>;

/** Turns a problem+json body (or whatever came back) into a CliError: its title, detail and field errors. */
export function problemError(response: Response, body: unknown): CliError {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const title = typeof problem.title === 'string' ? problem.title : `HTTP ${response.status}`;
  const detail = typeof problem.detail === 'string' ? `: ${problem.detail}` : '';
  const errors = Array.isArray(problem.errors)
    ? (problem.errors as { field?: unknown; message?: unknown }[])
    : [];
  const lines = errors.map((e) => `  ${String(e.field)}: ${String(e.message)}`);
  return new CliError(`${title} (${response.status})${detail}`, 1, lines);
}

/** The innermost cause of a failed fetch: `ECONNREFUSED 127.0.0.1:1` rather than `fetch failed`. */
function rootCause(error: unknown): string {
  type Failure = { cause?: Failure; code?: string; message?: string; errors?: unknown[] };
  let current = error as Failure;
  while (current.cause) current = current.cause;
  // A refused dual-stack connection is an AggregateError of one error per address.
  const first = (current.errors?.[0] ?? current) as { code?: string; message?: string };
  return [first.code, first.message].filter(Boolean).join(' ') || String(error);
}

/** The answer's data, or a CliError naming the problem; unreachable servers say so. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    throw new CliError(`cannot reach the admin API (${rootCause(error)}); check SAGAPORT_URL`);
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) throw problemError(response, error);
  return data as T;
}
