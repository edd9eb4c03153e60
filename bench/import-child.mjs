// Imports a dataset file into a fresh store and reports its time and peak memory, alone in
// its own process so the peak RSS is the import's.
import { rmSync } from 'node:fs';
import { createClient } from '@cafsup/sdk';

const [file, database] = process.argv.slice(2);
for (const suffix of ['', '-wal', '-shm']) rmSync(database + suffix, { force: true });
const client = createClient({ database, actor: { name: 'Banc d’essai', email: 'bench@caf78.fr' } });
const started = performance.now();
const result = await client.dataset.import({ path: file });
const ms = performance.now() - started;
await client.close();
process.stdout.write(JSON.stringify({ ms, counts: result.counts, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
