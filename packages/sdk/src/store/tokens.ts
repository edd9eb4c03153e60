import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { CafsupError, normaliseEmail, type Actor } from '@cafsup/shared';
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
  ownerSuspended: boolean;
}

/** Who a valid token speaks for. */
export interface Principal {
  tokenId: number;
  actor: Actor;
  role: TokenRole;
  /** null for every Caf. */
  cafCodes: string[] | null;
}

interface TokenRow {
  id: number;
  owner_name: string;
  owner_email: string;
  role: TokenRole;
  cafs: string;
  created_at: string;
  revoked_at: string | null;
  suspended: number;
}

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

  /** Creates a token (256 random bits) and returns it: this is the only time it is shown. */
  create(owner: Actor, role: TokenRole, cafs: string[], actor: Actor): { id: number; token: string } {
    if (cafs.length === 0) throw new CafsupError('VALIDATION', 'Indiquez au moins une Caf (--caf 78, ou --caf "*" pour toutes).', { problems: [{ path: 'cafs', message: 'au moins une Caf' }] });
    const token = `cafsup_${randomBytes(32).toString('base64url')}`;
    const email = normaliseEmail(owner.email);
    let id = 0;
    this.traced(actor, { action: 'token.create', targetType: 'token', targetId: null, partnerId: null, reason: `Jeton ${role} pour ${owner.name} <${email}>, Caf ${cafs.join(', ')}`, after: { owner: { name: owner.name, email }, role, cafs } }, (at) => {
      id = Number(this.db.prepare('INSERT INTO tokens (owner_name, owner_email, role, cafs, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(owner.name, email, role, JSON.stringify(cafs), hashToken(token), at).lastInsertRowid);
    });
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
      ownerSuspended: row.suspended === 1,
    }));
  }

  revoke(id: number, reason: string, actor: Actor): void {
    const row = this.db.prepare('SELECT revoked_at FROM tokens WHERE id = ?').get(id) as { revoked_at: string | null } | undefined;
    if (row === undefined) throw new CafsupError('NOT_FOUND', `Jeton n° ${id} introuvable.`, { ids: [String(id)] });
    if (row.revoked_at !== null) throw new CafsupError('CONFLICT', `Le jeton n° ${id} est déjà révoqué.`, { ids: [String(id)] });
    this.traced(actor, { action: 'token.revoke', targetType: 'token', targetId: String(id), partnerId: null, reason }, (at) => {
      this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(at, id);
    });
  }

  /** Suspends (or reinstates) a person: every token they own stops working at the next request. */
  setOwnerSuspended(email: string, suspended: boolean, reason: string, actor: Actor): void {
    const owner = normaliseEmail(email);
    this.traced(actor, { action: suspended ? 'token.suspendOwner' : 'token.reinstateOwner', targetType: 'token', targetId: owner, partnerId: null, reason }, (at) => {
      if (suspended) this.db.prepare('INSERT OR IGNORE INTO suspended_owners (email, suspended_at) VALUES (?, ?)').run(owner, at);
      else this.db.prepare('DELETE FROM suspended_owners WHERE email = ?').run(owner);
    });
  }

  /** The principal of a token, or null when it is unknown, revoked, or its owner suspended. */
  authenticate(token: string): Principal | null {
    const row = this.db
      .prepare('SELECT t.*, (s.email IS NOT NULL) AS suspended FROM tokens t LEFT JOIN suspended_owners s ON s.email = t.owner_email WHERE t.hash = ?')
      .get(hashToken(token)) as TokenRow | undefined;
    if (row === undefined || row.revoked_at !== null || row.suspended === 1) return null;
    const cafs = JSON.parse(row.cafs) as string[];
    return { tokenId: row.id, actor: { name: row.owner_name, email: row.owner_email }, role: row.role, cafCodes: cafs.includes(ALL_CAFS) ? null : cafs };
  }

  /** A failed authentication, traced (the caller limits how often, so a flood cannot fill the trail). */
  recordFailure(address: string): void {
    this.traced({ name: 'Inconnu', email: 'inconnu@cafsup.invalid' }, { action: 'auth.failure', targetType: 'token', targetId: null, partnerId: null, reason: `Jeton refusé depuis ${address}` }, () => undefined);
  }

  /**
   * Claims an idempotency key before a write: `null` for a new key (the caller runs the write
   * then `complete`s it), the stored answer for a key already done.
   */
  claim(tokenId: number, key: string, operation: string): { response: string | null } | null {
    const existing = this.db.prepare('SELECT operation, response FROM idempotency_keys WHERE token_id = ? AND key = ?').get(tokenId, key) as { operation: string; response: string | null } | undefined;
    if (existing !== undefined) {
      if (existing.operation !== operation) throw new CafsupError('CONFLICT', 'Clé d’idempotence déjà employée pour une autre opération.');
      return { response: existing.response };
    }
    this.db.prepare('INSERT INTO idempotency_keys (token_id, key, operation, created_at) VALUES (?, ?, ?, ?)').run(tokenId, key, operation, this.clock().at);
    return null;
  }

  complete(tokenId: number, key: string, response: string): void {
    this.db.prepare('UPDATE idempotency_keys SET response = ? WHERE token_id = ? AND key = ?').run(response, tokenId, key);
  }

  /** A failed write frees its key, so that a retry runs it again. */
  release(tokenId: number, key: string): void {
    this.db.prepare('DELETE FROM idempotency_keys WHERE token_id = ? AND key = ?').run(tokenId, key);
  }
}
