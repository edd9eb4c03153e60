import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { cafSchema, type Caf } from './caf.js';
import type { AvenantSigning } from './avenant.js';
import { conventionSchema, type Convention } from './convention.js';
import { habilitationSchema, type Habilitation } from './habilitation.js';
import { partnerSchema, type Partner } from './partner.js';
import { AVENANT_SIGNING_LABELS, HABILITATION_STATUS_LABELS, USER_ROLE_LABELS, USER_STATUS_LABELS } from './labels.js';
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
  | { section: 'habilitations'; id: string; partnerId: string; field: 'partnerId' | 'status'; from: string; to: string }
  | {
      section: 'avenants';
      /** The convention's partner. */
      id: string;
      partnerId: string;
      number: number;
      /** The avenant's signatures (`AvenantSigning`), `absent` where the file has no avenant of that number. */
      field: 'signing';
      from: AvenantSigning;
      to: AvenantSigning | 'absent';
    };

/** What each changed decision is, as it is named. */
const DECISION_FIELD_LABELS = {
  partnerId: 'partenaire',
  status: 'statut',
  role: 'rôle',
  mustChangePassword: 'changement de mot de passe',
  missionEndAt: 'fin de mission',
} as const;

/** One changed decision in words: « utilisateur amp-u004 (amp) : statut suspendu → actif ». */
export function describeDecisionChange(change: DecisionChange): string {
  if (change.section === 'avenants') {
    const [from, to] = [AVENANT_SIGNING_LABELS[change.from], AVENANT_SIGNING_LABELS[change.to]];
    // Rewritten with the same signatures: its terms changed.
    return `avenant n° ${change.number} (${change.partnerId}) : ${from === to ? `${from}, réécrit` : `${from} → ${to}`}`;
  }
  const words = (value: string | boolean | null): string => {
    switch (change.field) {
      case 'status':
        return (change.section === 'users' ? USER_STATUS_LABELS : HABILITATION_STATUS_LABELS)[value as never] ?? String(value);
      case 'role':
        return USER_ROLE_LABELS[value as never] ?? String(value);
      case 'mustChangePassword':
        return value === true ? 'exigé' : 'non exigé';
      case 'missionEndAt':
        return value === null ? 'aucune' : longFrenchDate(value as string);
      case 'partnerId':
        return String(value);
    }
  };
  const noun = change.section === 'users' ? 'utilisateur' : 'habilitation';
  return `${noun} ${change.id} (${change.partnerId}) : ${DECISION_FIELD_LABELS[change.field]} ${words(change.from)} → ${words(change.to)}`;
}
