// Both OpenAPI documents pass a maintained linter, state their rules (security, servers, ids, headers), and the console's copy is current.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { type AdminDeps, adminOpenApiDocument, createAdminApp } from '@sagaport/admin-api';
import { sagaCatalogOf } from '../saga/operator-actions.js';
import { sagaRegistry } from '../saga/sagas.js';
import { KeyReusedProblem } from './checkout-schema.js';
import { openApiDocument } from './openapi.js';

const consoleCopy = fileURLToPath(new URL('../../../admin-ui/src/api/openapi.json', import.meta.url));

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { headers?: Record<string, unknown> }>;
  parameters?: { name: string; schema: Record<string, unknown> }[];
}
type Document = {
  servers?: { url: string }[];
  security?: unknown[];
  components: { securitySchemes?: Record<string, { type: string; in?: string; name?: string }> };
  paths: Record<string, Record<string, Operation>>;
};

// Building the routers reads only the saga catalog; handlers read the other dependencies.
const adminDocument = () =>
  adminOpenApiDocument(
    createAdminApp({ sagas: sagaCatalogOf(sagaRegistry) } as AdminDeps),
  ) as unknown as Document;
const checkoutDocument = () => openApiDocument() as unknown as Document;
const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ key: `${method} ${path}`, method, op })),
  );

/**
 * Redocly's recommended rules (all but `info-license`: the project declares no licence); returns
 * every error and warning as `severity rule at pointer: message`.
 */
async function lint(document: unknown): Promise<string[]> {
  const config = await createConfig({ extends: ['recommended'], rules: { 'info-license': 'off' } });
  const problems = await lintFromString({
    source: JSON.stringify(document),
    absoluteRef: 'openapi.json',
    config,
  });
  return problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`);
}

describe('the OpenAPI documents', () => {
  it.each([
    ['checkout API', checkoutDocument],
    ['admin API', adminDocument],
  ])(
    'the %s document passes redocly lint (recommended rules) without an error or a warning',
    async (_, build) => {
      expect(await lint(build())).toEqual([]);
    },
  );

  it('give every operation a unique operationId, and name their servers', () => {
    for (const doc of [checkoutDocument(), adminDocument()]) {
      expect(doc.servers?.length).toBeGreaterThan(0);
      const ids = operations(doc).map(({ key, op }) => op.operationId ?? `missing on ${key}`);
      expect(ids.filter((id) => id.startsWith('missing'))).toEqual([]);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('declare their security: none on the checkout API; the session cookie (plus X-CSRF-Token on admin mutations) or an API token', () => {
    expect(checkoutDocument().security).toEqual([]);
    const admin = adminDocument();
    expect(admin.components.securitySchemes).toMatchObject({
      sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sagaport_session' },
      csrfToken: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
      bearerAuth: { type: 'http', scheme: 'bearer' },
    });
    const sessionOnly = ['get /api/admin/auth/me', 'post /api/admin/auth/logout'];
    const security = Object.fromEntries(operations(admin).map(({ key, op }) => [key, op.security]));
    for (const [key, required] of Object.entries(security)) {
      const session = key.startsWith('get ') ? { sessionCookie: [] } : { sessionCookie: [], csrfToken: [] };
      const expected =
        key === 'post /api/admin/auth/login'
          ? []
          : sessionOnly.includes(key)
            ? [session]
            : [session, { bearerAuth: [] }];
      expect({ key, required }).toEqual({ key, required: expected });
    }
  });

  it('state the headers the checkout API sends and the format of the Idempotency-Key', () => {
    const start = checkoutDocument().paths['/checkouts']!.post!;
    for (const status of ['200', '202']) {
      expect(Object.keys(start.responses[status]!.headers ?? {})).toEqual([
        'Location',
        'Idempotent-Replayed',
        'Preference-Applied',
      ]);
    }
    const key = start.parameters!.find((p) => p.name === 'Idempotency-Key')!;
    expect(key.schema).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: 200,
      pattern: '^[\\x21-\\x7e]+$',
    });
  });

  it('state Retry-After on every admin 429', () => {
    const limited = operations(adminDocument()).filter(({ op }) => op.responses['429']);
    expect(limited.map((o) => o.key)).toContain('post /api/admin/auth/login');
    for (const { op } of limited)
      expect(Object.keys(op.responses['429']!.headers ?? {})).toContain('Retry-After');
  });

  it('describe the 409 of a reused key with the body the API sends (sagaId included)', () => {
    const body = {
      type: 'about:blank',
      title: 'Idempotency-Key reused',
      status: 409,
      detail: 'this key already started checkout …',
      sagaId: '0191e4b4-6f4e-7cc1-9c2b-5a4f2d3e1a01',
    };
    expect(KeyReusedProblem.strict().safeParse(body).success).toBe(true);
    const doc = checkoutDocument() as unknown as {
      components: {
        schemas: Record<string, { properties: Record<string, unknown>; additionalProperties?: unknown }>;
      };
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> }
        >
      >;
    };
    const ref =
      doc.paths['/checkouts']!.post!.responses['409']!.content['application/problem+json']!.schema.$ref;
    const schema = doc.components.schemas[ref.split('/').at(-1)!]!;
    const extra = Object.keys(body).filter((k) => !(k in schema.properties));
    expect(extra.length === 0 || schema.additionalProperties !== false).toBe(true);
    expect(extra).toEqual([]);
  });

  it('the console’s committed copy (admin-ui/src/api/openapi.json) is the current admin document: run `npm run api:generate`', () => {
    const committed: unknown = JSON.parse(readFileSync(consoleCopy, 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(adminDocument())));
  });
});
