import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { cafSchema, type Caf } from './caf.js';
import { conventionSchema, type Convention } from './convention.js';
import { habilitationSchema, type Habilitation } from './habilitation.js';
import { partnerSchema, type Partner } from './partner.js';
import { groupSchema, reviewSchema, userSchema, type Group, type Review, type User } from './user.js';

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
