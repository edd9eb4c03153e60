import { z } from 'zod';
import {
  CafsupError,
  actorSchema,
  departementSchema,
  frenchList,
  normaliseEmail,
  parseInput,
  reasonSchema,
  TOKEN_ROLE_LABELS,
  type Actor,
} from '@cafsup/shared';
import { asInt, dialectOf, type Sql } from './engine/engine.js';
import { HEAD_VALUE } from './meta.js';
import { sha256, type TraceEntry, type TraceWriter } from './traces.js';

export const TOKEN_ROLES = ['supervisor', 'auditor'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** `*` in a token's Cafs: every Caf (a national supervisor). */
export const ALL_CAFS = '*';

/** A token's Cafs as the questions and traces say them: « Caf 78, 13 », or « toutes les Caf ». */
export function tokenCafsText(cafs: readonly string[]): string {
  return cafs.includes(ALL_CAFS) ? 'toutes les Caf' : `Caf ${frenchList(cafs)}`;
}

export interface TokenView {
  id: number;
  owner: Actor;
  role: TokenRole;
  cafs: string[];
  createdAt: string;
  revokedAt: string | null;
  /** After this instant the token is refused, like a revoked one; null: it never expires. */
  expiresAt: string | null;
  /** The last request made with it, to the minute; null: never used. */
  lastUsedAt: string | null;
  ownerSuspended: boolean;
}

/** Who a valid token speaks for. */
export interface Principal {
  tokenId: number;
  actor: Actor;
  role: TokenRole;
  /** null for every Caf. */
  cafCodes: string[] | null;
  /** When the token was last used, as recorded (at most once a minute): the server decides whether to record this use. */
  lastUsedAt: string | null;
  /** After this instant the token is refused; null: never. */
  expiresAt: string | null;
}

/**
 * A principal the server keeps in memory (workers/protocol.ts), with what its store job checks
 * before it runs: the token's hash, whose row is read again there (a revocation, an owner's
 * suspension or an expiry, by any process sharing the store, refuses the job).
 */
export interface Credential {
  tokenHash: string;
}

/** A token's principal (null when refused) and the version of the data it was read at, in the same snapshot. */
export interface TokenRead {
  principal: Principal | null;
  version: string;
}

/** A token's last use is recorded once a minute at most: a write per request would queue behind every import. */
export const LAST_USE_PRECISION_MS = 60_000;

interface TokenRow {
  id: number;
  hash: string;
  owner_name: string;
  owner_email: string;
  role: TokenRole;
  cafs: string;
  created_at: string;
  revoked_at: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  suspended: number;
}

const FAILURE_WINDOW_MS = 60_000;
const UNKNOWN_ACTOR: Actor = { name: 'Inconnu', email: 'inconnu@cafsup.invalid' };

/** Every token with whether its owner is suspended (1 or 0). */
const SELECT_TOKENS = `SELECT t.*, ${asInt('s.email IS NOT NULL')} AS suspended FROM tokens t LEFT JOIN suspended_owners s ON s.email = t.owner_email`;

function tokenView(row: TokenRow): TokenView {
  return {
    id: row.id,
    owner: { name: row.owner_name, email: row.owner_email },
    role: row.role,
    cafs: JSON.parse(row.cafs) as string[],
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    ownerSuspended: row.suspended === 1,
  };
}
/**
 * The data's version (the trail's head as stored, which PostgreSQL's conventions are kept under,
 * `Store.atDataVersion`) and the rows of the tokens with a hash (`?`) or those a JSON array
 * lists (`many`), in one statement: one snapshot, one round trip. A single row of nulls beside
 * the version when no token matches. One hash is asked with `=`: SQLite reads a JSON list in
 * 60 µs against 10 for the hash, and the server's thread pays it at each request.
 */
const tokensAtVersion = (
  db: Sql,
  many: boolean,
) => `SELECT v.version, t.*, ${asInt('s.email IS NOT NULL')} AS suspended FROM (SELECT (${HEAD_VALUE}) AS version) v
  LEFT JOIN (tokens t LEFT JOIN suspended_owners s ON s.email = t.owner_email) ON ${many ? dialectOf(db).inValues('t.hash', '?') : 't.hash = ?'}`;

export function hashToken(token: string): string {
  return sha256(token);
}

/**
 * The server's tokens, in the store's file: only a token's SHA-256 is kept, so the file never
 * holds one; every change is traced like any other write.
 */
export class TokenStore {
  private readonly atVersion: { one: string; many: string };

  constructor(
    private readonly db: Sql,
    private readonly traces: TraceWriter,
    private readonly clock: () => { at: string },
  ) {
    this.atVersion = { one: tokensAtVersion(db, false), many: tokensAtVersion(db, true) };
  }

  /** `write`, then its trace, in one transaction; the trace may name what the write made (a new token's number). */
  private traced<T>(actor: Actor, entry: TraceEntry | ((result: T) => TraceEntry), write: (at: string) => Promise<T>): Promise<T> {
    return this.db.transaction(async () => {
      const { at } = this.clock();
      const result = await write(at);
      await this.traces.append(actor, at, [typeof entry === 'function' ? entry(result) : entry]);
      return result;
    });
  }

  /** Creates a token (256 random bits) and returns it: this is the only time it is shown. `expiresAt` (an ISO instant) ends it. */
  async create(owner: Actor, role: TokenRole, cafs: string[], actor: Actor, options: { expiresAt?: string } = {}): Promise<{ id: number; token: string }> {
    owner = parseInput(actorSchema, owner, 'owner');
    if (cafs.length === 0)
      throw new CafsupError('VALIDATION', 'Indiquez au moins une Caf (--caf 78, ou --caf "*" pour toutes).', {
        problems: [{ path: 'cafs', message: 'au moins une Caf' }],
      });
    parseInput(z.array(z.union([z.literal(ALL_CAFS), departementSchema])), cafs, 'cafs');
    const token = `cafsup_${process.getBuiltinModule('node:crypto').randomBytes(32).toString('base64url')}`;
    const email = normaliseEmail(owner.email);
    const expiresAt = options.expiresAt ?? null;
    const id = await this.traced(
      actor,
      (id: number) => ({
        action: 'token.create',
        targetType: 'token',
        targetId: String(id),
        partnerId: null,
        reason: `Jeton ${TOKEN_ROLE_LABELS[role]} pour ${owner.name} <${email}>, ${tokenCafsText(cafs)}`,
        after: { owner: { name: owner.name, email }, role, cafs, expiresAt },
      }),
      async (at) => {
        if (expiresAt !== null && expiresAt <= at)
          throw new CafsupError('VALIDATION', 'L’expiration du jeton doit être dans le futur.', { problems: [{ path: 'expiresAt', message: 'date passée' }] });
        return (await this.db.value<number>(
          'INSERT INTO tokens (owner_name, owner_email, role, cafs, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
          [owner.name, email, role, JSON.stringify(cafs), hashToken(token), at, expiresAt],
        ))!;
      },
    );
    return { id, token };
  }

  async list(): Promise<TokenView[]> {
    return (await this.db.all<TokenRow>(`${SELECT_TOKENS} ORDER BY t.id`)).map(tokenView);
  }

  /**
   * Token n° `id` as `list` shows it, for a question that names its owner before revoking it;
   * NOT_FOUND when there is none, CONFLICT when it is revoked already, in `revoke`'s words.
   */
  async revocable(id: number): Promise<TokenView> {
    const row = await this.db.get<TokenRow>(`${SELECT_TOKENS} WHERE t.id = ?`, [id]);
    if (row === undefined) throw new CafsupError('NOT_FOUND', `Jeton n° ${id} introuvable.`, { ids: [String(id)] });
    if (row.revoked_at !== null) throw new CafsupError('CONFLICT', `Le jeton n° ${id} est déjà révoqué.`, { ids: [String(id)] });
    return tokenView(row);
  }

  async revoke(id: number, reason: string, actor: Actor): Promise<void> {
    reason = parseInput(reasonSchema, reason, 'reason');
    await this.traced(actor, { action: 'token.revoke', targetType: 'token', targetId: String(id), partnerId: null, reason }, async (at) => {
      // Checked inside the write: another server process may revoke the same token meanwhile.
      await this.revocable(id);
      await this.db.run('UPDATE tokens SET revoked_at = ? WHERE id = ?', [at, id]);
    });
  }

  /** Suspends (or reinstates) a person: every token they own stops working at the next request. */
  async setOwnerSuspended(email: string, suspended: boolean, reason: string, actor: Actor): Promise<void> {
    reason = parseInput(reasonSchema, reason, 'reason');
    const owner = normaliseEmail(email);
    await this.traced(
      actor,
      { action: suspended ? 'token.suspendOwner' : 'token.reinstateOwner', targetType: 'token', targetId: owner, partnerId: null, reason },
      async (at) => {
        if (suspended) await this.db.run('INSERT INTO suspended_owners (email, suspended_at) VALUES (?, ?) ON CONFLICT DO NOTHING', [owner, at]);
        else await this.db.run('DELETE FROM suspended_owners WHERE email = ?', [owner]);
      },
    );
  }

  /** The principal of a token, or null when it is unknown, revoked, expired, or its owner suspended. */
  async authenticate(token: string): Promise<Principal | null> {
    return (await this.authenticateHash(hashToken(token))).principal;
  }

  /** What a token's hash stands for now. */
  async authenticateHash(tokenHash: string): Promise<TokenRead> {
    const { principals, version } = await this.authenticateHashes([tokenHash]);
    return { principal: principals.get(tokenHash) ?? null, version };
  }

  /** The principals of several tokens' hashes (a refused one has none) and the version of the data they were read at, in one snapshot. */
  async authenticateHashes(tokenHashes: readonly string[]): Promise<{ principals: Map<string, Principal>; version: string }> {
    const [sql, hashes] = tokenHashes.length === 1 ? [this.atVersion.one, tokenHashes[0]] : [this.atVersion.many, JSON.stringify(tokenHashes)];
    const rows = await this.db.all<Omit<TokenRow, 'id'> & { id: number | null; version: string | null }>(sql, [hashes]);
    const principals = new Map<string, Principal>();
    for (const row of rows) {
      if (row.id === null || row.revoked_at !== null || row.suspended === 1 || this.expired(row.expires_at)) continue;
      const cafs = JSON.parse(row.cafs) as string[];
      principals.set(row.hash, {
        tokenId: row.id,
        actor: { name: row.owner_name, email: row.owner_email },
        role: row.role,
        cafCodes: cafs.includes(ALL_CAFS) ? null : cafs,
        lastUsedAt: row.last_used_at,
        expiresAt: row.expires_at,
      });
    }
    return { principals, version: rows[0]?.version ?? '' };
  }

  /**
   * Checks a principal kept in memory before its job runs: its token read again (one indexed
   * read, with the data's version in the same statement). Returns the version it is now valid
   * at, or null when the token is refused. Comparing the version first saved nothing: under
   * writes it moves at every request, and the check then took three round trips on PostgreSQL.
   */
  async check(credential: Credential): Promise<string | null> {
    const fresh = await this.authenticateHash(credential.tokenHash);
    return fresh.principal === null ? null : fresh.version;
  }

  private expired(expiresAt: string | null): boolean {
    return expiresAt !== null && Date.parse(expiresAt) <= Date.parse(this.clock().at);
  }

  /**
   * Records a use of a token. Not traced (a use is not a decision) and a single statement: the
   * server sends it to the writer without waiting, at most once a minute per token.
   */
  async recordUse(tokenId: number): Promise<void> {
    const { at } = this.clock();
    const stale = new Date(Date.parse(at) - LAST_USE_PRECISION_MS).toISOString();
    await this.db.run('UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)', [at, tokenId, stale]);
  }

  /**
   * Counts a failed authentication for its address and for the prefix of the token tried, in
   * the store (every server process shares the counts). Traced once a minute per address with
   * the number of failures since the last trace, so a flood cannot fill the trail. `limited`
   * says the caller should answer 429; a valid token is never asked here, so never locked out.
   * The counts are read and written in one write transaction: writes take turns (on PostgreSQL
   * on the chain head row), so two processes never count from the same value.
   */
  recordFailure(address: string, tokenPrefix: string | null, limit: number): Promise<{ limited: boolean; retryAfterSeconds: number }> {
    const nowMs = Date.parse(this.clock().at);
    return this.db.transaction(async () => {
      let limited = false;
      let retryAfterSeconds = 1;
      const buckets = [`${ADDRESS_BUCKET}${address}`, ...(tokenPrefix === null ? [] : [`jeton ${tokenPrefix}…`])];
      for (const bucket of buckets) {
        const row = await this.db.get<{ window_ms: number; count: number; untraced: number; traced_ms: number }>(
          'SELECT window_ms, count, untraced, traced_ms FROM auth_failures WHERE bucket = ?',
          [bucket],
        );
        const fresh = row === undefined || row.window_ms + FAILURE_WINDOW_MS <= nowMs;
        const next = {
          window_ms: fresh ? nowMs : row.window_ms,
          count: fresh ? 1 : row.count + 1,
          untraced: (row?.untraced ?? 0) + 1,
          traced_ms: row?.traced_ms ?? 0,
        };
        if (bucket === buckets[0] && next.traced_ms + FAILURE_WINDOW_MS <= nowMs) {
          await this.traces.append(UNKNOWN_ACTOR, this.clock().at, [failuresTrace(address, next.untraced)]);
          next.untraced = 0;
          next.traced_ms = nowMs;
        }
        await this.db.run(
          `INSERT INTO auth_failures (bucket, window_ms, count, untraced, traced_ms) VALUES (@bucket, @window_ms, @count, @untraced, @traced_ms)
           ON CONFLICT (bucket) DO UPDATE SET window_ms = excluded.window_ms, count = excluded.count, untraced = excluded.untraced, traced_ms = excluded.traced_ms`,
          { bucket, ...next },
        );
        if (next.count > limit) {
          limited = true;
          retryAfterSeconds = Math.max(retryAfterSeconds, Math.ceil((next.window_ms + FAILURE_WINDOW_MS - nowMs) / 1000));
        }
      }
      return { limited, retryAfterSeconds };
    });
  }

  /**
   * Traces the failures counted since an address's last trace once its minute is over, where no
   * later failure came to trace them (trial 33, 3: a burst's last failures stayed out of the trail
   * until the address failed again, and were then dated by that failure). The server asks every
   * minute; read first, so that a minute without failures writes nothing.
   */
  async traceFailuresDue(): Promise<void> {
    const due = `bucket LIKE '${ADDRESS_BUCKET}%' AND untraced > 0 AND traced_ms <= ?`;
    const dueBefore = () => Date.parse(this.clock().at) - FAILURE_WINDOW_MS;
    if ((await this.db.all(`SELECT bucket FROM auth_failures WHERE ${due}`, [dueBefore()])).length === 0) return;
    await this.db.transaction(async () => {
      const before = dueBefore();
      const rows = await this.db.all<{ bucket: string; untraced: number }>(`SELECT bucket, untraced FROM auth_failures WHERE ${due} ORDER BY bucket`, [before]);
      if (rows.length === 0) return;
      // Dated once the write holds its turn (its first statement took it): not before a trace
      // another write appended while this one waited.
      const { at } = this.clock();
      await this.traces.append(
        UNKNOWN_ACTOR,
        at,
        rows.map((row) => failuresTrace(row.bucket.slice(ADDRESS_BUCKET.length), row.untraced)),
      );
      await this.db.run(`UPDATE auth_failures SET untraced = 0, traced_ms = ? WHERE ${due}`, [Date.parse(at), before]);
    });
  }
}

/** The count of an address's failures (`auth_failures`) is kept under this prefix, a token prefix's under « jeton ». */
const ADDRESS_BUCKET = 'adresse ';

/** The activity trace of an address's failed authentications since its last one. */
function failuresTrace(address: string, failures: number): TraceEntry {
  return {
    action: 'auth.failure',
    targetType: 'token',
    targetId: null,
    partnerId: null,
    reason: `Jeton refusé depuis ${address}`,
    details: { address, failures },
  };
}
