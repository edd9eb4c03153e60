import type {
  ActionOptions,
  Convention,
  ConventionEdit,
  GroupEdit,
  Partner,
  PartnerDraft,
  PartnerEdit,
  UserEdit,
  CalendarDate,
  ConventionState,
  Failing,
  Group,
  GroupDraft,
  Habilitation,
  HabilitationDraft,
  LadderView,
  NoticeDraft,
  NoticeRemedy,
  PersonExtract,
  PersonExtractInput,
  QuestionAnswer,
  QuestionDraft,
  QuestionRecord,
  RequestDraft,
  RequestRecord,
  RequestStatus,
  Review,
  ReviewCampaign,
  ReviewCampaignInput,
  ReviewKit,
  ReviewSheetRecord,
  Termination,
  User,
  UserDraft,
} from '@cafsup/shared';
import { Resource } from './resource.js';
import {
  Conventions as ConventionReads,
  Groups as GroupReads,
  Habilitations as HabilitationActions,
  Partners as PartnerActions,
  Reviews as ReviewRecords,
  Traces as TraceReads,
  Users as UserActions,
} from './index.js';

// The supervision workflows of workflows.md: new resources (the register of forms, questions,
// notices) and the workflow verbs of existing ones (reviews.campaign, traces.forPerson…).

type Written<T> = T & { dryRun: boolean; traceId: number | null };
/** An edit's answer: what it changes, field by field (empty when nothing: then no trace). */
type Edited<T, E> = Written<T> & { changes: { before: Partial<E>; after: Partial<E> } };

/** The register of the paper forms (workflows.md, section 1). */
export class Requests extends Resource {
  add(partnerId: string, request: RequestDraft): Promise<Written<{ request: RequestRecord }>> {
    return this.transport.call('requests.add', { partnerId, request });
  }
  list(partnerId: string, options: { status?: RequestStatus } = {}): Promise<RequestRecord[]> {
    return this.transport.call('requests.list', { partnerId, ...options });
  }
  get(partnerId: string, number: number): Promise<RequestRecord> {
    return this.transport.call('requests.get', { partnerId, number });
  }
  /** Applies a form (dry run first); refused with the rule and article it would break. */
  apply(partnerId: string, number: number, options: ActionOptions): Promise<{ dryRun: boolean; request: RequestRecord; changes: unknown }> {
    return this.transport.call('requests.apply', { partnerId, number, options });
  }
  refuse(partnerId: string, number: number, options: ActionOptions): Promise<Written<{ request: RequestRecord }>> {
    return this.transport.call('requests.refuse', { partnerId, number, options });
  }
}

/** Questions to the partner and incidents, with their answer deadlines in working days (sections 3, 5). */
export class Questions extends Resource {
  list(partnerId: string, options: { asOf?: CalendarDate } = {}): Promise<QuestionRecord[]> {
    return this.transport.call('questions.list', { partnerId, ...options });
  }
  add(partnerId: string, question: QuestionDraft): Promise<Written<{ question: QuestionRecord }>> {
    return this.transport.call('questions.add', { partnerId, question });
  }
  answer(partnerId: string, number: number, answer: QuestionAnswer): Promise<Written<{ question: QuestionRecord }>> {
    return this.transport.call('questions.answer', { partnerId, number, answer });
  }
}

/** Mise en demeure and unilateral termination by registered letter, and the remedy (convention art. 17.2). */
export class Notices extends Resource {
  add(
    partnerId: string,
    notice: NoticeDraft,
  ): Promise<Written<{ termination: Termination; sentAt: CalendarDate | null; failings: Failing[]; state: ConventionState }>> {
    return this.transport.call('notices.add', { partnerId, notice });
  }
  remedy(partnerId: string, remedy: NoticeRemedy): Promise<Written<{ termination: Termination; state: ConventionState }>> {
    return this.transport.call('notices.remedy', { partnerId, remedy });
  }
}

export class Partners extends PartnerActions {
  /** A new partner and its convention as signed (dataset.md's checks). */
  create(draft: PartnerDraft): Promise<Written<{ partner: Partner; convention: Convention }>> {
    return this.transport.call('partners.create', draft);
  }
  edit(id: string, changes: PartnerEdit): Promise<Edited<{ partner: Partner }, Partner>> {
    return this.transport.call('partners.edit', { id, changes });
  }
  /** On or after the termination's effective date: revoke everything held, disable the managers. */
  closeOut(id: string, options: ActionOptions): Promise<Written<{ endsAt: CalendarDate | null; revoked: string[]; disabled: string[] }>> {
    return this.transport.call('partners.closeOut', { id, options });
  }
  /** The next proportionate steps, each with its article; it only proposes. */
  ladder(id: string, options: { asOf?: CalendarDate } = {}): Promise<LadderView> {
    return this.transport.call('partners.ladder', { id, ...options });
  }
}

/** Corrections to a convention as signed (later changes of terms are avenants, art. 17.3). */
export class Conventions extends ConventionReads {
  edit(partnerId: string, changes: ConventionEdit): Promise<Edited<{ convention: Convention }, Convention>> {
    return this.transport.call('conventions.edit', { partnerId, changes });
  }
}

export class Users extends UserActions {
  create(partnerId: string, user: UserDraft): Promise<Written<{ user: User }>> {
    return this.transport.call('users.create', { partnerId, user });
  }
  edit(id: string, changes: UserEdit): Promise<Edited<{ user: User }, User>> {
    return this.transport.call('users.edit', { id, changes });
  }
}

export class Groups extends GroupReads {
  create(partnerId: string, group: GroupDraft): Promise<Written<{ group: Group }>> {
    return this.transport.call('groups.create', { partnerId, group });
  }
  edit(id: string, changes: GroupEdit): Promise<Edited<{ group: Group }, Group>> {
    return this.transport.call('groups.edit', { id, changes });
  }
}

export class Habilitations extends HabilitationActions {
  create(partnerId: string, habilitation: HabilitationDraft): Promise<Written<{ habilitation: Habilitation }>> {
    return this.transport.call('habilitations.create', { partnerId, habilitation });
  }
}

/** The outcome of a returned review sheet. */
export interface ReviewSheetOutcome {
  dryRun: boolean;
  review: Review;
  sha256: string;
  summary: { rows: number; keep: number; revoke: number; undecided: string[] };
  revocations: { habilitationId: string; motive: string | null }[];
  nextDueAt: CalendarDate;
  traceIds: number[];
}

export class Reviews extends ReviewRecords {
  /** Reviews due within `within` days (default 30) or overdue, with the administrator and deputy. */
  campaign(query: ReviewCampaignInput = {}): Promise<ReviewCampaign> {
    return this.transport.call('reviews.campaign', query);
  }
  /** The pre-filled sheet of every held habilitation (`reviewKitCsv`, `reviewKitMarkdown` format it). */
  kit(partnerId: string, options: { asOf?: CalendarDate } = {}): Promise<ReviewKit> {
    return this.transport.call('reviews.kit', { partnerId, ...options });
  }
  /** Records the review with the returned sheet as its proof; the « non » rows come back as proposed revocations. */
  recordSheet(partnerId: string, review: ReviewSheetRecord): Promise<ReviewSheetOutcome> {
    return this.transport.call('reviews.recordSheet', { partnerId, review });
  }
}

export class Traces extends TraceReads {
  /** A person's extract (contrat art. 5.3.4): their traces and rights; the request is recorded with the extract's SHA-256. */
  forPerson(input: PersonExtractInput): Promise<Written<{ extract: PersonExtract; markdown: string; sha256: string }>> {
    return this.transport.call('traces.forPerson', input);
  }
}
