import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { CafsupError, toCafsupError } from '@cafsup/shared';
import type { StoreExecutor, StoreStatus } from '@cafsup/sdk';

/** A probe must answer quickly even while the writer is busy: the status is read on a reader. */
const PROBE_DEADLINE_MS = 2_000;

/**
 * A store failure as the server's callers hear it: what is wrong with the database, never where
 * it is (a PostgreSQL role, host, port and name; a file's path), which the log keeps. A probe
 * and a refused token need no token.
 */
export function withoutLocation(failure: CafsupError, log: FastifyBaseLogger): CafsupError {
  const { path, problem, ...details } = failure.details;
  if (failure.code !== 'UNAVAILABLE' || typeof path !== 'string') return failure;
  log.warn({ err: { message: failure.message } }, 'base indisponible');
  return new CafsupError(
    failure.code,
    typeof problem === 'string' ? `Base de données du serveur : ${problem}.` : 'Base de données du serveur indisponible.',
    details,
  );
}

/** Why a store can write nothing (StoreStatus' `unwritable`), in French and without saying where it is. */
const UNWRITABLE: Record<NonNullable<StoreStatus['unwritable']>, string> = {
  file: 'le fichier de la base ou son dossier n’est pas modifiable par le serveur : toute écriture serait refusée',
  reopen: 'le fichier de la base ou son dossier n’était pas modifiable quand le serveur l’a ouvert : toute écriture serait refusée jusqu’à son redémarrage',
  readOnly: 'base en lecture seule (serveur de secours, ou rôle en default_transaction_read_only) : toute écriture serait refusée',
  rights: 'le rôle de la base n’a pas le droit d’y écrire (INSERT sur la table traces) : toute écriture serait refusée',
};

const MOVED: Record<NonNullable<StoreStatus['moved']>, string> = {
  copied: 'base copiée dans PostgreSQL par cafsup migrate, elle ne reçoit plus d’écritures : faites servir la base copiée',
  // Said « copiée » before: the copy may not have landed, and serving the database would then serve none (review 44).
  pending:
    'copie de la base dans PostgreSQL par cafsup migrate non confirmée (interrompue, ou encore en cours), elle ne reçoit plus d’écritures : relancez cafsup migrate --to, qui la termine ou la refait',
};

/** Why the store is not ready, in French, or null when it is. */
export function notReady(status: StoreStatus): string | null {
  if (!status.file) return 'le fichier de la base a disparu ou a été remplacé depuis le démarrage du serveur';
  if (status.schemaVersion !== status.expectedSchemaVersion) {
    return `schéma de la base en version ${status.schemaVersion}, ce serveur attend la version ${status.expectedSchemaVersion}`;
  }
  // Its reads are the past's and every write is refused: a balancer sends the team elsewhere (review 41).
  if (status.moved !== null) return MOVED[status.moved];
  // Its reads answer, but every write would be refused 503: a balancer must not send writes here (review 44).
  if (status.unwritable !== null) return UNWRITABLE[status.unwritable];
  return null;
}

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (the database answers through the
 * store's workers, its file is the one opened, its migrations are current and it can be
 * written), without a token: load balancers and systemd have none (operations.md).
 */
export function registerHealth(app: FastifyInstance, pool: StoreExecutor): void {
  app.get('/healthz', { config: { token: 'none' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { token: 'none' } }, async () => {
    let status: StoreStatus;
    try {
      status = await pool.status(PROBE_DEADLINE_MS);
    } catch (error) {
      throw new CafsupError('UNAVAILABLE', `Serveur pas prêt : ${withoutLocation(toCafsupError(error), app.log).message}`, { retryAfterSeconds: 5 });
    }
    const problem = notReady(status);
    if (problem !== null) throw new CafsupError('UNAVAILABLE', `Serveur pas prêt : ${problem}.`, { retryAfterSeconds: 5 });
    return { status: 'ready', schemaVersion: status.schemaVersion, traceHead: status.traceHead };
  });
}
