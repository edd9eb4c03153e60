import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { CafsupError } from '@cafsup/shared';
import type { Principal } from '@cafsup/sdk';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The bearer token a route needs: required unless said otherwise. `none` for the probes and
     * the API document (a load balancer has no token); `optional` for `/metrics`, which a
     * loopback caller may read without one (a token sent is still checked: refused, it is 401).
     */
    token?: 'none' | 'optional';
    /**
     * A principal kept in memory will do: the route's store job checks it before it runs (the
     * operations' routes). Routes that answer from the principal alone read it from the store.
     */
    keptPrincipal?: true;
    /** The body is the handler's to read, at its own pace and with its own idle limit (the import's spool): no `bodyWithinMs`. */
    bodyStreamed?: true;
  }
}

/** The methods the server's routes take (HEAD: Fastify's, beside each GET), in the order an Allow header lists them. */
const ROUTE_METHODS = ['GET', 'HEAD', 'POST'] as const;

/**
 * The request's path as the router matched it: without its query (or a fragment, which the router
 * drops too), percent-decoded as the router decodes it (decodeURI: `%2F` and the other reserved
 * characters stay encoded, and so does `%25`, which decodeURI would make a bare « % »).
 * `GET /v1/habilitations%2Esuspend` is the route's path asked with another method, 405, not an
 * unknown one; « %C3%A9 » is named « é » to whoever reads the message.
 * A target in absolute form (`GET http://host/path`, RFC 9112 § 3.2.2, which a server must take)
 * is routed by its path, the router taking what follows the authority: read the same here, it
 * answers as the same request in origin form (it was 404 « Opération inconnue : GET http://… »
 * where the path alone was 405, review 44).
 */
export function pathOf(request: FastifyRequest): string {
  // The router has decoded it already: a path it cannot decode is answered 400 before any hook or
  // handler (frameworkErrors, which names it as sent).
  // find-my-way's own protection of `%25`, so that `/v1/%25zz` is named as routed, not « /v1/%zz ».
  return decodeURI(sentPathOf(request).replaceAll('%25', '%2525'));
}

/** The request's path as sent, percent-encoded: what pathOf decodes. */
export function sentPathOf(request: FastifyRequest): string {
  const target = request.url.split(/[?#]/)[0]!;
  const authority = /^https?:\/\/[^/]*/i.exec(target)?.[0];
  return authority === undefined ? target : target.slice(authority.length) || '/';
}

/**
 * The methods a route at the request's path takes: none when no route has that path. The routes
 * are all plain paths, and hasRoute reads its url as a route's pattern, where `:` and `*` open a
 * parameter or a wildcard: a path holding either is no route's (`/v1/:x(` threw, a 500).
 */
export function routeMethods(request: FastifyRequest): string[] {
  const path = pathOf(request);
  if (/[:*]/.test(path)) return [];
  return ROUTE_METHODS.filter((method) => request.server.hasRoute({ method, url: path }));
}

/** The operation a request called (`partners.list`), else its route (`/healthz`), for logs and metrics. */
export function operationOf(request: FastifyRequest): string {
  // A route asked with another method (405) is counted under it, as when asked rightly: only a
  // path that no route has is unknown.
  const route = request.routeOptions.url ?? (routeMethods(request).length > 0 ? pathOf(request) : undefined);
  if (route === undefined) return 'inconnue';
  return route.startsWith('/v1/') ? route.slice('/v1/'.length) : route;
}

/** The token's principal, or null on the routes that need none. */
export function principalOf(request: FastifyRequest): Principal | null {
  return request.principal ?? null;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/**
 * A caller on this machine. A request relayed by a proxy that the server was not told to trust
 * (X-Forwarded-For without `--trust-proxy`) is not local, whatever its socket says: otherwise
 * a reverse proxy on the same host would make every client of the world local.
 */
export function isLocalCaller(request: FastifyRequest, trustsProxy: boolean): boolean {
  if (!trustsProxy && (request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined)) return false;
  return LOOPBACK.test(request.ip);
}

/**
 * The proxies of `--trust-proxy`: addresses or CIDR ranges (or proxy-addr's `loopback`,
 * `linklocal`, `uniquelocal`). A range holding every address is refused: any client could then
 * claim any address, escape the authentication limits and pass for a local caller.
 */
export function checkTrustedProxies(proxies: readonly string[]): string[] {
  for (const proxy of proxies) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(proxy)) continue;
    const [address = '', prefix, ...rest] = proxy.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? null : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === 0 || rest.length > 0 || Number.isNaN(bits) || (bits !== null && bits > (family === 4 ? 32 : 128))) {
      throw new CafsupError(
        'VALIDATION',
        `Proxy de confiance illisible : « ${proxy} » (adresse IP ou plage CIDR attendue, par exemple 127.0.0.1 ou 10.0.0.0/8).`,
      );
    }
    if (bits === 0)
      throw new CafsupError(
        'VALIDATION',
        `Proxy de confiance refusé : « ${proxy} » couvre toutes les adresses ; tout client pourrait se faire passer pour un autre.`,
      );
  }
  return [...proxies];
}
