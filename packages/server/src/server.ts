import { Readable, Transform } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CafsupError, HTTP_STATUS, parseInput, toCafsupError } from '@cafsup/shared';
import { STORE_WIDE_OPERATIONS, Store, WRITE_OPERATIONS, createDispatcher, type Operation, type Principal } from '@cafsup/sdk';
import { IMPORT_QUERY, OPERATION_INPUTS, isBodyOperation } from './inputs.js';

export interface ServerOptions {
  database: string;
  /** Where the JSON request log goes (stderr by default); false for none. */
  log?: NodeJS.WritableStream | false;
  now?: () => Date;
  /** Failed authentications allowed per address and minute before 429. */
  authFailuresPerMinute?: number;
}

const JSON_BODY_LIMIT = 1 << 20;
const IMPORT_BODY_LIMIT = 2 ** 31;
const FAILURE_WINDOW_MS = 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** A body larger than the import route allows ends the stream with a French error. */
function limited(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(new CafsupError('VALIDATION', `Fichier trop volumineux : ${limit} octets au plus.`));
      else done(null, chunk);
    },
  });
}

function frenchFrameworkError(error: { code?: string; statusCode?: number; message: string }): CafsupError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CafsupError('VALIDATION', 'Corps de requête illisible : JSON attendu.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CafsupError('VALIDATION', `Corps de requête trop volumineux : ${JSON_BODY_LIMIT} octets au plus.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CafsupError('VALIDATION', 'Type de contenu refusé : application/json attendu.');
    default:
      // secure-json-parse refuses __proto__ and constructor.prototype keys.
      if (error.statusCode === 400) return new CafsupError('VALIDATION', 'Corps de requête refusé : JSON invalide ou clé interdite.');
      return null;
  }
}

/**
 * `cafsup serve`: the HTTP API over the store. A thin adapter: authenticate the token, check
 * its role and Cafs, parse the body with the shared schemas, call the one table of
 * operations, answer errors through the one code-to-status table.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const store = new Store(options.database, { ...(options.now === undefined ? {} : { now: options.now }) });
  const dispatch = createDispatcher(store);
  const failures = new Map<string, { count: number; resetAt: number }>();
  const allowedFailures = options.authFailuresPerMinute ?? 10;

  const app = Fastify({
    bodyLimit: JSON_BODY_LIMIT,
    logger:
      options.log === false
        ? false
        : { level: 'info', stream: options.log ?? process.stderr, redact: { paths: ['req.headers.authorization', 'req.headers["idempotency-key"]'], censor: '[masqué]' } },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
  });
  app.decorateRequest('principal', null as unknown as Principal);

  app.setErrorHandler((error: unknown, _request, reply) => {
    const failure = frenchFrameworkError(error as { code?: string; statusCode?: number; message: string }) ?? toCafsupError(error);
    if (failure.code === 'INTERNAL') app.log.error({ err: failure.cause ?? error }, 'erreur interne');
    if (failure.code === 'RATE_LIMITED' && typeof failure.details.retryAfterSeconds === 'number') reply.header('retry-after', String(failure.details.retryAfterSeconds));
    void reply.status(HTTP_STATUS[failure.code]).send({ error: failure.toJSON() });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: new CafsupError('NOT_FOUND', `Opération inconnue : ${request.method} ${request.url.split('?')[0]}.`).toJSON() });
  });

  /** Bearer token → principal; a refused token is traced, and too many from one address answer 429. */
  app.addHook('onRequest', async (request) => {
    const address = request.ip;
    const window = failures.get(address);
    if (window !== undefined && window.resetAt > Date.now() && window.count >= allowedFailures) {
      throw new CafsupError('RATE_LIMITED', 'Trop d’échecs d’authentification depuis cette adresse : réessayez dans une minute.', {
        retryAfterSeconds: Math.ceil((window.resetAt - Date.now()) / 1000),
      });
    }
    const header = request.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const principal = token === undefined ? null : store.tokens.authenticate(token);
    if (principal === null) {
      const current = window !== undefined && window.resetAt > Date.now() ? window : { count: 0, resetAt: Date.now() + FAILURE_WINDOW_MS };
      current.count += 1;
      failures.set(address, current);
      store.tokens.recordFailure(address);
      throw new CafsupError('UNAUTHENTICATED', token === undefined ? 'Jeton manquant : en-tête « Authorization: Bearer … » attendu.' : 'Jeton refusé (inconnu, révoqué, ou son titulaire est suspendu).');
    }
    request.principal = principal;
  });

  const contextOf = (request: FastifyRequest, operation: Operation) => {
    const { principal } = request;
    if (WRITE_OPERATIONS.has(operation) && principal.role === 'auditor') {
      throw new CafsupError('FORBIDDEN', 'Accès en lecture seule (auditeur) : aucune modification n’est permise.');
    }
    if (STORE_WIDE_OPERATIONS.has(operation) && principal.cafCodes !== null) {
      throw new CafsupError('FORBIDDEN', 'Opération réservée à un jeton valable pour toutes les Caf.');
    }
    return { actor: () => principal.actor, scope: principal.cafCodes === null ? {} : { cafCodes: principal.cafCodes } };
  };

  /** Runs a write once per idempotency key: a retried request gets the first answer back. */
  const once = async (request: FastifyRequest, reply: FastifyReply, operation: Operation, run: () => Promise<unknown>) => {
    const key = request.headers['idempotency-key'];
    if (!WRITE_OPERATIONS.has(operation) || typeof key !== 'string' || key === '') return reply.send(await run());
    const tokenId = request.principal.tokenId;
    const previous = store.tokens.claim(tokenId, key, operation);
    if (previous !== null) {
      if (previous.response === null) throw new CafsupError('CONFLICT', 'Cette requête est déjà en cours de traitement.');
      return reply.header('idempotent-replay', 'true').type('application/json').send(previous.response);
    }
    try {
      const result = await run();
      const body = JSON.stringify(result);
      store.tokens.complete(tokenId, key, body);
      return reply.type('application/json').send(body);
    } catch (error) {
      store.tokens.release(tokenId, key);
      throw error;
    }
  };

  app.get('/v1/whoami', async (request) => ({
    actor: request.principal.actor,
    role: request.principal.role,
    cafs: request.principal.cafCodes ?? ['*'],
  }));

  app.get('/v1/dataset.export', async (request, reply) => {
    contextOf(request, 'dataset.export');
    return reply.type('application/json').send(Readable.from(store.exportChunks()));
  });

  await app.register(async (importRoute) => {
    // The dataset streams into the store: a million habilitations never sit in memory.
    importRoute.removeAllContentTypeParsers();
    importRoute.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    importRoute.post('/v1/dataset.import', async (request, reply) => {
      const context = contextOf(request, 'dataset.import');
      const query = parseInput(IMPORT_QUERY, request.query, 'query');
      const source = (request.body as NodeJS.ReadableStream).pipe(limited(IMPORT_BODY_LIMIT));
      return once(request, reply, 'dataset.import', async () =>
        dispatch('dataset.import', { source, ...(query.reason === undefined ? {} : { reason: query.reason }), ...(query.dryRun === undefined ? {} : { dryRun: query.dryRun === 'true' }) }, context),
      );
    });
  });

  app.post<{ Params: { operation: string } }>('/v1/:operation', async (request, reply) => {
    const name = request.params.operation;
    if (!isBodyOperation(name)) throw new CafsupError('NOT_FOUND', `Opération inconnue : ${name}.`);
    const context = contextOf(request, name);
    const input = parseInput(OPERATION_INPUTS[name], request.body === undefined ? {} : request.body, 'body');
    return once(request, reply, name, async () => dispatch(name, input, context));
  });

  // On SIGTERM the requests in flight finish; their connections then close rather than wait out keep-alive.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onClose', async () => store.close());
  return app;
}
