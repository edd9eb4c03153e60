import type { Dispatcher, EnvHttpProxyAgent } from 'undici';
import { API_HEADER, CafsupError, MAYBE_WRITTEN, isErrorCode, parseInput } from '@cafsup/shared';
import { isPathSource, openedFile, type DatasetSource } from '../dataset/source.js';
import { serverUrlProblem, shownServer } from '../settings.js';
import { operationSpec } from '../operations/table.js';
import type { Identity, Operation, Transport, TransportInfo } from './transport.js';

export interface HttpTransportOptions {
  baseUrl: string;
  token: string;
  /** Connect, headers and body timeouts (30 s by default; undici's own are 10 s and 300 s). */
  timeoutMs?: number;
  /** Attempts after the first for reads (3 by default). */
  retries?: number;
  /** Allows plain `http://` to a host other than this machine: the token then crosses the network in clear text. */
  insecure?: boolean;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const MAX_BACKOFF_MS = 10_000;
/**
 * The longest Retry-After of a 429 a read waits out in silence before asking again. A window of
 * refused tokens (up to a minute) left the command silent for 30 s, as if hung, then said « Jeton
 * refusé » once the window had ended: such an answer is given at once, the wait it asks for named.
 * A 503 (a busy server: a read queued past its deadline, a lock given up) is still waited out.
 */
const MAX_SILENT_RETRY_AFTER_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function errorCode(error: unknown): string {
  const seen = error as { code?: string; cause?: { code?: string } };
  return seen.code ?? seen.cause?.code ?? '';
}

const UNKNOWN_AUTHORITY =
  'certificat signé par une autorité inconnue de ce poste : nommez le fichier PEM du certificat de l’autorité de la Caf dans NODE_EXTRA_CA_CERTS';
const SELF_SIGNED =
  'certificat autosigné, inconnu de ce poste : nommez le fichier PEM de ce certificat, ou de celui de l’autorité de la Caf qui l’a émis, dans NODE_EXTRA_CA_CERTS';
const NO_TLS = 'ce port répond en HTTP sans TLS : écrivez l’adresse en http://, ou donnez le port du https';

/**
 * A server certificate this machine refuses, or no TLS at the port (undici gives Node's and
 * OpenSSL's codes: « DEPTH_ZERO_SELF_SIGNED_CERT »): said with what to do, the code kept at the
 * end for whoever helps the supervisor. The request was never sent, and asking again changes
 * nothing.
 */
const TLS_REASONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries({
    DEPTH_ZERO_SELF_SIGNED_CERT: SELF_SIGNED,
    SELF_SIGNED_CERT_IN_CHAIN: SELF_SIGNED,
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNKNOWN_AUTHORITY,
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNKNOWN_AUTHORITY,
    CERT_HAS_EXPIRED: 'certificat du serveur expiré : faites-le renouveler par qui administre le serveur (ou vérifiez l’horloge de ce poste)',
    ERR_TLS_CERT_ALTNAME_INVALID:
      'certificat établi pour un autre nom que celui de l’adresse : donnez le nom inscrit dans le certificat (CAFSUP_URL ou le profil)',
    // A plain-HTTP server asked in https:// (Node 20, OpenSSL 3). Not EPROTO, which older OpenSSL
    // gave for it: any protocol error has it, one after the request was sent included (review 26).
    ERR_SSL_WRONG_VERSION_NUMBER: NO_TLS,
  }).map(([code, words]) => [code, `${words} (${code})`]),
);

/** What a supervisor reads of undici's and Node's codes (trial 25: « UND_ERR_HEADERS_TIMEOUT », or an English sentence); others are shown as they are. */
const UNREACHED_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connexion refusée (serveur arrêté, ou mauvais port ?)',
  ECONNRESET: 'connexion coupée par le serveur',
  ENOTFOUND: 'nom d’hôte inconnu',
  EAI_AGAIN: 'nom d’hôte introuvable pour l’instant (DNS)',
  EHOSTUNREACH: 'hôte inaccessible (réseau ?)',
  UND_ERR_CONNECT_TIMEOUT: 'pas de connexion dans le délai (pare-feu ?)',
  UND_ERR_HEADERS_TIMEOUT: 'aucune réponse dans le délai',
  UND_ERR_SOCKET: 'connexion coupée',
  HPE_INVALID_CONSTANT: 'réponse qui n’est pas du HTTP',
  HPE_INVALID_HEADER_TOKEN: 'réponse qui n’est pas du HTTP',
  ...TLS_REASONS,
};

/** A TLS handshake that failed (OpenSSL's codes, Node's): nothing was sent, and asking again changes nothing. */
const isHandshakeFailure = (code: string) => code in TLS_REASONS || /^ERR_(SSL|TLS)_/.test(code);

/** Why a server was not reached, or gave no answer, in French; an unknown code as it is. */
function unreachedReason(code: string, error: unknown): string {
  if (code in UNREACHED_REASONS) return UNREACHED_REASONS[code]!;
  if (isHandshakeFailure(code)) return `négociation TLS refusée : versions ou chiffrements que ce poste et le serveur n’ont pas en commun ? (${code})`;
  return code || (error as Error).message;
}

/** Failures before the request was sent: a write among them was not made. */
const NEVER_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const neverReached = (code: string) => NEVER_REACHED.has(code) || isHandshakeFailure(code);

/** The wait an answer asks for in seconds (Retry-After, RFC 9110: cafsup sends seconds), or null when it names none. */
function retryAfterSeconds(response: Dispatcher.ResponseData): number | null {
  const seconds = Number(response.headers['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/**
 * An operation's input as JSON. A number JSON cannot hold (1e400 read as Infinity, NaN) would be
 * written null and refused by the server as « reçu « null » » (trial 36): it is refused here by
 * the operation's own schema, as the local transport refuses it, and nothing is sent.
 */
function inputJson(spec: ReturnType<typeof operationSpec>, input: unknown): string {
  let unwritable = false;
  const text = JSON.stringify(input ?? {}, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) unwritable = true;
    return value;
  });
  if (unwritable) parseInput(spec.input, input ?? {});
  return text;
}

function isDryRun(spec: ReturnType<typeof operationSpec>, input: unknown): boolean {
  try {
    return spec.dryRun?.(input) === true;
  } catch {
    return false;
  }
}

/**
 * Whether `url`'s host and port complete a TLS handshake: an HTTPS server asked in http:// closes
 * the connection without a byte, as a server that fell mid-request does (trial 26, L1). Asked
 * only then, directly, for at most 2 s; any doubt is « no ».
 */
function speaksTls(url: URL): Promise<boolean> {
  const { connect } = process.getBuiltinModule('node:tls');
  const { isIP } = process.getBuiltinModule('node:net');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    // No server name for an address: RFC 6066 forbids it, and Node warns on stderr.
    const socket = connect({ host, port: Number(url.port || 80), rejectUnauthorized: false, timeout: 2000, ...(isIP(host) === 0 ? { servername: host } : {}) });
    const done = (tls: boolean) => {
      socket.destroy();
      resolve(tls);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * A server that let a timeout pass answers no better when asked again: its wait is not multiplied
 * by the retries (trial 25: 124 s of silence). Nor does a failed handshake (`isHandshakeFailure`).
 */
const NOT_RETRIED = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * A token never leaves this machine in clear text unless the caller says so (operations.md):
 * `https://` anywhere, `http://` only to a loopback address, or with `insecure`.
 */
function checkTransportSecurity(baseUrl: string, insecure: boolean): void {
  const problem = serverUrlProblem(baseUrl);
  if (problem !== null) throw new CafsupError('VALIDATION', problem);
  const url = new URL(baseUrl);
  if (url.protocol === 'https:') return;
  const loopback =
    url.hostname === 'localhost' || url.hostname.endsWith('.localhost') || url.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
  if (!loopback && !insecure) {
    throw new CafsupError('FORBIDDEN', `Refus d’envoyer le jeton en clair à ${url.host} : utilisez https://, ou --insecure si ce réseau est sûr.`);
  }
}

/** The body of a dataset import, streamed: a file, bytes, text, a stream or a parsed document. */
async function importBody(source: DatasetSource): Promise<Dispatcher.DispatchOptions['body']> {
  if (typeof source === 'string' || source instanceof Uint8Array) return source;
  if (Symbol.asyncIterator in source) return source as AsyncIterable<Uint8Array> as never;
  if (isPathSource(source)) return (await openedFile(source.path)) as never;
  return JSON.stringify(source);
}

/**
 * The HTTP API of `cafsup serve` as a transport (undici). Reads are retried on connection
 * failures, 429 and 503 with backoff, honouring Retry-After (a 429's longer than
 * MAX_SILENT_RETRY_AFTER_MS is answered at once); a write is retried only when the connection
 * was refused, and always carries an Idempotency-Key, so that a retry the caller makes is
 * applied once. Errors come back as the same CafsupError codes as local.
 */
export class HttpTransport implements Transport {
  private agent: Promise<{ agent: EnvHttpProxyAgent; request: typeof import('undici').request }> | null = null;
  private readonly base: string;
  private readonly shown: string;
  private readonly retries: number;
  private identity: Identity | null = null;

  constructor(private readonly options: HttpTransportOptions) {
    checkTransportSecurity(options.baseUrl, options.insecure === true);
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.shown = shownServer(this.base);
    this.retries = options.retries ?? 3;
  }

  /** undici is loaded at the first request: a local command never pays for the HTTP client. */
  private http(): Promise<{ agent: EnvHttpProxyAgent; request: typeof import('undici').request }> {
    this.agent ??= import('undici').then((loaded) => {
      // undici is CommonJS: once bundled, a dynamic import gives its exports under `default`.
      const { EnvHttpProxyAgent, request } = 'Agent' in loaded ? loaded : (loaded as unknown as { default: typeof loaded }).default;
      const timeout = this.options.timeoutMs ?? 30_000;
      // HTTPS_PROXY, HTTP_PROXY and NO_PROXY (upper or lower case) are honoured, as curl does:
      // a Caf's network often reaches its server only through a proxy. Without them, a plain agent.
      return { agent: new EnvHttpProxyAgent({ connectTimeout: timeout, headersTimeout: timeout, bodyTimeout: timeout }), request };
    });
    return this.agent;
  }

  /** `made`: whether the request, sent and not answered, may have changed the data (a write but a dry run). */
  private async send(
    method: 'GET' | 'POST',
    path: string,
    body: Dispatcher.DispatchOptions['body'],
    write: boolean,
    made = write,
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // node:crypto loads at the first write sent, not with every command (the SDK's index loads this module).
    if (write) headers['idempotency-key'] = process.getBuiltinModule('node:crypto').randomUUID();
    // A stream can be sent only once: such a body is never retried.
    const replayable = body === undefined || typeof body === 'string' || body instanceof Uint8Array;
    const { agent, request } = await this.http();
    for (let attempt = 0; ; attempt++) {
      let response: Dispatcher.ResponseData;
      try {
        response = await request(`${this.base}${path}`, { method, headers, body: body ?? null, dispatcher: agent });
      } catch (error) {
        const code = errorCode(error);
        const retry = replayable && attempt < this.retries && !NOT_RETRIED.has(code) && !isHandshakeFailure(code) && (!write || neverReached(code));
        if (!retry) {
          if (code === 'UND_ERR_SOCKET' && this.base.startsWith('http:') && (await speaksTls(new URL(this.base)))) {
            // The server read no request: it waited for a handshake.
            const secure = this.shown.replace(/^http:/, 'https:');
            throw new CafsupError(
              'UNAVAILABLE',
              `Serveur injoignable (${this.shown}) : ce port parle HTTPS : écrivez l’adresse ${secure} (rien n’a été écrit).`,
              {},
              { cause: error },
            );
          }
          const reason = unreachedReason(code, error);
          // A write sent and not answered may have been made: run again, it would be made twice
          // (a new command is a new Idempotency-Key).
          const said =
            made && !neverReached(code)
              ? `Pas de réponse de ${this.shown} (${reason}) : ${MAYBE_WRITTEN}.`
              : `Serveur injoignable (${this.shown}) : ${reason}.`;
          throw new CafsupError('UNAVAILABLE', said, {}, { cause: error });
        }
        await sleep(Math.min(MAX_BACKOFF_MS, 200 * 2 ** attempt));
        continue;
      }
      if (!write && replayable && RETRYABLE_STATUS.has(response.statusCode) && attempt < this.retries) {
        const wait = retryAfterSeconds(response);
        // A busy server (503) is asked again: its queue moves. A window of refused tokens (429) does
        // not. A cafsup 503 that names no wait is one no retry mends (LASTING: a damaged file);
        // a proxy's, without cafsup's header, may be a server restarting behind it.
        const lasting = response.statusCode === 503 && wait === null && response.headers[API_HEADER.name] !== undefined;
        if (!lasting && (response.statusCode !== 429 || wait === null || wait * 1000 <= MAX_SILENT_RETRY_AFTER_MS)) {
          await response.body.dump();
          await sleep(Math.min(MAX_BACKOFF_MS, wait === null ? 200 * 2 ** attempt : wait * 1000));
          continue;
        }
      }
      return response;
    }
  }

  private async json<T>(response: Dispatcher.ResponseData, made = false): Promise<T> {
    this.fromCafsup(response);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw this.cutOff(response, error, made);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.notCafsup(response);
    }
    if (response.statusCode >= 400) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
      if (error !== undefined && isErrorCode(error.code)) throw new CafsupError(error.code, String(error.message), (error.details ?? {}) as never);
      throw this.notCafsup(response);
    }
    return parsed as T;
  }

  /**
   * An answer whose body broke off, came too slowly, or was larger than a string may be (another
   * program's endless answer). A write's may have been made (review 25).
   */
  private cutOff(response: Dispatcher.ResponseData, error: unknown, made: boolean): CafsupError {
    return new CafsupError(
      'UNAVAILABLE',
      `Réponse interrompue de ${this.shown} (HTTP ${response.statusCode}) : ${made ? `${MAYBE_WRITTEN}.` : 'réessayez.'}`,
      {},
      { cause: error },
    );
  }

  /** An answer without cafsup's header is another program's. */
  private fromCafsup(response: Dispatcher.ResponseData): void {
    if (response.headers[API_HEADER.name] !== undefined) return;
    // Not read: it may never end. (undici's body, destroyed before its end, emits an error: expected.)
    response.body.on('error', () => undefined).destroy();
    throw this.notCafsup(response);
  }

  /**
   * An answer that is none of cafsup's (every one is JSON, a failure with its code): another
   * server at that address, or a proxy in front of a cafsup that is down. Said as a server out of
   * reach (exit 6), whatever its status: a 404 of another program said « signalez-le », exit 70,
   * and its 501 exit 6 (trial 24).
   */
  private notCafsup(response: Dispatcher.ResponseData): CafsupError {
    const type = String(response.headers['content-type'] ?? 'sans type')
      .split(';')[0]!
      .trim();
    return new CafsupError(
      'UNAVAILABLE',
      `${this.shown} ne répond pas comme un serveur cafsup (HTTP ${response.statusCode}, ${type}) : vérifiez son adresse (CAFSUP_URL ou le profil), ou s’il est arrêté derrière un proxy.`,
    );
  }

  async call<T>(operation: Operation, input: unknown): Promise<T> {
    const spec = operationSpec(operation);
    const write = spec.access === 'write';
    if (spec.stream === 'out') return this.json<T>(await this.send('GET', `/v1/${operation}`, undefined, false));
    if (spec.stream === 'in') {
      const { source, reason, dryRun } = input as { source: DatasetSource; reason?: string; dryRun?: boolean };
      const query = new URLSearchParams({ ...(reason === undefined ? {} : { reason }), ...(dryRun === undefined ? {} : { dryRun: String(dryRun) }) });
      const made = !isDryRun(spec, input);
      return this.json<T>(await this.send('POST', `/v1/${operation}${query.size === 0 ? '' : `?${query}`}`, await importBody(source), true, made), made);
    }
    // A dry run changes nothing, said where its operation says it (the table's `dryRun`); an
    // input it cannot read is the server's to refuse, and taken as a write meanwhile.
    const made = write && !isDryRun(spec, input);
    return this.json<T>(await this.send('POST', `/v1/${operation}`, inputJson(spec, input), write, made), made);
  }

  async *exportStream(): AsyncIterable<string> {
    const response = await this.send('GET', '/v1/dataset.export', undefined, false);
    if (response.statusCode >= 400) await this.json(response);
    this.fromCafsup(response);
    // Decoded here, a character split between two chunks joined again: undici's body gives bytes
    // whatever its encoding is set to (trial 25: `cafsup export` to stdout over HTTP failed, exit 70).
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) yield decoder.decode(chunk as Uint8Array, { stream: true });
      yield decoder.decode();
    } catch (error) {
      throw this.cutOff(response, error, false);
    }
  }

  async whoami(): Promise<Identity> {
    this.identity ??= await this.json<Identity>(await this.send('GET', '/v1/whoami', undefined, false));
    return this.identity;
  }

  info(): TransportInfo {
    return { kind: 'http', location: this.shown, actor: this.identity?.actor ?? null };
  }

  async close(): Promise<void> {
    if (this.agent !== null) await (await this.agent).agent.close();
  }
}
