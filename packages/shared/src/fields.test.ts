import { describe, expect, it } from 'vitest';
import { avenantDraftSchema } from './actions.js';
import { conventionEditSchema } from './workflows/records.js';
import { avenantChangeSchema } from './avenant.js';
import { z } from './zod.js';
import { formatPath, idSchema, isDepartementCode, isEmail, isValidSiret, newIdSchema, textSchema } from './fields.js';
import { escapeForTerminal } from './terminal.js';
import { LONE_SURROGATE_MESSAGE } from './text.js';
import { mailboxOf } from './flags/people.js';

describe('fields', () => {
  it('checks SIRET keys with Luhn', () => {
    expect(isValidSiret('20005480700017')).toBe(true);
    expect(isValidSiret('20005480700018')).toBe(false);
    expect(isValidSiret('2000548070001')).toBe(false);
  });
  it('accepts addresses with surrounding spaces, refuses non-addresses', () => {
    expect(isEmail(' a.b@caf78.fr ')).toBe(true);
    expect(isEmail('a.b@caf78')).toBe(false);
    expect(isEmail('a b@caf78.fr')).toBe(false);
    // What stored text refuses, an address refuses too: it is printed and written to the store.
    expect(isEmail('a\u001b[31m@caf78.fr')).toBe(false);
    expect(isEmail('a\ud800@caf78.fr')).toBe(false);
    expect(isEmail('é😀@caf78.fr')).toBe(true);
  });
  it('refuses half a surrogate pair in ids and free text, in words of its own, and keeps whole pairs', () => {
    const message = (schema: { safeParse(value: unknown): { success: boolean; error?: { issues: { message: string }[] } } }, value: string) =>
      schema.safeParse(value).error?.issues[0]?.message;
    expect(message(idSchema, 'asso-\ud800')).toBe(LONE_SURROGATE_MESSAGE);
    expect(message(textSchema, 'Métropole \udc00')).toBe(LONE_SURROGATE_MESSAGE);
    expect(message(textSchema, 'Métropole \u001b')).toBe('caractère de contrôle ou de direction du texte interdit');
    expect(message(textSchema, 'Métropole 😀')).toBeUndefined();
    expect(escapeForTerminal('a\ud800b😀')).toBe('a\\ud800b😀');
  });
  it('reads the mailbox of an address as rule 8 does', () => {
    expect(mailboxOf(' Accueil+CCAS@Mairie.fr')).toBe('accueil');
    expect(mailboxOf('jean.dupont@mairie.fr')).toBe('jean.dupont');
  });
  it('knows the real département codes only (dataset.md)', () => {
    const valid = ['01', '09', '19', '2A', '2B', '21', '95', '971', '976'];
    const invalid = ['00', '20', '2C', '96', '970', '977', '999', '1', '013', '2a'];
    expect(valid.filter(isDepartementCode)).toEqual(valid);
    expect(invalid.filter(isDepartementCode)).toEqual([]);
  });
  it('writes JSON paths as dataset.md does', () => {
    expect(formatPath('users[12]', ['email'])).toBe('users[12].email');
    expect(formatPath('conventions[0]', ['avenants', 1, 'changes', 0, 'type'])).toBe('conventions[0].avenants[1].changes[0].type');
  });
});

describe('zod’s messages in cafsup’s words', () => {
  const messages = (schema: { safeParse(value: unknown): { error?: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown) =>
    schema.safeParse(value).error?.issues.map((issue) => [issue.path.join('.'), issue.message]);
  it('takes as a created id what a command line can name again', () => {
    const ok = (id: string) => newIdSchema.safeParse(id).success;
    expect(['amp-u001', 'CCAS_Bavans.2', 'e\u0301cole', 'école', '2A-h1'].filter((id) => !ok(id))).toEqual([]);
    expect(['a,b', 'a b', '-x', 'a\u200bb', 'a\uff0cb', '.x'].filter(ok)).toEqual([]);
    // Look-alikes of a Latin id: Cyrillic « а », full-width « Ａ », the ligature « ﬁ », Arabic-Indic « ٣ », Greek « ο ».
    expect(['\u0430mp-u1', '\uff21mp', '\ufb01n', '\u0663x', 'ec\u03bfle'].filter(ok)).toEqual([]);
    // Latin look-alikes and invisible marks (review 26): « ɡ », « ı », « ᴀ », « ɑ », U+034F, a variation selector.
    expect(['amp-\u0261roupe', 'amp-u\u0131', 'amp-u\u1d00', 'amp-u\u0251', 'amp-u\u034f1', 'amp-u1\ufe00'].filter(ok)).toEqual([]);
    expect(['amp-ŒUVRE', 'amp-élodie', 'Noël', 'ça-va'].filter((id) => !ok(id))).toEqual([]);
  });
  it('takes a quota of -0 users as 0, never shown « -0 » (trial 25)', () => {
    const drafted = avenantDraftSchema.parse({
      title: 'Avenant',
      changes: [{ type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers: -0 }],
      reason: 'Avenant signé',
    });
    expect(Object.is((drafted.changes[0] as { maxUsers: number }).maxUsers, 0)).toBe(true);
  });
  it('refuses in a drafted avenant what its changes’ shape lets a dataset carry (trial 24)', () => {
    const drafted = (...changes: unknown[]) => messages(avenantDraftSchema, { title: 'Avenant', changes, reason: 'Avenant signé' });
    expect(
      drafted(
        { type: 'setQuota', service: 'cdap', profile: 'T1', maxUsers: 3 },
        { type: 'removeQuota', service: 'CDAP', profile: 'T3' },
        { type: 'setQuota', service: 'CDAP', profile: 'T13', maxUsers: 100_001, departements: ['13', '84', '13'] },
        { type: 'addService', service: 'CAFPRO', quotas: [{ profile: 'T1', maxUsers: 2, departements: ['2A', '2A'] }] },
      ),
    ).toEqual([
      ['changes.0.service', 'service « cdap » : le code de Cdap s’écrit « CDAP »'],
      ['changes.1.profile', 'profil « T3 » absent du catalogue Cdap (T1–T22 sauf T3, T7, T17)'],
      ['changes.2.maxUsers', 'au plus 100\u202f000 attendu (reçu le nombre 100\u202f001)'],
      ['changes.2.departements.2', 'département 13 deux fois'],
      ['changes.3.quotas.0.departements.1', 'département 2A deux fois'],
    ]);
    expect(
      drafted(
        { type: 'setQuota', service: 'CDAP', profile: 'T13', maxUsers: 100_000, departements: ['13', '84'] },
        { type: 'removeQuota', service: 'CAFPRO', profile: 'X1' },
      ),
    ).toBeUndefined();
    // What one avenant changes twice, of which only the last would count (trial 25).
    expect(
      drafted(
        { type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers: 5 },
        { type: 'setManagementMode', mode: 'centralised' },
        { type: 'removeQuota', service: 'CDAP', profile: 'T1' },
        { type: 'setManagementMode', mode: 'delegated' },
      ),
    ).toEqual([
      ['changes.2.type', 'le quota CDAP T1 : déjà changé par changes[0], un avenant ne le change qu’une fois'],
      ['changes.3.type', 'le mode de gestion : déjà changé par changes[1], un avenant ne le change qu’une fois'],
    ]);
    // A service added sets its quotas: a quota of it set beside is set twice (review 25).
    expect(
      drafted(
        { type: 'setQuota', service: 'CDAP', profile: 'T13', maxUsers: 5 },
        { type: 'addService', service: 'CDAP', quotas: [] },
        { type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers: 5 },
        { type: 'setServiceDesk', serviceDesk: { hours: 'lundi-vendredi', email: 'ac@caf78.fr' } },
        { type: 'setServiceDesk', serviceDesk: { hours: 'lundi-vendredi', email: 'ac@caf78.fr' } },
      )?.map(([path, message]) => `${path} ${String(message).split(' :')[0]}`),
    ).toEqual(['changes.1.type le service CDAP', 'changes.2.type le quota CDAP T1', 'changes.4.type le centre de services']);
    // A convention entered or corrected by a supervisor, the same (trial 25).
    const subscriptions = [{ service: 'cdap', quotas: [{ profile: 'T1', maxUsers: 500_000, departements: ['13', '13'] }] }];
    expect(messages(conventionEditSchema, { subscriptions, reason: 'Convention corrigée' })).toEqual([
      ['subscriptions.0.service', 'service « cdap » : le code de Cdap s’écrit « CDAP »'],
      ['subscriptions.0.quotas.0.maxUsers', 'au plus 100\u202f000 attendu (reçu le nombre 500\u202f000)'],
      ['subscriptions.0.quotas.0.departements.1', 'département 13 deux fois'],
    ]);
    // A dataset's avenant keeps them: its changes are taken as the signed document has them.
    expect(messages(avenantChangeSchema, { type: 'setQuota', service: 'cdap', profile: 'T1', maxUsers: 3 })).toBeUndefined();
  });
  it('says a missing field is required, and names the kinds a discriminated union takes', () => {
    expect(messages(avenantChangeSchema, { type: 'setQuota', service: 'CDAP', profile: 'T1' })).toEqual([['maxUsers', 'champ obligatoire']]);
    expect(messages(avenantChangeSchema, { type: 'fusion' })).toEqual([
      [
        'type',
        'valeur inconnue (attendu : setQuota, removeQuota, addService, removeService, setManagementMode, setContact, removeContact, setServiceDesk, setEscalation, note)',
      ],
    ]);
    expect(messages(avenantChangeSchema, { service: 'CDAP' })?.[0]?.[1]).toMatch(/^champ obligatoire \(attendu : setQuota, /);
    expect(messages(avenantChangeSchema, { type: 'setManagementMode' })).toEqual([['mode', 'champ obligatoire']]);
    // A value among a list, and a key not taken, in cafsup's quotes and lists (trial 21, F8).
    expect(messages(z.enum(['active', 'suspended', 'revoked']), 'actif')).toEqual([['', 'valeur inconnue (attendu : active, suspended, revoked)']]);
    expect(messages(z.strictObject({ reason: z.string() }), { reason: 'x', dryRun: true, force: 1 })).toEqual([['', 'clés inconnues : « dryRun », « force »']]);
    expect(messages(z.strictObject({}), { dryRun: true })).toEqual([['', 'clé inconnue : « dryRun »']]);
    // A value of the wrong type or out of its bounds, in cafsup's words with what was given (trial 22, F8):
    // zod's French said « Entrée invalide : nombre attendu, chaîne de caractères reçu » and « Trop petit : nombre doit être >=0 ».
    const quota = (maxUsers: unknown) => messages(avenantChangeSchema, { type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers });
    expect(quota('dix')).toEqual([['maxUsers', 'nombre attendu (reçu le texte « dix »)']]);
    expect(quota(-1)).toEqual([['maxUsers', 'au moins 0 attendu (reçu le nombre -1)']]);
    expect(quota(1.5)).toEqual([['maxUsers', 'nombre entier attendu (reçu le nombre 1.5)']]);
    // Said once, without the 301 digits of a number past the exact integers (trial 35).
    expect(quota(1e300)).toEqual([['maxUsers', 'nombre trop grand (reçu le nombre 1e+300)']]);
    expect(
      messages(avenantDraftSchema, {
        title: 'Avenant',
        changes: [{ type: 'setQuota', service: 'CDAP', profile: 'T1', maxUsers: 1e300 }],
        reason: 'Avenant signé',
      }),
    ).toEqual([['changes.0.maxUsers', 'nombre trop grand (reçu le nombre 1e+300)']]);
    expect(quota(null)).toEqual([['maxUsers', 'nombre attendu (reçu « null »)']]);
    expect(quota([3])).toEqual([['maxUsers', 'nombre attendu (reçu une liste)']]);
    expect(quota(JSON.parse('1e400'))).toEqual([['maxUsers', 'nombre trop grand']]);
    expect(messages(z.object({ name: z.string() }), { name: JSON.parse('1e400') })).toEqual([['name', 'texte attendu (reçu un nombre trop grand)']]);
    expect(messages(z.object({ departements: z.array(z.string()) }), { departements: '13' })).toEqual([
      ['departements', 'liste attendue (reçu le texte « 13 »)'],
    ]);
    expect(messages(z.number().int().positive(), 0)).toEqual([['', 'supérieur à 0 attendu (reçu le nombre 0)']]);
    expect(messages(z.number().max(366), 400)).toEqual([['', 'au plus 366 attendu (reçu le nombre 400)']]);
    expect(messages(z.string().min(2), '😀')).toEqual([['', 'au moins 2 caractères attendus (reçu 1)']]);
    expect(messages(z.array(z.string()).max(1), ['a', 'b'])).toEqual([['', 'au plus 1 élément attendu (reçu 2)']]);
    expect(messages(z.number(), `${'😀'.repeat(41)}`)).toEqual([['', `nombre attendu (reçu le texte « ${'😀'.repeat(40)}… »)`]]);
    expect(messages(z.object({ flag: z.boolean() }), { flag: 'oui' })).toEqual([['flag', 'true ou false attendu (reçu le texte « oui »)']]);
  });
});
