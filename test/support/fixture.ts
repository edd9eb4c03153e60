/**
 * Builders of small datasets for tests: sensible defaults, every field overridable, so a test
 * states only what its rule is about.
 */
type Json = Record<string, unknown>;

export const ACTOR = { name: 'Camille Roux', email: 'camille.roux@caf78.fr' };

export function caf(overrides: Json = {}): Json {
  return { code: '78', name: 'Caf des Yvelines', serviceDesk: null, escalation: [], ...overrides };
}

export function partner(id: string, overrides: Json = {}): Json {
  return { id, name: `Partenaire ${id}`, kind: 'commune', cafCode: '78', departements: ['78'], ...overrides };
}

export function convention(partnerId: string, overrides: Json = {}): Json {
  return {
    partnerId,
    number: `C-${partnerId}`,
    signedAt: '2025-01-15',
    managementMode: 'delegated',
    subscriptions: [{ service: 'CDAP', availableFrom: '2025-01-15', quotas: [{ profile: 'T1', maxUsers: 5 }] }],
    contacts: [],
    avenants: [],
    ...overrides,
  };
}

export function user(id: string, partnerId: string, overrides: Json = {}): Json {
  return {
    id,
    partnerId,
    name: `Agent ${id}`,
    email: `${id}@exemple.fr`,
    role: 'user',
    status: 'active',
    createdAt: '2026-01-10T09:00:00+01:00',
    lastLoginAt: '2026-11-20T09:00:00+01:00',
    passwordChangedAt: '2026-10-01T09:00:00+02:00',
    mustChangePassword: false,
    ...overrides,
  };
}

export function habilitation(id: string, partnerId: string, holder: { userId: string } | { groupId: string }, overrides: Json = {}): Json {
  return {
    id,
    partnerId,
    ...holder,
    service: 'CDAP',
    profile: 'T1',
    status: 'active',
    grantedAt: '2026-01-10T09:30:00+01:00',
    ...overrides,
  };
}

export function dataset(parts: Partial<Record<'cafs' | 'partners' | 'conventions' | 'users' | 'groups' | 'habilitations' | 'reviews', Json[]>>): Json {
  return {
    format: 'cafsup/dataset',
    version: 1,
    cafs: parts.cafs ?? [caf()],
    partners: parts.partners ?? [],
    conventions: parts.conventions ?? [],
    users: parts.users ?? [],
    groups: parts.groups ?? [],
    habilitations: parts.habilitations ?? [],
    reviews: parts.reviews ?? [],
  };
}

/** A deputy so that NO_DEPUTY stays quiet in tests about other rules. */
export function deputy(partnerId: string, overrides: Json = {}): Json {
  return user(`${partnerId}-deputy`, partnerId, { role: 'deputy', ...overrides });
}

/** A recent review so that REVIEW_OVERDUE stays quiet in tests about other rules. */
export function review(partnerId: string, completedAt = '2026-06-30'): Json {
  return { partnerId, completedAt, reviewer: 'Dominique Martin', proof: 'courrier' };
}
