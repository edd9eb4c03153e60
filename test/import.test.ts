import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, makeStoreAside, putStoreInPlace } from '@cafsup/sdk';
import { describeDecisionChange, type DecisionChange, type TracesListInput } from '@cafsup/shared';
import { ACTOR, caf, convention, dataset, deputy, habilitation, partner, review, user } from './support/fixture.js';
import { openClient, refusalOf, type TestClient } from './support/client.js';
import { ENGINES } from './support/postgres.js';

let opened: TestClient[] = [];
afterEach(async () => {
  await Promise.all(opened.map((entry) => entry.cleanup()));
  opened = [];
});

async function fresh(data?: Record<string, unknown>): Promise<TestClient> {
  const test = await openClient(data === undefined ? {} : { dataset: data });
  opened.push(test);
  return test;
}

/** A document using every kind of entity and field, including optional ones. */
const full = () =>
  dataset({
    cafs: [
      caf({
        address: '7 rue des Étangs Gobert, 78011 Versailles Cedex',
        serviceDesk: { email: 'centre.services@caf78.fr', phone: '01 00 00 00 00', hours: '8h30-17h00', answerWithinWorkingDays: 2 },
        escalation: [{ order: 1, side: 'caf', name: 'Camille Roux', function: 'Coordinatrice MCP', email: 'camille.roux@caf78.fr', phone: null }],
      }),
    ],
    partners: [
      partner('amp', {
        name: "Métropole d'Aix-Marseille-Provence",
        kind: 'epci',
        siret: '20005480700017',
        departements: ['13', '83', '84'],
        address: 'Le Pharo',
        missions: ['fsl'],
      }),
    ],
    conventions: [
      convention('amp', {
        number: '2023/M/2907',
        signedAt: '2023-03-21',
        tacitRenewal: true,
        termination: { kind: 'breach', noticeReceivedAt: '2026-01-10', remediedAt: '2026-01-20' },
        serviceDesk: {
          email: 'mcp-national@caf78.caf.fr',
          phone: null,
          days: 'du lundi au vendredi',
          hours: '8h30-17h00',
          answerWithinWorkingDays: null,
          escalateAfterDays: 30,
        },
        escalation: [
          { order: 1, side: 'caf', name: 'Camille Roux', function: 'Coordinatrice MCP', email: 'camille.roux@caf78.fr', phone: null },
          { order: 1, side: 'partner', name: 'Alex Martin', function: 'Responsable FSL', email: 'alex.martin@amp.fr', phone: '04 00 00 00 00' },
        ],
        subscriptions: [{ service: 'CDAP', availableFrom: '2023-03-21', quotas: [{ profile: 'T13', maxUsers: 20, departements: ['13', '83', '84'] }] }],
        contacts: [
          { side: 'partner', role: 'administrator', order: 1, name: 'Alex Martin', function: 'Responsable FSL', email: 'alex.martin@amp.fr', phone: null },
        ],
        avenants: [
          {
            number: 1,
            title: 'Avenant 1 : nouvelle adresse du centre de services',
            signedByCafAt: '2025-01-08',
            signedByPartnerAt: '2025-01-15',
            effectiveAt: null,
            changes: [
              { type: 'setQuota', service: 'CDAP', profile: 'T13', maxUsers: 20, departements: ['13', '83', '84'] },
              { type: 'setServiceDesk', serviceDesk: { email: 'mcp-national@caf78.caf.fr', phone: null, hours: '8h30-17h00', answerWithinWorkingDays: null } },
              { type: 'setEscalation', escalation: [{ order: 1, side: 'partner', name: 'Alex Martin', function: null, email: null, phone: null }] },
              { type: 'note', text: 'Adresse' },
            ],
          },
        ],
      }),
    ],
    users: [
      deputy('amp'),
      user('amp-u001', 'amp', { function: 'Instructeur', missionEndAt: '2027-01-31', departement: '13' }),
      user('amp-u002', 'amp'),
      user('amp-u003', 'amp', { status: 'disabled', disabledAt: '2026-05-04T16:00:00+02:00' }),
    ],
    groups: [{ id: 'amp-g01', partnerId: 'amp', name: 'Instructeurs FSL', memberIds: ['amp-u002', 'amp-u001'] }],
    habilitations: [
      habilitation('amp-h0001', 'amp', { userId: 'amp-u001' }, { profile: 'T13', departement: '13', endsAt: '2027-01-31' }),
      habilitation('amp-h0002', 'amp', { groupId: 'amp-g01' }, { profile: 'T13', status: 'suspended', suspendedAt: '2026-11-01T10:00:00+01:00' }),
      habilitation('amp-h0003', 'amp', { userId: 'amp-u002' }, { profile: 'T13', status: 'revoked', revokedAt: '2026-10-01T10:00:00Z' }),
    ],
    reviews: [review('amp', '2025-06-30')],
  });

describe('export and import', () => {
  it('gives back the document it was given: import(export(x)) = x', async () => {
    const first = await fresh(full());
    const exported = await first.client.dataset.export();
    const input = full();
    expect((exported.partners as unknown[])[0]).toEqual((input.partners as Record<string, unknown>[])[0]);
    expect(exported.habilitations).toEqual(
      (input.habilitations as Record<string, unknown>[]).map((h) => ({
        userId: null,
        groupId: null,
        departement: null,
        suspendedAt: null,
        revokedAt: null,
        endsAt: null,
        ...h,
      })),
    );
    expect(exported.groups).toEqual(input.groups);
    expect((exported.users as Record<string, unknown>[]).map((u) => [u.id, u.disabledAt])).toEqual([
      ['amp-deputy', null],
      ['amp-u001', null],
      ['amp-u002', null],
      ['amp-u003', '2026-05-04T16:00:00+02:00'],
    ]);
    const [exportedConvention] = exported.conventions as Record<string, unknown>[];
    const [inputConvention] = input.conventions as Record<string, unknown>[];
    expect([exportedConvention!.serviceDesk, exportedConvention!.escalation, exportedConvention!.avenants]).toEqual([
      inputConvention!.serviceDesk,
      inputConvention!.escalation,
      inputConvention!.avenants,
    ]);
    expect(exported.cafs).toEqual(input.cafs);
    const second = await fresh(exported);
    expect(await second.client.dataset.export()).toEqual(exported);
  });

  // What `cafsup import` does into a new file (made-aside.ts): the store built aside with its
  // journal in memory and unsynced commits, then put in place in WAL mode, synced, under its name.
  it('builds a new store aside for its import alone, then puts it in place in WAL mode, its new folders and all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cafsup-aside-'));
    try {
      const location = join(dir, 'nouveau', 'dossier', 'base.db');
      const made = makeStoreAside(location, location);
      expect(made.madeFolder).toBe(join(dir, 'nouveau'));
      // Unsynced, only the file made aside here: another one, or a PostgreSQL URL (its password never said), is refused.
      for (const database of [join(dir, 'autre.db'), 'postgres://alice:s3cr3t@db.example/cafsup']) {
        const refused = await refusalOf(createClient({ database, actor: ACTOR, create: 'made-aside' }).partners.list());
        expect([refused.code, refused.message.includes('s3cr3t'), existsSync(join(dir, 'autre.db'))]).toEqual(['INTERNAL', false, false]);
      }
      const client = createClient({ database: made.file, actor: ACTOR, create: 'made-aside' });
      // Its import alone: a read, or an export's second connection, would hold up the import's writes.
      for (const call of [client.partners.list(), client.dataset.export()]) expect((await refusalOf(call)).code).toBe('CONFLICT');
      await client.dataset.import(full());
      // Rollback mode (header byte 18: 1), no journal on disk beside it.
      const header = readFileSync(made.file).subarray(0, 100);
      expect([header[18], existsSync(`${made.file}-wal`), existsSync(`${made.file}-journal`)]).toEqual([1, false, false]);
      await client.close();
      await putStoreInPlace(made, location, location);
      expect(readdirSync(join(dir, 'nouveau', 'dossier'))).toEqual(['base.db']);
      const placed = new Database(location, { readonly: true });
      expect([placed.pragma('journal_mode', { simple: true }), placed.pragma('integrity_check', { simple: true })]).toEqual(['wal', 'ok']);
      placed.close();
      const reader = createClient({ database: location, create: false });
      expect(await reader.dataset.export()).toEqual(await (await fresh(full())).client.dataset.export());
      await reader.close();
      // Put in place, its hidden name opens unsynced no more.
      expect((await refusalOf(createClient({ database: made.file, actor: ACTOR, create: 'made-aside' }).partners.list())).code).toBe('INTERNAL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('migrates a file of schema 7 to the leaner indexes of habilitations, the kept places, folded search keys and import changes, with the same answers', async () => {
    const test = await fresh(full());
    const asOf = '2026-11-22';
    const before = { exported: await test.client.dataset.export(), audit: await test.client.audit.run({ asOf }) };
    await test.client.close();
    // The file as schema 7 left it: the three indexes that migration 8 replaced by one; and
    // nothing kept of the audit, so that it runs again over the new index, in the table that
    // migration 9 renamed.
    const db = new Database(test.database);
    db.exec(`
      DROP INDEX habilitations_held_granted;
      CREATE INDEX habilitations_held ON habilitations (partner_id, service, profile, departement) WHERE status <> 'revoked';
      CREATE INDEX habilitations_revoked ON habilitations (revoked_day) WHERE status = 'revoked';
      CREATE INDEX habilitations_granted ON habilitations (partner_id, granted_ms) WHERE status <> 'revoked';
      DELETE FROM partner_kept;
      ALTER TABLE partner_kept RENAME TO partner_cache;
      UPDATE partners SET search_key = 'amp métropole d’aix-marseille' WHERE id = 'amp';
      DROP TABLE import_changes;
      PRAGMA user_version = 7;
    `);
    db.close();

    const client = createClient({ database: test.database, actor: ACTOR, now: () => new Date('2026-11-22T10:00:00Z') });
    try {
      expect({ exported: await client.dataset.export(), audit: await client.audit.run({ asOf }) }).toEqual(before);
      // A search key written before apostrophes were folded (migration 10) is found with either.
      for (const search of ["d'aix", 'd’aix'])
        expect(
          (await client.partners.list({ search })).items.map((p) => p.id),
          search,
        ).toEqual(['amp']);
    } finally {
      await client.close();
    }
    const migrated = new Database(test.database, { readonly: true });
    const indexes = migrated
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'habilitations' AND sql IS NOT NULL ORDER BY name")
      .pluck()
      .all();
    // What is kept is kept under the new name; the statement by which a cafsup of schema 8
    // forgot a partner (which knew no places) fails instead of leaving them stale.
    expect(migrated.prepare('SELECT COUNT(*) FROM partner_kept').pluck().get()).toBeGreaterThan(0);
    expect(() => migrated.prepare("DELETE FROM partner_cache WHERE aspect IN ('counts', 'flags', 'quotas', 'summary') AND partner_id = ?")).toThrow(
      /no such table: partner_cache/,
    );
    // Migration 11: where imports file the decisions they change.
    expect(migrated.prepare('SELECT COUNT(*) FROM import_changes').pluck().get()).toBe(0);
    migrated.close();
    expect(indexes).toEqual([
      'habilitations_ends',
      'habilitations_group',
      'habilitations_held_granted',
      'habilitations_partner',
      'habilitations_suspended',
      'habilitations_user',
    ]);
  });

  it('still imports a file written before the contract’s desk, ladder sides, disabledAt and endsAt existed', async () => {
    const old = dataset({
      cafs: [
        caf({
          serviceDesk: { email: 'desk@caf78.fr', phone: null, hours: null, answerWithinWorkingDays: null },
          escalation: [{ order: 1, name: 'Coordinatrice', function: null, email: null, phone: null }],
        }),
      ],
      partners: [partner('p')],
      conventions: [convention('p')],
      users: [user('u1', 'p', { status: 'disabled' })],
      habilitations: [habilitation('h1', 'p', { userId: 'u1' })],
    });
    const exported = await (await fresh(old)).client.dataset.export();
    expect((exported.cafs as Record<string, unknown>[])[0]!.escalation).toEqual([
      { order: 1, side: 'caf', name: 'Coordinatrice', function: null, email: null, phone: null },
    ]);
    expect((exported.conventions as Record<string, unknown>[])[0]).toMatchObject({ serviceDesk: null, escalation: null });
    expect((exported.users as Record<string, unknown>[])[0]).toMatchObject({ disabledAt: null });
    expect((exported.habilitations as Record<string, unknown>[])[0]).toMatchObject({ endsAt: null });
  });

  it('reads a document cut into chunks of any size, even one byte', async () => {
    const text = JSON.stringify(full(), null, 2);
    const reference = await (await fresh(full())).client.dataset.export();
    for (const size of [1, 2, 3, 7, 64, 4096]) {
      const bytes = Buffer.from(text);
      const chunks = async function* () {
        for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
      };
      const test = await fresh();
      await test.client.dataset.import(chunks());
      expect(await test.client.dataset.export()).toEqual(reference);
    }
  });

  it('replaces entities by id and keeps the others, leaving one trace with what it added, replaced and changed of a decision', async () => {
    const test = await fresh(full());
    // amp-u003 was disabled: the file makes them active again.
    const result = await test.client.dataset.import(dataset({ users: [user('amp-u002', 'amp', { name: 'Nouveau nom' }), user('amp-u003', 'amp')] }));
    const none = { cafs: 0, partners: 0, conventions: 0, users: 0, groups: 0, habilitations: 0, reviews: 0 };
    const changes = {
      counts: { ...none, cafs: 1, users: 2 },
      replaced: { ...none, cafs: 1, users: 2 },
      decisionChanges: [{ section: 'users', id: 'amp-u003', partnerId: 'amp', field: 'status', from: 'disabled', to: 'active' }],
      decisionChangesTotal: 1,
    };
    expect(result).toEqual({ dryRun: false, ...changes, traceId: expect.any(Number) });
    expect((await test.client.users.get('amp-u002')).name).toBe('Nouveau nom');
    expect((await test.client.users.list({ partnerId: 'amp' })).items.map((u) => u.id)).toEqual(['amp-deputy', 'amp-u001', 'amp-u002', 'amp-u003']);
    const imports = (await test.client.traces.list({ action: 'dataset.import' })).items;
    expect(imports.map((trace) => trace.details)).toEqual([
      // The changes' digest is kept in the trace only, where `traces verify` checks the rows against it.
      { ...changes, decisionChangesDigest: expect.stringMatching(/^[0-9a-f]{64}$/) },
      {
        counts: { cafs: 1, partners: 1, conventions: 1, users: 4, groups: 1, habilitations: 3, reviews: 1 },
        replaced: none,
        decisionChanges: [],
        decisionChangesTotal: 0,
      },
    ]);
  });

  it('writes nothing on a dry run', async () => {
    const test = await fresh();
    const result = await test.client.dataset.import(full(), { dryRun: true });
    expect([result.dryRun, result.traceId, result.counts.habilitations]).toEqual([true, null, 3]);
    expect((await test.client.partners.list()).items).toEqual([]);
  });
});

describe.each(ENGINES)('habilitations imported again, on %s', (_engine, database) => {
  // The file's rows go in by batch, then the ids already taken are read back: a stored
  // habilitation is replaced, a second use of an id in the file is named, wherever each falls.
  it('replaces the stored habilitations a file names again, and names an id the file uses twice', async () => {
    const test = await openClient({ dataset: full(), database: await database() });
    opened.push(test);
    const before = await test.client.dataset.export();
    const again = (...rows: Record<string, unknown>[]) => dataset({ partners: [], habilitations: rows });
    const replaced = habilitation('amp-h0001', 'amp', { userId: 'amp-u002' }, { profile: 'T14' });
    const added = habilitation('amp-h0009', 'amp', { groupId: 'amp-g01' });

    // An element refused for itself ends the batch: the second uses of the ids come in the next one.
    const refused = habilitation('amp-h0008', 'amp', { userId: 'amp-u001' }, { profile: 'T3' });
    const error = await refusalOf(
      test.client.dataset.import(
        again(replaced, added, refused, { ...replaced, profile: 'T15' }, added, habilitation('amp-h0003', 'amp', { userId: 'amp-u001' })),
      ),
    );
    expect(error.details.problems).toEqual([
      { path: 'habilitations[2].profile', message: 'profil « T3 » absent du catalogue Cdap (T1–T22 sauf T3, T7, T17)' },
      { path: 'habilitations[3].id', message: 'identifiant d’habilitation « amp-h0001 » en double (déjà en habilitations[0])' },
      { path: 'habilitations[4].id', message: 'identifiant d’habilitation « amp-h0009 » en double (déjà en habilitations[1])' },
    ]);
    expect(await test.client.dataset.export()).toEqual(before);
    // A stored id used twice in one batch: replaced once, then named.
    expect((await refusalOf(test.client.dataset.import(again(replaced, { ...replaced, profile: 'T15' })))).details.problems).toEqual([
      { path: 'habilitations[1].id', message: 'identifiant d’habilitation « amp-h0001 » en double (déjà en habilitations[0])' },
    ]);
    expect(await test.client.dataset.export()).toEqual(before);

    // amp-h0003 was revoked: the file makes it active again, which the answer names.
    const result = await test.client.dataset.import(again(replaced, added, habilitation('amp-h0003', 'amp', { userId: 'amp-u001' }, { profile: 'T2' })));
    expect([result.counts.habilitations, result.replaced.habilitations, result.decisionChangesTotal]).toEqual([3, 2, 7]);
    // Given to another, another profile, no département, no end (trial 22, F2).
    const decision = (id: string, field: string, from: string | null, to: string | null) => ({
      section: 'habilitations',
      id,
      partnerId: 'amp',
      field,
      from,
      to,
    });
    expect(result.decisionChanges).toEqual([
      decision('amp-h0001', 'holder', 'amp-u001', 'amp-u002'),
      decision('amp-h0001', 'profile', 'T13', 'T14'),
      decision('amp-h0001', 'departement', '13', null),
      decision('amp-h0001', 'endsAt', '2027-01-31', null),
      decision('amp-h0003', 'status', 'revoked', 'active'),
      decision('amp-h0003', 'holder', 'amp-u002', 'amp-u001'),
      decision('amp-h0003', 'profile', 'T13', 'T2'),
    ]);
    // The former holder's trail has the import that took the habilitation away; their extract
    // does not name who holds it now (review 22, M6).
    expect((await test.client.traces.list({ userId: 'amp-u001', limit: 1 })).items[0]!.id).toBe(result.traceId);
    const { extract } = await test.client.traces.forPerson({ userId: 'amp-u001', requestedBy: 'Agent 1' });
    const own = (extract.traces.find((trace) => trace.id === result.traceId)!.details as { decisionChanges: unknown[] }).decisionChanges;
    expect(own).toContainEqual(decision('amp-h0001', 'holder', 'amp-u001', '(autre titulaire)'));
    expect(JSON.stringify(own)).not.toContain('amp-u002');
    // A stored group without members is compared too: the members a file gives it are added (review 22, M1).
    await test.client.dataset.import(dataset({ partners: [], groups: [{ id: 'amp-g09', partnerId: 'amp', name: 'Vide', memberIds: [] }] }));
    const filled = await test.client.dataset.import(
      dataset({ partners: [], groups: [{ id: 'amp-g09', partnerId: 'amp', name: 'Vide', memberIds: ['amp-u001'] }] }),
    );
    expect(filled.decisionChanges).toEqual([{ section: 'groups', id: 'amp-g09', partnerId: 'amp', field: 'member', from: null, to: 'amp-u001' }]);
    const stored = (await test.client.dataset.export()).habilitations as Record<string, unknown>[];
    expect(stored.map((row) => [row.id, row.userId ?? row.groupId, row.profile, row.status])).toEqual([
      ['amp-h0001', 'amp-u002', 'T14', 'active'],
      ['amp-h0002', 'amp-g01', 'T13', 'suspended'],
      ['amp-h0003', 'amp-u001', 'T2', 'active'],
      ['amp-h0009', 'amp-g01', 'T1', 'active'],
    ]);
  });

  // Trial 21 (F3): a role, a forced password change, a mission's end or an avenant in force are
  // decisions of a suspension's weight, and an older file rewrites them as silently.
  it('names every decision about a stored user, convention, group or avenant that the file changes', async () => {
    const stored = full();
    const storedConvention = (stored.conventions as { avenants: Record<string, unknown>[] }[])[0]!;
    const [signed] = storedConvention.avenants;
    const draft = { number: 2, title: 'Avenant 2', signedByCafAt: null, signedByPartnerAt: null, effectiveAt: null, changes: [] };
    storedConvention.avenants.push(draft);
    const test = await openClient({ dataset: stored, database: await database() });
    opened.push(test);
    // amp-u001: given the deputy's role, made to change their password, their mission's end gone,
    // out of amp-g01. The convention centralised; avenant 1 loses the partner's signature,
    // avenant 2, a draft, stays, avenant 3, signed, is only in the file (trial 22, F2).
    const file = dataset({
      partners: [],
      conventions: [
        {
          ...storedConvention,
          managementMode: 'centralised',
          avenants: [{ ...signed, signedByPartnerAt: null }, draft, { ...signed, number: 3, title: 'Avenant 3' }],
        },
      ],
      users: [user('amp-u001', 'amp', { function: 'Instructeur', departement: '13', role: 'deputy', mustChangePassword: true })],
      groups: [{ id: 'amp-g01', partnerId: 'amp', name: 'Instructeurs FSL', memberIds: ['amp-u002'] }],
    });
    const user1 = { section: 'users', id: 'amp-u001', partnerId: 'amp' };
    const avenant = { section: 'avenants', id: 'amp', partnerId: 'amp', field: 'signing', from: 'signed' };
    const expected = [
      { section: 'conventions', id: 'amp', partnerId: 'amp', field: 'managementMode', from: 'delegated', to: 'centralised' },
      { ...avenant, number: 3, from: 'absent', to: 'signed' },
      { ...avenant, number: 1, to: 'signedByCaf' },
      { ...user1, field: 'role', from: 'user', to: 'deputy' },
      { ...user1, field: 'mustChangePassword', from: false, to: true },
      { ...user1, field: 'missionEndAt', from: '2027-01-31', to: null },
      { section: 'groups', id: 'amp-g01', partnerId: 'amp', field: 'member', from: 'amp-u001', to: null },
    ];
    const dry = await test.client.dataset.import(file, { dryRun: true });
    expect([dry.decisionChanges, dry.decisionChangesTotal]).toEqual([expected, 7]);
    const result = await test.client.dataset.import(file);
    expect(result.decisionChanges).toEqual(expected);
    expect((await test.client.traces.list({ action: 'dataset.import', limit: 1 })).items[0]!.details).toMatchObject({
      decisionChanges: expected,
      decisionChangesTotal: 7,
    });
    // Each in the words of the summary and the extract.
    expect(expected.map((change) => describeDecisionChange(change as DecisionChange))).toEqual([
      'convention (amp) : mode de gestion délégué → centralisé',
      'avenant n° 3 (amp) : ajouté, signé des deux parties',
      'avenant n° 1 (amp) : signé des deux parties → signé par la Caf seule',
      'utilisateur amp-u001 (amp) : rôle utilisateur → suppléant',
      'utilisateur amp-u001 (amp) : changement de mot de passe non exigé → exigé',
      'utilisateur amp-u001 (amp) : fin de mission 31 janvier 2027 → aucune',
      'groupe amp-g01 (amp) : membre amp-u001 retiré',
    ]);
    // The person's extract has their changes, their group's among them; the same file again changes nothing more.
    const { extract } = await test.client.traces.forPerson({ userId: 'amp-u001', requestedBy: 'Agent 1' });
    expect((extract.traces.find((trace) => trace.id === result.traceId)!.details as { decisionChanges: unknown[] }).decisionChanges).toEqual(
      expected.filter((change) => change.section === 'users' || change.section === 'groups'),
    );
    expect((await test.client.dataset.import(file)).decisionChanges).toEqual([]);
  });

  // Trial 21 (F2): the import's one trace is about the dataset, and was missing from the trail
  // of each user and partner whose decisions it changed, and from a person's extract.
  it('puts an import in the trail of each user and partner whose decisions it changed, and in their extracts with their own changes only', async () => {
    const test = await openClient({ dataset: full(), database: await database() });
    opened.push(test);
    await test.client.habilitations.suspend(['amp-h0001'], { reason: 'Quota T13 dépassé' });
    // The older file gives amp-h0001 (amp-u001's) back and changes amp-u002's role.
    const result = await test.client.dataset.import(
      dataset({
        partners: [],
        users: [user('amp-u002', 'amp', { role: 'deputy' })],
        habilitations: [habilitation('amp-h0001', 'amp', { userId: 'amp-u001' }, { profile: 'T13', departement: '13', endsAt: '2027-01-31' })],
      }),
    );
    const ownChange = { section: 'habilitations', id: 'amp-h0001', partnerId: 'amp', field: 'status', from: 'suspended', to: 'active' };
    expect(result.decisionChanges).toEqual([{ section: 'users', id: 'amp-u002', partnerId: 'amp', field: 'role', from: 'user', to: 'deputy' }, ownChange]);
    const actions = async (query: TracesListInput) => (await test.client.traces.list(query)).items.map((trace) => [trace.id, trace.action]);
    const imported = [result.traceId, 'dataset.import'];
    expect(await actions({ userId: 'amp-u001' })).toEqual([imported, [result.traceId! - 1, 'habilitation.suspend']]);
    expect(await actions({ userId: 'amp-u002' })).toEqual([imported]);
    // amp-u003's decisions did not change; another partner's trail has no import of amp's.
    expect(await actions({ userId: 'amp-u003' })).toEqual([]);
    expect((await actions({ partnerId: 'amp' }))[0]).toEqual(imported);
    await test.client.dataset.import(dataset({ cafs: [], partners: [partner('other')], conventions: [convention('other')] }));
    expect(await actions({ partnerId: 'other' })).toEqual([]);

    const { extract, markdown } = await test.client.traces.forPerson({ userId: 'amp-u001', requestedBy: 'Agent 1' });
    const inExtract = extract.traces.find((trace) => trace.action === 'dataset.import')!;
    expect(inExtract.details).toEqual({ decisionChanges: [ownChange], masked: expect.stringContaining('concernent la personne') });
    // Without the hashes of the whole trace, which would confirm a guess about the others' changes (trial 22, F6).
    expect([inExtract.hash, inExtract.prevHash]).toEqual([null, null]);
    // Nor does the trace before it, whose hash is the import's previous one; its own previous hash stays.
    const suspension = extract.traces.find((trace) => trace.id === inExtract.id - 1)!;
    expect([suspension.action, suspension.hash, suspension.prevHash]).toEqual(['habilitation.suspend', null, expect.stringMatching(/^[0-9a-f]{64}$/)]);
    // Nor anywhere else: their group is given without its other members (trial 22, F11).
    expect(JSON.stringify(extract)).not.toContain('amp-u002');
    expect(extract.groups).toEqual([{ id: 'amp-g01', partnerId: 'amp', name: 'Instructeurs FSL', memberIds: ['amp-u001'] }]);
    expect(markdown).toContain('| import de données | habilitation amp-h0001 (amp) : statut suspendue → active |');
  });

  // Trial 22 (F1): the trace lists the first thousand changes; the trails find an import through all of them.
  it('puts an import in the trail of a user whose change comes past the thousandth the trace lists', async () => {
    const users = (status: string) => Array.from({ length: 1002 }, (_, i) => user(`p-u${String(i).padStart(4, '0')}`, 'p', { status }));
    const test = await openClient({
      dataset: dataset({ partners: [partner('p')], conventions: [convention('p')], users: users('active') }),
      database: await database(),
    });
    opened.push(test);
    const result = await test.client.dataset.import(dataset({ partners: [], users: users('suspended') }));
    expect([result.decisionChanges.length, result.decisionChangesTotal]).toEqual([1000, 1002]);
    // The digest of the changes, in the trace, is the one of the rows read back on this engine.
    expect(await test.client.traces.verify()).toMatchObject({ ok: true, firstBrokenId: null });
    const last = 'p-u1001';
    expect(result.decisionChanges.some((change) => change.id === last)).toBe(false);
    expect((await test.client.traces.list({ userId: last })).items.map((trace) => trace.id)).toEqual([result.traceId]);
    expect((await test.client.traces.list({ partnerId: 'p', limit: 1 })).items.map((trace) => trace.id)).toEqual([result.traceId]);
    const { extract } = await test.client.traces.forPerson({ userId: last, requestedBy: 'Agent 1001' });
    expect(extract.traces.find((trace) => trace.id === result.traceId)?.details).toMatchObject({
      decisionChanges: [{ section: 'users', id: last, partnerId: 'p', field: 'status', from: 'active', to: 'suspended' }],
    });
  });

  // Trial 22 (F5): references belong to one partner; a user moved by a file kept the former's rights, and the export no longer imported.
  it('refuses to move a stored user to another partner with what they hold of the former, and moves them with it', async () => {
    const stored = full();
    (stored.partners as unknown[]).push(partner('autre'));
    (stored.conventions as unknown[]).push(convention('autre'));
    const test = await openClient({ dataset: stored, database: await database() });
    opened.push(test);
    const before = await test.client.dataset.export();
    const moved = user('amp-u001', 'autre', { function: 'Instructeur', missionEndAt: '2027-01-31', departement: '13' });
    const refusal = await refusalOf(test.client.dataset.import(dataset({ partners: [], users: [moved] })));
    expect(refusal.details.problems).toEqual([
      {
        path: 'users[0].partnerId',
        message:
          'l’utilisateur « amp-u001 » changerait de partenaire en gardant l’habilitation « amp-h0001 » de « amp » : le fichier doit aussi la donner à un autre titulaire',
      },
      {
        path: 'users[0].partnerId',
        message:
          'l’utilisateur « amp-u001 » changerait de partenaire en gardant sa place dans le groupe « amp-g01 » de « amp » : le fichier doit aussi l’en retirer',
      },
    ]);
    expect(await test.client.dataset.export()).toEqual(before);
    // With the habilitation given to another and the group without them, the move is made, and its export imports.
    const result = await test.client.dataset.import(
      dataset({
        partners: [],
        users: [moved],
        groups: [{ id: 'amp-g01', partnerId: 'amp', name: 'Instructeurs FSL', memberIds: ['amp-u002'] }],
        habilitations: [habilitation('amp-h0001', 'amp', { userId: 'amp-u002' }, { profile: 'T13', departement: '13', endsAt: '2027-01-31' })],
      }),
    );
    expect(result.decisionChanges).toContainEqual({ section: 'users', id: 'amp-u001', partnerId: 'autre', field: 'partnerId', from: 'amp', to: 'autre' });
    expect((await test.client.traces.list({ partnerId: 'amp', limit: 1 })).items[0]!.id).toBe(result.traceId);
    // A group likewise (review 22, M4): its habilitation is amp's (its members, the file's, are checked as any reference).
    const group = { id: 'amp-g01', partnerId: 'autre', name: 'Instructeurs FSL', memberIds: ['amp-u002'] };
    const groupRefusal = await refusalOf(test.client.dataset.import(dataset({ partners: [], groups: [group] })));
    expect(groupRefusal.details.problems).toEqual([
      { path: 'groups[0].memberIds[0]', message: 'l’utilisateur « amp-u002 » appartient au partenaire « amp », pas à « autre »' },
      {
        path: 'groups[0].partnerId',
        message:
          'le groupe « amp-g01 » changerait de partenaire en gardant l’habilitation « amp-h0002 » de « amp » : le fichier doit aussi la donner à un autre titulaire',
      },
    ]);
    const regrouped = await test.client.dataset.import(
      dataset({
        partners: [],
        groups: [{ ...group, memberIds: [] }],
        habilitations: [
          habilitation('amp-h0002', 'amp', { userId: 'amp-u002' }, { profile: 'T13', status: 'suspended', suspendedAt: '2026-11-01T10:00:00+01:00' }),
        ],
      }),
    );
    expect(regrouped.decisionChanges).toEqual([
      { section: 'groups', id: 'amp-g01', partnerId: 'autre', field: 'partnerId', from: 'amp', to: 'autre' },
      { section: 'groups', id: 'amp-g01', partnerId: 'autre', field: 'member', from: 'amp-u002', to: null },
      { section: 'habilitations', id: 'amp-h0002', partnerId: 'amp', field: 'holder', from: 'amp-g01', to: 'amp-u002' },
    ]);
    const exported = await test.client.dataset.export();
    const again = await openClient({ dataset: exported, database: await database() });
    opened.push(again);
    expect(await again.client.dataset.export()).toEqual(exported);
  });

  it('names an id a file uses twice, imported into an empty database', async () => {
    const test = await openClient({ database: await database() });
    opened.push(test);
    const rows = ['amp-h0001', 'amp-h0002', 'amp-h0001', 'amp-h0003', 'amp-h0003'].map((id) => habilitation(id, 'amp', { userId: 'amp-u001' }));
    // An element refused for itself, between them, ends a batch and still claims its id. The
    // second batch's only id that may be a duplicate, amp-h0003, comes after the first batch's duplicate.
    rows.splice(4, 0, habilitation('amp-h0005', 'amp', { userId: 'amp-u001' }, { profile: 'T3' }), habilitation('amp-h0005', 'amp', { userId: 'amp-u001' }));
    const document = full();
    document.habilitations = rows;
    const error = await refusalOf(test.client.dataset.import(document));
    expect(error.details.problems).toEqual([
      { path: 'habilitations[2].id', message: 'identifiant d’habilitation « amp-h0001 » en double (déjà en habilitations[0])' },
      { path: 'habilitations[4].profile', message: 'profil « T3 » absent du catalogue Cdap (T1–T22 sauf T3, T7, T17)' },
      { path: 'habilitations[5].id', message: 'identifiant d’habilitation « amp-h0005 » en double (déjà en habilitations[4])' },
      { path: 'habilitations[6].id', message: 'identifiant d’habilitation « amp-h0003 » en double (déjà en habilitations[3])' },
    ]);
    expect((await test.client.partners.list()).items).toEqual([]);
  });
});

describe('refusals', () => {
  it('lists every problem with its JSON path and writes nothing', async () => {
    const test = await fresh(full());
    const broken = full();
    const users = broken.users as Record<string, unknown>[];
    // x3 belongs to a partner refused for problems of its own: it is not named again as unknown.
    users.push(
      user('amp-u001', 'amp'),
      user('x1', 'nobody'),
      user('x2', 'amp', { email: 'pas-une-adresse', createdAt: '2026-02-30T10:00:00Z', role: 'chef' }),
      user('x3', 'bad'),
    );
    (broken.partners as Record<string, unknown>[]).push(partner('bad', { siret: '20005480700018', cafCode: '99' }));
    (broken.habilitations as Record<string, unknown>[]).push(
      habilitation('h-both', 'amp', { userId: 'amp-u001' }, { groupId: 'amp-g01' }),
      habilitation('h-unknown', 'amp', { userId: 'ghost' }),
      habilitation('h-t3', 'amp', { userId: 'amp-u001' }, { profile: 'T3', status: 'active', revokedAt: '2026-01-01T10:00:00Z' }),
    );
    (broken.groups as Record<string, unknown>[])[0]!.memberIds = ['amp-u001', 'x1'];
    ((broken.conventions as Record<string, unknown>[])[0]!.avenants as Record<string, unknown>[])[0]!.number = 2;
    const error = await refusalOf(test.client.dataset.import(broken));
    expect(error.code).toBe('VALIDATION');
    expect(error.details.problems).toEqual([
      { path: 'partners[1].siret', message: 'SIRET invalide (14 chiffres, clé de Luhn)' },
      { path: 'partners[1].cafCode', message: 'code de département invalide (01–19, 2A, 2B, 21–95, 971–976)' },
      { path: 'conventions[0].avenants[0].number', message: "numéro d'avenant 2 inattendu : les avenants sont numérotés 1, 2, 3… sans trou (1 avenant)" },
      { path: 'users[4].id', message: 'identifiant d’utilisateur « amp-u001 » en double (déjà en users[1])' },
      { path: 'users[6].email', message: 'adresse mél invalide' },
      { path: 'users[6].role', message: expect.stringContaining('administrator') },
      { path: 'users[6].createdAt', message: 'horodatage invalide (attendu ISO-8601 avec fuseau entre 1900 et 2199, ex. 2026-03-05T23:30:00Z)' },
      { path: 'groups[0].memberIds[1]', message: 'l’utilisateur « x1 » appartient au partenaire « nobody », pas à « amp »' },
      { path: 'habilitations[3].userId', message: 'une habilitation a exactement un des champs userId et groupId' },
      { path: 'habilitations[5].profile', message: 'profil « T3 » absent du catalogue Cdap (T1–T22 sauf T3, T7, T17)' },
      { path: 'habilitations[5].revokedAt', message: 'revokedAt seulement sur une habilitation dévalidée (status revoked)' },
      { path: 'habilitations[4].userId', message: 'utilisateur « ghost » inconnu' },
      { path: 'users[5].partnerId', message: 'partenaire « nobody » inconnu' },
    ]);
    expect(await test.client.dataset.export()).toEqual(await (await fresh(full())).client.dataset.export());
    const db = new Database(test.database, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) FROM traces').pluck().get()).toBe(1);
    db.close();
  });

  it('names a user or group of the file refused for a problem of its own once, not again as unknown where it is referred to', async () => {
    const broken = full();
    // amp-u001 is a member of amp-g01 and holds amp-h0001; amp-g02 holds amp-h0004.
    (broken.users as Record<string, unknown>[])[1]!.createdAt = '2024-02-01 09:12:00Z';
    (broken.groups as Record<string, unknown>[]).push({ id: 'amp-g02', partnerId: 'amp', name: '', memberIds: ['amp-u002'] });
    (broken.habilitations as Record<string, unknown>[]).push(habilitation('amp-h0004', 'amp', { groupId: 'amp-g02' }));
    // The habilitations before the users and groups they name, too.
    const { habilitations, ...others } = broken;
    const earlier = { habilitations, ...others };
    // As bytes, as the command line reads a file, and as a document.
    for (const document of [JSON.stringify(broken), JSON.stringify(earlier), broken]) {
      const error = await refusalOf((await fresh()).client.dataset.import(document));
      expect(error.details.problems).toEqual([
        { path: 'users[1].createdAt', message: 'horodatage invalide (attendu ISO-8601 avec fuseau entre 1900 et 2199, ex. 2026-03-05T23:30:00Z)' },
        { path: 'groups[1].name', message: 'texte vide' },
      ]);
    }
  });

  it('refuses what the dataset and the text rules refuse, naming each JSON path', async () => {
    const long = 'x'.repeat(2001);
    const error = await refusalOf(
      (await fresh()).client.dataset.import(
        dataset({
          partners: [partner('p', { departements: ['20', '999', '2A', '976', '977'], name: `Mairie\u001b[31m` })],
          conventions: [
            convention('p', {
              signedAt: '1899-12-31',
              escalation: [{ order: 1, side: 'tiers', name: 'X' }],
              serviceDesk: { email: 'desk@caf78.fr', hours: long },
              avenants: [{ number: 1, title: 'Avenant \u202e1', changes: [{ type: 'note', text: long }] }],
            }),
          ],
          users: [
            user('u1', 'p', { disabledAt: '2026-01-01T10:00:00Z', departement: '20' }),
            // RFC 5321's limits: 64 characters before the @, 254 in all (one more each here).
            user('u2', 'p', { email: `${'x'.repeat(65)}@caf78.fr` }),
            user('u3', 'p', { email: `x@${'d'.repeat(250)}.fr` }),
            user('u4', 'p', { email: `${'x'.repeat(64)}@${'d'.repeat(186)}.fr` }), // 254: taken
            // 33 characters before the @, 66 octets.
            user('u5', 'p', { email: `${'é'.repeat(33)}@caf78.fr` }),
            // Looks like jean.dupont@caf78.fr: the same person's address, escaping rule 7 (trial 35).
            user('u6', 'p', { email: 'jean.du\u200bpont@caf78.fr' }),
            user('u7', 'p', { email: 'jean.du\u034fpont@caf78.fr' }),
          ],
          habilitations: [habilitation('h1', 'p', { userId: 'u1' }, { endsAt: '2200-01-01', departement: '999' })],
        }),
      ),
    );
    expect(error.details.problems).toEqual([
      { path: 'partners[0].name', message: 'caractère de contrôle ou de direction du texte interdit' },
      { path: 'partners[0].departements[0]', message: 'code de département invalide (01–19, 2A, 2B, 21–95, 971–976)' },
      { path: 'partners[0].departements[1]', message: 'code de département invalide (01–19, 2A, 2B, 21–95, 971–976)' },
      { path: 'partners[0].departements[4]', message: 'code de département invalide (01–19, 2A, 2B, 21–95, 971–976)' },
      { path: 'conventions[0].signedAt', message: 'date invalide (attendu AAAA-MM-JJ, date réelle entre 1900 et 2199)' },
      { path: 'conventions[0].serviceDesk.hours', message: 'texte trop long : 2000 caractères au plus' },
      { path: 'conventions[0].escalation[0].side', message: 'valeur inconnue (attendu : caf, partner)' },
      { path: 'conventions[0].avenants[0].title', message: 'caractère de contrôle ou de direction du texte interdit' },
      { path: 'conventions[0].avenants[0].changes[0].text', message: 'texte trop long : 2000 caractères au plus' },
      { path: 'users[0].departement', message: 'code de département invalide (01–19, 2A, 2B, 21–95, 971–976)' },
      { path: 'users[0].disabledAt', message: 'disabledAt seulement sur un utilisateur désactivé (status disabled)' },
      { path: 'users[1].email', message: 'adresse mél trop longue : 254 octets au plus, dont 64 avant l’@ (une lettre accentuée en compte deux)' },
      { path: 'users[2].email', message: 'adresse mél trop longue : 254 octets au plus, dont 64 avant l’@ (une lettre accentuée en compte deux)' },
      { path: 'users[4].email', message: 'adresse mél trop longue : 254 octets au plus, dont 64 avant l’@ (une lettre accentuée en compte deux)' },
      { path: 'users[5].email', message: 'adresse mél invalide : elle contient un caractère invisible (U+200B)' },
      { path: 'users[6].email', message: 'adresse mél invalide : elle contient un caractère invisible (U+034F)' },
      { path: 'habilitations[0].departement', message: 'code de département invalide (01–19, 2A, 2B, 21–95, 971–976)' },
      { path: 'habilitations[0].endsAt', message: 'date invalide (attendu AAAA-MM-JJ, date réelle entre 1900 et 2199)' },
    ]);
  });

  it('refuses a profile given two quotas in one service: each quota is the one of its service and profile', async () => {
    const twice = full();
    const subscription = ((twice.conventions as Record<string, unknown>[])[0]!.subscriptions as Record<string, unknown>[])[0]!;
    subscription.quotas = [...(subscription.quotas as unknown[]), { profile: 'T13', maxUsers: 1, departements: ['92'] }];
    const test = await fresh(full());
    const error = await refusalOf(test.client.dataset.import(twice));
    expect(error.details.problems).toEqual([
      { path: 'conventions[0].subscriptions[0].quotas[1].profile', message: 'profil T13 deux fois dans le service CDAP' },
    ]);
    expect(await test.client.dataset.export()).toEqual(await (await fresh(full())).client.dataset.export());
  });

  it('names a review the file gives twice by its partner, date and reviewer', async () => {
    const twice = full();
    twice.reviews = [review('amp', '2026-01-05'), review('amp', '2025-06-30'), review('amp', '2026-01-05')];
    const error = await refusalOf((await fresh()).client.dataset.import(twice));
    expect(error.details.problems).toEqual([
      { path: 'reviews[2].completedAt', message: 'revue de « amp » du 2026-01-05 par « Dominique Martin » en double (déjà en reviews[0])' },
    ]);
  });

  it('names a partner without a convention and an unknown Caf', async () => {
    const error = await refusalOf((await fresh()).client.dataset.import(dataset({ partners: [partner('p', { cafCode: '01' })] })));
    expect(error.details.problems).toEqual([
      { path: 'partners[0].cafCode', message: 'Caf « 01 » inconnue' },
      { path: 'partners[0]', message: 'aucune convention pour le partenaire « p » (une convention par partenaire)' },
    ]);
  });

  it('gives the line and column of a JSON syntax error', async () => {
    const text = '{\n  "format": "cafsup/dataset",\n  "version": 1,\n  "users": [\n    {"id": "u1",, "x": 1}\n  ]\n}';
    const error = await refusalOf((await fresh()).client.dataset.import(text));
    expect([error.code, error.message]).toEqual(['VALIDATION', 'JSON invalide ligne 5, colonne 17 : nom de champ entre guillemets attendu']);
    const truncated = await refusalOf((await fresh()).client.dataset.import('{"format": "cafsup/dataset", "users": [{"id": "u1"}'));
    expect(truncated.message).toBe('JSON invalide ligne 1, colonne 52 : fin du fichier inattendue : le document est incomplet');
    // Saved in Latin-1: « é » is one byte that is no UTF-8. It was taken, the name stored with U+FFFD (trial 35).
    const latin1 = Buffer.from('{"format": "cafsup/dataset", "version": 1,\n  "cafs": [{"code": "78", "name": "Caf des Yvelines, M\u00e9tropole"}]}', 'latin1');
    const refused = (await fresh()).client;
    const notUtf8 = await refusalOf(refused.dataset.import(latin1));
    expect([notUtf8.code, notUtf8.message]).toEqual([
      'VALIDATION',
      'JSON invalide ligne 2, colonne 55 : caractère qui n’est pas de l’UTF-8 (fichier enregistré en Latin-1 ou Windows-1252 ?) : enregistrez-le en UTF-8',
    ]);
    expect((await refused.traces.head()).id).toBe(0);
    // The same text in UTF-8, its real U+FFFD included, is taken.
    const utf8 = (await fresh()).client;
    await utf8.dataset.import(Buffer.from(latin1.toString('latin1').replace('Yvelines', 'Yvelines \ufffd'), 'utf8'));
    // A real U+FFFD before the Latin-1 byte: the column is the byte's, not the first U+FFFD's.
    const mixed = Buffer.concat([
      Buffer.from('{"format": "cafsup/dataset", "version": 1,\n  "cafs": [{"code": "78", "name": "\ufffd Caf de M', 'utf8'),
      Buffer.from([0xe9]),
      Buffer.from('"}]}'),
    ]);
    expect((await refusalOf((await fresh()).client.dataset.import(mixed))).message).toMatch(
      /^JSON invalide ligne 2, colonne 46 : caractère qui n’est pas de l’UTF-8/,
    );
  });

  it('refuses a document of another format or version', async () => {
    const error = await refusalOf((await fresh()).client.dataset.import({ format: 'autre', version: 2 }));
    expect(error.details.problems).toEqual([
      { path: 'format', message: 'format attendu : « cafsup/dataset »' },
      { path: 'version', message: 'version attendue : 1' },
    ]);
  });
});

describe('reads', () => {
  it('lists the traces about a user: the user, their habilitations direct or through a group', async () => {
    const test = await fresh(
      dataset({
        partners: [partner('p')],
        conventions: [convention('p')],
        users: [user('u1', 'p'), user('u2', 'p')],
        groups: [{ id: 'g1', partnerId: 'p', name: 'Instructeurs', memberIds: ['u1', 'u2'] }],
        habilitations: [habilitation('h1', 'p', { userId: 'u1' }), habilitation('h2', 'p', { groupId: 'g1' }), habilitation('h3', 'p', { userId: 'u2' })],
      }),
    );
    const reason = { reason: 'Contrôle de la Caf' };
    await test.client.habilitations.suspend(['h1', 'h2', 'h3'], reason);
    await test.client.users.suspend(['u1'], reason);
    await test.client.users.suspend(['u2'], reason);
    const about = async (userId: string) => (await test.client.traces.list({ userId })).items.map((trace) => trace.targetId);
    expect(await about('u1')).toEqual(['u1', 'h2', 'h1']);
    expect(await about('u2')).toEqual(['u2', 'h3', 'h2']);
  });

  it('pages partners with a keyset cursor, filters by Caf, search and mode', async () => {
    const partners = ['a', 'b', 'c', 'd', 'e'].map((id) => partner(id, { name: id === 'c' ? 'Commune d’Évry' : `Partenaire ${id}` }));
    const test = await fresh(
      dataset({
        cafs: [caf(), caf({ code: '40', name: 'Caf des Landes' })],
        partners: partners.map((p, i) => ({ ...p, cafCode: i % 2 ? '40' : '78' })),
        conventions: partners.map((p) => convention(p.id as string, { managementMode: p.id === 'd' ? 'centralised' : 'delegated' })),
      }),
    );
    const first = await test.client.partners.list({ limit: 2 });
    expect(first.items.map((p) => p.id)).toEqual(['a', 'b']);
    const rest: string[] = [];
    for await (const p of test.client.partners.iterate({ limit: 2 })) rest.push(p.id);
    expect(rest).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect((await test.client.partners.list({ cafCode: '40' })).items.map((p) => p.id)).toEqual(['b', 'd']);
    expect((await test.client.partners.list({ search: 'evry' })).items.map((p) => p.name)).toEqual(['Commune d’Évry']);
    // The keyboard's apostrophe finds the typographic one, and the other way round.
    for (const search of ["d'évry", 'D’EVRY', 'd‘evry'])
      expect(
        (await test.client.partners.list({ search })).items.map((p) => p.name),
        search,
      ).toEqual(['Commune d’Évry']);
    expect((await test.client.partners.list({ mode: 'centralised' })).items.map((p) => p.id)).toEqual(['d']);
    await expect(test.client.partners.list({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(test.client.partners.get('zz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
