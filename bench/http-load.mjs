// A load generator in its own process, so the server under test has its event loop to itself and
// cafsup and the bare node:http floor face exactly the same clients: CONCURRENCY keep-alive
// connections, each sending its next request as soon as the previous answer is read.
// Usage: node bench/http-load.mjs < CONFIG_JSON, with CONFIG_JSON
//   { url, durationMs, headers, idempotency, perClient: [[{ path, body }, …], …] }
// client k cycles through perClient[k]; with `idempotency`, each request carries a new
// Idempotency-Key (cafsup's writes). Prints { requests, ok, statuses, changed, seconds, p50, p99, cpuMs, errors }
// (p50 and p99: answer latencies in ms; cpuMs: this process's CPU time during the load, a share
// of the machine the server under test did not have);
// `changed` sums the `changed` arrays of the 2xx answers (the writes acknowledged).
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { cpuMsSince } from './measure.mjs';

const config = JSON.parse(await text(process.stdin));
const base = new URL(config.url);
const agent = new Agent({ keepAlive: true, maxSockets: config.perClient.length });

function send({ path, body }) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = { accept: 'application/json', ...config.headers };
  if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  if (config.idempotency) headers['idempotency-key'] = randomUUID();
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: base.hostname, port: base.port, path, method: payload === undefined ? 'GET' : 'POST', headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const result = { requests: 0, ok: 0, statuses: {}, changed: 0, seconds: 0, p50: NaN, p99: NaN, cpuMs: 0, errors: [] };
const latencies = [];
const cpuBefore = process.cpuUsage();
const started = performance.now();
const deadline = started + config.durationMs;
await Promise.all(
  config.perClient.map(async (requests) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const sent = performance.now();
      try {
        const { status, text } = await send(requests[i % requests.length]);
        latencies.push(performance.now() - sent);
        result.requests += 1;
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) {
          result.ok += 1;
          if (config.idempotency) result.changed += JSON.parse(text).changed?.length ?? 0;
        } else if (result.errors.length < 5) result.errors.push(`${status} ${text.slice(0, 300)}`);
      } catch (error) {
        result.requests += 1;
        if (result.errors.length < 5) result.errors.push(String(error));
      }
    }
  }),
);
// The answers still in flight at the deadline are counted, so the time is until the last one.
result.seconds = (performance.now() - started) / 1000;
result.cpuMs = cpuMsSince(cpuBefore);
latencies.sort((a, b) => a - b);
[result.p50, result.p99] = [0.5, 0.99].map((q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN);
agent.destroy();
process.stdout.write(JSON.stringify(result));
