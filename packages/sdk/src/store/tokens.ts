import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { CafsupError, actorSchema, departementSchema, normaliseEmail, parseInput, reasonSchema, type Actor } from '@cafsup/shared';
import type { TraceWriter } from './traces.js';

export const TOKEN_ROLES = ['supervisor', 'auditor'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** `*` in a token's Cafs: every Caf (a national supervisor). */
export const ALL_CAFS = '*';

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
}

/** A token's last use is recorded once a minute at most: a write per request would queue behind every import. */
export const LAST_USE_PRECISION_MS = 60_000;

interface TokenRow {
  id: number;
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

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The server's tokens, in the store's file: only a token's SHA-256 is kept, so the file never
 * holds one; every change is traced like any other write.
 */
export class TokenStore {
  constructor(
    private readonly db: Database.Database,
    private readonly traces: TraceWriter,
    private readonly clock: () => { at: string },
  ) {}

  private traced<T>(actor: Actor, entry: Parameters<TraceWriter['append']>[2][number], write: (at: string) => T): T {
    return this.db
      .transaction(() => {
        const { at } = this.clock();
        const result = write(at);
        this.traces.append(actor, at, [entry]);
        return result;
      })
      .immediate();
  }

  /** Creates a token (256 random bits) and returns it: this is the only time it is shown. `expiresAt` (an ISO instant) ends it. */
  create(owner: Actor, role: TokenRole, cafs: string[], actor: Actor, options: { expiresAt?: string } = {}): { id: number; token: string } {
    owner = parseInput(actorSchema, owner, 'owner');
    if (cafs.length === 0)
      throw new CafsupError('VALIDATION', 'Indiquez au moins une Caf (--caf 78, ou --caf "*" pour toutes).', {
        problems: [{ path: 'cafs', message: 'au moins une Caf' }],
      });
    parseInput(z.array(z.union([z.literal(ALL_CAFS), departementSchema])), cafs, 'cafs');
    const token = `cafsup_${randomBytes(32).toString('base64url')}`;
    const email = normaliseEmail(owner.email);
    const expiresAt = options.expiresAt ?? null;
    let id = 0;
    this.traced(
      actor,
      {
        action: 'token.create',
        targetType: 'token',
        targetId: null,
        partnerId: null,
        reason: `Jeton ${role} pour ${owner.name} <${email}>, Caf ${cafs.join(', ')}`,
        after: { owner: { name: owner.name, email }, role, cafs, expiresAt },
      },
      (at) => {
        if (expiresAt !== null && expiresAt <= at)
          throw new CafsupError('VALIDATION', 'L’expiration du jeton doit être dans le futur.', { problems: [{ path: 'expiresAt', message: 'date passée' }] });
        id = Number(
          this.db
            .prepare('INSERT INTO tokens (owner_name, owner_email, role, cafs, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
            .run(owner.name, email, role, JSON.stringify(cafs), hashToken(token), at, expiresAt).lastInsertRowid,
        );
      },
    );
    return { id, token };
  }

  list(): TokenView[] {
    const rows = this.db
      .prepare('SELECT t.*, (s.email IS NOT NULL) AS suspended FROM tokens t LEFT JOIN suspended_owners s ON s.email = t.owner_email ORDER BY t.id')
      .all() as TokenRow[];
    return rows.map((row) => ({
      id: row.id,
      owner: { name: row.owner_name, email: row.owner_email },
      role: row.role,
      cafs: JSON.parse(row.cafs) as string[],
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
      expiresAt: row.expires_at,
      lastUsedAt: row.last_used_at,
      ownerSuspended: row.suspended === 1,
    }));
  }

  revoke(id: number, reason: string, actor: Actor): void {
    reason = parseInput(reasonSchema, reason, 'reason');
    const row = this.db.prepare('SELECT revoked_at FROM tokens WHERE id = ?').get(id) as { revoked_at: string | null } | undefined;
    if (row === undefined) throw new CafsupError('NOT_FOUND', `Jeton n° ${id} introuvable.`, { ids: [String(id)] });
    if (row.revoked_at !== null) throw new CafsupError('CONFLICT', `Le jeton n° ${id} est déjà révoqué.`, { ids: [String(id)] });
    this.traced(actor, { action: 'token.revoke', targetType: 'token', targetId: String(id), partnerId: null, reason }, (at) => {
      this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(at, id);
    });
  }

  /** Suspends (or reinstates) a person: every token they own stops working at the next request. */
  setOwnerSuspended(email: string, suspended: boolean, reason: string, actor: Actor): void {
    reason = parseInput(reasonSchema, reason, 'reason');
    const owner = normaliseEmail(email);
    this.traced(
      actor,
      { action: suspended ? 'token.suspendOwner' : 'token.reinstateOwner', targetType: 'token', targetId: owner, partnerId: null, reason },
      (at) => {
        if (suspended) this.db.prepare('INSERT OR IGNORE INTO suspended_owners (email, suspended_at) VALUES (?, ?)').run(owner, at);
        else this.db.prepare('DELETE FROM suspended_owners WHERE email = ?').run(owner);
      },
    );
  }

  /** The principal of a token, or null when it is unknown, revoked, expired, or its owner suspended. */
  authenticate(token: string): Principal | null {
    const row = this.db
      .prepare('SELECT t.*, (s.email IS NOT NULL) AS suspended FROM tokens t LEFT JOIN suspended_owners s ON s.email = t.owner_email WHERE t.hash = ?')
      .get(hashToken(token)) as TokenRow | undefined;
    if (row === undefined || row.revoked_at !== null || row.suspended === 1) return null;
    if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.parse(this.clock().at)) return null;
    const cafs = JSON.parse(row.cafs) as string[];
    return {
      tokenId: row.id,
      actor: { name: row.owner_name, email: row.owner_email },
      role: row.role,
      cafCodes: cafs.includes(ALL_CAFS) ? null : cafs,
      lastUsedAt: row.last_used_at,
    };
  }

  /**
   * Records a use of a token. Not traced (a use is not a decision) and a single statement: the
   * server sends it to the writer without waiting, at most once a minute per token.
   */
  recordUse(tokenId: number): void {
    const { at } = this.clock();
    const stale = new Date(Date.parse(at) - LAST_USE_PRECISION_MS).toISOString();
    this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)').run(at, tokenId, stale);
  }

  /**
   * Counts a failed authentication for its address and for the prefix of the token tried, in
   * the store (every server process shares the counts). Traced once a minute per address with
   * the number of failures since the last trace, so a flood cannot fill the trail. `limited`
   * says the caller should answer 429; a valid token is never asked here, so never locked out.
   */
  recordFailure(address: string, tokenPrefix: string | null, limit: number): { limited: boolean; retryAfterSeconds: number } {
    const nowMs = Date.parse(this.clock().at);
    return this.db
      .transaction(() => {
        let limited = false;
        let retryAfterSeconds = 1;
        const buckets = [`adresse ${address}`, ...(tokenPrefix === null ? [] : [`jeton ${tokenPrefix}…`])];
        for (const bucket of buckets) {
          const row = this.db.prepare('SELECT window_ms, count, untraced, traced_ms FROM auth_failures WHERE bucket = ?').get(bucket) as
            { window_ms: number; count: number; untraced: number; traced_ms: number } | undefined;
          const fresh = row === undefined || row.window_ms + FAILURE_WINDOW_MS <= nowMs;
          const next = {
            window_ms: fresh ? nowMs : row.window_ms,
            count: fresh ? 1 : row.count + 1,
            untraced: (row?.untraced ?? 0) + 1,
            traced_ms: row?.traced_ms ?? 0,
          };
          if (bucket === buckets[0] && next.traced_ms + FAILURE_WINDOW_MS <= nowMs) {
            this.traces.append(UNKNOWN_ACTOR, this.clock().at, [
              {
                action: 'auth.failure',
                targetType: 'token',
                targetId: null,
                partnerId: null,
                reason: `Jeton refusé depuis ${address}`,
                details: { address, failures: next.untraced },
              },
            ]);
            next.untraced = 0;
            next.traced_ms = nowMs;
          }
          this.db
            .prepare(
              `INSERT INTO auth_failures (bucket, window_ms, count, untraced, traced_ms) VALUES (@bucket, @window_ms, @count, @untraced, @traced_ms)
               ON CONFLICT (bucket) DO UPDATE SET window_ms = excluded.window_ms, count = excluded.count, untraced = excluded.untraced, traced_ms = excluded.traced_ms`,
            )
            .run({ bucket, ...next });
          if (next.count > limit) {
            limited = true;
            retryAfterSeconds = Math.max(retryAfterSeconds, Math.ceil((next.window_ms + FAILURE_WINDOW_MS - nowMs) / 1000));
          }
        }
        return { limited, retryAfterSeconds };
      })
      .immediate();
  }
}
