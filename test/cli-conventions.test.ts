import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeChanges } from '../packages/tui/src/workflow-words.js';
import { CAFSUP_BIN, CliSandbox } from './support/cli.js';
import { ACTOR, caf, convention, dataset, partner, user } from './support/fixture.js';
import { TestServer } from './support/server.js';

const AS_OF = ['--as-of', '2026-11-22'];
const ACTOR_ENV = { CAFSUP_ACTOR: `${ACTOR.name} <${ACTOR.email}>` };

/** The entries of a zip file, inflated: enough to read back an XLSX without a library. */
function unzip(bytes: Buffer): Map<string, string> {
  const entries = new Map<string, string>();
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = bytes.readUInt16LE(end + 10);
  let offset = bytes.readUInt32LE(end + 16);
  for (let index = 0; index < count; index++) {
    const method = bytes.readUInt16LE(offset + 10);
    const packedSize = bytes.readUInt32LE(offset + 20);
    const nameLength = bytes.readUInt16LE(offset + 28);
    const extraLength = bytes.readUInt16LE(offset + 30);
    const commentLength = bytes.readUInt16LE(offset + 32);
    const local = bytes.readUInt32LE(offset + 42);
    const name = bytes.toString('utf8', offset + 46, offset + 46 + nameLength);
    const dataStart = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const packed = bytes.subarray(dataStart, dataStart + packedSize);
    entries.set(name, (method === 8 ? inflateRawSync(packed) : packed).toString('utf8'));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Data a partner controls, planted where a spreadsheet or a terminal could be fooled by it. */
function hostileDataset(): Record<string, unknown> {
  return dataset({
    cafs: [caf()],
    partners: [partner('p1')],
    conventions: [convention('p1')],
    users: [
      user('p1-u1', 'p1', { name: '=HYPERLINK("http://example.invalid";"clic")', function: '+33 1 23 45 67 89' }),
      user('p1-u2', 'p1', { name: 'Dupont; Marie "la cheffe"', function: '@SOMME(A1:A2)', role: 'deputy' }),
    ],
    habilitations: [
      { id: 'p1-h1', partnerId: 'p1', userId: 'p1-u1', service: 'CDAP', profile: 'T1', status: 'active', grantedAt: '2026-01-10T09:00:00+01:00' },
    ],
  });
}

describe('spreadsheets as French Excel and LibreOffice open them', () => {
  const sandbox = new CliSandbox();
  beforeAll(() => {
    writeFileSync(join(sandbox.dir, 'hostile.json'), JSON.stringify(hostileDataset()));
    const imported = sandbox.run(['import', join(sandbox.dir, 'hostile.json')], { env: ACTOR_ENV });
    expect(imported.status, imported.stderr).toBe(0);
  });
  afterAll(() => sandbox.cleanup());

  it('writes CSV with a BOM, « ; », CRLF, French headers and French words, no cell a formula', () => {
    const result = sandbox.run(['users', 'p1', '--csv']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.startsWith('\ufeffId;Nom;Mél;Fonction;Rôle;Statut;')).toBe(true);
    const lines = result.stdout.slice(1).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(result.stdout.replaceAll('\r\n', '')).not.toContain('\n');
    expect(lines[1]!.startsWith(`p1-u1;"'=HYPERLINK(""http://example.invalid"";""clic"")";p1-u1@exemple.fr;'+33 1 23 45 67 89;utilisateur;actif;`)).toBe(true);
    expect(lines[2]!.startsWith(`p1-u2;"Dupont; Marie ""la cheffe""";p1-u2@exemple.fr;'@SOMME(A1:A2);suppléant;actif;`)).toBe(true);
  });

  it('offers --csv on every list command', () => {
    for (const args of [
      ['partners'],
      ['quotas'],
      ['audit'],
      ['users', 'p1'],
      ['habilitations', 'p1'],
      ['traces'],
      ['review', 'list', 'p1'],
      ['avenant', 'list', 'p1'],
    ]) {
      const result = sandbox.run([...args, '--csv', ...AS_OF]);
      expect(result.status, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stdout.startsWith('\ufeff'), args.join(' ')).toBe(true);
      expect(result.stdout.split('\r\n')[0], args.join(' ')).toContain(';');
    }
  });

  it('writes a real XLSX workbook: text cells inline (never formulas), numbers as numbers, a bold header', () => {
    const file = join(sandbox.dir, 'utilisateurs.xlsx');
    const result = sandbox.run(['users', 'p1', '--xlsx', file]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const parts = unzip(readFileSync(file));
    expect([...parts.keys()]).toEqual([
      '[Content_Types].xml',
      '_rels/.rels',
      'xl/workbook.xml',
      'xl/_rels/workbook.xml.rels',
      'xl/styles.xml',
      'xl/worksheets/sheet1.xml',
    ]);
    expect(parts.get('xl/workbook.xml')).toContain('<sheet name="Utilisateurs" sheetId="1" r:id="rId1"/>');
    const sheet = parts.get('xl/worksheets/sheet1.xml')!;
    expect(sheet).not.toContain('<f>');
    expect(sheet).toContain('<c r="B2" t="inlineStr"><is><t xml:space="preserve">=HYPERLINK(&quot;http://example.invalid&quot;;&quot;clic&quot;)</t></is></c>');
    expect(sheet).toContain('<c r="A1" s="1" t="inlineStr"><is><t xml:space="preserve">Id</t></is></c>');
    // Créé le: a real date and time (serial days since 1899-12-30, Paris wall clock), not text.
    const created = Number(/<c r="H2" s="3"><v>([\d.]+)<\/v><\/c>/.exec(sheet)?.[1]);
    const createdAt = JSON.parse(sandbox.run(['users', 'p1', '--json']).stdout).users[0].createdAt;
    expect(created).toBeCloseTo((Date.parse(createdAt) + 3_600_000 - Date.UTC(1899, 11, 30)) / 86_400_000, 4);
    const quotas = join(sandbox.dir, 'quotas.xlsx');
    expect(sandbox.run(['quotas', '--xlsx', quotas, ...AS_OF]).status).toBe(0);
    expect(unzip(readFileSync(quotas)).get('xl/worksheets/sheet1.xml')).toMatch(/<c r="E2"><v>\d+<\/v><\/c>/);
  });

  it('asks before replacing a workbook: refused without a terminal (4), replaced with --force', () => {
    const file = join(sandbox.dir, 'deux-fois.xlsx');
    expect(sandbox.run(['traces', '--xlsx', file]).status).toBe(0);
    writeFileSync(file, 'à garder');
    const again = sandbox.run(['traces', '--xlsx', file]);
    expect(again.status).toBe(4);
    expect(again.stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('à garder');
    expect(sandbox.run(['traces', '--xlsx', file, '--force']).status).toBe(0);
    expect(unzip(readFileSync(file)).has('xl/worksheets/sheet1.xml')).toBe(true);
  });

  it('escapes control characters that come from data, in TSV and on a terminal', () => {
    // Stored text refuses them; a file edited behind cafsup's back can still hold them.
    const planted = 'Piège\u001b]52;c;Y2xpcA==\u0007';
    const db = new Database(sandbox.database);
    db.prepare("UPDATE partners SET name = ?, doc = json_set(doc, '$.name', ?) WHERE id = 'p1'").run(planted, planted);
    db.close();
    for (const result of [sandbox.run(['partners']), sandbox.runInTerminal(['partners']), sandbox.run(['partner', 'p1']), sandbox.run(['users', 'p1'])]) {
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).not.toContain('\u001b]');
      expect(result.stdout).not.toContain('\u0007');
    }
    expect(sandbox.run(['partners']).stdout).toContain('Piège\\x1b]52;c;Y2xpcA==\\x07');
  });

  it('refuses a database a newer cafsup has migrated, in French, for a command and for serve', () => {
    const newer = join(sandbox.dir, 'plus-recente.db');
    copyFileSync(sandbox.database, newer);
    const db = new Database(newer);
    db.pragma('user_version = 99');
    db.close();
    for (const args of [
      ['partners', '--db', newer],
      ['serve', '--db', newer, '--port', '0'],
    ]) {
      const result = sandbox.run(args);
      expect([result.status, result.stderr]).toEqual([
        6,
        expect.stringContaining('Cette base est au schéma 99, plus récent que celui de cette version de cafsup'),
      ]);
      expect(result.stderr).not.toContain('..');
    }
  });

  it('shows where the data is without the control characters of its path', () => {
    const hostile = join(sandbox.dir, 'piège\u001b[2J\u001b]52;c;Y2xpcA==\u0007.db');
    const whoami = sandbox.run(['whoami', '--db', hostile]);
    const config = sandbox.run(['config', 'list'], { env: { CAFSUP_DB: hostile } });
    const demo = sandbox.run(['demo', '--db', hostile, '--scale', '4']);
    for (const result of [whoami, config, demo]) {
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain('piège\\x1b[2J\\x1b]52;c;Y2xpcA==\\x07.db');
      expect(result.stdout).not.toContain('\u001b');
      expect(result.stdout).not.toContain('\u0007');
    }
    // A program reads the path as it is.
    expect(sandbox.json(['config', 'list'], { env: { CAFSUP_DB: hostile } }).source).toBe(hostile);
  });

  it('quotes what was typed in a refusal without its control characters', () => {
    const usage = sandbox.run(['audit', '--as-of', '2026-11-22\u001b[31m']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('2026-11-22\\x1b[31m');
    const refused = sandbox.run(['partner', 'p9\u001b]52;c;Y2xpcA==\u0007']);
    expect(refused.status).toBe(5);
    for (const result of [usage, refused]) {
      expect(result.stderr).not.toContain('\u001b');
      expect(result.stderr).not.toContain('\u0007');
    }
  });

  it('records an avenant file’s effective date, and refuses a field it does not know rather than dropping it', () => {
    const actor = { CAFSUP_ACTOR: 'Camille Roux <camille.roux@caf78.fr>' };
    const file = join(sandbox.dir, 'avenant-effet.json');
    const changes = [{ type: 'note', text: 'Nouvelle adresse du centre de services' }];
    writeFileSync(file, JSON.stringify({ title: 'Avenant : adresse', effectiveAt: '2027-01-01', changes }));
    const created = sandbox.run(['avenant', 'add', 'p1', '--file', file, '--yes', '--json'], { env: actor });
    expect(created.status, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).avenant).toMatchObject({ title: 'Avenant : adresse', effectiveAt: '2027-01-01' });
    writeFileSync(file, JSON.stringify({ title: 'Avenant : adresse', effetLe: '2027-01-01', changes: [...changes, { service: 'CDAP' }] }));
    const unknown = sandbox.run(['avenant', 'add', 'p1', '--file', file, '--yes'], { env: actor });
    // Each problem once, under a heading, named where it is in the file, not in the SDK's call (`draft.changes[1].type`).
    expect([unknown.status, unknown.stderr]).toEqual([
      5,
      'Saisie invalide :\n  changes[1].type : champ obligatoire (attendu : setQuota, removeQuota, addService, removeService, setManagementMode, setContact, removeContact, setServiceDesk, setEscalation, note)\n  (document) : clé inconnue : « effetLe »\n',
    ]);
    const edited = sandbox.run(['convention', 'edit', 'p1', '--fields', '{"numero": "2026/1"}', '--reason', 'Correction', '--dry-run'], { env: actor });
    expect([edited.status, edited.stderr]).toEqual([5, 'Saisie invalide : (document) : clé inconnue : « numero ».\n']);
    // A file that is not there is said so in words (trial 22, F8: « (ENOENT) »).
    const absent = sandbox.run(['avenant', 'add', 'p1', '--file', join(sandbox.dir, 'absent.json'), '--dry-run'], { env: actor });
    expect([absent.status, absent.stderr]).toEqual([5, `Fichier de modifications ${join(sandbox.dir, 'absent.json')} : fichier introuvable.\n`]);
    // A key unknown deeper in is refused too: zod dropped it, and a quota typed with « departement » was opened to every département (trial 22, F4).
    writeFileSync(file, JSON.stringify([{ type: 'setQuota', service: 'CDAP', profile: 'T4', maxUsers: 3, departement: '13' }]));
    const nested = sandbox.run(['avenant', 'add', 'p1', '--file', file, '--title', 'Avenant Z', '--dry-run'], { env: actor });
    expect([nested.status, nested.stderr]).toEqual([5, 'Saisie invalide : changes[0] : clé inconnue : « departement ».\n']);
    const quota = JSON.stringify({ subscriptions: [{ service: 'CDAP', quota: [] }] });
    const wiped = sandbox.run(['convention', 'edit', 'p1', '--fields', quota, '--reason', 'Correction', '--dry-run'], { env: actor });
    expect([wiped.status, wiped.stderr]).toEqual([5, 'Saisie invalide : subscriptions[0] : clé inconnue : « quota ».\n']);
    // What the options say is not taken from the file; a file that is no object is said so.
    for (const [content, said] of [
      [{ title: 'Avenant : adresse', dryRun: true, changes }, '« dryRun » n’a pas sa place dans le fichier'],
      [null, 'un objet JSON { "title", "changes", … } ou le tableau des modifications est attendu'],
    ] as const) {
      writeFileSync(file, JSON.stringify(content));
      const refused = sandbox.run(['avenant', 'add', 'p1', '--file', file, '--yes'], { env: actor });
      expect([refused.status, refused.stderr]).toEqual([5, expect.stringContaining(said)]);
    }
    // The preview says a quota set without départements is open to all (it replaces one that had some), and a contact's role in French.
    const contact = { side: 'caf', role: 'security_officer', name: 'Luc Martin', email: 'luc.martin@caf78.fr' };
    writeFileSync(
      file,
      JSON.stringify({
        title: 'Avenant : quota et contact',
        changes: [
          { type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers: 25 },
          { type: 'setContact', contact },
        ],
      }),
    );
    const preview = sandbox.run(['avenant', 'add', 'p1', '--file', file, '--dry-run'], { env: actor });
    expect([preview.status, preview.stdout], preview.stderr).toEqual([
      0,
      expect.stringContaining(
        '  · quota CDAP T1 fixé à 25 utilisateurs (tous départements)\n  · contact Caf responsable de la sécurité : Luc Martin <luc.martin@caf78.fr>\n',
      ),
    ]);
  });

  it('says in French where JSON given to a command stops being JSON, line and column, exit 5', () => {
    const changes = join(sandbox.dir, 'modifications.json');
    writeFileSync(changes, '[\n  { "type": "note" "text": "Adresse" }\n]');
    const actor = { CAFSUP_ACTOR: 'Camille Roux <camille.roux@caf78.fr>' };
    for (const [args, said] of [
      [['api', 'partners.list', '--input', '{"limit": 5,}'], 'JSON invalide dans --input, ligne 1, colonne 13 : nom de champ entre guillemets attendu.'],
      [
        ['request', 'add', 'p1', '--kind', 'habilitation', '--form', '{"name": "Jean"', '--yes'],
        'JSON invalide dans --form, ligne 1, colonne 16 : « , » ou « } » attendu.',
      ],
      [
        ['avenant', 'add', 'p1', '--file', changes, '--title', 'Avenant : adresse', '--yes'],
        `JSON invalide dans ${changes}, ligne 2, colonne 20 : « , » ou « } » attendu.`,
      ],
    ] as const) {
      const refused = sandbox.run([...args], { env: actor });
      expect([refused.status, refused.stderr], args.join(' ')).toEqual([5, `${said}\n`]);
    }
  });

  // Saved in Latin-1 (a spreadsheet's or Windows' « ANSI »): they were taken, each « é » stored as U+FFFD (trial 35).
  it('refuses a JSON file that is not UTF-8 at its first such byte, as an import does, exit 5', () => {
    const latin1 = (name: string, text: string) => {
      const file = join(sandbox.dir, name);
      writeFileSync(file, Buffer.from(text, 'latin1'));
      return file;
    };
    const changes = latin1('modifications-latin1.json', '[{ "type": "note", "text": "Adresse modifi\u00e9e" }]');
    const form = latin1('formulaire-latin1.json', '{ "name": "Ren\u00e9e Martin" }');
    const input = latin1('entree-latin1.json', '{ "search": "Mus\u00e9e" }');
    const actor = { CAFSUP_ACTOR: 'Camille Roux <camille.roux@caf78.fr>' };
    const head = sandbox.json(['traces', '--json']).traces[0]?.id;
    const notUtf8 = 'caractère qui n’est pas de l’UTF-8 (fichier enregistré en Latin-1 ou Windows-1252 ?) : enregistrez-le en UTF-8.';
    for (const [args, said] of [
      [['avenant', 'add', 'p1', '--file', changes, '--title', 'Avenant : adresse', '--yes'], `JSON invalide dans ${changes}, ligne 1, colonne 43 : ${notUtf8}`],
      [['request', 'add', 'p1', '--kind', 'habilitation', '--file', form, '--yes'], `JSON invalide dans ${form}, ligne 1, colonne 15 : ${notUtf8}`],
      [['api', 'partners.list', '--input', `@${input}`], `JSON invalide dans --input, ligne 1, colonne 17 : ${notUtf8}`],
    ] as const) {
      const refused = sandbox.run([...args], { env: actor });
      expect([refused.status, refused.stderr], args.join(' ')).toEqual([5, `${said}\n`]);
    }
    expect(sandbox.json(['traces', '--json']).traces[0]?.id).toBe(head);
    // UTF-8 with the byte-order mark Notepad writes is taken, as an import takes it (« colonne 1 : valeur invalide », trial 36).
    const marked = join(sandbox.dir, 'entree-bom.json');
    writeFileSync(marked, Buffer.from('\ufeff{ "limit": 1 }', 'utf8'));
    expect(sandbox.json(['api', 'partners.list', '--input', `@${marked}`]).items).toHaveLength(1);
  });
});

describe('lists for people and for programs', () => {
  const sandbox = new CliSandbox();
  beforeAll(() => {
    const created = sandbox.run(['demo', ...AS_OF]);
    expect(created.status, created.stderr).toBe(0);
  });
  afterAll(() => sandbox.cleanup());

  it('keeps only the asked fields with --json FIELDS, and names an unknown one', () => {
    const listed = sandbox.json(['partners', '--caf', '25', ...AS_OF, '--json=id,managementMode']);
    expect(listed.partners).toContainEqual({ id: 'bavans', managementMode: 'centralised' });
    expect(listed.partners.every((row: object) => Object.keys(row).join() === 'id,managementMode')).toBe(true);
    expect(listed.asOf).toBe('2026-11-22');
    const spaced = sandbox.run(['habilitations', 'amp', '--json', 'id,status', '--status', 'suspendue']);
    expect(JSON.parse(spaced.stdout)).toEqual({ partnerId: 'amp', habilitations: [{ id: 'amp-h0005', status: 'suspended' }] });
    const unknown = sandbox.run(['partners', '--json=id,nme']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Champ inconnu pour --json : « nme ». Vouliez-vous dire « name » ?');
  });

  it('prints only the ids with --quiet', () => {
    const quiet = sandbox.run(['habilitations', 'amp', '--status', 'suspended', '-q']);
    expect(quiet).toMatchObject({ status: 0, stdout: 'amp-h0005\n', stderr: '' });
    expect(sandbox.run(['audit', 'amp', '--fail-on', 'critique', '--quiet', ...AS_OF])).toMatchObject({ status: 1, stdout: '' });
  });

  it('accepts French option values beside the codes, and shows French words for codes', () => {
    const french = sandbox.json(['audit', '--severity', 'élevée', ...AS_OF]);
    expect(french).toEqual(sandbox.json(['audit', '--severity', 'high', ...AS_OF]));
    expect(sandbox.json(['users', 'amp', '--status', 'désactivé']).users.map((u: { id: string }) => u.id)).toEqual(['amp-u036']);
    expect(sandbox.json(['users', 'amp', '--role', 'Suppleant']).users.length).toBeGreaterThan(0);
    // So do the record commands' roles (trial 22, F11).
    const agent = sandbox.json(['users', 'amp', '--role', 'utilisateur']).users[0].id as string;
    const role = sandbox.json(['user', 'edit', agent, '--role', 'suppléant', '--reason', 'Désigné suppléant', '--dry-run'], { env: ACTOR_ENV });
    expect(role.changes.after).toEqual({ role: 'deputy' });
    expect(describeChanges({ roles: [{ userId: 'amp-u002', role: 'deputy' }] })).toEqual(['  rôle de amp-u002 : suppléant']);
    // A key no one typed, left in a stored record by an older version, does not block its edits (review 22, M8).
    const db = new Database(sandbox.database);
    db.prepare('UPDATE users SET function = function WHERE id = ?').run(agent);
    db.prepare("UPDATE partners SET doc = json_set(doc, '$.ancienChamp', 1) WHERE id = 'amp'").run();
    db.close();
    const renamed = sandbox.run(['partner', 'edit', 'amp', '--address', 'Le Pharo, Marseille', '--reason', 'Adresse corrigée', '--dry-run'], {
      env: ACTOR_ENV,
    });
    expect([renamed.status, renamed.stderr]).toEqual([0, '']);
    expect(
      sandbox.json(['partners', '--mode', 'centralisé', ...AS_OF]).partners.every((p: { managementMode: string }) => p.managementMode === 'centralised'),
    ).toBe(true);
    const users = sandbox.run(['users', 'amp']).stdout;
    expect(users).toContain('\tutilisateur\tactif\t');
    expect(users).toContain('\tdésactivé\t');
    expect(users).not.toMatch(/\t(user|active|disabled|deputy)\t/);
    const traces = sandbox.run(['traces']).stdout;
    expect(traces).toContain('\timport de données\t');
    const refused = sandbox.run(['users', 'amp', '--status', 'parti']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--status attend actif (active), suspendu (suspended), désactivé (disabled) (reçu « parti »).');
    // A convention's services and quotas, which its edit's form does not ask, in words too (was their JSON under the key « subscriptions »).
    const subscriptions = JSON.stringify({ subscriptions: [{ service: 'CDAP', quotas: [{ profile: 'T13', maxUsers: 30 }] }] });
    const preview = sandbox.run(['convention', 'edit', 'amp', '--fields', subscriptions, '--dry-run'], { env: ACTOR_ENV });
    expect(`${preview.stdout}${preview.stderr}`).toContain(
      '  Services et quotas : CDAP depuis le 21/03/2023 : T13 × 20 (départements 13, 83, 84) → CDAP : T13 × 30 (tous départements)\n',
    );
    // So are its contacts, its desk and its ladder (review 21, L7).
    const support = JSON.stringify({
      contacts: [{ side: 'caf', role: 'security_officer', name: 'Luc Martin', email: 'luc.martin@caf78.fr' }],
      serviceDesk: { email: 'cs@caf78.fr', hours: '9h-17h', escalateAfterDays: 30 },
      escalation: [{ order: 1, side: 'caf', name: 'Camille Roux', email: 'camille.roux@caf78.fr' }],
    });
    const supportPreview = sandbox.run(['convention', 'edit', 'amp', '--fields', support, '--dry-run'], { env: ACTOR_ENV }).stdout;
    expect(supportPreview).toMatch(/\n {2}Contacts : partenaire administrateur : .+ → Caf responsable de la sécurité : Luc Martin <luc\.martin@caf78\.fr>\n/);
    expect(supportPreview).toMatch(
      /\n {2}Centre de services : .+ → cs@caf78\.fr, 9h-17h, escalade en l’absence de réponse sous 30 jours ou en cas d’urgence\n/,
    );
    expect(supportPreview).toMatch(/\n {2}Procédure d’escalade : Caf 1\. .+ → Caf 1\. Camille Roux \(camille\.roux@caf78\.fr\)\n/);
    expect(supportPreview).not.toContain('{');
  });

  it('says « vouliez-vous dire » for a command, an option and a partner, user or habilitation id, of the kind sought', () => {
    expect(sandbox.run(['partnrs']).stderr).toContain('Commande inconnue : « partnrs ». Vouliez-vous dire « partners » ?');
    expect(sandbox.run(['partners', '--flaged']).stderr).toContain('Option inconnue : --flaged. Vouliez-vous dire « --flagged » ?');
    expect(sandbox.run(['avenant', 'lsit', 'amp']).stderr).toContain('Vouliez-vous dire « cafsup avenant list » ?');
    const partner = sandbox.run(['partner', 'anp']);
    expect(partner.status).toBe(3);
    expect(partner.stderr).toContain('Partenaire introuvable : anp. Vouliez-vous dire « amp » ?');
    const habilitation = sandbox.run(['suspend', '--habilitation', 'amp-h0O21', '--reason', 'Quota T13 dépassé', '--yes'], { env: ACTOR_ENV });
    expect(habilitation.status).toBe(3);
    expect(habilitation.stderr).toContain('« amp-h0021 »');
    // A user is offered users: a habilitation's id given to --user was offered back as it was (trial 24).
    const user = sandbox.run(['suspend', '--user', 'amp-h0021', '--reason', 'Quota T13 dépassé', '--yes'], { env: ACTOR_ENV });
    expect([user.status, user.stderr]).toEqual([3, expect.stringMatching(/^Utilisateur introuvable : amp-h0021\.( Vouliez-vous dire « amp-u\d+ »[^h]*)?\n$/)]);
    // A group is offered groups; a form's number that does not exist, not its partner's id.
    const group = sandbox.run(['group', 'edit', 'amp-g02', '--name', 'Accueil', '--reason', 'Nom corrigé', '--yes'], { env: ACTOR_ENV });
    expect([group.status, group.stderr]).toEqual([3, expect.stringContaining('Groupe introuvable : amp-g02. Vouliez-vous dire « amp-g01 » ?')]);
    const request = sandbox.run(['request', 'show', 'bavans', '9']);
    expect([request.status, request.stderr]).toEqual([3, 'Demande n° 9 introuvable pour bavans.\n']);
    // Sought among one partner's accounts: another partner's are no suggestion.
    const form = JSON.stringify({ people: [{ name: 'Agent 30', email: 'agent30@amp.fr', userId: 'amp-u030' }], lossOrTheft: false });
    const elsewhere = sandbox.run(['request', 'add', 'bavans', '--kind', 'deletion', '--form', form, '--yes'], { env: ACTOR_ENV });
    expect([elsewhere.status, elsewhere.stderr]).toEqual([
      3,
      'Utilisateur introuvable chez bavans : amp-u030.\n  --form (people[0].userId) : utilisateur introuvable chez ce partenaire\n',
    ]);
  });

  it('writes the review kit as a workbook: one row per held habilitation, « à conserver » and « motif » left blank', () => {
    const file = join(sandbox.dir, 'revue-amp.xlsx');
    const result = sandbox.run(['review', 'kit', 'amp', '--xlsx', file, ...AS_OF]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Feuille de revue écrite : .*revue-amp\.xlsx \(22 habilitations\)\. Retour : cafsup review add amp /);
    const parts = unzip(readFileSync(file));
    expect([...parts.get('xl/workbook.xml')!.matchAll(/<sheet name="([^"]+)"/g)].map((match) => match[1])).toEqual(['Revue inverse']);
    expect(parts.get('xl/worksheets/sheet1.xml')).toContain('À conserver (oui/non)');
    expect(sandbox.run(['review', 'kit', 'amp', '--csv', file, '--xlsx', file]).status).toBe(2);
  });

  it('fits every list in 80 columns on a terminal, and cuts no colour code', () => {
    for (const args of [
      ['partners'],
      ['quotas'],
      ['users', 'association-dunkerque'],
      ['habilitations', 'association-dunkerque'],
      ['traces'],
      ['review', 'list', 'amp'],
    ]) {
      const shown = sandbox.runInTerminal([...args, ...AS_OF]);
      expect(shown.status, args.join(' ')).toBe(0);
      const lines = shown.stdout.replace(/\u001b\[[0-9;]*m/g, '').split(/\r?\n/);
      expect(Math.max(...lines.map((line) => [...line].length)), args.join(' ')).toBeLessThanOrEqual(80);
      // Every colour or weight opened (bold headers, coloured severities) is closed on its line.
      for (const line of shown.stdout.split(/\r?\n/))
        expect((line.match(/\u001b\[(?:[12]|3\d|9\d)m/g) ?? []).length).toBe((line.match(/\u001b\[0m/g) ?? []).length);
    }
  });

  it('prints its version', () => {
    const version = JSON.parse(readFileSync(new URL('../packages/tui/package.json', import.meta.url), 'utf8')).version;
    expect(sandbox.run(['--version'])).toMatchObject({ status: 0, stdout: `cafsup ${version}\n` });
  });

  it('generates shell completion from the command table', () => {
    const script = join(sandbox.dir, 'completion.bash');
    writeFileSync(script, sandbox.run(['completion', 'bash']).stdout);
    const complete = (words: string[]) =>
      spawnSync(
        'bash',
        [
          '-c',
          `source '${script}'; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _cafsup; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      ).stdout.trim();
    expect(complete(['cafsup', 'aud'])).toBe('audit');
    expect(complete(['cafsup', 'avenant', ''])).toBe('list add sign');
    expect(complete(['cafsup', 'audit', '--fail'])).toBe('--fail-on');
    expect(complete(['cafsup', 'habilitations', 'amp', '--st'])).toBe('--status');
    expect(complete(['cafsup', 'habilitations', 'amp', '--status', 's'])).toBe('suspended suspendue');
    expect(complete(['cafsup', '--db', 'x.db', 'audit', '--severity', 'é'])).toBe('élevée');
    expect(sandbox.run(['completion', 'zsh']).stdout).toContain('bashcompinit');
    expect(sandbox.run(['completion', 'fish']).stdout).toContain("complete -c cafsup -n '__fish_seen_subcommand_from audit' -l db");
    expect(sandbox.run(['completion', 'tcsh']).status).toBe(2);
  });

  it('agrees plurals and writes dates in fr-FR in its sentences', () => {
    const verified = sandbox.run(['traces', 'verify']);
    expect(verified.stdout).toMatch(/^Tête de la chaîne : trace n° 1, empreinte [0-9a-f]{64}\.\nChaîne des traces intègre : 1 trace vérifiée\.\n$/);
    const suspended = sandbox.run(['suspend', '--habilitation', 'amp-h0021,amp-h0020', '--reason', 'Quota T13 dépassé', '--yes'], { env: ACTOR_ENV });
    expect(suspended.stdout).toMatch(
      /^2 habilitations modifiées :\n {2}amp-h0021 : statut active → suspendue, suspension — → \d\d\/\d\d\/\d{4} \d\d:\d\d {2}\(trace n° \d+\)\n/,
    );
    expect(sandbox.run(['traces', 'verify']).stdout).toMatch(/\nChaîne des traces intègre : 3 traces vérifiées\.\n$/);
  });

  it('exits 130 when Ctrl-C interrupts its « o/n » question', async () => {
    const { output, code } = await answerOnTerminal(sandbox, ['suspend', '--habilitation', 'amp-h0019', '--reason', 'Quota T13 dépassé'], ACTOR_ENV, '\u0003');
    expect(output).toContain('(o/n)');
    expect(code).toBe(130);
    expect(output).not.toContain('Erreur interne');
    expect(sandbox.json(['habilitations', 'amp', '--user', 'amp-u029']).habilitations[0].status).toBe('active');
  });
});

describe('where the data is and who acts: flag > environment > settings', () => {
  const sandbox = new CliSandbox();
  // Named once the tests run: naming it makes the sandbox's folder, which a filtered run skipping them must not.
  let other = '';
  beforeAll(() => {
    other = join(sandbox.dir, 'autre.db');
    expect(sandbox.run(['demo', ...AS_OF]).status).toBe(0);
    const small = join(sandbox.dir, 'small.json');
    writeFileSync(
      small,
      JSON.stringify(
        dataset({
          cafs: [caf()],
          partners: [partner('p1')],
          conventions: [convention('p1')],
          users: [user('p1-u1', 'p1')],
          habilitations: [
            { id: 'p1-h1', partnerId: 'p1', userId: 'p1-u1', service: 'CDAP', profile: 'T1', status: 'active', grantedAt: '2026-01-10T09:00:00+01:00' },
          ],
        }),
      ),
    );
    expect(sandbox.run(['import', small, '--db', other], { env: ACTOR_ENV }).status).toBe(0);
    expect(sandbox.run(['config', 'profile', 'add', 'autre', '--db', other]).status).toBe(0);
  });
  afterAll(() => sandbox.cleanup());

  it('--profile beats CAFSUP_DB, for reads and for writes', () => {
    // The sandbox sets CAFSUP_DB to the demo database.
    expect(sandbox.json(['whoami', '--profile', 'autre']).source).toEqual({ kind: 'local', location: other, profile: 'autre', chosenBy: '--profile' });
    const written = sandbox.run(['suspend', '--habilitation', 'p1-h1', '--reason', 'Contrôle de routine', '--yes', '--profile', 'autre'], { env: ACTOR_ENV });
    expect(written.status, written.stderr).toBe(0);
    expect(sandbox.json(['habilitations', 'p1', '--db', other]).habilitations[0].status).toBe('suspended');
    expect(sandbox.json(['traces']).traces.map((trace: { action: string }) => trace.action)).toEqual(['dataset.import']);
  });

  it('--db beats CAFSUP_PROFILE; CAFSUP_PROFILE beats the active profile; the environment beats the saved database', () => {
    expect(sandbox.json(['whoami', '--db', other], { env: { CAFSUP_DB: undefined, CAFSUP_PROFILE: 'absent' } }).source.location).toBe(other);
    expect(sandbox.json(['whoami'], { env: { CAFSUP_DB: undefined, CAFSUP_PROFILE: 'autre' } }).source).toMatchObject({
      location: other,
      chosenBy: 'CAFSUP_PROFILE',
    });
    expect(sandbox.run(['config', 'set', 'database', sandbox.database]).status).toBe(0);
    expect(sandbox.json(['whoami'], { env: { CAFSUP_DB: other } }).source).toMatchObject({ location: other, chosenBy: 'CAFSUP_DB' });
    expect(sandbox.json(['whoami'], { env: { CAFSUP_DB: undefined } }).source).toMatchObject({ location: sandbox.database, chosenBy: 'config database' });
  });

  it('keeps a saved PostgreSQL password in a file only its owner reads, and shows it only when asked by name', () => {
    const url = 'postgres://cafsup:motdepasse@127.0.0.1:1/cafsup';
    const set = sandbox.run(['config', 'set', 'database', url]);
    expect([set.status, set.stdout]).toEqual([0, 'database = postgres://cafsup:***@127.0.0.1:1/cafsup\n']);
    const listed = sandbox.run(['config'], { env: { CAFSUP_DB: undefined } });
    expect(listed.stdout).toContain('Données : postgres://cafsup:***@127.0.0.1:1/cafsup');
    expect(listed.stdout).not.toContain('motdepasse');
    expect(sandbox.run(['config', 'get', 'database']).stdout).toBe(`${url}\n`);
    expect(statSync(join(sandbox.dir, 'config', 'config.json')).mode & 0o777).toBe(0o600);
    expect(sandbox.run(['config', 'set', 'database', sandbox.database]).status).toBe(0);
  });

  it('refuses a saved database with a control character, which its echo would send to the terminal, and keeps the one before', () => {
    expect(sandbox.run(['config', 'set', 'database', sandbox.database]).status).toBe(0);
    const refused = sandbox.run(['config', 'set', 'database', '/tmp/a\u001b[31mb.db']);
    expect([refused.status, refused.stdout]).toEqual([5, '']);
    expect(refused.stderr).toContain('Valeur refusée pour database : caractère de contrôle ou de direction du texte interdit.');
    expect(refused.stderr).not.toContain('\u001b');
    expect(sandbox.run(['config', 'get', 'database']).stdout).toBe(`${sandbox.database}\n`);
  });

  it('refuses two sources at one level rather than choosing one silently', () => {
    const both = sandbox.run(['partners'], { env: { CAFSUP_PROFILE: 'autre' } });
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('CAFSUP_DB et CAFSUP_PROFILE');
    const stray = sandbox.run(['partners'], { env: { CAFSUP_TOKEN: 'abc' } });
    expect(stray.status).toBe(2);
    expect(stray.stderr).toContain('CAFSUP_TOKEN');
    const urlWithoutToken = sandbox.run(['partners'], { env: { CAFSUP_DB: undefined, CAFSUP_URL: 'http://127.0.0.1:9' } });
    expect(urlWithoutToken.status).toBe(4);
    expect(urlWithoutToken.stderr).toContain('CAFSUP_URL est défini sans CAFSUP_TOKEN');
    // A command on a local file, with a server given by the environment: named as such, not as « le profil « null » ».
    const fileCommand = sandbox.run(['demo'], { env: { CAFSUP_DB: undefined, CAFSUP_URL: 'http://127.0.0.1:9', CAFSUP_TOKEN: 'abc' } });
    expect([fileCommand.status, fileCommand.stderr]).toEqual([2, expect.stringContaining('CAFSUP_URL désigne un serveur (http://127.0.0.1:9)')]);
    // Said so without the server's token too, which a file would not need, and before the actor (trial 22, F9).
    for (const args of [
      ['demo'],
      ['token', 'list'],
      ['serve'],
      ['token', 'create', 'Bob', '--email', 'bob@caf78.fr', '--role', 'superviseur', '--caf', '78'],
    ]) {
      const withoutToken = sandbox.run(args, { env: { CAFSUP_DB: undefined, CAFSUP_URL: 'http://127.0.0.1:9', CAFSUP_ACTOR: undefined } });
      expect([withoutToken.status, withoutToken.stderr], args.join(' ')).toEqual([
        2,
        'CAFSUP_URL désigne un serveur (http://127.0.0.1:9) : cette commande agit sur un fichier local (--db FICHIER).\nAide : cafsup --help\n',
      ]);
    }
  });

  it('whoami names the actor a write would use: --actor, then CAFSUP_ACTOR, then the saved one', () => {
    expect(sandbox.run(['config', 'set', 'actor', 'Alex Morel <alex.morel@caf78.fr>']).status).toBe(0);
    expect(sandbox.json(['whoami'])).toMatchObject({ actor: { name: 'Alex Morel', email: 'alex.morel@caf78.fr' }, actorChosenBy: 'config actor' });
    expect(sandbox.json(['whoami'], { env: ACTOR_ENV })).toMatchObject({ actor: ACTOR, actorChosenBy: 'CAFSUP_ACTOR' });
    expect(sandbox.json(['whoami', '--actor', 'Inès Perrin <ines.perrin@caf78.fr>'], { env: ACTOR_ENV })).toMatchObject({
      actor: { name: 'Inès Perrin', email: 'ines.perrin@caf78.fr' },
      actorChosenBy: '--actor',
    });
    const written = sandbox.json(['reset-password', '--user', 'amp-u001', '--reason', 'Mot de passe communiqué', '--yes'], { env: ACTOR_ENV });
    const trace = sandbox.json(['traces']).traces.find((item: { id: number }) => item.id === written.changed[0].traceId);
    expect(trace.actor).toEqual(ACTOR);
  });

  it('reads a read-only database, and refuses a write to it with exit 6 and a French sentence, writing nothing', () => {
    const folder = mkdtempSync(join(tmpdir(), 'cafsup-lecture-seule-'));
    const file = join(folder, 'cafsup.db');
    copyFileSync(other, file);
    chmodSync(file, 0o444);
    chmodSync(folder, 0o555);
    // root writes anywhere: as root, the command runs as nobody, for whom the mode bits hold.
    const asRoot = process.getuid?.() === 0;
    const env = { ...sandbox.env(ACTOR_ENV), CAFSUP_CONFIG_DIR: join(folder, 'config') };
    const cafsup = (args: string[]) =>
      asRoot
        ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, CAFSUP_BIN, ...args], { env, encoding: 'utf8', cwd: tmpdir() })
        : spawnSync(process.execPath, [CAFSUP_BIN, ...args], { env, encoding: 'utf8' });
    const read = cafsup(['habilitations', 'p1', '--json', '--db', file]);
    const result = cafsup(['suspend', '--habilitation', 'p1-h1', '--reason', 'Contrôle de routine', '--yes', '--db', file]);
    chmodSync(folder, 0o755);
    expect(read.status, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout).habilitations.map((h: { id: string }) => h.id)).toContain('p1-h1');
    expect(result.status, result.stderr).toBe(6);
    expect(result.stderr).toContain(`Écriture refusée : la base ${file} est en lecture seule`);
    expect(readFileSync(file)).toEqual(readFileSync(other));
    rmSync(folder, { recursive: true, force: true });
  });

  it('export --out never overwrites the database, and replaces another file only with --force', () => {
    for (const target of [sandbox.database, `${sandbox.database}-wal`, join(sandbox.dir, '.', 'cafsup.db')]) {
      const refused = sandbox.run(['export', '--out', target, '--force']);
      expect(refused.status, target).toBe(4);
      expect(refused.stderr).toContain('la base de données elle-même');
    }
    expect(sandbox.json(['partners']).partners).toHaveLength(30);
    const file = join(sandbox.dir, 'sauvegarde.json');
    expect(sandbox.run(['export', '--out', file]).status).toBe(0);
    writeFileSync(file, 'ancienne sauvegarde');
    const asked = sandbox.run(['export', '--out', file]);
    expect(asked.status).toBe(4);
    expect(asked.stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('ancienne sauvegarde');
    expect(sandbox.run(['export', '--out', file, '--force']).status).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).format).toBe('cafsup/dataset');
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });
});

/** `cafsup ARGS` without blocking this process: the server under test answers from it. */
function runAsync(
  sandbox: CliSandbox,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CAFSUP_BIN, ...args], { env: sandbox.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/**
 * `cafsup ARGS` on a terminal (`script` gives it one): `keys` are typed at its first « (o/n) »
 * question. Its whole output, and its exit code.
 */
async function answerOnTerminal(
  sandbox: CliSandbox,
  args: string[],
  env: Record<string, string | undefined>,
  keys: string,
): Promise<{ output: string; code: number | null }> {
  const command = [process.execPath, CAFSUP_BIN, ...args].map((word) => `'${word}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: sandbox.env({ ...env, COLUMNS: '80', LINES: '24' }) });
  let output = '';
  let answered = false;
  // The child may be gone when its last output arrives: nothing more is written to it then.
  child.stdin.on('error', () => undefined);
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (!answered && output.includes('(o/n)')) {
      answered = true;
      child.stdin.write(keys);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { output, code };
}

describe('a server with CAFSUP_URL and CAFSUP_TOKEN, through the proxy of the environment', () => {
  const server = new TestServer();
  const sandbox = new CliSandbox();
  const tunnels: string[] = [];
  const proxy = createServer((_request, response) => response.writeHead(405).end());
  // An HTTP proxy as a Caf's network has one: CONNECT host:port, then the bytes both ways.
  proxy.on('connect', (request, client, head) => {
    tunnels.push(request.url ?? '');
    const [host, port] = (request.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  let auditor = '';
  let supervisor = '';
  let proxyUrl = '';

  beforeAll(async () => {
    await server.seed(dataset({ cafs: [caf()], partners: [partner('p1')], conventions: [convention('p1')], users: [user('p1-u1', 'p1')] }), ACTOR);
    auditor = await server.token({ name: 'Inès Perrin', email: 'ines.perrin@caf78.fr' }, 'auditor', ['*']);
    supervisor = await server.token({ name: 'Jules Bernard', email: 'jules.bernard@caf78.fr' }, 'supervisor', ['*']);
    await server.start();
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await server.stop();
    proxy.close();
    sandbox.cleanup();
  });

  it('reads as the token’s owner without a saved profile, refuses its writes, and goes through HTTP_PROXY', async () => {
    const env = { CAFSUP_DB: undefined, CAFSUP_URL: server.baseUrl, CAFSUP_TOKEN: auditor, HTTP_PROXY: proxyUrl, NO_PROXY: '' };
    const who = await runAsync(sandbox, ['whoami', '--json', '--actor', 'Quelqu’un <autre@caf78.fr>'], env);
    expect(who.status, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({
      source: { kind: 'http', location: server.baseUrl, profile: null, chosenBy: 'CAFSUP_URL' },
      actor: { name: 'Inès Perrin', email: 'ines.perrin@caf78.fr' },
      actorChosenBy: 'jeton',
      role: 'auditor',
    });
    expect(tunnels).toContain(new URL(server.baseUrl).host);
    const users = await runAsync(sandbox, ['users', 'p1', '--quiet'], env);
    expect(users).toMatchObject({ status: 0, stdout: 'p1-u1\n' });
    const write = await runAsync(sandbox, ['suspend', '--user', 'p1-u1', '--reason', 'Contrôle de routine', '--yes'], env);
    expect(write.status).toBe(4);
    // A supervisor's token writes without an actor set on this machine, in its owner's name even when one is.
    for (const [action, actor] of [
      ['suspend', undefined],
      ['reinstate', 'Faux Nom <faux@caf78.fr>'],
    ] as const) {
      const written = await runAsync(sandbox, [action, '--user', 'p1-u1', '--reason', 'Contrôle de routine', '--yes', '--json'], {
        ...env,
        CAFSUP_TOKEN: supervisor,
        CAFSUP_ACTOR: actor,
      });
      expect(written.status, written.stderr).toBe(0);
      const { changed } = JSON.parse(written.stdout) as { changed: { traceId: number }[] };
      const trace = (await server.client(supervisor).traces.list({ limit: 500 })).items.find((item) => item.id === changed[0]!.traceId);
      expect(trace?.actor).toEqual({ name: 'Jules Bernard', email: 'jules.bernard@caf78.fr' });
    }
    // --profile (a flag) beats CAFSUP_URL (the environment).
    expect((await runAsync(sandbox, ['whoami', '--profile', 'absent'], env)).stderr).toContain('Profil inconnu : « absent » (--profile)');
  });

  it('asks on a terminal in the name of the token’s owner, whatever CAFSUP_ACTOR says', async () => {
    const env = { CAFSUP_DB: undefined, CAFSUP_URL: server.baseUrl, CAFSUP_TOKEN: supervisor, CAFSUP_ACTOR: 'Faux Nom <faux@caf78.fr>' };
    const { output, code } = await answerOnTerminal(sandbox, ['suspend', '--user', 'p1-u1', '--reason', 'Contrôle de routine'], env, 'n\r');
    expect(output).toContain('Appliquer ces modifications au nom de Jules Bernard <jules.bernard@caf78.fr> ? (o/n)');
    expect(output).not.toContain('Faux Nom');
    // Declined: nothing written (exit 4).
    expect(code).toBe(4);
  });
});
