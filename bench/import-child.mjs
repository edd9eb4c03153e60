// Imports a dataset file into an empty store (a SQLite file or a PostgreSQL database) and reports
// its time and peak memory, alone in its own process so the peak RSS is the import's.
// Usage: node bench/import-child.mjs FILE DATABASE
import { rmSync } from 'node:fs';
import { createClient, isPostgresUrl } from '@cafsup/sdk';

const [file, database] = process.argv.slice(2);
if (!isPostgresUrl(database)) for (const suffix of ['', '-wal', '-shm']) rmSync(database + suffix, { force: true });
const client = createClient({ database, actor: { name: 'Banc d’essai', email: 'bench@caf78.fr' } });
const started = performance.now();
const result = await client.dataset.import({ path: file });
const ms = performance.now() - started;
await client.close();
process.stdout.write(JSON.stringify({ ms, counts: result.counts, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
