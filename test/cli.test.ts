import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULE_NAMES, jsonText } from '@cafsup/shared';
import { COMMANDS } from '../packages/tui/src/cli/help.js';
import { CAFSUP_BIN, CliSandbox, startCafsup } from './support/cli.js';
import { ACTOR, caf, convention, dataset, partner, user } from './support/fixture.js';

const AS_OF = ['--as-of', '2026-11-22'];
const ACTOR_ENV = { CAFSUP_ACTOR: `${ACTOR.name} <${ACTOR.email}>` };
const ESCAPE = '\u001b[';

/**
 * Whether an import holds the write lock of the store `file`, its schema whole (at `version`):
 * the import's lock, not its store's creation's. The version is read from the file's header
 * (bytes 60–63), not through SQLite: a first import's file made aside is in rollback mode (its
 * journal in memory, `create: 'made-aside'`), and once the import has written pages to it, it
 * holds the file's exclusive lock, which lets no other connection read it.
 */
function importHolds(file: string, version: number): boolean {
  const header = Buffer.alloc(100);
  try {
    const fd = openSync(file, 'r');
    try {
      if (readSync(fd, header, 0, 100, 0) < 100 || header.readUInt32BE(60) !== version) return false;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  let probe: Database.Database;
  try {
    probe = new Database(file, { timeout: 0, fileMustExist: true });
  } catch {
    return false;
  }
  try {
    probe.exec('BEGIN IMMEDIATE');
    probe.exec('ROLLBACK');
    return false;
  } catch (error) {
    // Busy: the import's lock. Anything else (the file removed as it is looked at): not known to be held.
    return (error as { code?: string }).code === 'SQLITE_BUSY';
  } finally {
    probe.close();
  }
}

/** The file a first import into `dir/name` builds its store in (made aside), once there. */
function asideIn(dir: string, name: string): string | undefined {
  const found = readdirSync(dir).find((entry) => entry.startsWith(`.${name}.cafsup-import-`) && /-\d+-[0-9a-f]{12}$/.test(entry));
  return found === undefined ? undefined : join(dir, found);
}

describe('cafsup on the demo data', () => {
  const sandbox = new CliSandbox();
  beforeAll(() => {
    const created = sandbox.run(['demo', ...AS_OF]);
    expect(created.status, created.stderr).toBe(0);
  });
  afterAll(() => sandbox.cleanup());

  // A global SIGINT listener ran only once SQLite gave the thread back: Ctrl-C waited out the
  // lock (up to 15 s), and the write was then made all the same (trial 27, H3).
  it('ends a write waiting for another process’s lock at once on Ctrl-C, by the signal, and writes nothing', async () => {
    const before = sandbox.json<{ head: { id: number } }>(['traces', 'verify']).head.id;
    const holder = new Database(sandbox.database);
    const heldFile = realpathSync(sandbox.database);
    holder.exec('BEGIN IMMEDIATE');
    holder.exec("UPDATE meta SET value = value WHERE key = 'trace_head'");
    try {
      const write = startCafsup(['suspend', '--habilitation', 'amp-h0001', '--reason', 'Pendant un verrou', '--yes'], sandbox.env(ACTOR_ENV));
      // Once it has the file open, it waits for the lock.
      const opened = () => {
        try {
          return readdirSync(`/proc/${write.child.pid}/fd`).some((fd) => readlinkSync(`/proc/${write.child.pid}/fd/${fd}`) === heldFile);
        } catch {
          return false;
        }
      };
      const deadline = Date.now() + 30_000;
      while (!opened() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(opened()).toBe(true);
      const sent = Date.now();
      write.child.kill('SIGINT');
      const [code, signal] = await write.exited;
      expect(Date.now() - sent).toBeLessThan(5_000);
      expect([code, signal]).toEqual([null, 'SIGINT']);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(sandbox.json<{ head: { id: number } }>(['traces', 'verify']).head.id).toBe(before);
  });

  it('audits with the JSON of cli.md, every rule firing somewhere', () => {
    const report = sandbox.json(['audit', ...AS_OF]);
    expect(Object.keys(report)).toEqual(['asOf', 'flags', 'summary']);
    expect(report.asOf).toBe('2026-11-22');
    expect(new Set(report.flags.map((flag: { rule: string }) => flag.rule))).toEqual(new Set(RULE_NAMES));
    expect(report.flags.find((flag: { partnerId: string; rule: string }) => flag.partnerId === 'amp' && flag.rule === 'QUOTA_EXCEEDED')).toEqual({
      rule: 'QUOTA_EXCEEDED',
      severity: 'critical',
      partnerId: 'amp',
      service: 'CDAP',
      profile: 'T13',
      assigned: 23,
      maxUsers: 20,
      excessUserIds: ['amp-u031', 'amp-u032', 'amp-u033'],
      article: 'contrat de services, art. 2.2.1 et bulletin d’adhésion',
      message: 'Quota dépassé : 23 utilisateurs habilités au profil T13 du service CDAP pour 20 autorisés (3 en trop).',
    });
    const counted = { critical: 0, high: 0, medium: 0, low: 0 } as Record<string, number>;
    for (const flag of report.flags) counted[flag.severity]! += 1;
    expect(report.summary).toEqual(counted);
  });

  it('prints the audit’s JSON kept from an earlier run as it prints it computed: indented, terminal-safe, byte for byte', () => {
    // A date seen by no one yet: computed, then kept; the second run writes what was kept.
    for (const args of [[], ['--severity', 'high'], ['amp']]) {
      const asOf = ['--as-of', '2026-11-23'];
      const computed = sandbox.run(['audit', ...args, ...asOf, '--json']);
      const kept = sandbox.run(['audit', ...args, ...asOf, '--json']);
      expect(computed.status, computed.stderr).toBe(0);
      expect(kept.stdout).toBe(computed.stdout);
      expect(kept.stdout).toBe(jsonText(JSON.parse(kept.stdout)));
    }
  });

  it('lists quotas in force with the JSON of cli.md, ordered by partner, service, profile', () => {
    const usage = sandbox.json(['quotas', ...AS_OF]);
    expect(Object.keys(usage)).toEqual(['asOf', 'quotas']);
    expect(usage.quotas[0]).toEqual({
      partnerId: 'amp',
      conventionNumber: '2023/M/2907',
      service: 'CDAP',
      profile: 'T13',
      maxUsers: 20,
      departements: ['13', '83', '84'],
      assigned: 23,
      active: 22,
      over: true,
    });
    const keys = usage.quotas.map((quota: { partnerId: string; service: string; profile: string }) =>
      [quota.partnerId, quota.service, quota.profile].join('\u0000'),
    );
    expect(keys).toEqual([...keys].sort());
    expect(sandbox.json(['quotas', '--over', ...AS_OF]).quotas.every((quota: { over: boolean }) => quota.over)).toBe(true);
  });

  it('narrows the audit by partner, severity and rule, and reports CSV', () => {
    const high = sandbox.json(['audit', 'amp', '--severity', 'high', ...AS_OF]);
    expect(high.flags.map((flag: { rule: string }) => flag.rule)).toEqual(['QUOTA_EXCEEDED', 'DEPARTEMENT_OUT_OF_SCOPE', 'SHARED_EMAIL']);
    const dormant = sandbox.json(['audit', '--rule', 'DORMANT_ACCOUNT', ...AS_OF]);
    expect(dormant.flags.length).toBeGreaterThan(0);
    expect(dormant.flags.every((flag: { rule: string }) => flag.rule === 'DORMANT_ACCOUNT')).toBe(true);
    const csv = sandbox.run(['audit', 'amp', '--csv', ...AS_OF]);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^\ufeffGravité;Règle;Code de la règle;Partenaire;/);
    expect(csv.stdout).toContain(';amp-u031 amp-u032 amp-u033;');
  });

  it('sets exit code 1 with --fail-on only when a flag reaches the threshold', () => {
    expect(sandbox.run(['audit', 'amp', '--fail-on', 'critical', ...AS_OF]).status).toBe(1);
    // Bavans's worst flag is a high one (an ended mission).
    expect(sandbox.run(['audit', 'bavans', '--fail-on', 'critical', ...AS_OF]).status).toBe(0);
    expect(sandbox.run(['audit', 'bavans', '--fail-on', 'high', ...AS_OF]).status).toBe(1);
    expect(sandbox.run(['audit', 'bavans', '--fail-on', 'élevée', ...AS_OF]).status).toBe(1);
    const script = sandbox.run(['audit', 'amp', '--fail-on', 'grave', ...AS_OF]);
    expect(script.status).toBe(2);
    expect(script.stderr).toContain('--fail-on attend critique (critical), élevée (high), moyenne (medium), faible (low) (reçu « grave »).');
  });

  it('shows one partner, its users, habilitations, avenants and reviews', () => {
    const amp = sandbox.json(['partner', 'amp', ...AS_OF]);
    expect(amp).toMatchObject({ id: 'amp', siret: '20005480700017', convention: { number: '2023/M/2907' } });
    expect(sandbox.json(['users', 'amp']).users).toHaveLength(36);
    const habilitations = sandbox.json(['habilitations', 'amp', '--profile', 'T13', '--status', 'suspended']).habilitations;
    expect(habilitations.map((habilitation: { id: string }) => habilitation.id)).toEqual(['amp-h0005']);
    const avenants = sandbox.json(['avenant', 'list', 'amp', ...AS_OF]).avenants;
    expect(avenants.map((avenant: { number: number; applies: boolean }) => [avenant.number, avenant.applies])).toEqual([
      [1, true],
      [2, false],
    ]);
    // Avenant 2 is signed by the Caf only: a draft, and said whose signature it has (trial 21, F10).
    expect(sandbox.run(['avenant', 'list', 'amp', ...AS_OF]).stdout).toContain('\tPROJET (signé par la Caf seule)\t');
    expect(sandbox.json(['review', 'list', 'amp']).reviews).toHaveLength(1);
    const bavans = sandbox.json(['partners', '--caf', '25']).partners;
    expect(bavans.map((p: { id: string; managementMode: string }) => [p.id, p.managementMode])).toContainEqual(['bavans', 'centralised']);
  });

  it('prints TSV when piped, tables that fit 80 columns on a terminal, colours unless NO_COLOR', () => {
    const piped = sandbox.run(['partners', ...AS_OF]);
    expect(piped.status).toBe(0);
    expect(piped.stdout).not.toContain(ESCAPE);
    const lines = piped.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split('\t'));
    expect(lines[0]!.slice(0, 4)).toEqual(['Identifiant', 'Nom', 'Type', 'Caf']);
    expect(lines).toHaveLength(31);
    expect(lines.every((cells) => cells.length === lines[0]!.length)).toBe(true);
    expect(lines.map((cells) => cells[0])).toContain('association-dunkerque');
    expect(piped.stdout).not.toContain('…');
    const onTerminal = sandbox.runInTerminal(['partners', ...AS_OF], { NO_COLOR: '1' });
    expect(Math.max(...onTerminal.stdout.split(/\r?\n/).map((line) => [...line].length))).toBeLessThanOrEqual(80);
    expect(onTerminal.stdout).toContain('30 partenaires.');
    const coloured = sandbox.runInTerminal(['audit', 'amp', ...AS_OF]);
    expect(coloured.stdout).toContain(`${ESCAPE}31mcritique`);
    const plain = sandbox.runInTerminal(['audit', 'amp', ...AS_OF], { NO_COLOR: '1' });
    expect(plain.stdout).toContain('critique');
    expect(plain.stdout).not.toContain(ESCAPE);
  });

  it('prints the dashboard in plain text without a command', () => {
    const dashboard = sandbox.run(AS_OF);
    expect(dashboard.status).toBe(0);
    expect(dashboard.stdout).toMatch(/^30 partenaires, \d+ utilisateurs, \d+ habilitations détenues$/m);
    expect(dashboard.stdout).toMatch(/Alertes au 22\/11\/2026 : \d+ critique/);
    expect(dashboard.stdout).toContain('amp');
  });

  it('says nothing on stderr with --quiet when a step creates something, its preview included', () => {
    const added = sandbox.run(
      ['user', 'add', 'bavans', '--name', 'Yves Calme', '--email', 'yves.calme@bavans.fr', '--reason', 'Agent recruté en silence', '--yes', '--quiet'],
      { env: ACTOR_ENV },
    );
    expect([added.status, added.stderr, added.stdout]).toEqual([0, '', '']);
    expect(sandbox.json(['users', 'bavans']).users.map((row: { email: string }) => row.email)).toContain('yves.calme@bavans.fr');
  });

  it('gives help with an example for every command', () => {
    const main = sandbox.run(['--help']);
    expect(main.status).toBe(0);
    const names = [...main.stdout.matchAll(/^ {2}([a-z-]+(?: [a-z-]+){0,2}) {2,}/gm)].map((match) => match[1]!);
    expect(names).toContain('avenant add');
    expect(names.length).toBeGreaterThanOrEqual(25);
    for (const name of names) {
      const help = sandbox.run([...name.split(' '), '--help']);
      expect(help.status, name).toBe(0);
      expect(help.stdout, name).toMatch(/Usage : cafsup /);
      expect(help.stdout, name).toMatch(/Exemple :\n {2}cafsup /);
      expect(Math.max(...help.stdout.split('\n').map((line) => [...line].length)), name).toBeLessThanOrEqual(80);
    }
    expect(Math.max(...main.stdout.split('\n').map((line) => [...line].length))).toBeLessThanOrEqual(80);
  });
});

describe('cafsup start', () => {
  const sandbox = new CliSandbox();
  afterAll(() => sandbox.cleanup());

  it('creates the demo database once, then keeps it, and shows the dashboard each time', () => {
    const first = sandbox.run(['start', ...AS_OF]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('Base de démonstration créée');
    expect(first.stdout).toContain('30 partenaires');
    const suspended = sandbox.run(['suspend', '--habilitation', 'amp-h0001', '--reason', 'Vérification en cours', '--yes'], { env: ACTOR_ENV });
    expect(suspended.status, suspended.stderr).toBe(0);
    const second = sandbox.run(['start', ...AS_OF]);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('Base existante conservée');
    expect(sandbox.json(['traces']).traces.map((trace: { action: string }) => trace.action)).toEqual(['habilitation.suspend', 'dataset.import']);
  });
});

describe('cafsup refusals and exit codes', () => {
  const sandbox = new CliSandbox();
  beforeAll(() => {
    writeFileSync(join(sandbox.dir, 'small.json'), JSON.stringify(smallDataset()));
    expect(sandbox.run(['import', join(sandbox.dir, 'small.json')], { env: ACTOR_ENV }).status).toBe(0);
  });
  afterAll(() => sandbox.cleanup());

  const exported = () => sandbox.run(['export']).stdout;

  // They named the operation's input (owner.name, cafs[0], ids[0], partnerId), or took « 1e3 » for 1000 (trial 35).
  it('names what was typed in a refusal of its value: the argument or the option, and numbers in digits only', () => {
    const before = exported();
    for (const [args, status, said] of [
      [
        ['token', 'create', ' ', '--email', 'ana@caf78.fr', '--role', 'superviseur', '--caf', '78'],
        5,
        'Saisie invalide : NOM : nom de la personne qui agit manquant.',
      ],
      [
        ['token', 'create', 'Ana', '--email', 'ana@caf78.fr', '--role', 'superviseur', '--caf', '7'],
        5,
        'Saisie invalide : --caf « 7 » : code de département invalide (01–19, 2A, 2B, 21–95, 971–976).',
      ],
      [['partners', '--caf', '7'], 5, 'Saisie invalide : --caf : code de département invalide (01–19, 2A, 2B, 21–95, 971–976).'],
      [['audit', ''], 5, 'Saisie invalide : PARTENAIRE : identifiant vide.'],
      [
        ['suspend', '--user', 'p1\tu1', '--reason', 'Contrôle de routine', '--yes'],
        5,
        'Saisie invalide : --user « p1\\x09u1 » : caractère de contrôle interdit dans un identifiant.',
      ],
      [['avenant', 'sign', 'p1', '1e3', '--side', 'caf', '--date', '2026-11-30', '--yes'], 2, 'Numéro d’avenant invalide : « 1e3 ».'],
      [['traces', '--limit', '0x10'], 2, '--limit attend un entier positif (reçu « 0x10 »).'],
      [['token', 'revoke', '1e0', '--reason', 'Poste perdu', '--yes'], 2, 'Numéro de jeton invalide : « 1e0 ».'],
      // Within an option's JSON, the field is kept; `api`'s argument is an operation, never a record (review 36).
      [['api', 'users.get', '--input', '{"id": 5}'], 5, 'Saisie invalide : --input (id) : texte attendu (reçu le nombre 5).'],
      [['api', 'partners.list', '--input', '[1]'], 5, 'Saisie invalide : --input : objet attendu (reçu une liste).'],
      [
        ['token', 'create', 'Ana', '--email', 'ana@caf78.fr', '--role', 'superviseur', '--caf', '78', '--caf', 'abc'],
        5,
        'Saisie invalide : --caf « abc » : code de département invalide (01–19, 2A, 2B, 21–95, 971–976).',
      ],
      [
        ['question', 'add', 'p1', '--text', 'Pourquoi ?', '--opened', 'hier', '--dry-run'],
        5,
        'Saisie invalide : --opened : horodatage invalide (attendu ISO-8601 avec fuseau entre 1900 et 2199, ex. 2026-03-05T23:30:00Z).',
      ],
      [
        ['review', 'add', 'p1', '--date', '2030-01-02', '--reviewer', 'Léa Roy', '--proof', 'courriel', '--dry-run'],
        5,
        'La revue ne peut pas être datée du 2 janvier 2030, dans le futur.',
      ],
      [
        [
          'request',
          'add',
          'p1',
          '--kind',
          'deletion',
          '--received',
          '2026-11-20',
          '--form',
          '{"people": [{"name": "A B", "email": "pas-un-mel", "function": "Agent"}], "lossOrTheft": false}',
          '--yes',
        ],
        5,
        'Saisie invalide : --form (people[0].email) : adresse mél invalide.',
      ],
    ] as const) {
      const refused = sandbox.run([...args], { env: ACTOR_ENV });
      expect([refused.status, refused.stderr.split('\n')[0]], args.join(' ')).toEqual([status, said]);
    }
    // A refusal's listed problem too: « completedAt » was the SDK's.
    expect(
      sandbox.run(['review', 'add', 'p1', '--date', '2030-01-02', '--reviewer', 'Léa Roy', '--proof', 'courriel', '--dry-run'], { env: ACTOR_ENV }).stderr,
    ).toBe('La revue ne peut pas être datée du 2 janvier 2030, dans le futur.\n  --date : date dans le futur\n');
    expect(exported()).toBe(before);
  });

  it('says in French why an output file could not be written, exit 6', () => {
    // A folder where no file can be made: the system's English was the reason (trial 36).
    const refused = sandbox.run(['export', '--out', '/proc/cafsup-export.json']);
    expect([refused.status, refused.stderr]).toEqual([6, 'Écriture impossible : /proc/cafsup-export.json (impossible d’y créer un fichier).\n']);
  });

  it('answers an unknown command or option with exit 2 and one French sentence', () => {
    for (const args of [
      ['partnrs'],
      ['partners', '--colour'],
      ['partner'],
      ['avenant'],
      ['partners', '--as-of', '2026-02-30'],
      ['traces', '--since', '2026-13-01'],
      ['audit', '--severity', 'grave'],
    ]) {
      const result = sandbox.run(args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    }
    expect(sandbox.run(['partnrs']).stderr).toContain('Commande inconnue : « partnrs »');
    expect(sandbox.run(['partners', '--colour']).stderr).toContain('Option inconnue : --colour');
    // Ids given after a list option as separate words: said how to give several, nothing done.
    const spaced = sandbox.run(['suspend', '--habilitation', 'p1-h1', 'p1-h2', '--reason', 'Contrôle de routine', '--yes'], { env: ACTOR_ENV });
    expect([spaced.status, spaced.stdout]).toEqual([2, '']);
    expect(spaced.stderr).toContain(
      'Argument en trop : « p1-h2 ». Plusieurs valeurs de --habilitation se donnent séparées par des virgules (--habilitation a,b) ou en répétant l’option.',
    );
    expect(sandbox.run(['partner', 'p1', 'p2']).stderr).toMatch(/^Argument en trop : « p2 »\. Usage : cafsup partner ID\n/);
    // A value starting with a dash is read as an option by node:util: said how to give it (trial 24).
    expect(sandbox.run(['traces', '--limit', '-1']).stderr).toMatch(
      /^L’option --limit attend une valeur ; une valeur qui commence par « - » s’écrit --limit=VALEUR\.\n/,
    );
    // A refused reason is named as the option is, not as the SDK's argument (« options.reason »).
    const short = sandbox.run(['suspend', '--habilitation', 'p1-h1', '--reason', 'ab', '--yes'], { env: ACTOR_ENV });
    expect([short.status, short.stderr]).toEqual([5, 'Saisie invalide : --reason : motif trop court : au moins 5 caractères visibles.\n']);
    // So is a created record's field (« id », not the SDK's « user.id »), and an id the command line could not name again.
    const comma = sandbox.run(
      ['user', 'add', 'p1', '--id', 'p1-u9,p1-u10', '--name', 'Jean Test', '--email', 'jean@p1.fr', '--reason', 'Agent recruté', '--yes'],
      {
        env: ACTOR_ENV,
      },
    );
    expect([comma.status, comma.stderr]).toEqual([
      5,
      expect.stringMatching(/^Saisie invalide : --id : lettres \(accents français compris\), chiffres, « - », « _ » ou « \. » seulement/),
    ]);
    // A --to that is not PostgreSQL's is said as such, not as missing, and what it held (a password, perhaps) is not repeated.
    const notPostgres = sandbox.run(['migrate', '--to', 'mysql://cafsup:secret@db/cafsup']);
    expect([notPostgres.status, notPostgres.stdout]).toEqual([2, '']);
    expect(notPostgres.stderr).toContain('--to : une URL postgres://… ou postgresql://… est attendue');
    expect(notPostgres.stderr).not.toContain('secret');
    expect(sandbox.run(['migrate']).stderr).toContain('Il manque --to postgres://…');
    // A PostgreSQL --to the driver could not read is a usage error too, said before anything is tried.
    const unreadableTo = sandbox.run(['migrate', '--to', 'postgres://cafsup:p#w@db/cafsup']);
    expect([unreadableTo.status, unreadableTo.stderr]).toEqual([2, expect.stringContaining('URL PostgreSQL, « # » inattendu (--to)')]);
    // A reversed range holds no day: said, not answered as an empty trail.
    const reversed = sandbox.run(['traces', '--since', '2026-12-03', '--until', '2026-12-01']);
    expect([reversed.status, reversed.stdout, reversed.stderr]).toEqual([
      5,
      '',
      expect.stringContaining('until : antérieure à since (3 décembre 2026), la période ne contient aucun jour'),
    ]);
    // A real date outside the years cafsup takes is refused input (rules.md: VALIDATION), said of the option.
    for (const args of [
      ['audit', '--as-of', '9999-12-31'],
      ['quotas', '--as-of', '1899-12-31'],
    ]) {
      const result = sandbox.run(args);
      expect([result.status, result.stdout], args.join(' ')).toEqual([5, '']);
      expect(result.stderr).toContain(`--as-of attend AAAA-MM-JJ, date réelle entre 1900 et 2199 (reçu « ${args[2]} »)`);
    }
  });

  it('answers an unknown id with exit 3, and with --json the error object', () => {
    const missing = sandbox.run(['partner', 'nulle-part', '--json']);
    expect(missing.status).toBe(3);
    expect(JSON.parse(missing.stdout)).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining('nulle-part'), details: expect.any(Object) } });
    expect(missing.stderr).toContain('nulle-part');
    const suspend = sandbox.run(['suspend', '--habilitation', 'h-absente', '--reason', 'Contrôle de routine', '--yes'], { env: ACTOR_ENV });
    expect(suspend.status).toBe(3);
    // A mistyped user's habilitations are not an empty list, which would read as « holds none ».
    expect(sandbox.json(['habilitations', 'p1', '--user', 'p1-u1']).habilitations.map((h: { id: string }) => h.id)).toEqual(['p1-h1']);
    const unknownUser = sandbox.run(['habilitations', 'p1', '--user', 'p1-u9']);
    expect([unknownUser.status, unknownUser.stdout, unknownUser.stderr]).toEqual([
      3,
      '',
      expect.stringMatching(/^Utilisateur introuvable chez p1 : p1-u9\. Vouliez-vous dire « p1-u1 »/),
    ]);
    // Nor is a mistyped user's trail, as a mistyped partner's is not (trial 22, F11).
    const unknownTrail = sandbox.run(['traces', '--user', 'p1-u9']);
    expect([unknownTrail.status, unknownTrail.stdout, unknownTrail.stderr]).toEqual([
      3,
      '',
      expect.stringMatching(/^Utilisateur introuvable : p1-u9\. Vouliez-vous dire « p1-u1 »/),
    ]);
    const knownTrail = sandbox.run(['traces', '--user', 'p1-u1', '--json']);
    expect([knownTrail.status, knownTrail.stderr]).toEqual([0, '']);
  });

  it('refuses an empty or blank file name, for every option that takes one, naming it (exit 2), before doing anything', () => {
    // Taken as given, it said « Écriture impossible :  », wrote a workbook named by two spaces,
    // ended `traces checkpoint --file ''` in an internal error, and made a signing key first.
    const files = () => readdirSync(sandbox.dir, { recursive: true }).sort();
    const before = files();
    const declared = COMMANDS.flatMap((command) =>
      Object.entries(command.options ?? {}).flatMap(([name, spec]) => (spec.file === true ? [[command.name, name]] : [])),
    );
    // The options of every command (--db) and of every list (--xlsx), once each.
    const cases = [...declared, ['partners', 'db'], ['audit', 'xlsx']];
    expect(cases.length).toBeGreaterThan(15);
    const refusals = cases.map(([command, name], index) => {
      const result = sandbox.run([...command!.split(' '), `--${name}`, index % 2 === 0 ? '' : ' \t'], { env: ACTOR_ENV, timeoutMs: 20_000 });
      return [command, result.status, result.stdout, result.stderr];
    });
    expect(refusals).toEqual(
      cases.map(([command, name]) => [command, 2, '', `--${name} attend un nom de fichier (reçu une valeur vide).\nAide : cafsup --help\n`]),
    );
    // And the files named otherwise: import's argument (« Fichier introuvable : . »), api's --input @ (« : fichier introuvable. »).
    const named = [
      [['import', ''], 'cafsup import'],
      [['import', ' '], 'cafsup import'],
      [['api', 'partners.list', '--input', '@'], '--input @'],
      [['api', 'partners.list', '--input', '@ \t'], '--input @'],
    ] as const;
    expect(named.map(([args]) => sandbox.run([...args], { env: ACTOR_ENV })).map((result) => [result.status, result.stdout, result.stderr])).toEqual(
      named.map(([, what]) => [2, '', `${what} attend un nom de fichier (reçu une valeur vide).\nAide : cafsup --help\n`]),
    );
    expect(files()).toEqual(before);
  });

  it('refuses a database in a folder the system will not make, at once (under /proc, Node’s mkdir -p never ended)', () => {
    const result = sandbox.run(['demo', '--db', '/proc/cafsup-absent/cafsup.db'], { timeoutMs: 20_000 });
    expect([result.status, result.stdout, result.stderr]).toEqual([
      6,
      '',
      'Impossible de créer la base de données /proc/cafsup-absent/cafsup.db : le système refuse d’y créer un dossier (ENOENT).\n',
    ]);
  });

  it('cannot open a database that does not exist: exit 6, nothing created', () => {
    const result = sandbox.run(['partners', '--db', join(sandbox.dir, 'absente.db')]);
    expect(result.status).toBe(6);
    expect(result.stderr).toMatch(/introuvable/);
    expect(() => readFileSync(join(sandbox.dir, 'absente.db'))).toThrow();
    // A path that cannot be looked at (a link to itself) is not there either: it was an internal error (review 39).
    const loop = join(sandbox.dir, 'boucle.db');
    symlinkSync(loop, loop);
    const looped = sandbox.run(['partners', '--db', loop]);
    expect([looped.status, looped.stderr]).toEqual([6, `Base de données introuvable : ${loop}. Créez-la avec « cafsup demo » ou « cafsup import FICHIER ».\n`]);
    // A blank CAFSUP_DB (a variable left blank in a script) is said so, not « introuvable : . »;
    // an empty one is no setting, as every CAFSUP_ variable (--db '': the next test).
    const blank = sandbox.run(['partners'], { env: { CAFSUP_DB: ' ' } });
    expect([blank.status, blank.stderr]).toEqual([
      2,
      'CAFSUP_DB attend un fichier SQLite ou une URL postgres://… (reçu une valeur vide).\nAide : cafsup --help\n',
    ]);
    // A URL of another database is refused as such, never taken for a folder.
    const other = sandbox.run(['partners', '--db', 'mysql://cafsup@db/cafsup'], { env: { CAFSUP_DB: undefined } });
    expect([other.status, other.stderr]).toEqual([
      6,
      'Base de données non prise en charge : mysql://***. cafsup ouvre un fichier SQLite (--db FICHIER) ou une base PostgreSQL (--db postgres://…).\n',
    ]);
    expect(() => readFileSync('mysql:')).toThrow();
    // Nor is a PostgreSQL URL mistyped, by a command that creates its database either: shown by its
    // start alone, since the rest may hold a password, and never made into folders named after it.
    const here = mkdtempSync(join(sandbox.dir, 'cwd-'));
    for (const [url, shown] of [
      ['postgre://postgres:S3cret@127.0.0.1:1/cafsup?password=S3cret', 'postgre://***'],
      ['postgresql:/postgres:S3cret@127.0.0.1:1/cafsup', 'postgresql:/***'],
      ['postgres//postgres:S3cret@127.0.0.1:1/cafsup', 'postgres//***'],
    ]) {
      for (const command of [['partners', '--json'], ['demo']]) {
        const typo = sandbox.run([...command, '--db', url!], { env: { CAFSUP_DB: undefined }, cwd: here });
        expect([typo.status, typo.stdout + typo.stderr]).toEqual([6, expect.stringContaining(`non prise en charge : ${shown}. `)]);
        expect(typo.stdout + typo.stderr).not.toContain('S3cret');
      }
    }
    expect(readdirSync(here)).toEqual([]);
    // A device or a folder is no store, nor is SQLite's store in memory, which a command's end
    // takes away: internal errors, an import « terminé » that kept nothing (trial 38b).
    const device = sandbox.run(['partners', '--db', '/dev/null']);
    expect([device.status, device.stderr]).toEqual([
      6,
      '/dev/null n’est pas un fichier (un dossier, un périphérique…) : donnez le chemin d’un fichier de base de données SQLite.\n',
    ]);
    expect(sandbox.run(['demo', '--force', '--db', here]).status).toBe(6);
    // Another application's SQLite file got cafsup's tables from a read command, and WAL mode; with
    // its own user_version set, it crashed the command (trial 39).
    for (const version of [0, 5]) {
      const foreign = join(sandbox.dir, `autre-application-${version}.sqlite`);
      const application = new Database(foreign);
      application.exec(`CREATE TABLE favoris (url TEXT); PRAGMA user_version = ${version}`);
      application.close();
      const bytes = readFileSync(foreign);
      for (const command of [['partners'], ['import', join(sandbox.dir, 'small.json'), '--yes'], ['backup', '--out', join(sandbox.dir, 'copie.db')]]) {
        const refused = sandbox.run([...command, '--db', foreign], { env: ACTOR_ENV });
        expect([refused.status, refused.stderr]).toEqual([
          6,
          `Le fichier ${foreign} est une base SQLite qui n’est pas celle de cafsup (elle contient d’autres données) : rien n’y a été écrit. Donnez le chemin d’une base cafsup, ou d’un fichier à créer.\n`,
        ]);
      }
      expect([readFileSync(foreign).equals(bytes), existsSync(`${foreign}-wal`)]).toEqual([true, false]);
    }
    const memory = sandbox.run(['demo', '--db', ':memory:'], { cwd: here });
    expect([memory.status, memory.stderr, readdirSync(here)]).toEqual([
      2,
      expect.stringContaining('--db :memory: : une base en mémoire ne garde rien d’une commande à l’autre ; donnez un fichier.'),
      [],
    ]);
    // A file whose name holds a time is a file, shown as it is.
    const timed = sandbox.run(['partners', '--db', 'cafsup-2024-05-01T10:00:00.db'], { env: { CAFSUP_DB: undefined }, cwd: here });
    expect([timed.status, timed.stderr]).toEqual([6, expect.stringContaining('introuvable : cafsup-2024-05-01T10:00:00.db. ')]);
  });

  // « Erreur interne inattendue », exit 70, and over HTTP a 500 with /readyz still ready (trial 35).
  it('says a damaged file as such, exit 6, for a read and for a write', () => {
    const damaged = join(sandbox.dir, 'endommagee.db');
    // A whole copy, its write-ahead log included.
    const source = new Database(sandbox.database, { readonly: true });
    source.exec(`VACUUM INTO '${damaged}'`);
    source.close();
    const reader = new Database(damaged, { readonly: true });
    const roots = reader.prepare<[], { rootpage: number }>("SELECT rootpage FROM sqlite_schema WHERE name IN ('habilitations', 'users')").all();
    reader.close();
    // The first byte of a table's root page says its kind: one no page has, and the table is broken.
    const bytes = readFileSync(damaged);
    for (const { rootpage } of roots) bytes[(rootpage - 1) * 4096] = 0xff;
    writeFileSync(damaged, bytes);
    const sentence = 'Le fichier de la base de données est endommagé : restaurez sa dernière sauvegarde (faite avec cafsup backup).\n';
    for (const args of [
      ['partner', 'p1'],
      ['suspend', '--habilitation', 'p1-h1', '--reason', 'Fichier endommagé', '--yes'],
    ]) {
      const result = sandbox.run([...args, '--db', damaged], { env: ACTOR_ENV });
      expect([result.status, result.stderr]).toEqual([6, sentence]);
    }
  });

  it('says a command that stopped without an answer, exit 70, rather than end with 0 and nothing said', () => {
    // A fault no input causes any more (session 24's was a port past 65535): a read that never
    // settles, with nothing else left for Node to run. Injected before the program loads.
    const hang = join(sandbox.dir, 'never-read.mjs');
    writeFileSync(
      hang,
      `import fsp from 'node:fs/promises';
const readFile = fsp.readFile;
fsp.readFile = (path, ...rest) => (String(path).endsWith('.never') ? new Promise(() => {}) : readFile(path, ...rest));
`,
    );
    const changes = join(sandbox.dir, 'avenant.never');
    writeFileSync(changes, '{"title":"Titre","changes":[]}');
    const before = exported();
    const result = sandbox.run(['avenant', 'add', 'amp', '--file', changes, '--reason', 'essai du garde', '--yes', '--json'], {
      env: { ...ACTOR_ENV, NODE_OPTIONS: `--import=${hang}` },
      timeoutMs: 20_000,
    });
    expect(result.status).toBe(70);
    expect(result.stderr).toMatch(/^La commande s’est arrêtée sans aboutir ni dire pourquoi : vérifiez son effet avant de la relancer\.\n/);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'INTERNAL' } });
    expect(exported()).toBe(before);
  });
  it('refuses an action without a reason (2), without an actor (2), without a terminal nor --yes (4)', () => {
    const before = exported();
    const noReason = sandbox.run(['suspend', '--habilitation', 'p1-h1', '--yes'], { env: ACTOR_ENV });
    expect(noReason.status).toBe(2);
    expect(noReason.stderr).toContain('Motif obligatoire');
    const shortReason = sandbox.run(['suspend', '--habilitation', 'p1-h1', '--yes', '--reason', 'ok'], { env: ACTOR_ENV });
    expect(shortReason.status).toBe(5);
    const noActor = sandbox.run(['suspend', '--habilitation', 'p1-h1', '--yes', '--reason', 'Contrôle de routine']);
    expect(noActor.status).toBe(2);
    expect(noActor.stderr).toContain('--actor');
    const noTerminal = sandbox.run(['suspend', '--habilitation', 'p1-h1', '--reason', 'Contrôle de routine'], { env: ACTOR_ENV });
    expect(noTerminal.status).toBe(4);
    expect(noTerminal.stderr).toContain('--yes');
    expect(exported()).toBe(before);
  });

  it('prints what --dry-run would change and writes nothing', () => {
    const before = exported();
    const dry = sandbox.run(['revoke', '--user', 'p1-u1', '--reason', 'Départ de l’agent', '--dry-run', '--json'], { env: ACTOR_ENV });
    expect(dry.status).toBe(0);
    const preview = JSON.parse(dry.stdout);
    expect(preview.dryRun).toBe(true);
    expect(preview.changed.map((change: { id: string; after: { status: string } }) => [change.id, change.after.status])).toEqual([['p1-h1', 'revoked']]);
    // An edit's preview says what it would change; given as it is, an edit changes nothing and asks nothing.
    const edit = sandbox.run(['partner', 'edit', 'p1', '--address', '3 rue Neuve', '--dry-run'], { env: ACTOR_ENV });
    expect([edit.status, edit.stdout], edit.stderr).toEqual([0, expect.stringContaining('Modifierait : p1\n  Adresse : (vide) → 3 rue Neuve\n')]);
    const { name } = sandbox.json<{ name: string }>(['partner', 'p1']);
    const same = sandbox.run(['partner', 'edit', 'p1', '--name', name, '--reason', 'Nom vérifié'], { env: ACTOR_ENV });
    expect([same.status, same.stdout], same.stderr).toEqual([0, 'Rien à modifier : p1 est déjà ainsi.\n']);
    // A withdrawal's draft avenant is only what would be created.
    const withdrawal = sandbox.run(['withdraw-delegation', 'p1', '--dry-run'], { env: ACTOR_ENV });
    expect([withdrawal.status, withdrawal.stdout], withdrawal.stderr).toEqual([0, expect.stringContaining('Projet d’avenant n° 1 qui serait créé : ')]);
    expect(exported()).toBe(before);
    expect(sandbox.json(['traces']).traces).toHaveLength(1);
  });

  it('acts with --yes and a reason, and the trace names the actor and the reason', () => {
    const done = sandbox.run(['suspend', '--habilitation', 'p1-h1', '--reason', 'Quota dépassé, en attente', '--yes', '--json'], { env: ACTOR_ENV });
    expect(done.status, done.stderr).toBe(0);
    const result = JSON.parse(done.stdout);
    expect(result.changed).toHaveLength(1);
    const again = sandbox.json(['suspend', '--habilitation', 'p1-h1', '--reason', 'Quota dépassé, en attente', '--yes'], { env: ACTOR_ENV });
    // Changing nothing, it is not run, and its answer is no simulation: dryRun false, as the API's.
    expect(again).toEqual({ dryRun: false, changed: [], unchanged: [{ id: 'p1-h1', reason: 'déjà suspendue' }] });
    const traces = sandbox.json(['traces', '--partner', 'p1']).traces;
    const trace = traces.find((item: { id: number }) => item.id === result.changed[0].traceId);
    expect(trace).toMatchObject({ action: 'habilitation.suspend', targetId: 'p1-h1', reason: 'Quota dépassé, en attente', actor: ACTOR });
    expect(sandbox.json(['traces', 'verify'])).toMatchObject({ ok: true, firstBrokenId: null });
  });

  it('uses the actor saved with `config set actor`', () => {
    expect(sandbox.run(['config', 'set', 'actor', 'Alex Morel <alex.morel@caf78.fr>']).status).toBe(0);
    const done = sandbox.json(['reset-password', '--user', 'p1-u1', '--reason', 'Mot de passe communiqué par erreur', '--yes']);
    const trace = sandbox.json(['traces']).traces.find((item: { id: number }) => item.id === done.changed[0].traceId);
    expect(trace.actor).toEqual({ name: 'Alex Morel', email: 'alex.morel@caf78.fr' });
    expect(sandbox.run(['config', 'set', 'actor', 'pas une personne']).status).toBe(5);
  });

  it('refuses a faulty import whole: exit 5, every fault by its JSON path, data unchanged', () => {
    const before = exported();
    const faulty = smallDataset();
    (faulty.users as Record<string, unknown>[])[0]!.email = 'pas-une-adresse';
    (faulty.habilitations as Record<string, unknown>[])[0]!.profile = 'T3';
    (faulty.partners as Record<string, unknown>[])[0]!.siret = '12345678901234';
    const file = join(sandbox.dir, 'faulty.json');
    writeFileSync(file, JSON.stringify(faulty));
    const result = sandbox.run(['import', file, '--yes'], { env: ACTOR_ENV });
    expect(result.status).toBe(5);
    expect(result.stderr).toContain('users[0].email');
    expect(result.stderr).toContain('habilitations[0].profile');
    expect(result.stderr).toContain('partners[0].siret');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const asJson = sandbox.run(['import', file, '--json', '--yes'], { env: ACTOR_ENV });
    expect(JSON.parse(asJson.stdout).error.details.problems.map((problem: { path: string }) => problem.path)).toEqual(
      expect.arrayContaining(['users[0].email', 'habilitations[0].profile', 'partners[0].siret']),
    );
    expect(exported()).toBe(before);
    // A refusal whose message says its one problem says it once (trial 22, F7).
    writeFileSync(file, '{"format": "cafsup/dataset", "version": 1,');
    const truncated = sandbox.run(['import', file, '--yes'], { env: ACTOR_ENV });
    expect([truncated.status, truncated.stderr]).toEqual([5, 'JSON invalide ligne 1, colonne 43 : fin du fichier inattendue : le document est incomplet\n']);
  });

  // Its folder was left behind, a store as large as the file's (review 33, L3).
  it('removes a dry run’s temporary store when Ctrl-C ends it', async () => {
    const scratch = join(sandbox.dir, 'tmp-ctrl-c');
    mkdirSync(scratch);
    // From standard input, never ended: the simulation, its store made, waits for the rest.
    const child = spawn(process.execPath, [CAFSUP_BIN, 'import', '-', '--dry-run', '--db', join(sandbox.dir, 'absente.db')], {
      env: sandbox.env({ ...ACTOR_ENV, TMPDIR: scratch }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const closed = once(child, 'close');
    child.stdin.write('{"format": "cafsup/dataset", "version": 1, "partners": [');
    const made = () => readdirSync(scratch).some((name) => existsSync(join(scratch, name, 'simulation.db')));
    const deadline = Date.now() + 30_000;
    while (!made() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(made()).toBe(true);
    child.kill('SIGINT');
    expect([...(await closed), readdirSync(scratch)]).toEqual([null, 'SIGINT', []]);
  });

  // A first import builds its store in a file of its own and puts it in place once committed. Cut
  // short, it left an empty store, which then answered as one (« 0 partenaire ») instead of
  // « introuvable » (trial 35); Ctrl-C on one of two first imports into one new path took away the
  // file the other was writing (review 37, 4).
  it('puts a first import’s store in place only once committed: a stop, even kill -9, leaves nothing there, nor takes a store made meanwhile', async () => {
    const schemaVersion = new Database(sandbox.database, { readonly: true }).pragma('user_version', { simple: true }) as number;
    const importing = (file: string | undefined) => file !== undefined && importHolds(file, schemaVersion);
    const whole = join(sandbox.dir, 'a-part.json');
    expect(sandbox.run(['export', '--out', whole]).status).toBe(0);
    const text = readFileSync(whole, 'utf8');
    const half = Math.floor(text.length / 2);
    const made = join(sandbox.dir, 'interrompue.db');
    /** The file a first import into `made` by process `pid` builds its store in, once there. */
    const asideOf = (pid: number) => {
      const found = readdirSync(sandbox.dir).find((name) => new RegExp(`^\\.interrompue\\.db\\.cafsup-import-${pid}-[0-9a-f]{12}$`).test(name));
      return found === undefined ? undefined : join(sandbox.dir, found);
    };
    /** An import into `database` from standard input, given the first half of the file, waiting for the rest with the write lock of its store (`file`) taken. */
    const started = async (database: string, file: (pid: number) => string | undefined = asideOf) => {
      const child = spawn(process.execPath, [CAFSUP_BIN, 'import', '-', '--yes', '--db', database], {
        env: sandbox.env(ACTOR_ENV),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const closed = once(child, 'close');
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdin.write(text.slice(0, half));
      const deadline = Date.now() + 30_000;
      while (!importing(file(child.pid!)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(importing(file(child.pid!))).toBe(true);
      return { child, closed, aside: file(child.pid!)!, stderr: () => stderr };
    };
    const leftAside = () => readdirSync(sandbox.dir).filter((name) => name.startsWith('.interrompue'));
    const absent = () => sandbox.run(['partners', '--db', made]);

    const killed = await started(made);
    // Built in rollback mode (header byte 18: 1), its journal in memory: no journal file beside it.
    expect([readFileSync(killed.aside).subarray(0, 100)[18], existsSync(`${killed.aside}-wal`), existsSync(`${killed.aside}-journal`)]).toEqual([
      1,
      false,
      false,
    ]);
    killed.child.kill('SIGKILL');
    expect((await killed.closed)[1]).toBe('SIGKILL');
    expect([absent().status, absent().stderr, existsSync(killed.aside)]).toEqual([6, expect.stringContaining('Base de données introuvable'), true]);
    // The next first import there removes what the killed one left; Ctrl-C, what it made itself.
    const interrupted = await started(made);
    expect(existsSync(killed.aside)).toBe(false);
    interrupted.child.kill('SIGINT');
    expect(await interrupted.closed).toEqual([null, 'SIGINT']);
    expect([absent().status, leftAside()]).toEqual([6, []]);

    // Two first imports under way; a third, whole, puts its store in place first. Beside the
    // location, the journal of a store deleted there before its journal was merged (its process
    // killed): SQLite replayed it into the store put in place, which said « Import terminé »
    // with another store's rows in it, its indexes broken (review 38). Now refused, since it may
    // hold a moved store's last commits (trial 38b), until it is taken away.
    const [stopped, later] = [await started(made), await started(made)];
    const ghost = join(sandbox.dir, 'fantome.db');
    new Database(sandbox.database, { readonly: true }).exec(`VACUUM INTO '${ghost}'`);
    const writer = new Database(ghost);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec("UPDATE partners SET name = 'FANTÔME ' || name; DELETE FROM users WHERE key % 2 = 0");
    writeFileSync(`${made}-wal`, readFileSync(`${ghost}-wal`));
    writer.close();
    const stray = sandbox.run(['import', whole, '--db', made], { env: ACTOR_ENV });
    expect([stray.status, stray.stderr, existsSync(made), existsSync(`${made}-wal`)]).toEqual([
      4,
      `${made}-wal : journal d’une base SQLite qui n’est plus là (déplacée ou supprimée sans lui), qui peut contenir ses dernières écritures. Remettez-le à côté de sa base, ou supprimez-le s’il n’est d’aucune base, puis recommencez : rien n’a été écrit dans ${made}.\n`,
      false,
      true,
    ]);
    // Taken away, and an empty index file left (it holds no write): the store is put in place.
    rmSync(`${made}-wal`);
    writeFileSync(`${made}-shm`, '');
    const first = sandbox.run(['import', whole, '--db', made], { env: ACTOR_ENV });
    expect([first.status, first.stderr]).toEqual([0, '']);
    // Made with its journal in memory, it is put in place in WAL mode, as every store is.
    const inPlace = new Database(made, { readonly: true });
    expect([
      inPlace.pragma('integrity_check', { simple: true }),
      inPlace.pragma('journal_mode', { simple: true }),
      sandbox.run(['export', '--db', made]).stdout,
    ]).toEqual(['ok', 'wal', text]);
    inPlace.close();
    stopped.child.kill('SIGINT');
    expect(await stopped.closed).toEqual([null, 'SIGINT']);
    later.child.stdin.end(text.slice(half));
    expect([...(await later.closed), later.stderr()]).toEqual([
      4,
      null,
      `La base ${made} a été créée par un autre processus pendant cet import : elle est conservée telle quelle, rien n’y a été écrit.\n`,
    ]);
    expect([sandbox.json<{ head: { id: number } }>(['traces', 'verify', '--db', made]).head.id, leftAside()]).toEqual([1, []]);

    // A folder's name, or a link to a file not there, is said before anything is imported: the link
    // was a conflict « créée par un autre processus » at each run, the folder an internal error (review 38).
    const folder = `${join(sandbox.dir, 'nouveau')}/`;
    const intoFolder = sandbox.run(['import', whole, '--db', folder], { env: ACTOR_ENV });
    expect([intoFolder.status, intoFolder.stderr]).toEqual([
      6,
      `Impossible de créer la base de données ${folder} : c’est un nom de dossier (il finit par « / ») : donnez celui d’un fichier.\n`,
    ]);
    const link = join(sandbox.dir, 'lien.db');
    symlinkSync(join(sandbox.dir, 'cible-absente.db'), link);
    const throughLink = sandbox.run(['import', whole, '--db', link], { env: ACTOR_ENV });
    expect([throughLink.status, throughLink.stderr]).toEqual([
      6,
      `Impossible de créer la base de données ${link} : c’est un lien symbolique vers un fichier absent : donnez le chemin du fichier lui-même.\n`,
    ]);

    // Into a store already there, nothing is made aside, and a stop leaves the store as it was.
    const kept = sandbox.json<{ head: { id: number } }>(['traces', 'verify']).head.id;
    const into = await started(sandbox.database, () => sandbox.database);
    into.child.kill('SIGINT');
    expect(await into.closed).toEqual([null, 'SIGINT']);
    expect(sandbox.json<{ head: { id: number } }>(['traces', 'verify']).head.id).toBe(kept);
  });

  // `demo --force` removed the store first: Ctrl-C during the demo's import left none, and a store
  // open in a server or the interface was taken from under it, its next writes acknowledged into a
  // file no longer there (review 38, L4). Now the demo is made aside and replaces the store once
  // made, and a store another process has open is not replaced.
  it('replaces a store with the demo only once the demo is made, and never one another process has open', async () => {
    const replaced = join(sandbox.dir, 'remplacee.db');
    expect(sandbox.run(['demo', '--scale', '4', '--db', replaced]).status).toBe(0);
    const before = sandbox.run(['export', '--db', replaced]).stdout;

    // Open, idle, in another process (the interface between two keys).
    const holder = new Database(replaced);
    holder.prepare('SELECT COUNT(*) FROM partners').get();
    const open = sandbox.run(['demo', '--force', '--scale', '5', '--db', replaced]);
    holder.close();
    expect([open.status, open.stderr]).toEqual([
      4,
      `La base ${replaced} est ouverte par un autre processus (un serveur, l’interface, une autre commande) : fermez-le avant de la remplacer. Rien n’a été écrit.\n`,
    ]);

    // Read and closed before the demo starts: a connection still open would keep it from replacing the store.
    const reader = new Database(replaced, { readonly: true });
    const schemaVersion = reader.pragma('user_version', { simple: true }) as number;
    reader.close();
    const child = spawn(process.execPath, [CAFSUP_BIN, 'demo', '--force', '--scale', '3000', '--db', replaced], { env: sandbox.env(), stdio: 'ignore' });
    const closed = once(child, 'close');
    /** The demo's import under way into its file made aside beside `name`. */
    const demoImporting = (name: string) => {
      const aside = asideIn(sandbox.dir, name);
      return aside !== undefined && importHolds(aside, schemaVersion);
    };
    const deadline = Date.now() + 30_000;
    let underWay = false;
    while (!(underWay = demoImporting('remplacee.db')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(underWay).toBe(true);
    child.kill('SIGINT');
    expect(await closed).toEqual([null, 'SIGINT']);
    expect([sandbox.run(['export', '--db', replaced]).stdout, readdirSync(sandbox.dir).filter((name) => name.startsWith('.remplacee'))]).toEqual([before, []]);

    const forced = sandbox.run(['demo', '--force', '--scale', '5', '--db', replaced]);
    expect([forced.status, forced.stderr]).toEqual([0, '']);
    const store = new Database(replaced, { readonly: true });
    expect([store.pragma('integrity_check', { simple: true }), store.prepare('SELECT COUNT(*) AS n FROM partners').get()]).toEqual(['ok', { n: 5 }]);
    store.close();
    expect(sandbox.json<{ ok: boolean; head: { id: number } }>(['traces', 'verify', '--db', replaced])).toMatchObject({ ok: true, head: { id: 1 } });
    // Through a link, the store it names is written over, the link kept (a rename put a file in its place).
    const link = join(sandbox.dir, 'lien-vers-remplacee.db');
    symlinkSync(replaced, link);
    expect(sandbox.run(['demo', '--force', '--scale', '6', '--db', link]).status).toBe(0);
    const target = new Database(replaced, { readonly: true });
    expect([readlinkSync(link), target.prepare('SELECT COUNT(*) AS n FROM partners').get()]).toEqual([replaced, { n: 6 }]);
    target.close();

    // Another application's file, or one that is not SQLite, is not replaced (trial 39: it was).
    const foreign = join(sandbox.dir, 'application.db');
    const application = new Database(foreign);
    application.exec("CREATE TABLE clients (nom TEXT); INSERT INTO clients VALUES ('Dupont'); PRAGMA user_version = 5");
    application.close();
    const text = join(sandbox.dir, 'notes.txt');
    writeFileSync(text, 'à garder\n');
    for (const [file, said] of [
      [
        foreign,
        `Le fichier ${foreign} est une base SQLite qui n’est pas celle de cafsup (elle contient d’autres données) : rien n’y a été écrit. Donnez le chemin d’une base cafsup, ou d’un fichier à créer.\n`,
      ],
      [text, `Le fichier ${text} n’est pas une base cafsup lisible.\n`],
    ] as const) {
      const bytes = readFileSync(file);
      for (const flag of ['--force', '--if-missing']) {
        const refused = sandbox.run(['demo', flag, '--db', file]);
        expect([refused.status, refused.stderr, readFileSync(file).equals(bytes)]).toEqual([6, said, true]);
      }
    }

    // A store another process made meanwhile where none was is kept: only the one found is replaced (review 39).
    const fresh = join(sandbox.dir, 'nouvelle.db');
    const demo = spawn(process.execPath, [CAFSUP_BIN, 'demo', '--force', '--scale', '3000', '--db', fresh], {
      env: sandbox.env(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let demoSaid = '';
    demo.stderr.on('data', (chunk: Buffer) => (demoSaid += chunk.toString('utf8')));
    const demoClosed = once(demo, 'close');
    const freshDeadline = Date.now() + 30_000;
    let underWayFresh = false;
    while (!(underWayFresh = demoImporting('nouvelle.db')) && Date.now() < freshDeadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(underWayFresh).toBe(true);
    const exported = join(sandbox.dir, 'remplacee.json');
    expect(sandbox.run(['export', '--db', replaced, '--out', exported]).status).toBe(0);
    expect(sandbox.run(['import', exported, '--db', fresh], { env: ACTOR_ENV }).status).toBe(0);
    expect([...(await demoClosed), demoSaid]).toEqual([
      4,
      null,
      `La base ${fresh} a été créée par un autre processus pendant cet import : elle est conservée telle quelle, rien n’y a été écrit.\n`,
    ]);
    expect(sandbox.run(['export', '--db', fresh]).stdout).toBe(readFileSync(exported, 'utf8'));

    // An empty file (a copy that failed) is no store to read, answered as an empty one; a store is made in it.
    const empty = join(sandbox.dir, 'vide.db');
    writeFileSync(empty, '');
    const read = sandbox.run(['audit', '--db', empty]);
    expect([read.status, read.stderr, readFileSync(empty).length]).toEqual([
      6,
      `Base de données vide : ${empty} (aucune table). Créez-la avec « cafsup demo » ou « cafsup import FICHIER ».\n`,
      0,
    ]);
    expect(sandbox.run(['import', exported, '--db', empty], { env: ACTOR_ENV }).status).toBe(0);
    expect(sandbox.run(['export', '--db', empty]).stdout).toBe(readFileSync(exported, 'utf8'));
  });

  it('exports a dataset that imports back to the same export', () => {
    const file = join(sandbox.dir, 'export.json');
    expect(sandbox.run(['export', '--out', file]).status).toBe(0);
    const copy = join(sandbox.dir, 'copy.db');
    // A dry run into a file not there yet makes none (review 32, L1), nor leaves its empty store behind.
    const scratch = join(sandbox.dir, 'tmp');
    mkdirSync(scratch);
    const intoNothing = sandbox.run(['import', file, '--dry-run', '--db', copy], { env: { ...ACTOR_ENV, TMPDIR: scratch } });
    expect([intoNothing.status, intoNothing.stdout]).toEqual([
      0,
      expect.stringContaining('Simulation : rien n’a été écrit (pas encore de base cafsup à cet endroit : l’import la créerait).'),
    ]);
    expect([existsSync(copy), readdirSync(scratch)]).toEqual([false, []]);
    // Nor does a refused import, which made it for itself (trial 35): it answered after as an empty store.
    const faulty = join(sandbox.dir, 'tableau.json');
    writeFileSync(faulty, '[]');
    const refused = sandbox.run(['import', faulty, '--db', copy], { env: ACTOR_ENV });
    expect([refused.status, existsSync(copy), sandbox.run(['partners', '--db', copy]).status]).toEqual([5, false, 6]);
    const into = sandbox.run(['import', file, '--db', copy], { env: ACTOR_ENV });
    expect([into.status, into.stdout]).toEqual([0, expect.not.stringContaining('remplacées')]);
    expect(sandbox.run(['export', '--db', copy]).stdout).toBe(readFileSync(file, 'utf8'));
    // The same file over data already there replaces it by id (dataset.md): what it rewrites, a
    // suspension undone among it, is said before (dry run) and kept in the import's trace.
    const { habilitations } = JSON.parse(readFileSync(file, 'utf8')) as { habilitations: { id: string; partnerId: string; status: string }[] };
    const active = habilitations.find((h) => h.status === 'active')!;
    const suspended = sandbox.run(['suspend', '--habilitation', active.id, '--reason', 'Vérification', '--yes', '--db', copy], { env: ACTOR_ENV });
    expect(suspended.status, suspended.stderr).toBe(0);
    // So is an avenant recorded since the export, which the file does not hold (trial 21, F3).
    const changes = join(sandbox.dir, 'avenant.json');
    writeFileSync(changes, JSON.stringify([{ type: 'note', text: 'Nouveau contact' }]));
    const drafted = sandbox.run(['avenant', 'add', active.partnerId, '--file', changes, '--title', 'Avenant 1', '--yes', '--db', copy], { env: ACTOR_ENV });
    expect(drafted.status, drafted.stderr).toBe(0);
    const change = [
      `  habilitation ${active.id} (${active.partnerId}) : statut suspendue → active`,
      `  avenant n° 1 (${active.partnerId}) : non signé → supprimé`,
    ].join('\n');
    const dry = sandbox.run(['import', file, '--dry-run', '--db', copy], { env: ACTOR_ENV });
    expect(dry.stdout).toContain('Entités qui seraient remplacées (déjà là sous le même identifiant) : 1 Caf, 1 partenaire');
    expect(dry.stdout).toContain(`2 décisions changeraient :\n${change}\n`);
    // A write as any other: refused without a terminal unless --yes, saying why it is asked, nothing written.
    const unconfirmed = sandbox.run(['import', file, '--db', copy], { env: ACTOR_ENV });
    expect([unconfirmed.status, unconfirmed.stderr]).toEqual([
      4,
      expect.stringContaining('contient déjà des données : l’import en remplacera les entités de même identifiant'),
    ]);
    expect(sandbox.json(['habilitations', active.partnerId, '--db', copy]).habilitations.find((h: { id: string }) => h.id === active.id).status).toBe(
      'suspended',
    );
    const again = sandbox.run(['import', file, '--yes', '--db', copy], { env: ACTOR_ENV });
    expect(again.stdout).toContain(`2 décisions changées :\n${change}\n`);
    expect(sandbox.json(['traces', '--limit', '1', '--db', copy]).traces[0].details).toMatchObject({
      decisionChanges: [
        { section: 'habilitations', id: active.id, partnerId: active.partnerId, field: 'status', from: 'suspended', to: 'active' },
        { section: 'avenants', id: active.partnerId, partnerId: active.partnerId, number: 1, field: 'signing', from: 'draft', to: 'absent' },
      ],
      decisionChangesTotal: 2,
    });
    // The trail's table names no target for an import: it says what it changed (trial 22, F10).
    // (« 2 décisions changées », cut to fit 80 columns.)
    expect(sandbox.runInTerminal(['traces', '--limit', '1', '--db', copy]).stdout).toContain('│ 2 décis… │');
    expect(sandbox.run(['export', '--db', copy]).stdout).toBe(readFileSync(file, 'utf8'));
    // The same file as a Windows editor saves it, a byte-order mark first: the same data.
    const marked = join(sandbox.dir, 'export-bom.json');
    writeFileSync(marked, `\uFEFF${readFileSync(file, 'utf8')}`);
    const fromMarked = join(sandbox.dir, 'copy-bom.db');
    const imported = sandbox.run(['import', marked, '--db', fromMarked], { env: ACTOR_ENV });
    expect(imported.status, imported.stderr).toBe(0);
    expect(sandbox.run(['export', '--db', fromMarked]).stdout).toBe(readFileSync(file, 'utf8'));
    // `cafsup export | cafsup import -` (operations.md): « - » is the standard input.
    const piped = join(sandbox.dir, 'copy-piped.db');
    const fromInput = sandbox.run(['import', '-', '--db', piped], { env: ACTOR_ENV, input: readFileSync(file, 'utf8') });
    expect(fromInput.status, fromInput.stderr).toBe(0);
    expect(sandbox.run(['export', '--db', piped]).stdout).toBe(readFileSync(file, 'utf8'));
  });
});

function smallDataset(): Record<string, unknown> {
  return dataset({
    cafs: [caf()],
    partners: [partner('p1', { siret: '21250048200014' })],
    conventions: [convention('p1')],
    users: [user('p1-u1', 'p1'), user('p1-u2', 'p1')],
    habilitations: [
      { id: 'p1-h1', partnerId: 'p1', userId: 'p1-u1', service: 'CDAP', profile: 'T1', status: 'active', grantedAt: '2026-01-10T09:00:00+01:00' },
      { id: 'p1-h2', partnerId: 'p1', userId: 'p1-u2', service: 'CDAP', profile: 'T1', status: 'active', grantedAt: '2026-01-11T09:00:00+01:00' },
    ],
  });
}
