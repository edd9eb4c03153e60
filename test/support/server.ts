import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Store, createClient, type CafsupClient, type TokenRole } from '@cafsup/sdk';
import { buildServer, type ServerOptions } from '@cafsup/server';
import type { Actor } from '@cafsup/shared';
import { TemporaryFolder } from './temporary-folder.js';

export const FIXED_NOW = new Date('2026-11-22T10:00:00Z');

/** The value of one sample of a Prometheus text exposition, or undefined when absent. */
export function metricSample(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** A real server on 127.0.0.1, port 0, over a real SQLite file; its request log is kept to be searched. */
export class TestServer {
  private readonly folder = new TemporaryFolder('cafsup-server-');

  constructor(private readonly given?: string) {}

  get dir(): string {
    return this.folder.path;
  }

  /** Its SQLite file, or the PostgreSQL database given. */
  get database(): string {
    return this.given ?? join(this.dir, 'server.db');
  }
  readonly log: string[] = [];
  private app: Awaited<ReturnType<typeof buildServer>> | null = null;
  baseUrl = '';

  /** Loads the data with a local client, before the server opens the file. */
  async seed(dataset: Record<string, unknown>, actor: Actor): Promise<void> {
    const local = createClient({ database: this.database, actor, now: () => FIXED_NOW });
    await local.dataset.import(dataset, { reason: 'Jeu de données du test' });
    await local.close();
  }

  async token(owner: Actor, role: TokenRole, cafs: string[]): Promise<string> {
    return this.withStore(
      async (store) => (await store.tokens.create(owner, role, cafs, { name: 'Administrateur du serveur', email: 'admin@caf.invalid' })).token,
    );
  }

  async withStore<T>(use: (store: Store) => Promise<T> | T): Promise<T> {
    const store = await Store.open(this.database, { now: () => FIXED_NOW });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }

  async start(
    options: Partial<Pick<ServerOptions, 'authFailuresPerMinute' | 'requestTimeoutMs' | 'bodyWithinMs' | 'checkpoints' | 'tls' | 'trustProxy'>> & {
      host?: string;
    } = {},
  ): Promise<void> {
    const log = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.log.push(chunk.toString('utf8'));
        done();
      },
    });
    const { host = '127.0.0.1', ...serverOptions } = options;
    this.app = await buildServer({ database: this.database, log, clock: FIXED_NOW.toISOString(), ...serverOptions });
    this.baseUrl = await this.app.listen({ host, port: 0 });
  }

  client(token: string): CafsupClient {
    return createClient({ baseUrl: this.baseUrl, token, retries: 0 });
  }

  /** A raw POST, for what the SDK would never send. */
  async post(
    path: string,
    body: string | Uint8Array<ArrayBuffer>,
    token: string | null,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Record<string, string> }> {
    return this.request('POST', path, body, token, headers);
  }

  /** A raw request with any method (a GET has no body). */
  async request(
    method: string,
    path: string,
    body: string | Uint8Array<ArrayBuffer> | undefined,
    token: string | null,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Record<string, string> }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
      body,
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Left as text: the test says what it expected.
    }
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    return { status: response.status, body: parsed, headers: responseHeaders };
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.folder.remove();
  }
}
