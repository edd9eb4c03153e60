import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CafsupError, toCafsupError } from '@cafsup/shared';
import type { StoreExecutor } from '@cafsup/sdk';
import { isLocalCaller, operationOf, principalOf } from './access.js';
import { notReady } from './health.js';

const SCRAPE_DEADLINE_MS = 2_000;

/**
 * `GET /metrics` in Prometheus' text format (operations.md): requests by operation and status,
 * their latency, the 503s of a database that stayed busy past their deadline apart from the
 * other 503s, and the trace head's number — a trail that stops growing while requests succeed
 * is worth an alert. Read by a supervisor token for every Caf, or from this machine with any
 * valid token or none. Each server has its own registry: nothing is shared through
 * prom-client's global one.
 */
export async function registerMetrics(app: FastifyInstance, pool: StoreExecutor, trustsProxy: boolean): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cafsup_' });
  const requests = new Counter({
    name: 'cafsup_http_requests_total',
    help: 'Requests answered, by operation (or route) and HTTP status.',
    labelNames: ['operation', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'cafsup_http_request_duration_seconds',
    help: 'Time from the request to its answer, by operation (or route).',
    labelNames: ['operation'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const lockWaits = new Counter({
    name: 'cafsup_lock_waits_total',
    help: 'Operations answered 503: the database stayed busy (a write, an import, another process) past their deadline; nothing was written.',
    labelNames: ['operation'],
    registers: [registry],
  });
  // Apart from the lock waits: an outage counted as one read as contention (trial 33).
  const unavailable = new Counter({
    name: 'cafsup_unavailable_total',
    help: 'Operations answered 503 for another reason: the database could not be reached, opened or read (a damaged file), its file was deleted or replaced under the server, or the server was stopping.',
    labelNames: ['operation'],
    registers: [registry],
  });
  new Gauge({
    name: 'cafsup_store_ready',
    help: '1 when the database answers, its file is the one opened, its schema current and it can be written (as /readyz), else 0.',
    registers: [registry],
    async collect() {
      this.set(
        await pool.status(SCRAPE_DEADLINE_MS).then(
          (status) => (notReady(status) === null ? 1 : 0),
          () => 0,
        ),
      );
    },
  });
  const traceHead = new Gauge({
    name: 'cafsup_trace_head',
    help: 'Number of the last trace of the audit trail.',
    registers: [registry],
    async collect() {
      // A store that does not answer leaves the last value: cafsup_store_ready says why.
      await pool.status(SCRAPE_DEADLINE_MS).then(
        (status) => this.set(status.traceHead),
        () => undefined,
      );
    },
  });
  // Read as the server starts, before it listens: a first scrape during an outage said 0, which
  // reads as a trail cut (trial 35).
  await pool.status(SCRAPE_DEADLINE_MS).then(
    (status) => traceHead.set(status.traceHead),
    () => undefined,
  );

  app.addHook('onError', async (request, _reply, error) => {
    const failure = toCafsupError(error);
    if (request.routeOptions.url?.startsWith('/v1/') !== true || failure.code !== 'UNAVAILABLE') return;
    (failure.details.busy === true ? lockWaits : unavailable).inc({ operation: operationOf(request) });
  });
  app.addHook('onResponse', async (request, reply) => {
    const operation = operationOf(request);
    requests.inc({ operation, status: String(reply.statusCode) });
    latency.observe({ operation }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { config: { token: 'optional' } }, async (request, reply) => {
    // On this machine any caller reads them, whatever valid token it sends: a local scraper
    // given a Caf's token was refused what it read without one. A token that is refused
    // (unknown, revoked, expired) was answered 401 before this, as on every route, and counted
    // towards the limit: its holder learns it is dead, and no caller tries tokens uncounted.
    if (!isLocalCaller(request, trustsProxy)) {
      const principal = principalOf(request);
      if (principal === null) {
        throw new CafsupError(
          'UNAUTHENTICATED',
          'Jeton manquant : les métriques se lisent avec un jeton superviseur valable pour toutes les Caf, ou depuis la machine du serveur.',
        );
      }
      if (principal.role !== 'supervisor' || principal.cafCodes !== null) {
        throw new CafsupError('FORBIDDEN', 'Métriques réservées à un jeton superviseur valable pour toutes les Caf (--caf "*").');
      }
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
