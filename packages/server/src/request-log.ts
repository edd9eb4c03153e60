import type { FastifyInstance } from 'fastify';
import { operationOf, principalOf } from './access.js';

/**
 * Fastify's « request completed » line (status in `res.statusCode`, duration in `responseTime`,
 * milliseconds) also names the operation, the token's number and its owner's e-mail: enough to
 * follow a supervisor's requests, and never the token itself (its header is redacted).
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const principal = principalOf(request);
    reply.log = reply.log.child({
      operation: operationOf(request),
      ...(principal === null ? {} : { tokenId: principal.tokenId, actor: principal.actor.email }),
    });
  });
}
