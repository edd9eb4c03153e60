import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { cafSchema, type Caf } from './caf.js';
import { describeContact } from './avenant.js';
import { TERMINATION_KIND_LABELS, conventionSchema, type Convention } from './convention.js';
import type { Contact } from './terms.js';
import { habilitationSchema, type Habilitation } from './habilitation.js';
import { partnerSchema, type Partner } from './partner.js';
import {
  AVENANT_SIGNING_LABELS,
  HABILITATION_STATUS_LABELS,
  MANAGEMENT_MODE_LABELS,
  USER_ROLE_LABELS,
  USER_STATUS_LABELS,
  type AvenantSigning,
} from './labels.js';
import { groupSchema, reviewSchema, userSchema, type Group, type Review, type User } from './user.js';
import { longFrenchDate } from './wording.js';

export const DATASET_FORMAT = 'cafsup/dataset';
export const DATASET_VERSION = 1;

/**
 * The arrays of a dataset document (dataset.md), in the order export writes them; each
 * element is validated on its own so that a file of a million habilitations streams.
 */
export const DATASET_SECTIONS = {
  cafs: cafSchema,
  partners: partnerSchema,
  conventions: conventionSchema,
  users: userSchema,
  groups: groupSchema,
  habilitations: habilitationSchema,
  reviews: reviewSchema,
} as const;
export type DatasetSection = keyof typeof DATASET_SECTIONS;
export const DATASET_SECTION_NAMES = Object.keys(DATASET_SECTIONS) as DatasetSection[];

export function isDatasetSection(key: string): key is DatasetSection {
  return Object.hasOwn(DATASET_SECTIONS, key);
}

/** The whole document, once parsed. */
export interface Dataset {
  format: typeof DATASET_FORMAT;
  version: typeof DATASET_VERSION;
  cafs: Caf[];
  partners: Partner[];
  conventions: Convention[];
  users: User[];
  groups: Group[];
  habilitations: Habilitation[];
  reviews: Review[];
}

export const datasetFormatSchema = lazySchema(() => z.literal(DATASET_FORMAT, { error: `format attendu : « ${DATASET_FORMAT} »` }));
export const datasetVersionSchema = lazySchema(() => z.literal(DATASET_VERSION, { error: `version attendue : ${DATASET_VERSION}` }));

/** Counts of what an import wrote, per section. */
export type ImportCounts = Record<DatasetSection, number>;

/**
 * A decision about a stored entity that an imported file changes: a suspension undone, a
 * revocation made, a role given back, a forced password change cancelled, a user moved to
 * another partner, an avenant unsigned, rewritten or gone (trial 21: each is of the weight of a
 * suspension, and an import rewrites them as silently). The import's answer and trace list them.
 */
export type DecisionChange =
  | {
      section: 'users';
      id: string;
      /** The partner of the file's user. */
      partnerId: string;
      field: 'partnerId' | 'status' | 'role' | 'mustChangePassword' | 'missionEndAt';
      from: string | boolean | null;
      to: string | boolean | null;
    }
  | {
      section: 'habilitations';
      id: string;
      partnerId: string;
      /** `holder`: the id of the user or group that holds it. */
      field: 'partnerId' | 'status' | 'holder' | 'profile' | 'departement' | 'endsAt';
      from: string | null;
      to: string | null;
    }
  | {
      section: 'conventions';
      /** The convention's partner. */
      id: string;
      partnerId: string;
      field: 'managementMode' | 'delegationWithdrawnAt' | 'termination' | 'contacts';
      /** The field's value, as in the dataset (`termination` and `contacts` as objects). */
      from: unknown;
      to: unknown;
    }
  | {
      section: 'groups';
      id: string;
      /** The partner of the file's group. */
      partnerId: string;
      /** `member`: one the file adds (`from` null) or leaves out (`to` null), a user's id. */
      field: 'member' | 'partnerId';
      from: string | null;
      to: string | null;
    }
  | {
      section: 'avenants';
      /** The convention's partner. */
      id: string;
      partnerId: string;
      number: number;
      /** The avenant's signatures (`AvenantSigning`); `absent` where the store or the file has no avenant of that number. */
      field: 'signing';
      from: AvenantSigning | 'absent';
      to: AvenantSigning | 'absent';
    };

/** What each changed decision is, as it is named. */
const DECISION_FIELD_LABELS = {
  partnerId: 'partenaire',
  status: 'statut',
  role: 'rôle',
  mustChangePassword: 'changement de mot de passe',
  missionEndAt: 'fin de mission',
  holder: 'titulaire',
  profile: 'profil',
  departement: 'département',
  endsAt: 'fin',
  managementMode: 'mode de gestion',
  delegationWithdrawnAt: 'délégation retirée',
  termination: 'résiliation',
  contacts: 'contacts',
} as const;

const SECTION_NOUNS = { users: 'utilisateur', habilitations: 'habilitation', groups: 'groupe' } as const;

/** One changed decision in words: « utilisateur amp-u004 (amp) : statut suspendu → actif ». */
export function describeDecisionChange(change: DecisionChange): string {
  switch (change.section) {
    case 'avenants': {
      const [from, to] = [AVENANT_SIGNING_LABELS[change.from], AVENANT_SIGNING_LABELS[change.to]];
      // Rewritten with the same signatures: its terms changed.
      const what = change.from === 'absent' ? `ajouté, ${to}` : from === to ? `${from}, réécrit` : `${from} → ${to}`;
      return `avenant n° ${change.number} (${change.partnerId}) : ${what}`;
    }
    default: {
      if (change.section === 'groups' && change.field === 'member')
        return `groupe ${change.id} (${change.partnerId}) : membre ${change.to ?? change.from} ${change.to === null ? 'retiré' : 'ajouté'}`;
      // Every field left has its label (a group's members are said above).
      const field = change.field as keyof typeof DECISION_FIELD_LABELS;
      const words = (value: unknown): string => decisionWords(change.section, field, value);
      // A convention is its partner's: named once.
      const what =
        change.section === 'conventions' ? `convention (${change.partnerId})` : `${SECTION_NOUNS[change.section]} ${change.id} (${change.partnerId})`;
      return `${what} : ${DECISION_FIELD_LABELS[field]} ${words(change.from)} → ${words(change.to)}`;
    }
  }
}

/** A value of a changed decision in words. */
function decisionWords(section: DecisionChange['section'], field: keyof typeof DECISION_FIELD_LABELS, value: unknown): string {
  // None: in agreement with the field (« fin : aucune », « département : aucun »).
  if (value === null || value === undefined)
    return ({ contacts: '(aucun)', delegationWithdrawnAt: 'non', departement: 'aucun' } as Partial<Record<string, string>>)[field] ?? 'aucune';
  // The codes of statuses, roles and modes, the ids of partners and holders: text.
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  switch (field) {
    case 'status':
      return (section === 'users' ? USER_STATUS_LABELS : HABILITATION_STATUS_LABELS)[value as never] ?? text;
    case 'role':
      return USER_ROLE_LABELS[value as never] ?? text;
    case 'mustChangePassword':
      return value === true ? 'exigé' : 'non exigé';
    case 'missionEndAt':
    case 'endsAt':
    case 'delegationWithdrawnAt':
      return longFrenchDate(value as string);
    case 'managementMode':
      return MANAGEMENT_MODE_LABELS[value as never] ?? text;
    case 'termination': {
      const termination = value as { kind: keyof typeof TERMINATION_KIND_LABELS; noticeReceivedAt: string };
      return `${TERMINATION_KIND_LABELS[termination.kind]} reçue le ${longFrenchDate(termination.noticeReceivedAt)}`;
    }
    case 'contacts':
      return (value as Contact[]).length === 0 ? '(aucun)' : (value as Contact[]).map((contact) => describeContact(contact)).join(' ; ');
    default:
      return text;
  }
}
