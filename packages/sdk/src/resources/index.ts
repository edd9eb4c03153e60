import type {
  ActionOptions,
  ActionResult,
  AuditCounts,
  AuditCountsInput,
  AuditReport,
  AuditRunInput,
  Avenant,
  AvenantDraft,
  AvenantSignature,
  AvenantView,
  CalendarDate,
  Convention,
  ConventionState,
  Group,
  GroupsListInput,
  Habilitation,
  HabilitationsListInput,
  PartnerDetail,
  PartnerSummary,
  PartnersListInput,
  PurgeReport,
  QuotaTotals,
  QuotaUsage,
  QuotasTotalsInput,
  QuotasUsageInput,
  Review,
  ReviewRecord,
  Terms,
  Trace,
  TracesListInput,
  TracesVerifyInput,
  TracesPurgeInput,
  TraceHead,
  TraceVerification,
  User,
  UsersListInput,
} from '@cafsup/shared';
import { jsonText } from '@cafsup/shared';
import type { AuditText } from '../store/audit.js';
import type { ImportResult } from '../dataset/import.js';
import { everyItem, paginate, type Page } from '../store/pagination.js';
import type { DatasetSource } from '../dataset/source.js';
import type { DatasetSummary } from '../store/store.js';
import { Resource } from './resource.js';

type HabilitationView = { status: string; suspendedAt: string | null; revokedAt: string | null };
type UserView = { status: string; mustChangePassword: boolean };

export class Partners extends Resource {
  list(query: PartnersListInput = {}): Promise<Page<PartnerSummary>> {
    return this.transport.call('partners.list', query);
  }
  iterate(query: Omit<PartnersListInput, 'cursor'> = {}): AsyncGenerator<PartnerSummary> {
    return paginate((q) => this.list(q), query);
  }
  /** Every item in one array: cheaper than `iterate` for a whole list. */
  all(query: Omit<PartnersListInput, 'cursor'> = {}): Promise<PartnerSummary[]> {
    return everyItem((q) => this.list(q), query);
  }
  get(id: string, options: { asOf?: CalendarDate } = {}): Promise<PartnerDetail> {
    return this.transport.call('partners.get', { id, ...options });
  }
  /** The Caf takes back habilitation management (contrat art. 2.2.1); a draft avenant follows. */
  withdrawDelegation(
    id: string,
    options: ActionOptions,
  ): Promise<ActionResult<{ managementMode: string; delegationWithdrawnAt: string | null }> & { avenant: Avenant & { traceId: number | null } }> {
    return this.transport.call('partners.withdrawDelegation', { id, options });
  }
}

export class Conventions extends Resource {
  get(partnerId: string, options: { asOf?: CalendarDate } = {}): Promise<Convention & { state: ConventionState; terms: Terms }> {
    return this.transport.call('conventions.get', { partnerId, ...options });
  }
}

export class Quotas extends Resource {
  usage(query: QuotasUsageInput = {}): Promise<{ asOf: CalendarDate; quotas: QuotaUsage[] }> {
    return this.transport.call('quotas.usage', query);
  }
  /** Each partner's places (given and granted) and number of over quotas, for those with places granted or given: the lists' totals of `usage`. */
  totals(query: QuotasTotalsInput = {}): Promise<{ asOf: CalendarDate; partners: QuotaTotals[] }> {
    return this.transport.call('quotas.totals', query);
  }
}

export class Audit extends Resource {
  run(query: AuditRunInput = {}): Promise<AuditReport> {
    return this.transport.call('audit.run', query);
  }
  /**
   * The report of `run` as the JSON text `jsonText` writes for it, in UTF-8 and in pieces
   * (`AuditText`), with its date and counts: a store in this process makes it from the flags it
   * keeps, in that form, without building them (`cafsup audit --json`); elsewhere, from `run`'s
   * report.
   */
  async runText(query: AuditRunInput = {}): Promise<AuditText> {
    if (this.transport.callText !== undefined) return this.transport.callText<AuditText>('audit.run', query);
    const report = await this.run(query);
    return { asOf: report.asOf, summary: report.summary, text: [Buffer.from(jsonText(report))] };
  }
  /** Flags per severity of each partner that has any: the counts of `run`, without its flags. */
  counts(query: AuditCountsInput = {}): Promise<AuditCounts> {
    return this.transport.call('audit.counts', query);
  }
}

export class Users extends Resource {
  list(query: UsersListInput): Promise<Page<User>> {
    return this.transport.call('users.list', query);
  }
  iterate(query: Omit<UsersListInput, 'cursor'>): AsyncGenerator<User> {
    return paginate((q) => this.list(q), query);
  }
  /** Every item in one array: cheaper than `iterate` for a whole list. */
  all(query: Omit<UsersListInput, 'cursor'>): Promise<User[]> {
    return everyItem((q) => this.list(q), query);
  }
  get(id: string): Promise<User> {
    return this.transport.call('users.get', { id });
  }
  suspend(ids: string[], options: ActionOptions): Promise<ActionResult<UserView>> {
    return this.transport.call('users.suspend', { ids, options });
  }
  reinstate(ids: string[], options: ActionOptions): Promise<ActionResult<UserView>> {
    return this.transport.call('users.reinstate', { ids, options });
  }
  /** Revokes every habilitation given to these users directly (a departure, a loss or theft). */
  revokeHabilitations(ids: string[], options: ActionOptions): Promise<ActionResult<HabilitationView>> {
    return this.transport.call('users.revokeHabilitations', { ids, options });
  }
  /** Forces a password change at next login, for some users or every user of a partner. */
  forcePasswordReset(target: string[] | { partnerId: string }, options: ActionOptions): Promise<ActionResult<UserView>> {
    return this.transport.call('users.forcePasswordReset', Array.isArray(target) ? { ids: target, options } : { partnerId: target.partnerId, options });
  }
}

export class Groups extends Resource {
  list(query: GroupsListInput): Promise<Page<Group>> {
    return this.transport.call('groups.list', query);
  }
  iterate(query: Omit<GroupsListInput, 'cursor'>): AsyncGenerator<Group> {
    return paginate((q) => this.list(q), query);
  }
  /** Every item in one array: cheaper than `iterate` for a whole list. */
  all(query: Omit<GroupsListInput, 'cursor'>): Promise<Group[]> {
    return everyItem((q) => this.list(q), query);
  }
  get(id: string): Promise<Group> {
    return this.transport.call('groups.get', { id });
  }
}

export class Habilitations extends Resource {
  list(query: HabilitationsListInput): Promise<Page<Habilitation>> {
    return this.transport.call('habilitations.list', query);
  }
  iterate(query: Omit<HabilitationsListInput, 'cursor'>): AsyncGenerator<Habilitation> {
    return paginate((q) => this.list(q), query);
  }
  /** Every item in one array: cheaper than `iterate` for a whole list. */
  all(query: Omit<HabilitationsListInput, 'cursor'>): Promise<Habilitation[]> {
    return everyItem((q) => this.list(q), query);
  }
  get(id: string): Promise<Habilitation> {
    return this.transport.call('habilitations.get', { id });
  }
  suspend(ids: string[], options: ActionOptions): Promise<ActionResult<HabilitationView>> {
    return this.transport.call('habilitations.suspend', { ids, options });
  }
  reinstate(ids: string[], options: ActionOptions): Promise<ActionResult<HabilitationView>> {
    return this.transport.call('habilitations.reinstate', { ids, options });
  }
  revoke(ids: string[], options: ActionOptions): Promise<ActionResult<HabilitationView>> {
    return this.transport.call('habilitations.revoke', { ids, options });
  }
}

export class Avenants extends Resource {
  list(partnerId: string, options: { asOf?: CalendarDate } = {}): Promise<AvenantView[]> {
    return this.transport.call('avenants.list', { partnerId, ...options });
  }
  /** Records a new avenant with the next number; the reason defaults to its title. */
  create(partnerId: string, draft: AvenantDraft): Promise<{ dryRun: boolean; avenant: Avenant & { partnerId: string }; traceId: number | null }> {
    return this.transport.call('avenants.create', { partnerId, draft });
  }
  sign(
    partnerId: string,
    number: number,
    signature: AvenantSignature,
  ): Promise<{ dryRun: boolean; avenant: Avenant & { partnerId: string }; changed: boolean; traceId: number | null }> {
    return this.transport.call('avenants.sign', { partnerId, number, signature });
  }
}

export class Reviews extends Resource {
  list(partnerId: string): Promise<Review[]> {
    return this.transport.call('reviews.list', { partnerId });
  }
  record(partnerId: string, review: ReviewRecord): Promise<{ dryRun: boolean; review: Review; traceId: number | null }> {
    return this.transport.call('reviews.record', { partnerId, review });
  }
}

export class Traces extends Resource {
  list(query: TracesListInput = {}): Promise<Page<Trace>> {
    return this.transport.call('traces.list', query);
  }
  iterate(query: Omit<TracesListInput, 'cursor'> = {}): AsyncGenerator<Trace> {
    return paginate((q) => this.list(q), query);
  }
  /** Every item in one array: cheaper than `iterate` for a whole list. */
  all(query: Omit<TracesListInput, 'cursor'> = {}): Promise<Trace[]> {
    return everyItem((q) => this.list(q), query);
  }
  /** The whole chain; through a head a signed checkpoint vouches for, or only after it (`tracesVerifyInputSchema`). */
  verify(input: TracesVerifyInput = {}): Promise<TraceVerification> {
    return this.transport.call('traces.verify', input);
  }
  /** The head of the chain (number, hash, store), what a checkpoint signs. */
  head(): Promise<TraceHead> {
    return this.transport.call('traces.head', {});
  }
  /** The stored hashes of some traces (1,000 at most), to check checkpoints against. */
  hashes(ids: number[]): Promise<{ id: number; hash: string }[]> {
    return this.transport.call('traces.hashes', { ids });
  }
  purge(options: TracesPurgeInput = {}): Promise<PurgeReport> {
    return this.transport.call('traces.purge', options);
  }
}

/** What an import answers: its counts, what it replaced, and its trace (`ImportResult`, defined with the import). */
export type ImportOutcome = ImportResult;

export class Dataset extends Resource {
  /** Imports a dataset document (dataset.md): all or nothing, every problem named by its JSON path. */
  import(
    source: DatasetSource,
    options: { reason?: string; dryRun?: boolean; onProgress?: (progress: { bytes: number; entities: number }) => void } = {},
  ): Promise<ImportOutcome> {
    return this.transport.call('dataset.import', { source, ...options });
  }
  /** Counts for a dashboard: partners, users not disabled, habilitations held. */
  summary(): Promise<DatasetSummary> {
    return this.transport.call('dataset.summary', {});
  }
  export(): Promise<Record<string, unknown>> {
    return this.transport.call('dataset.export', {});
  }
  /** The document as text chunks, for stores too large to hold as one object. */
  exportStream(): AsyncIterable<string> {
    return this.transport.exportStream();
  }
}
