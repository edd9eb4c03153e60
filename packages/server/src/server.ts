import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { STATUS_CODES } from 'node:http';
import { Readable, Transform, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { API_HEADER, CafsupError, HTTP_STATUS, frenchNumber, parseInput, quoted, toCafsupError, within } from '@cafsup/shared';
import {
  OPERATIONS,
  RefusedCredential,
  openExecutor,
  appendCheckpoint,
  authorize,
  contradictedBy,
  JsonSyntaxError,
  type CheckedFile,
  operationSpec,
  parseOperationInput,
  signCheckpoint,
  utf8Text,
  type Caller,
  type Credential,
  type JobOptions,
  type JobOutcome,
  type Operation,
  type Principal,
  type SigningKey,
} from '@cafsup/sdk';
import type { TraceVerification, TracesVerifyInput } from '@cafsup/shared';
import { shownLocation } from '@cafsup/sdk/settings';
import { checkTrustedProxies, pathOf, routeMethods, sentPathOf } from './access.js';
import { registerHealth, withoutLocation } from './health.js';
import { registerMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { registerRequestLog } from './request-log.js';
import { loadTls, type TlsFiles } from './tls.js';

export interface ServerOptions {
  database: string;
  /** Create a missing SQLite file (by default); `cafsup serve` does not, a mistyped path never serving an empty store. */
  create?: boolean;
  /** Where the JSON request log goes (stderr by default); false for none. */
  log?: NodeJS.WritableStream | false;
  /** A fixed clock (ISO instant), for tests: every write and default `asOf` read it. */
  clock?: string;
  /** Failed authentications allowed per address (and per token prefix) and minute before 429. */
  authFailuresPerMinute?: number;
  /** How long a request may wait for the database before 503 + Retry-After (5 s by default). */
  requestTimeoutMs?: number;
  /** How long a request's JSON body (1 MiB at most) may take to arrive whole before 408 (60 s by default). */
  bodyWithinMs?: number;
  /** Reader workers beside the writer (2 by default). */
  readers?: number;
  /** Settles when a stop is asked for during the start: the store's opening is then given up. */
  stopped?: Promise<unknown>;
  /** Signed checkpoints of the trail, written every `everyMs` when the chain has grown, and at stop. */
  checkpoints?: {
    file: string;
    everyMs: number;
    /**
     * The signing key, asked for once the database is open: a start refused for its database
     * made a new key all the same (found in session 45), which `traces checkpoint` then signed with.
     */
    key: () => SigningKey;
    /**
     * Called when a stop ends without its checkpoint, with why in French; `refused`: the chain
     * was (broken, or contradicted by the file), so that signing it later will be refused too.
     */
    onFinalMissed?: (why: string, refused: boolean) => void;
  };
  /** HTTPS with this PEM certificate and key (`serve --tls-cert --tls-key`). */
  tls?: TlsFiles;
  /**
   * Addresses (or CIDR ranges) of the reverse proxies whose X-Forwarded-For is believed
   * (`serve --trust-proxy`): limits, logs and the loopback check then see the client's address.
   */
  trustProxy?: string[];
}

const JSON_BODY_LIMIT = 1 << 20;
/** How long a refused token's count may wait for the store before this process's count decides. */
const AUTH_COUNT_MS = 1_000;
/** How often the failures left untraced at the end of their minute are traced, and the deadline of doing it. */
const FAILURES_DUE_MS = 60_000;

/** Failed authentications per address in this process, for when the store is busy. */
class FailureWindow {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  count(address: string, limit: number): { limited: boolean; retryAfterSeconds: number } {
    const now = Date.now();
    let window = this.windows.get(address);
    if (window === undefined || window.resetAt <= now) {
      // Forget old windows as new ones come, so the map stays as small as the last minute's callers.
      for (const [key, old] of this.windows) if (old.resetAt <= now) this.windows.delete(key);
      window = { count: 0, resetAt: now + 60_000 };
      this.windows.set(address, window);
    }
    window.count += 1;
    return { limited: window.count > limit, retryAfterSeconds: Math.ceil((window.resetAt - now) / 1000) };
  }
}
const IMPORT_BODY_LIMIT = 2 ** 31;
const DEFAULT_TIMEOUT_MS = 5_000;
/** 1 MiB in a minute is a slow link's pace. */
const DEFAULT_BODY_WITHIN_MS = 60_000;
/**
 * How long a connection may stay silent before its TLS handshake is done, then before its
 * request's headers are whole (a first request, or one begun on a connection kept alive). Node's
 * 120 s and 60 s, the latter checked every 30 s, held a connection that sent nothing 120 s, or
 * 90 s once its handshake was done: 3,000 of them took 114 MB (review 44). Headers are a few
 * hundred bytes; the body has its own limits (`bodyWithinMs`, the import's spool), and no
 * limit on a whole request cuts a long import or export (Fastify sets Node's `requestTimeout` to none).
 */
const HANDSHAKE_WITHIN_MS = 10_000;
const HEADERS_WITHIN_MS = 10_000;
const CONNECTIONS_CHECKED_EVERY_MS = 1_000;
/**
 * How long a connection is kept alive between requests: longer than a balancer keeps its own
 * idle connections to the server (AWS's 60 s, nginx's upstream keepalive 60 s), so that the
 * server never closes one just as the balancer sends a request on it, a write then answered
 * 502 and not retried. Fastify's own default, said here so that it stays; cafsup's clients
 * (undici) read it from the answer's `Keep-Alive: timeout=72` and close theirs 2 s before.
 */
const KEEP_ALIVE_MS = 72_000;
/**
 * A whole stop ends within this, requests in flight included, before the process's own second
 * (remote.ts): within a service manager's patience (Kubernetes' 30 s, systemd's 90 s).
 * Requests take up to REQUESTS_WITHIN_MS, the store's close keeps POOL_CLOSE_MS, and the
 * final checkpoint has what is left, FINAL_CHECKPOINT_MS at most.
 */
const STOP_WITHIN_MS = 24_000;
/** Requests still running this long after the stop began are cut (a database that stopped answering mid-request). */
const REQUESTS_WITHIN_MS = 15_000;
/** Why a checkpoint was not signed, in French; `refused`: the chain was, and will be again. */
interface Missed {
  why: string;
  refused: boolean;
}

/** How long a stop waits for its checkpoint, at most. */
const FINAL_CHECKPOINT_MS = 15_000;
/** How long a stop waits for the store's connections or threads to close (the pool's own patience with its threads is 3 s). */
const POOL_CLOSE_MS = 3_500;
/** What a stop that began at `since` may still give a step bounded by `most`, keeping `kept` for the steps after it. */
const stopLeft = (since: number, most: number, kept = 0) => Math.max(0, Math.min(most, STOP_WITHIN_MS - kept - (Date.now() - since)));

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    /** The principal as the server keeps it: the operation's store job checks it before it runs. */
    credential: Credential | null;
  }
}

/**
 * Refusals of a body HTTP has a status of its own for, answered with it rather than their
 * code's 422 (HTTP_STATUS): 413 for a body too large, 415 for one that is not JSON or is
 * compressed, statuses clients and proxies read as « do not send this again as it is ». Their
 * code stays VALIDATION, the one the error shape and the CLI's exit codes know.
 */
const BODY_STATUS = new WeakMap<CafsupError, 413 | 415>();
function refusedBody(status: 413 | 415, message: string): CafsupError {
  const failure = new CafsupError('VALIDATION', message);
  BODY_STATUS.set(failure, status);
  return failure;
}

/** How long an upload may send nothing before it is dropped. */
const UPLOAD_IDLE_MS = 60_000;

/**
 * Writes a request body to a file of its own (0600, in a private temporary folder), refusing a
 * body larger than `limit` and an upload silent for a minute; a client that goes away rejects
 * it. Returns the file's path.
 */
async function spool(body: Readable, limit: number): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'cafsup-import-'));
  const path = join(folder, 'body.json');
  let seen = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      idle.refresh();
      if (seen > limit) done(refusedBody(413, `Fichier trop volumineux : ${frenchNumber(limit)} octets au plus.`));
      else done(null, chunk);
    },
  });
  const idle = setTimeout(() => guard.destroy(new CafsupError('VALIDATION', 'Envoi du fichier interrompu : rien reçu pendant une minute.')), UPLOAD_IDLE_MS);
  try {
    await pipeline(body, guard, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    return path;
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error instanceof CafsupError
      ? error
      : new CafsupError('VALIDATION', 'Envoi du fichier interrompu avant sa fin : rien n’a été importé.', {}, { cause: error });
  } finally {
    clearTimeout(idle);
  }
}

function frenchFrameworkError(error: { code?: string; statusCode?: number; message: string }): CafsupError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CafsupError('VALIDATION', 'Corps de requête illisible : JSON attendu.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return refusedBody(413, `Corps de requête trop volumineux : ${frenchNumber(JSON_BODY_LIMIT)} octets au plus.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return refusedBody(415, 'Type de contenu refusé : application/json attendu.');
    default:
      // secure-json-parse refuses __proto__ and constructor.prototype keys.
      if (error.statusCode === 400) return new CafsupError('VALIDATION', 'Corps de requête refusé : JSON invalide ou clé interdite.');
      return null;
  }
}

/**
 * The codings a Content-Encoding header names other than `identity` (RFC 9110 § 8.4: a list,
 * case-insensitive), as sent; none for a body sent as it is.
 */
function codingsOf(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding.toLowerCase() !== 'identity');
}

/** A request that cannot be read as HTTP, whichever part of it. */
const MALFORMED = 'Requête HTTP mal formée';

/** A request, headers or body, not whole in time (Node's wait for headers, `bodyWithinMs`). */
const UNREAD_IN_TIME = 'Requête HTTP non reçue en entier dans le délai : rien n’a été lu ni écrit.';

/**
 * A request Node's HTTP parser refuses before any route sees it (a malformed request line or
 * header, headers too large, a request not sent in time): answered in French and in the API's
 * error shape, as any other refusal, with the status Node and Fastify give it; then the
 * connection is closed, since what follows on it cannot be read.
 */
function answerUnreadableRequest(error: Error & { code?: string }, socket: Duplex): void {
  // The client is gone: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // An answer already under way on this connection (a pipelined request behind an export):
  // nothing written into its body, the connection closed (as Node itself does).
  if ((socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true) {
    socket.destroy(error);
    return;
  }
  const [status, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, UNREAD_IN_TIME]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'En-têtes HTTP trop volumineux : rien n’a été lu ni écrit.']
        : [400, `${MALFORMED} (ligne de requête ou en-tête illisible) : rien n’a été lu ni écrit.`];
  const body = JSON.stringify({ error: new CafsupError('VALIDATION', message).toJSON() });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${API_HEADER.name}: ${API_HEADER.value}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** A JSON.parse reviver that refuses the keys of prototype pollution. */
function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype'))) {
    throw new CafsupError('VALIDATION', 'Corps de requête refusé : clé « __proto__ » ou « constructor » interdite.');
  }
  return value;
}

/** The import's options travel in the query string, its document in the body. */
const IMPORT_QUERY = z.strictObject({ reason: z.string().optional(), dryRun: z.enum(['true', 'false']).optional() });

/**
 * `cafsup serve`: the HTTP API over the store. A thin adapter whose routes come from the one
 * table of operations: authenticate the token, refuse what its role and Cafs do not allow,
 * hand the job to the store (SQLite's worker threads, pool.ts, or PostgreSQL's connections,
 * direct.ts) with a deadline, answer errors through the one code-to-status table. The event loop
 * never touches SQLite.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  // Read before the workers start: a wrong certificate or proxy stops here, with nothing to clean up.
  const https = options.tls === undefined ? null : loadTls(options.tls);
  const trustProxy = checkTrustedProxies(options.trustProxy ?? []);
  const pool = await openExecutor({
    database: options.database,
    clock: options.clock ?? null,
    ...(options.create === undefined ? {} : { create: options.create }),
    ...(options.readers === undefined ? {} : { readers: options.readers }),
    ...(options.stopped === undefined ? {} : { stopped: options.stopped }),
  });
  let key: SigningKey | undefined;
  try {
    key = options.checkpoints?.key();
  } catch (error) {
    await pool.close();
    throw error;
  }
  const allowedFailures = options.authFailuresPerMinute ?? 10;
  const localFailures = new FailureWindow();
  // The failures of a minute after its first, traced once the minute is over where no later
  // failure traced them (`traceFailuresDue`); any server of the database may do it.
  const failuresDue = setInterval(() => void pool.internal({ kind: 'failuresDue' }, FAILURES_DUE_MS).catch(() => undefined), FAILURES_DUE_MS);
  failuresDue.unref();
  const deadlineMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const bodyWithinMs = options.bodyWithinMs ?? DEFAULT_BODY_WITHIN_MS;

  const connections = { headersTimeout: HEADERS_WITHIN_MS, connectionsCheckingInterval: CONNECTIONS_CHECKED_EVERY_MS };
  const app = Fastify({
    ...(https === null ? { http: connections } : { https: { ...https, ...connections, handshakeTimeout: HANDSHAKE_WITHIN_MS } }),
    keepAliveTimeout: KEEP_ALIVE_MS,
    ...(trustProxy.length === 0 ? {} : { trustProxy }),
    bodyLimit: JSON_BODY_LIMIT,
    logger:
      options.log === false
        ? false
        : {
            level: 'info',
            stream: options.log ?? process.stderr,
            redact: { paths: ['req.headers.authorization', 'req.headers["idempotency-key"]'], censor: '[masqué]' },
          },
    clientErrorHandler: answerUnreadableRequest,
    // A path the router cannot percent-decode (`%zz`, `%C3` alone): Fastify answered in English,
    // outside the API's shape, repeating it whole (found in session 45). Fastify routes its other
    // router failures here too (a parameter too long, a constraint that threw): none of the routes
    // has either today, but one added must not be called an unreadable path. Before any hook, so
    // neither logged as completed nor counted in /metrics.
    frameworkErrors: (error, request, reply) => {
      const said =
        error.code === 'FST_ERR_BAD_URL'
          ? `chemin ${quoted(sentPathOf(request))} illisible (un « % » n’y est pas suivi du code UTF-8 d’un caractère)`
          : `refusée par le routeur (${error.code})`;
      const message = `${MALFORMED} : ${said} ; rien n’a été lu ni écrit.`;
      void (reply as FastifyReply).status(400).send({ error: new CafsupError('VALIDATION', message).toJSON() });
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Answered by the first hook instead, as every refusal is (in French, with Retry-After and the API's header): trial 26, L2.
    return503OnClosing: false,
  });
  // Set as the stop begins (preClose, below).
  let closing = false;
  let stopStarted = Date.now();
  // On every answer, before Fastify or anything else sees the request: its own 503 while closing
  // and its last-resort errors included, which no hook of the reply sees (review 25). The raw
  // answers to unreadable requests carry it too (`answerUnreadableRequest`).
  app.server.prependListener('request', (_request, response) => response.setHeader(API_HEADER.name, API_HEADER.value));
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('credential', null);
  // Fastify's own parser answers a poisoned body with the same error as unreadable JSON: this
  // one says which key was refused. `__proto__` and `constructor.prototype` never reach a handler.
  // Only JSON: Fastify's own text/plain parser handed a handler the body as a string, refused
  // then as « objet attendu, chaîne de caractères reçu » rather than for its type.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      // A body in Latin-1 is refused at its first such byte, not read with U+FFFD for its accents.
      done(null, JSON.parse(utf8Text(body as Buffer), refusePrototypeKeys));
    } catch (error) {
      const said = error instanceof JsonSyntaxError ? `Corps de requête illisible : ${error.message}.` : 'Corps de requête illisible : JSON attendu.';
      done(error instanceof CafsupError ? error : new CafsupError('VALIDATION', said), undefined);
    }
  });
  // A body in a content coding (gzip, br…) is refused for it, 415 as a body of another type is:
  // the server decodes none, and read its bytes as they came (a plain body said to be gzip was
  // taken, a gzipped one refused as unreadable JSON). Before any parser, so the import's
  // streamed body too, and nothing of the body is read. Only where a body would be: GET and
  // HEAD take none, and a path no route has answers 404 or 405 (as for Content-Type).
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.is404 || request.method === 'GET' || request.method === 'HEAD') return payload;
    const codings = codingsOf(request.headers['content-encoding']);
    if (codings.length > 0) {
      // Quoted as every value a caller gave, and read as UTF-8 (Node hands a header's bytes over
      // as Latin-1): 8,000 characters came back whole, « gzïp » as « gzÃ¯p », a raw C1 control
      // among them (review 44).
      const named = quoted(Buffer.from(codings.join(', '), 'latin1').toString('utf8'));
      throw refusedBody(415, `En-tête Content-Encoding : ${named} non pris en charge ; envoyez le corps sans compression.`);
    }
    return payload;
  });
  pool.internalErrors = (error) => app.log.error({ err: { message: error.message, stack: error.stack } }, 'erreur interne');

  app.setErrorHandler((error: unknown, _request, reply) => {
    let failure: CafsupError = frenchFrameworkError(error as { code?: string; statusCode?: number; message: string }) ?? toCafsupError(error);
    if (failure.code === 'INTERNAL') app.log.error({ err: failure.cause ?? error }, 'erreur interne');
    failure = withoutLocation(failure, app.log);
    // A busy database or a limit says when to come back; a lock that outlasted the deadline, in a
    // second. What no retry mends (LASTING) names no time: clients do not ask again.
    if ((failure.code === 'UNAVAILABLE' && failure.details.lasting !== true) || failure.code === 'RATE_LIMITED') {
      reply.header('retry-after', String(typeof failure.details.retryAfterSeconds === 'number' ? failure.details.retryAfterSeconds : 1));
    }
    void reply.status(BODY_STATUS.get(failure) ?? HTTP_STATUS[failure.code]).send({ error: failure.toJSON() });
  });
  app.setNotFoundHandler((request, reply) => {
    // Quoted as every value a caller gave (8,000 characters came back whole, U+202E as it was: review 44).
    const named = quoted(pathOf(request));
    // A known route asked with another method: 405 and the methods it takes (RFC 9110 § 15.5.6),
    // so that `GET /v1/habilitations.suspend` is not mistaken for an operation that is not there.
    const allowed = routeMethods(request);
    if (allowed.length > 0) {
      void reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send({
          error: new CafsupError('NOT_FOUND', `Méthode ${request.method} non prise en charge sur ${named} : ${allowed.join(' ou ')} attendu.`, {
            allowed,
          }).toJSON(),
        });
      return;
    }
    void reply.status(404).send({ error: new CafsupError('NOT_FOUND', `Opération inconnue : ${request.method} ${named}.`).toJSON() });
  });

  /**
   * A refused token (unknown, revoked, expired, owner suspended, or missing) is counted in the
   * store, and past the limit answered 429; otherwise 401.
   */
  const refuse = async (request: FastifyRequest, token: string | undefined): Promise<never> => {
    const tokenPrefix = token === undefined ? null : token.slice(0, 16);
    // Counted in the store (shared by every server process); while the store cannot take the
    // write (a long import), this process's own count decides, so the limit never lapses.
    const local = localFailures.count(request.ip, allowedFailures);
    const counted = await pool
      .internal<{ limited: boolean; retryAfterSeconds: number }>(
        { kind: 'authFailure', address: request.ip, tokenPrefix, limit: allowedFailures },
        AUTH_COUNT_MS,
      )
      .catch(() => local);
    if (counted.limited) {
      throw new CafsupError('RATE_LIMITED', `Trop d’échecs d’authentification : réessayez dans ${counted.retryAfterSeconds} s.`, {
        retryAfterSeconds: counted.retryAfterSeconds,
      });
    }
    throw new CafsupError(
      'UNAUTHENTICATED',
      token === undefined
        ? 'Jeton manquant : en-tête « Authorization: Bearer … » attendu.'
        : 'Jeton refusé (inconnu, révoqué, expiré, ou son titulaire est suspendu).',
    );
  };
  // The scheme's name is case-insensitive (RFC 9110): `bearer` is Bearer.
  const bearer = (request: FastifyRequest) => /^Bearer (\S{1,512})$/i.exec(request.headers.authorization ?? '')?.[1];

  /**
   * A JSON body not whole within `bodyWithinMs` of its request's arrival is answered 408, its
   * connection then closed: a body that stopped coming held it without end (trial 37: over 200 s,
   * no answer). A timer of the request's own, not the socket's timeout: that one is the
   * connection's, shared by pipelined requests and by Node's keep-alive wait. A body the handler
   * reads itself (the import's) has its spool's idle limit instead.
   */
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    if (raw.complete || request.routeOptions.config.bodyStreamed === true) return done();
    const timer = setTimeout(() => {
      if (raw.complete || reply.sent) return;
      void reply
        .code(408)
        .header('connection', 'close')
        .type('application/json; charset=utf-8')
        .send({ error: new CafsupError('VALIDATION', UNREAD_IN_TIME).toJSON() });
    }, bodyWithinMs);
    const stop = () => clearTimeout(timer);
    raw.once('end', stop);
    reply.raw.once('close', stop);
    done();
  });

  /**
   * Bearer token → principal. A valid token always passes (a flood of bad ones from the same
   * address never locks it out). On the operations' routes a principal kept in memory will do:
   * their store job checks it first (workers/protocol.ts), so a request makes one trip to the
   * store; the other routes read it from the store.
   */
  app.addHook('onRequest', async (request) => {
    // A request on a connection kept alive, arrived after the stop began: another server will take it.
    if (closing) throw new CafsupError('UNAVAILABLE', 'Serveur en cours d’arrêt : réessayez dans un instant.', { retryAfterSeconds: 1 });
    const tokenRule = request.routeOptions.config.token;
    if (tokenRule === 'none') return;
    const token = bearer(request);
    const found = token === undefined ? null : await pool.authenticate(token, deadlineMs, { kept: request.routeOptions.config.keptPrincipal === true });
    if (found !== null) {
      request.principal = found.principal;
      if (request.routeOptions.config.keptPrincipal === true) request.credential = found.credential;
      return;
    }
    if (tokenRule === 'optional' && token === undefined) return;
    await refuse(request, token);
  });

  /**
   * Before a request with a kept principal is refused without its store job (403, 422), its
   * token is read again: a token revoked meanwhile hears 401, as it would have before anything.
   */
  const recheck = async (request: FastifyRequest): Promise<void> => {
    const token = bearer(request);
    if (request.credential === null || token === undefined) return;
    if ((await pool.authenticate(token, deadlineMs)) === null) await refuse(request, token);
  };

  /** An operation's store job, with the request's kept principal: refused there (revoked meanwhile), the request is too. */
  const run = async (request: FastifyRequest, name: Operation, input: unknown, caller: Caller, options: JobOptions): Promise<JobOutcome> => {
    try {
      return await pool.run(name, input, caller, { ...options, asJson: true, ...(request.credential === null ? {} : { credential: request.credential }) });
    } catch (error) {
      if (error instanceof RefusedCredential) return refuse(request, bearer(request));
      throw error;
    }
  };

  const callerOf = (request: FastifyRequest, name: Operation): Caller => {
    const { principal } = request;
    const caller: Caller = { actor: principal.actor, role: principal.role, cafCodes: principal.cafCodes };
    // Refused before the body is read: an auditor's import never reaches the database.
    authorize(name, caller);
    return caller;
  };

  const idempotencyOf = (request: FastifyRequest, name: Operation) => {
    const key = request.headers['idempotency-key'];
    if (operationSpec(name).access !== 'write' || key === undefined) return undefined;
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
      throw new CafsupError('VALIDATION', 'En-tête Idempotency-Key invalide : 1 à 200 caractères ASCII visibles, sans espace (un UUID, par exemple).', {
        problems: [{ path: 'Idempotency-Key', message: 'invalide' }],
      });
    }
    return { tokenId: request.principal.tokenId, key };
  };

  const answer = (reply: FastifyReply, outcome: JobOutcome) => {
    if (outcome.replayed) reply.header('idempotent-replay', 'true');
    return reply.type('application/json').send(outcome.json ?? JSON.stringify(outcome.value));
  };

  registerRequestLog(app);
  registerHealth(app, pool);
  await registerMetrics(app, pool, trustProxy.length > 0);
  registerOpenApi(app);

  app.get('/v1/whoami', async (request) => ({
    actor: request.principal.actor,
    role: request.principal.role,
    cafs: request.principal.cafCodes ?? ['*'],
  }));

  for (const name of OPERATIONS) {
    const spec = operationSpec(name);
    if (spec.stream === 'out') {
      app.get(`/v1/${name}`, async (request, reply) => {
        const caller = callerOf(request, name);
        const chunks = pool.exportStream(caller, deadlineMs);
        // The first chunk comes before the status is sent, so a refusal is still an error answer.
        const first = await chunks.next();
        return reply.type('application/json').send(
          Readable.from(
            (async function* () {
              if (first.done !== true) yield first.value;
              yield* chunks;
            })(),
          ),
        );
      });
    } else if (spec.stream === 'in') {
      await app.register(async (importRoute) => {
        // The dataset streams into the writer: a million habilitations never sit in memory.
        importRoute.removeAllContentTypeParsers();
        importRoute.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
        importRoute.post(`/v1/${name}`, { config: { bodyStreamed: true } }, async (request, reply) => {
          const caller = callerOf(request, name);
          const query = parseInput(IMPORT_QUERY, request.query, 'query');
          const input = parseInput(
            operationSpec(name).input,
            { ...(query.reason === undefined ? {} : { reason: query.reason }), ...(query.dryRun === undefined ? {} : { dryRun: query.dryRun === 'true' }) },
            'query',
          );
          const idempotency = idempotencyOf(request, name);
          // The whole body first, at the client's pace, into a private file: the write lock is
          // then held only while the import itself runs, never while a slow or stalled client
          // sends (a dropped upload takes no lock at all).
          const spooled = await spool(request.body as Readable, IMPORT_BODY_LIMIT);
          try {
            const source = createReadStream(spooled) as AsyncIterable<Uint8Array>;
            return answer(
              reply,
              await run(request, name, input, caller, { deadlineMs, source, validated: true, ...(idempotency === undefined ? {} : { idempotency }) }),
            );
          } finally {
            await rm(dirname(spooled), { recursive: true, force: true });
          }
        });
      });
    } else {
      app.post(`/v1/${name}`, { config: { keptPrincipal: true } }, async (request, reply) => {
        let prepared: { caller: Caller; idempotency: ReturnType<typeof idempotencyOf>; input: unknown };
        try {
          // Validated here, at once: a bad input is answered 422 even while the writer is busy.
          prepared = {
            caller: callerOf(request, name),
            idempotency: idempotencyOf(request, name),
            input: parseOperationInput(name, request.body === undefined ? {} : request.body).input,
          };
        } catch (error) {
          await recheck(request);
          throw error;
        }
        const { caller, idempotency, input } = prepared;
        return answer(reply, await run(request, name, input, caller, { deadlineMs, validated: true, ...(idempotency === undefined ? {} : { idempotency }) }));
      });
    }
  }

  let finalCheckpoint = async () => undefined;
  if (options.checkpoints !== undefined && key !== undefined) {
    const { file, everyMs, onFinalMissed } = options.checkpoints;
    const system: Caller = { actor: null, role: 'auditor', cafCodes: null };
    let signed: TracesVerifyInput['checkpoint'];
    /** What the last checkpoint checked of the file (`contradictedBy`). */
    let checked: CheckedFile | null = null;
    /** The last walk held: everything up to `signed` was verified since it was signed. */
    let heldUpToSigned = true;
    /** How long the last whole walk took, in ms (none yet: Infinity). */
    let wholeWalkMs = Number.POSITIVE_INFINITY;
    /**
     * Signs the head when the chain has grown, and only a chain that verifies. Each walks the
     * whole chain, which must also still pass through the head this server signed last (a tail
     * rewritten up to it with recomputed hashes no longer does). The stop's may walk only the
     * traces since that head, which must continue it (`onlyAfter`), when a whole walk would not
     * fit its budget: it then vouches for what came before on the word of the last whole walk,
     * the start's or the last interval's (README). Null when signed (or nothing new to sign); else why not, in French.
     */
    const checkpoint = async (onlyAfter: boolean): Promise<Missed | null> => {
      let verification: TraceVerification;
      const walkStarted = Date.now();
      try {
        const input = signed === undefined ? {} : { checkpoint: signed, onlyAfter };
        verification = (await pool.run('traces.verify', input, system, { deadlineMs: 60_000 })).value as TraceVerification;
      } catch (error) {
        // Nothing verified: the stop's must not take what came before on trust (review 28b, N1).
        heldUpToSigned = false;
        // A database that does not answer is said in its words; a stack only for what cafsup did not expect.
        const failure = toCafsupError(error);
        app.log.error(
          failure.code === 'INTERNAL' ? { err: error } : { error: { code: failure.code, message: failure.message } },
          'point de contrôle impossible : chaîne des traces illisible',
        );
        return { why: 'la base n’a pas permis de lire la chaîne des traces', refused: false };
      }
      heldUpToSigned = verification.ok;
      if (!onlyAfter || signed === undefined) wholeWalkMs = Date.now() - walkStarted;
      if (!verification.ok) {
        app.log.error({ verification }, 'chaîne des traces rompue : point de contrôle refusé');
        // Named, with where to look: a tail rewritten with recomputed hashes is caught only against the checkpoints.
        return { why: `la chaîne des traces est rompue : ${verification.problem} (cafsup traces verify --checkpoints ${file})`, refused: true };
      }
      // Nor one that the checkpoints signed into its file with its key contradict: at its first, all
      // of them (a tail rewritten while it was stopped, an identifier changed); then those from the
      // head it signed last on, which the chain passes through, the command line's or another
      // server's added meanwhile among them (review 29, M1).
      let contradiction: string | null;
      try {
        const hashesOf = async (ids: number[]) =>
          (await pool.run('traces.hashes', { ids }, system, { deadlineMs: 60_000 })).value as { id: number; hash: string }[];
        ({ refusal: contradiction, checked } = await contradictedBy(file, verification.head, key, hashesOf, {
          from: signed?.id ?? 0,
          // Its first reading whole; then from where the last stopped (the chain passes through the head checked then).
          ...(signed === undefined || checked === null ? {} : { since: checked }),
          // The walk has just checked the identifier against the head it signed: a file moved
          // aside or rotated since, where another store signed first, holds no line of it (review 29c, M-A).
          newStore: signed?.storeId === verification.head.storeId,
          suggest: `cafsup traces checkpoint --new-store --file ${file} --db ${shownLocation(options.database)}, avec la clé de ce serveur`,
        }));
      } catch (error) {
        checked = null;
        app.log.error({ err: error }, 'point de contrôle impossible : points de contrôle déjà signés illisibles');
        return { why: `les points de contrôle déjà signés n’ont pas pu être lus (${file})`, refused: false };
      }
      if (contradiction !== null) {
        app.log.error({ contradiction }, 'point de contrôle refusé');
        return { why: contradiction, refused: true };
      }
      // Checked first: a chain cut back to the head it signed last is still told by the checkpoints signed since (review 29c, L-C).
      if (verification.head.id === signed?.id) return null;
      try {
        appendCheckpoint(file, signCheckpoint(verification.head, new Date().toISOString(), key));
      } catch (error) {
        app.log.error({ err: error }, 'point de contrôle impossible : fichier des points de contrôle');
        return { why: `le fichier des points de contrôle n’a pas pu être écrit (${file})`, refused: false };
      }
      signed = verification.head;
      return null;
    };
    // One at a time, and none queued behind a running one: a verification of a long trail that
    // outlasts the interval is not followed by a backlog of others.
    let running: Promise<Missed | null> | null = null;
    const next = (onlyAfter = false) => {
      running ??= checkpoint(onlyAfter).finally(() => (running = null));
      return running;
    };
    const timer = setInterval(() => void next(), everyMs);
    timer.unref();
    // Once listening (a start refused for its port signs nothing), and not waited for: verifying
    // a long trail must not delay the start. The socket's own event, which comes before `listen`
    // resolves: Fastify's onListen hook may come after, and a stop as soon as the server said it
    // listened then signed nothing (seen under load).
    let listened = false;
    app.server.once('listening', () => {
      listened = true;
      void next();
    });
    finalCheckpoint = async () => {
      clearInterval(timer);
      if (!listened) return;
      // The one still running verified a head older than the requests just answered: one more after it.
      const started = Date.now();
      const bound = stopLeft(stopStarted, FINAL_CHECKPOINT_MS, POOL_CLOSE_MS);
      const missed = await within(
        bound,
        (running ?? Promise.resolve(null)).then<Missed | null | 'late'>(() => {
          const left = bound - (Date.now() - started);
          if (left <= 0) return 'late';
          // Whole when the last whole walk took less than half the time left (review 28b, F1); else only what is new.
          return next(heldUpToSigned && wholeWalkMs > left / 2);
        }),
      );
      if (missed === null) return;
      const late =
        bound < 1000
          ? 'les requêtes en cours ont pris tout le temps de l’arrêt'
          : `la chaîne des traces n’a pas pu être vérifiée en ${Math.round(bound / 1000)} s`;
      const { why, refused } = missed === 'late' ? { why: late, refused: false } : missed;
      // A refusal is in the journal already, with its detail, where it was decided (review 29c, M-B 3).
      app.log.error(refused ? 'point de contrôle final non signé : refusé (motif ci-dessus)' : `point de contrôle final non signé : ${why}`);
      onFinalMissed?.(why, refused);
    };
  }

  // On SIGTERM the requests in flight finish; their connections then close rather than wait out
  // keep-alive. Those still running at REQUESTS_WITHIN_MS are cut, so that the stop's checkpoint
  // and the store's close still fit in STOP_WITHIN_MS (trial 26, M3: a frozen PostgreSQL held
  // them 20 s, then the checkpoint 15 s more).
  app.addHook('preClose', async () => {
    closing = true;
    stopStarted = Date.now();
    // The journal shows when the stop began, and what it still waits for.
    app.log.info('arrêt demandé : fin des requêtes en cours, puis point de contrôle final');
    setTimeout(() => app.server.closeAllConnections(), REQUESTS_WITHIN_MS).unref();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  // Once the requests in flight are answered (onClose, not preClose): the stop's checkpoint signs
  // their writes too; and out of the reach of Fastify's 10 s for a hook of preClose, which a frozen
  // PostgreSQL made the stop hit (exit 70, trial 25). Then the store; a database that does not
  // answer would hold the stop for as long, when the process ends anyway and the server rolls
  // back what was not committed.
  app.addHook('onClose', async () => {
    clearInterval(failuresDue);
    await finalCheckpoint();
    const bound = stopLeft(stopStarted, POOL_CLOSE_MS);
    if ((await within(bound, pool.close())) === 'late') app.log.error(`connexions à la base non fermées en ${Math.round(bound / 1000)} s : abandonnées`);
  });
  return app;
}
