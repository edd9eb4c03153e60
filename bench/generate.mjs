// Writes a deterministic national-scale dataset (dataset.md) to a file, streaming, so that the
// generator itself never holds a million habilitations. Usage: node bench/generate.mjs OUT [partners]
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { seededRandom as random } from '@cafsup/shared';

const CDAP_PROFILES = ['T1', 'T2', 'T4', 'T5', 'T9', 'T10', 'T13', 'T16'];
const KINDS = ['commune', 'ccas', 'epci', 'departement', 'bailleur', 'hopital', 'association'];
const CAFS = ['13', '25', '33', '40', '59', '69', '75', '78', '93', '95'];

function luhnSiret(base13) {
  for (let check = 0; check < 10; check++) {
    const value = `${base13}${check}`;
    let sum = 0;
    for (let i = 0; i < 14; i++) {
      let digit = Number(value[13 - i]);
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      sum += digit;
    }
    if (sum % 10 === 0) return value;
  }
  throw new Error('unreachable');
}

const pad = (n, width) => String(n).padStart(width, '0');
const day = (rand, fromYear, toYear) => {
  const y = fromYear + Math.floor(rand() * (toYear - fromYear + 1));
  return `${y}-${pad(1 + Math.floor(rand() * 12), 2)}-${pad(1 + Math.floor(rand() * 28), 2)}`;
};
const stamp = (rand, fromYear, toYear) => `${day(rand, fromYear, toYear)}T${pad(7 + Math.floor(rand() * 12), 2)}:${pad(Math.floor(rand() * 60), 2)}:00+01:00`;

const notBefore = (grantedAt, signedAt) => (signedAt !== null && grantedAt.slice(0, 10) < signedAt ? `${signedAt}T09:00:00+01:00` : grantedAt);

export async function generate(path, partners = 5000, { usersPerPartner = 40, habilitationsPerUser = 5, seed = 7 } = {}) {
  const rand = random(seed);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let buffered = '';
  const write = async (text) => {
    buffered += text;
    if (buffered.length > 1 << 20) {
      if (!out.write(buffered)) await once(out, 'drain');
      buffered = '';
    }
  };
  const section = async (name, count, make, last = false) => {
    await write(`  ${JSON.stringify(name)}: [`);
    for (let i = 0; i < count; i++) await write(`${i === 0 ? '\n    ' : ',\n    '}${JSON.stringify(make(i))}`);
    await write(`\n  ]${last ? '' : ','}\n`);
  };
  const pid = (p) => `p${pad(p, 5)}`;
  // The profiles a partner subscribes to; T10 only for social landlords (rule 16, bulletin art. 2).
  const subscribedOf = (p) => CDAP_PROFILES.filter((profile, i) => (p + i) % 3 !== 0 && (profile !== 'T10' || KINDS[p % KINDS.length] === 'bailleur'));
  // Each partner's signature day: nothing is granted before it (rule 15).
  const signedOn = [];
  await write('{\n  "format": "cafsup/dataset",\n  "version": 1,\n');
  await section('cafs', CAFS.length, (i) => ({
    code: CAFS[i],
    name: `Caf ${CAFS[i]}`,
    serviceDesk: { email: `centre.services@caf${CAFS[i]}.fr`, phone: null, hours: '8h30-17h00', answerWithinWorkingDays: 2 },
    escalation: [],
  }));
  await section('partners', partners, (p) => ({
    id: pid(p),
    name: `Partenaire ${p} ${KINDS[p % KINDS.length]}`,
    siret: luhnSiret(`2${pad(p, 12)}`),
    kind: KINDS[p % KINDS.length],
    cafCode: CAFS[p % CAFS.length],
    departements: [CAFS[p % CAFS.length]],
  }));
  await section('conventions', partners, (p) => {
    const profiles = subscribedOf(p);
    const avenants = [];
    for (let a = 1; a <= p % 4; a++) {
      avenants.push({
        number: a,
        title: `Avenant ${a}`,
        signedByCafAt: day(rand, 2023, 2025),
        signedByPartnerAt: a === 3 ? null : day(rand, 2023, 2025),
        changes: [{ type: 'setQuota', service: 'CDAP', profile: profiles[a % profiles.length], maxUsers: 10 + Math.floor(rand() * 40) }],
      });
    }
    signedOn[p] = p % 97 === 0 ? null : day(rand, 2020, 2025);
    return {
      partnerId: pid(p),
      number: `${2020 + (p % 6)}/${p}`,
      signedAt: signedOn[p],
      managementMode: p % 11 === 0 ? 'centralised' : 'delegated',
      termination: p % 53 === 0 ? { kind: 'unilateral', noticeReceivedAt: day(rand, 2025, 2026) } : null,
      subscriptions: [
        {
          service: 'CDAP',
          availableFrom: null,
          quotas: profiles.map((profile) => ({
            profile,
            maxUsers: 20 + Math.floor(rand() * 40),
            ...(profile === 'T13' ? { departements: [CAFS[p % CAFS.length]] } : {}),
          })),
        },
      ],
      contacts: [{ side: 'partner', role: 'administrator', order: 1, name: `Admin ${p}`, email: `admin.${p}@partenaire${p}.fr` }],
      avenants,
    };
  });
  const users = partners * usersPerPartner;
  const generic = ['accueil', 'contact', 'mairie'];
  await section('users', users, (u) => {
    const p = Math.floor(u / usersPerPartner);
    const local = u % usersPerPartner;
    const status = rand() < 0.9 ? 'active' : rand() < 0.5 ? 'suspended' : 'disabled';
    return {
      id: `u${pad(u, 7)}`,
      partnerId: pid(p),
      name: `Agent ${u}`,
      email: rand() < 0.01 ? `${generic[u % 3]}@partenaire${p}.fr` : rand() < 0.01 ? `partage@partenaire${p}.fr` : `agent.${u}@partenaire${p}.fr`,
      function: null,
      role: local === 0 ? 'administrator' : local === 1 ? 'deputy' : local < 4 ? 'habilitation_manager' : 'user',
      status,
      createdAt: stamp(rand, 2019, 2024),
      lastLoginAt:
        rand() < 0.02
          ? null
          : rand() < 0.05
            ? stamp(rand, 2025, 2025)
            : `2026-${rand() < 0.5 ? '10' : '11'}-${pad(1 + Math.floor(rand() * 20), 2)}T09:00:00+01:00`,
      passwordChangedAt: rand() < 0.1 ? stamp(rand, 2023, 2024) : stamp(rand, 2026, 2026),
      mustChangePassword: rand() < 0.05,
      missionEndAt: rand() < 0.03 ? day(rand, 2025, 2027) : null,
      departement: CAFS[p % CAFS.length],
    };
  });
  const groupsPerPartner = 2;
  await section('groups', partners * groupsPerPartner, (g) => {
    const p = Math.floor(g / groupsPerPartner);
    const memberIds = [];
    const size = Math.min(8, usersPerPartner);
    for (let m = 0; m < size; m++) memberIds.push(`u${pad(p * usersPerPartner + ((4 + (g % groupsPerPartner) * size + m) % usersPerPartner), 7)}`);
    return { id: `g${pad(g, 6)}`, partnerId: pid(p), name: `Groupe ${g}`, memberIds };
  });
  await section('habilitations', users * habilitationsPerUser, (h) => {
    const u = Math.floor(h / habilitationsPerUser);
    const p = Math.floor(u / usersPerPartner);
    const toGroup = h % 250 === 0;
    const roll = rand();
    const status = roll < 0.93 ? 'active' : roll < 0.95 ? 'suspended' : 'revoked';
    const subscribed = subscribedOf(p);
    return {
      id: `h${pad(h, 8)}`,
      partnerId: pid(p),
      ...(toGroup ? { groupId: `g${pad(p * groupsPerPartner + (h % groupsPerPartner), 6)}` } : { userId: `u${pad(u, 7)}` }),
      // Mostly the partner's own subscribed profiles, a few outside them, a few out of area.
      service: 'CDAP',
      profile: rand() < 0.01 ? CDAP_PROFILES[Math.floor(rand() * CDAP_PROFILES.length)] : subscribed[(u + (h % 50 === 1 ? 1 : 0)) % subscribed.length],
      departement: rand() < 0.002 ? '971' : CAFS[p % CAFS.length],
      status,
      grantedAt: notBefore(stamp(rand, 2020, 2026), signedOn[p]),
      suspendedAt: status === 'suspended' ? stamp(rand, 2026, 2026) : null,
      revokedAt: status === 'revoked' ? stamp(rand, 2025, 2026) : null,
    };
  });
  await section('reviews', partners, (p) => ({ partnerId: pid(p), completedAt: day(rand, 2024, 2026), reviewer: `Admin ${p}`, proof: 'courrier' }), true);
  await write('}\n');
  out.end(buffered);
  await once(out, 'finish');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, partners = '5000'] = process.argv.slice(2);
  // `--help` or a mistyped count must not write a file called « --help » or a dataset of NaN partners.
  if (out === undefined || out.startsWith('-') || !/^\d+$/.test(partners) || Number(partners) < 1) {
    process.stderr.write('Usage: node bench/generate.mjs OUT [partners]   (partners: a whole number, 5000 by default)\n');
    process.exit(out === '--help' || out === '-h' ? 0 : 2);
  }
  await generate(out, Number(partners));
}
