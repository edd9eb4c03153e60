// A separate process acting on a store file, for the crash and concurrency tests.
// Usage: node worker.mjs DATABASE MODE IDS_JSON
//   bulk:   one bulk action on every id (suspend when the first is active, reinstate otherwise)
//   toggle: for each id in turn, suspend then reinstate it, one transaction each
import { createClient } from '@cafsup/sdk';

const [database, mode, idsJson] = process.argv.slice(2);
const ids = JSON.parse(idsJson);
const client = createClient({ database, actor: { name: `Processus ${process.pid}`, email: 'superviseur@caf78.fr' } });
try {
  if (mode === 'bulk') {
    const first = await client.habilitations.get(ids[0]);
    process.stdout.write('ready\n');
    const action = first.status === 'active' ? 'suspend' : 'reinstate';
    await client.habilitations[action](ids, { reason: `Action groupée (${action})` });
  } else {
    for (const id of ids) {
      await client.habilitations.suspend([id], { reason: 'Contrôle concurrent' });
      await client.habilitations.reinstate([id], { reason: 'Contrôle concurrent terminé' });
    }
  }
  process.stdout.write('done\n');
} catch (error) {
  process.stderr.write(`${error.code ?? ''} ${error.message}\n`);
  process.exitCode = 1;
} finally {
  await client.close();
}
