// Imports a dataset file into an empty store (a SQLite file or a PostgreSQL database) as
// `cafsup import` makes a new store (context.ts, `newStoreClient`), and reports its time and peak
// memory, alone in its own process so the peak RSS is the import's. SQLite: the store made aside,
// then put in place (made-aside.ts), both timed; PostgreSQL: the tables made by the import.
// Usage: node bench/import-child.mjs FILE DATABASE
import { createClient, isPostgresUrl, makeStoreAside, putStoreInPlace, removeStoreFile } from '@cafsup/sdk';

const [file, database] = process.argv.slice(2);
const actor = { name: 'Banc d’essai', email: 'bench@caf78.fr' };
// A store left by an earlier run goes first, untimed; the new one is made aside and its schema
// made, as `cafsup import` does, within the time.
if (!isPostgresUrl(database)) removeStoreFile(database);
const started = performance.now();
const made = isPostgresUrl(database) ? null : makeStoreAside(database, database);
const client = createClient(made === null ? { database, actor, create: 'by-import' } : { database: made.file, actor, create: 'made-aside' });
const result = await client.dataset.import({ path: file });
await client.close();
if (made !== null) await putStoreInPlace(made, database, database);
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, counts: result.counts, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
