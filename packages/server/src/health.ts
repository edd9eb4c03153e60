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

/** Why the store is not ready, in French, or null when it is. */
export function notReady(status: StoreStatus): string | null {
  if (!status.file) return 'le fichier de la base a disparu ou a été remplacé depuis le démarrage du serveur';
  if (status.schemaVersion !== status.expectedSchemaVersion) {
    return `schéma de la base en version ${status.schemaVersion}, ce serveur attend la version ${status.expectedSchemaVersion}`;
  }
  // Its reads are the past's and every write is refused: a balancer sends the team elsewhere (review 41).
  if (status.moved) return 'base copiée dans PostgreSQL par cafsup migrate, elle ne reçoit plus d’écritures : faites servir la base copiée';
  return null;
}

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (the database answers through the
 * store's workers, its file is the one opened and its migrations are current), without a
 * token: load balancers and systemd have none (operations.md).
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
