import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { emailSchema } from './fields.js';
import { safeTextSchema } from './text.js';

/** The acting supervisor: every write names one (contrat art. 5.3, convention art. 9.2). */
export const actorSchema = lazySchema(() =>
  z.object({
    // The name lands in every trace it signs and on every screen that shows them.
    name: safeTextSchema(200).trim().min(1, 'nom de la personne qui agit manquant'),
    email: emailSchema,
  }),
);
export type Actor = z.infer<typeof actorSchema>;

const ACTOR_TEXT = /^\s*(.+?)\s*<\s*([^<>\s]+)\s*>\s*$/;

/** Reads `Name <email>`; null when the text is not of that form. */
export function parseActor(text: string): Actor | null {
  const match = ACTOR_TEXT.exec(text);
  if (match === null) return null;
  const parsed = actorSchema.safeParse({ name: match[1], email: match[2] });
  return parsed.success ? parsed.data : null;
}

export function formatActor(actor: Actor): string {
  return `${actor.name} <${actor.email}>`;
}

export const TRACE_ACTIONS = [
  'habilitation.suspend',
  'habilitation.reinstate',
  'habilitation.revoke',
  'user.suspend',
  'user.reinstate',
  'user.forcePasswordReset',
  'partner.withdrawDelegation',
  'avenant.create',
  'avenant.sign',
  'review.record',
  'dataset.import',
  'traces.purge',
  'token.create',
  'token.revoke',
  'token.suspendOwner',
  'token.reinstateOwner',
  'auth.failure',
  // Supervision workflows (workflows.md): forms, direct records, campaigns, breach to termination, a person's extract.
  'request.add',
  'request.apply',
  'request.refuse',
  'user.create',
  'user.edit',
  'user.setRole',
  'user.disable',
  'group.create',
  'group.edit',
  'group.removeMember',
  'habilitation.create',
  'convention.setContact',
  'partner.create',
  'partner.edit',
  'convention.edit',
  'question.add',
  'question.answer',
  'notice.add',
  'notice.remedy',
  'partner.closeOut',
  'review.sheet',
  'traces.personExtract',
] as const;
export type TraceAction = (typeof TRACE_ACTIONS)[number];

/**
 * Retention classes (rules.md, "Retention"): activity traces (authentications, token use: the
 * connection traces of contrat art. 5.3.1) are kept 6 months; decision traces, the Caf's record
 * of supervision and the evidence of a mise en demeure or a dispute, 6 years.
 */
export const TRACE_KINDS = ['activity', 'decision'] as const;
export type TraceKind = (typeof TRACE_KINDS)[number];

const ACTIVITY_ACTIONS: ReadonlySet<TraceAction> = new Set<TraceAction>(['auth.failure']);

export function traceKind(action: TraceAction): TraceKind {
  return ACTIVITY_ACTIONS.has(action) ? 'activity' : 'decision';
}

export const TRACE_TARGETS = ['habilitation', 'user', 'partner', 'avenant', 'review', 'dataset', 'traces', 'token', 'request', 'group', 'question'] as const;
export type TraceTarget = (typeof TRACE_TARGETS)[number];

/** One entry of the tamper-evident audit trail. */
export interface Trace {
  id: number;
  at: string;
  kind: TraceKind;
  actor: Actor;
  action: TraceAction;
  targetType: TraceTarget;
  targetId: string | null;
  partnerId: string | null;
  reason: string;
  before: unknown;
  after: unknown;
  details: unknown;
  prevHash: string;
  hash: string;
}

/**
 * Version 1 of the chain (traces written before retention classes): the hash covers the whole
 * trace with its previous hash, so such a trace can only be removed as part of the oldest run.
 */
export function traceHashContent(trace: Omit<Trace, 'hash' | 'kind'>): string {
  return canonicalJson({ ...traceStatement(trace), prevHash: trace.prevHash });
}

/** What a trace says, the part both versions hash (with its kind in version 2). */
function traceStatement(trace: Omit<Trace, 'hash' | 'prevHash' | 'kind'>) {
  const { id, at, actor, action, targetType, targetId, partnerId, reason, before, after, details } = trace;
  return { id, at, actor, action, targetType, targetId, partnerId, reason, before, after, details };
}

/**
 * Version 2, the current one (documented in the README, "Canonical form of a trace"): the
 * content hash covers what the trace says; the chain hash covers only its number, time, kind,
 * previous hash and content hash. Retention can then erase what an expired trace says while
 * the chain, and every signed checkpoint over it, still verifies.
 */
export function traceContentCanonical(trace: Omit<Trace, 'hash' | 'prevHash'>): string {
  return canonicalJson({ ...traceStatement(trace), kind: trace.kind });
}

type TraceLink = { id: number; at: string; kind: TraceKind; prevHash: string; contentHash: string };

/** What the chain hash covers (version 2). */
const linkStatement = (link: TraceLink) => ({ v: 2, id: link.id, at: link.at, kind: link.kind, prevHash: link.prevHash, contentHash: link.contentHash });

export function traceLinkCanonical(link: TraceLink): string {
  return canonicalJson(linkStatement(link));
}

/**
 * A trace's two canonical texts cut where what the chain's head decides goes, for an engine that
 * appends in SQL (PostgreSQL, traces.ts): `content` around its number; `link` around its content
 * hash, its number and the previous hash, in that order (their keys' order). Filled in with those
 * values' JSON texts, they are `traceContentCanonical` and `traceLinkCanonical` byte for byte.
 */
export function traceCanonicalParts(trace: Omit<Trace, 'id' | 'hash' | 'prevHash'>): { content: string[]; link: string[] } {
  return {
    content: canonicalAround({ ...traceStatement({ ...trace, id: 0 }), kind: trace.kind }, ['id']),
    link: canonicalAround(linkStatement({ id: 0, at: trace.at, kind: trace.kind, prevHash: '', contentHash: '' }), ['contentHash', 'id', 'prevHash']),
  };
}

/** An object's members in canonical order, each as its key and its value's canonical JSON. */
function canonicalMembers(value: Record<string, unknown>): [string, string][] {
  return Object.entries(value)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, item]) => [key, canonicalJson(item)]);
}

/** JSON with object keys sorted, so equal values always serialise to equal bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return `{${canonicalMembers(value as Record<string, unknown>)
    .map(([key, text]) => `${JSON.stringify(key)}:${text}`)
    .join(',')}}`;
}

/** `canonicalJson(value)` cut where the values of the members `holes` go (one piece more than holes, in key order). */
function canonicalAround(value: Record<string, unknown>, holes: readonly string[]): string[] {
  const pieces: string[] = [];
  let piece = '{';
  canonicalMembers(value).forEach(([key, text], index) => {
    piece += `${index > 0 ? ',' : ''}${JSON.stringify(key)}:`;
    if (holes.includes(key)) {
      pieces.push(piece);
      piece = '';
    } else piece += text;
  });
  pieces.push(`${piece}}`);
  return pieces;
}

export const GENESIS_HASH = '0'.repeat(64);

/** A trace's hash as the chain writes it: SHA-256 in lower-case hexadecimal. */
export const TRACE_HASH_PATTERN = /^[0-9a-f]{64}$/;
/** A store's identifier as its first migration draws it: 16 random bytes in lower-case hexadecimal. */
export const STORE_ID_PATTERN = /^[0-9a-f]{32}$/;

/** The answer of `traces.verify`. */
export interface TraceVerification {
  ok: boolean;
  checked: number;
  /** The first altered, removed or reordered trace; null when the chain holds. */
  firstBrokenId: number | null;
  /** The last trace: its number and hash (what a checkpoint signs). */
  head: TraceHead;
  /** Why the chain does not hold, in French; null when it does. */
  problem: string | null;
}

/** The end of the chain, and where it starts once the oldest version-1 traces were purged. */
export interface TraceHead {
  id: number;
  hash: string;
  /** An identifier of the store, so a checkpoint is never checked against another database. */
  storeId: string;
  /** The last trace of version 1: only traces up to it can ever leave the file. */
  legacyUntil: number;
}
