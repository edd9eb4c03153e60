import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { API_HEADER, ERROR_CODES, HTTP_STATUS } from '@cafsup/shared';
import { OPERATION_TABLE, operationSpec, type Operation } from '@cafsup/sdk';

type JsonObject = Record<string, unknown>;

/** The version of the `/v1` API the document describes (its paths carry the major). */
const API_VERSION = '1.0.0';

/** The JSON Schema (2020-12, OpenAPI 3.1's dialect) of what a client sends: the operation's own zod schema. */
function inputSchema(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return rest;
}

/** `partners.list` → `partnersList`: generated clients name their methods after it. */
function operationId(name: string): string {
  return name.replace(/\.(\w)/g, (_match, letter: string) => letter.toUpperCase());
}

/**
 * The header every answer carries (a probe's, a refusal's, this document's): clients take no
 * answer without it, so a generated client must know it. Declared once, named by every response.
 */
const WITH_API_HEADER = { headers: { [API_HEADER.name]: { $ref: '#/components/headers/CafsupApi' } } };

const ANSWER = { description: 'Réponse de l’opération (JSON).', ...WITH_API_HEADER, content: { 'application/json': { schema: {} } } };

/** Every failure answers `{ error: { code, message, details } }` with the status of its code, or 413 / 415 for a body too large / not JSON or compressed (server.ts). */
const ERRORS = Object.fromEntries(
  [...new Set([...ERROR_CODES.map((code) => HTTP_STATUS[code]), 413, 415])].map((status) => [String(status), { $ref: '#/components/responses/Error' }]),
);

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Clé d’idempotence : un second envoi du même corps sous la même clé rend la première réponse ; un autre corps est refusé (422). Valable 24 heures.',
  schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' },
};

function operationPath(name: Operation): JsonObject {
  const spec = operationSpec(name);
  const [tag] = name.split('.');
  const common = {
    operationId: operationId(name),
    summary: spec.summary,
    tags: [tag],
    ...(spec.storeWide === true ? { description: 'Réservée à un jeton valable pour toutes les Caf.' } : {}),
    responses: { '200': ANSWER, ...ERRORS },
  };
  if (spec.stream === 'out') return { get: common };
  const write = spec.access === 'write' ? [IDEMPOTENCY_KEY] : [];
  if (spec.stream === 'in') {
    // The document streams as the body; the operation's own options travel in the query string.
    const options = inputSchema(spec.input) as { properties?: Record<string, JsonObject> };
    const query = Object.entries(options.properties ?? {}).map(([field, schema]) => ({
      name: field,
      in: 'query',
      required: false,
      schema: schema.type === 'boolean' ? { type: 'string', enum: ['true', 'false'] } : schema,
    }));
    return {
      post: {
        ...common,
        parameters: [...query, ...write],
        requestBody: {
          required: true,
          description: 'Le jeu de données (format de dataset.md), lu en flux.',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    };
  }
  return {
    post: {
      ...common,
      ...(write.length === 0 ? {} : { parameters: write }),
      requestBody: { required: true, content: { 'application/json': { schema: inputSchema(spec.input) } } },
    },
  };
}

const probe = (summary: string, type: string) => ({
  get: {
    operationId: operationId(summary),
    summary,
    security: [],
    responses: { '200': { description: 'Prêt.', ...WITH_API_HEADER, content: { [type]: { schema: {} } } }, '503': { $ref: '#/components/responses/Error' } },
  },
});

/**
 * The OpenAPI 3.1 document of the API, generated from the one table of operations: every
 * operation's input is its zod schema (strict: an unknown field is refused), so the document
 * cannot drift from what the server accepts.
 */
export function openApiDocument(): JsonObject {
  const operations = (Object.keys(OPERATION_TABLE) as Operation[]).map((name) => [`/v1/${name}`, operationPath(name)] as const);
  return {
    openapi: '3.1.0',
    info: {
      title: 'cafsup',
      version: API_VERSION,
      description:
        'API de cafsup serve : supervision des habilitations « Mon Compte Partenaire » par la Caf. Jeton « Authorization: Bearer … » (cafsup token create).',
    },
    security: [{ bearer: [] }],
    paths: {
      ...Object.fromEntries(operations),
      '/v1/whoami': {
        get: { operationId: 'whoami', summary: 'qui agit avec ce jeton : titulaire, rôle, Caf', tags: ['session'], responses: { '200': ANSWER, ...ERRORS } },
      },
      '/healthz': probe('healthz', 'application/json'),
      '/readyz': probe('readyz', 'application/json'),
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'métriques au format texte de Prometheus (jeton superviseur de toutes les Caf, ou appel local)',
          security: [{ bearer: [] }, {}],
          responses: { '200': { description: 'Métriques.', ...WITH_API_HEADER, content: { 'text/plain': { schema: { type: 'string' } } } }, ...ERRORS },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'ce document',
          security: [],
          responses: {
            '200': { description: 'Document OpenAPI 3.1.', ...WITH_API_HEADER, content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Jeton créé par « cafsup token create » sur le serveur.' } },
      headers: {
        CafsupApi: {
          description:
            'Version de l’API de cafsup, sur toute réponse du serveur : un client refuse une réponse sans cet en-tête (celle d’un autre programme à cette adresse).',
          required: true,
          schema: { type: 'string', const: API_HEADER.value },
        },
      },
      responses: {
        Error: {
          description: 'Échec : un code, une phrase en français, des détails (problèmes par chemin JSON, identifiants).',
          ...WITH_API_HEADER,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'details'],
              properties: { code: { type: 'string', enum: [...ERROR_CODES] }, message: { type: 'string' }, details: { type: 'object' } },
            },
          },
        },
      },
    },
  };
}

/** `GET /openapi.json`, without a token: tools read it to check requests or generate clients. */
export function registerOpenApi(app: FastifyInstance): void {
  let document: string | null = null;
  app.get('/openapi.json', { config: { token: 'none' } }, async (_request, reply) => {
    document ??= JSON.stringify(openApiDocument());
    return reply.type('application/json').send(document);
  });
}
