import {
  CONVENTION_STATUS_LABELS,
  CafsupError,
  invalidInput,
  longFrenchDate,
  parisDay,
  actionOptionsSchema,
  conventionState,
  deskClock,
  noticeDraftSchema,
  noticeRemedySchema,
  parseInput,
  proposeLadder,
  questionAnswerSchema,
  questionDraftSchema,
  type ActionOptions,
  type Actor,
  type CalendarDate,
  type CaseKind,
  type ConventionState,
  type Failing,
  type LadderView,
  type NoticeDraft,
  type NoticeRemedy,
  type QuestionAnswer,
  type QuestionDraft,
  type QuestionRecord,
  type RuleName,
  type Termination,
} from '@cafsup/shared';
import { nextNumber, requirePartner, stepOptions, trace, type PartnerContext, type WorkflowDeps } from './deps.js';
import { USER_KEY_COLUMNS, type Records, type UserKeyRow } from './records.js';

interface QuestionRow {
  partner_id: string;
  number: number;
  kind: CaseKind;
  text: string;
  flags: string;
  opened_at: string;
  due_at: string | null;
  answer: string | null;
  answered_at: string | null;
  trace_ids: string;
}

/** Questions to the partner (contrat art. 2.2.1) and incidents at the Caf's desk (art. 3.2), with their clocks. */
export class Questions {
  constructor(private readonly deps: WorkflowDeps) {}

  private view(row: QuestionRow, partner: PartnerContext, asOf: CalendarDate): QuestionRecord {
    const desk = partner.terms.serviceDesk;
    // The desk's answer time binds the Caf; a question to the partner has its own due date, and
    // both sides share the contract's escalation delay (seed 003: « du centre de services Caf ou du partenaire »).
    const clockDesk = row.kind === 'incident' || desk === null ? desk : { ...desk, answerWithinWorkingDays: null };
    return {
      partnerId: row.partner_id,
      number: row.number,
      kind: row.kind,
      text: row.text,
      flags: JSON.parse(row.flags) as RuleName[],
      openedAt: row.opened_at,
      dueAt: row.due_at,
      answer: row.answer,
      answeredAt: row.answered_at,
      clock: deskClock({
        openedAt: row.opened_at,
        answeredAt: row.answered_at,
        desk: clockDesk,
        ladder: partner.terms.escalation,
        side: row.kind === 'incident' ? 'caf' : 'partner',
        asOf,
        dueAt: row.due_at,
      }),
      traceIds: JSON.parse(row.trace_ids) as number[],
    };
  }

  async list(partnerId: string, asOf: CalendarDate = this.deps.clock().today): Promise<QuestionRecord[]> {
    const partner = await requirePartner(this.deps, partnerId, asOf);
    const rows = await this.deps.db.all<QuestionRow>('SELECT * FROM questions WHERE partner_id = ? ORDER BY number', [partnerId]);
    return rows.map((row) => this.view(row, partner, asOf));
  }

  async get(partnerId: string, number: number, asOf: CalendarDate = this.deps.clock().today): Promise<QuestionRecord> {
    const partner = await requirePartner(this.deps, partnerId, asOf);
    const row = await this.deps.db.get<QuestionRow>('SELECT * FROM questions WHERE partner_id = ? AND number = ?', [partnerId, number]);
    if (row === undefined) throw new CafsupError('NOT_FOUND', `Question n° ${number} introuvable pour ${partnerId}.`, { ids: [`${partnerId}#Q${number}`] });
    return this.view(row, partner, asOf);
  }

  /** Writes a question or incident and its trace; runs inside the caller's transaction. */
  async open(
    partnerId: string,
    fields: { kind: CaseKind; text: string; flags: RuleName[]; dueAt: CalendarDate | null; openedAt: string },
    reason: string,
    actor: Actor,
    dryRun: boolean,
  ): Promise<{ number: number; traceId: number | null }> {
    const number = await nextNumber(this.deps.db, 'questions', partnerId);
    const [traceId] = await trace(this.deps, actor, this.deps.clock().at, dryRun, [
      { action: 'question.add', targetType: 'question', targetId: `${partnerId}#Q${number}`, partnerId, reason, before: null, after: { number, ...fields } },
    ]);
    await this.deps.db.run('INSERT INTO questions (partner_id, number, kind, text, flags, opened_at, due_at, trace_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      partnerId,
      number,
      fields.kind,
      fields.text,
      JSON.stringify(fields.flags),
      fields.openedAt,
      fields.dueAt,
      JSON.stringify(traceId === null ? [] : [traceId]),
    ]);
    return { number, traceId: traceId! };
  }

  async add(partnerId: string, draft: QuestionDraft, actor: Actor) {
    const input = parseInput(questionDraftSchema, draft);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      await requirePartner(this.deps, partnerId, now.today);
      const openedAt = input.openedAt ?? now.at;
      // Recorded once asked, as a request once received (trial 36): one dated to come would be
      // overdue or not according to a day that has not happened.
      if (parisDay(openedAt) > now.today) {
        throw new CafsupError('VALIDATION', `Une question ne peut pas être ouverte le ${longFrenchDate(parisDay(openedAt))}, dans le futur.`, {
          problems: [{ path: 'openedAt', message: 'date dans le futur' }],
        });
      }
      // An answer is due after the question is asked: « réponse attendue le 01/01/2020 » for a
      // question of today would be overdue from its first day.
      if (input.dueAt !== undefined && input.dueAt < parisDay(openedAt)) {
        throw new CafsupError('VALIDATION', `Échéance du ${longFrenchDate(input.dueAt)} antérieure à la question (${longFrenchDate(parisDay(openedAt))}).`, {
          problems: [{ path: 'dueAt', message: `antérieure à la question (${longFrenchDate(parisDay(openedAt))})` }],
        });
      }
      const opened = await this.open(
        partnerId,
        { kind: input.kind, text: input.text, flags: [...new Set(input.flags ?? [])], dueAt: input.dueAt ?? null, openedAt },
        input.reason ??
          (input.kind === 'question'
            ? 'Question au partenaire sur la pertinence des habilitations (contrat de services, art. 2.2.1)'
            : 'Incident signalé au centre de services'),
        actor,
        dryRun,
      );
      return { dryRun, question: await this.get(partnerId, opened.number, now.today), traceId: opened.traceId };
    });
  }

  async answer(partnerId: string, number: number, answer: QuestionAnswer, actor: Actor) {
    const input = parseInput(questionAnswerSchema, answer);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const question = await this.get(partnerId, number, now.today);
      if (question.answer !== null)
        throw new CafsupError('CONFLICT', `La question n° ${number} a déjà une réponse, reçue le ${longFrenchDate(parisDay(question.answeredAt!))}.`, {
          ids: [`${partnerId}#Q${number}`],
        });
      const answeredAt = input.answeredAt ?? now.at;
      // Received once asked and once come, as the question itself is dated (review 36).
      const answeredOn = parisDay(answeredAt);
      if (answeredOn > now.today || Date.parse(answeredAt) < Date.parse(question.openedAt)) {
        const when = answeredOn > now.today ? 'dans le futur' : `avant la question (${longFrenchDate(parisDay(question.openedAt))})`;
        throw new CafsupError('VALIDATION', `Une réponse ne peut pas être reçue le ${longFrenchDate(answeredOn)}, ${when}.`, {
          problems: [{ path: 'answeredAt', message: answeredOn > now.today ? 'date dans le futur' : 'antérieure à la question' }],
        });
      }
      const [traceId] = await trace(this.deps, actor, now.at, dryRun, [
        {
          action: 'question.answer',
          targetType: 'question',
          targetId: `${partnerId}#Q${number}`,
          partnerId,
          reason: input.reason ?? 'Réponse reçue',
          before: { answer: null },
          after: { answer: input.text, answeredAt },
        },
      ]);
      await this.deps.db.run('UPDATE questions SET answer = ?, answered_at = ?, trace_ids = ? WHERE partner_id = ? AND number = ?', [
        input.text,
        answeredAt,
        JSON.stringify([...question.traceIds, ...(traceId === null ? [] : [traceId])]),
        partnerId,
        number,
      ]);
      return { dryRun, question: await this.get(partnerId, number, now.today), traceId: traceId! };
    });
  }
}

/** The road from a breach to termination (convention art. 17.2): notices, remedy, close-out, the ladder. */
export class Breaches {
  constructor(
    private readonly deps: WorkflowDeps,
    private readonly records: Records,
    private readonly questions: Questions,
  ) {}

  /**
   * Writes the convention's termination (what rules.md reads) with its trace, and gives the
   * convention's state that follows from it.
   */
  private async setTermination(
    partner: PartnerContext,
    termination: Termination,
    step: { action: 'notice.add' | 'notice.remedy'; reason: string; details: (state: ConventionState) => unknown },
    actor: Actor,
    now: { at: string; today: CalendarDate },
    dryRun: boolean,
  ): Promise<{ state: ConventionState; traceId: number | null }> {
    const { avenants: _avenants, ...stored } = partner.entry.convention;
    await this.deps.db.run('UPDATE conventions SET doc = ? WHERE partner_id = ?', [JSON.stringify({ ...stored, termination }), partner.entry.partnerId]);
    this.deps.conventions.invalidate();
    const state = conventionState({ ...partner.entry.convention, termination }, now.today);
    const partnerId = partner.entry.partnerId;
    const [traceId] = await trace(this.deps, actor, now.at, dryRun, [
      {
        action: step.action,
        targetType: 'partner',
        targetId: partnerId,
        partnerId,
        reason: step.reason,
        before: { termination: stored.termination },
        after: { termination },
        details: step.details(state),
      },
    ]);
    return { state, traceId: traceId! };
  }

  /** The open flags as the failings a mise en demeure lists, each with its article. */
  async failings(partnerId: string, asOf: CalendarDate): Promise<Failing[]> {
    return (await this.deps.store.runAudit({ partnerId, asOf })).flags.map((flag) => ({
      rule: flag.rule,
      severity: flag.severity,
      article: flag.article,
      message: flag.message,
    }));
  }

  /**
   * A registered letter (convention art. 17.2): `breach`, the mise en demeure listing the
   * failings, one month to comply; `unilateral`, effect on the date asked but never before
   * received + 3 months. The convention's termination is what rules.md reads.
   */
  async addNotice(partnerId: string, draft: NoticeDraft, actor: Actor) {
    const input = parseInput(noticeDraftSchema, draft);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const partner = await requirePartner(this.deps, partnerId, now.today);
      const problems: { path: string; message: string }[] = [];
      if (input.receivedAt > now.today) problems.push({ path: 'receivedAt', message: 'date dans le futur' });
      if (input.sentAt !== undefined && input.sentAt > input.receivedAt) problems.push({ path: 'sentAt', message: 'envoi après la réception' });
      if (input.kind === 'breach' && input.requestedEffectiveAt !== undefined)
        problems.push({ path: 'requestedEffectiveAt', message: 'une mise en demeure n’a pas de date d’effet demandée (un mois après réception)' });
      if (problems.length > 0) throw invalidInput(problems);
      const before = partner.entry.convention.termination;
      const state = conventionState(partner.entry.convention, now.today);
      if (!state.inForce)
        throw new CafsupError(
          'CONFLICT',
          `Convention ${partner.entry.convention.number} non en vigueur (${CONVENTION_STATUS_LABELS[state.status]}) : pas de lettre de résiliation possible.`,
          { ids: [partnerId] },
        );
      if (before !== null && state.terminationEffectiveAt !== null) {
        throw new CafsupError(
          'CONFLICT',
          `Une ${before.kind === 'breach' ? 'mise en demeure' : 'résiliation'} est déjà en cours (reçue le ${longFrenchDate(before.noticeReceivedAt)}).`,
          { ids: [partnerId] },
        );
      }
      // The letter's date: it lists the failings open when it was written and sent (workflows.md
      // § 3), not those of the day it is recorded (trial 36, M3: a letter received on 31/01/2024
      // listed an account « sans connexion depuis le 28 juillet 2026 »). Without its sent date,
      // the received one is all the record says. The rules run at that date on the data as the
      // store holds it now, which keeps no earlier state: what was granted since may still show
      // (review 36).
      const letterAt = input.sentAt ?? input.receivedAt;
      // A letter may be recorded after the fact, but only within the convention's life: one dated
      // before it took effect (or after it ended) would terminate a convention not yet, or no
      // longer, in force (rules.md, « Convention state »: a notice is a state of one in force).
      const atLetter = conventionState(partner.entry.convention, letterAt);
      if (!atLetter.inForce)
        throw new CafsupError(
          'VALIDATION',
          `Lettre du ${longFrenchDate(letterAt)} : la convention ${partner.entry.convention.number} n’était pas en vigueur ce jour-là (${CONVENTION_STATUS_LABELS[atLetter.status]}${atLetter.periodStart === null ? '' : `, prise d’effet le ${longFrenchDate(atLetter.periodStart)}`}) ; rien n’a été enregistré.`,
          { problems: [{ path: input.sentAt === undefined ? 'receivedAt' : 'sentAt', message: 'date hors de la période de la convention' }] },
        );
      const termination: Termination = {
        kind: input.kind,
        noticeReceivedAt: input.receivedAt,
        ...(input.requestedEffectiveAt === undefined ? {} : { requestedEffectiveAt: input.requestedEffectiveAt }),
      };
      const failings = input.kind === 'breach' ? await this.failings(partnerId, letterAt) : [];
      const { state: after, traceId } = await this.setTermination(
        partner,
        termination,
        {
          action: 'notice.add',
          reason: input.reason ?? '',
          details: (state) => ({ sentAt: input.sentAt ?? null, failings, terminationEffectiveAt: state.terminationEffectiveAt }),
        },
        actor,
        now,
        dryRun,
      );
      return { dryRun, termination, sentAt: input.sentAt ?? null, failings, state: after, traceId };
    });
  }

  /** The remedy of a mise en demeure: it counts when dated on or before received + 1 month (rules.md). */
  async remedy(partnerId: string, remedy: NoticeRemedy, actor: Actor) {
    const input = parseInput(noticeRemedySchema, remedy);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const partner = await requirePartner(this.deps, partnerId, now.today);
      const before = partner.entry.convention.termination;
      if (before === null || before.kind !== 'breach')
        throw new CafsupError('CONFLICT', `Aucune mise en demeure en cours pour ${partnerId}.`, { ids: [partnerId] });
      if (before.remediedAt != null)
        throw new CafsupError('CONFLICT', `Correction déjà enregistrée le ${longFrenchDate(before.remediedAt)}.`, { ids: [partnerId] });
      if (input.date < before.noticeReceivedAt || input.date > now.today) {
        throw new CafsupError(
          'VALIDATION',
          `Date de correction du ${longFrenchDate(input.date)} hors de la période possible (du ${longFrenchDate(before.noticeReceivedAt)} au ${longFrenchDate(now.today)}).`,
          {
            problems: [{ path: 'date', message: `entre le ${longFrenchDate(before.noticeReceivedAt)} et le ${longFrenchDate(now.today)}` }],
          },
        );
      }
      const termination: Termination = { ...before, remediedAt: input.date };
      const { state, traceId } = await this.setTermination(
        partner,
        termination,
        { action: 'notice.remedy', reason: input.reason ?? '', details: (after) => ({ status: after.status }) },
        actor,
        now,
        dryRun,
      );
      return { dryRun, termination, state, traceId };
    });
  }

  /**
   * The close-out on or after the termination's effective date: one traced bulk action revokes
   * every held habilitation of the partner and disables its managers (convention art. 17.2).
   */
  async closeOut(partnerId: string, options: ActionOptions, actor: Actor) {
    const { reason = '', dryRun = false } = parseInput(actionOptionsSchema, options);
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const partner = await requirePartner(this.deps, partnerId, now.today);
      const state = conventionState(partner.entry.convention, now.today);
      if (state.status !== 'terminated') {
        throw new CafsupError(
          'CONFLICT',
          `Convention ${partner.entry.convention.number} non résiliée au ${longFrenchDate(now.today)}${state.endsAt === null ? '' : ` (fin le ${longFrenchDate(state.endsAt)})`} : la clôture se fait à la date d’effet ou après.`,
          { ids: [partnerId] },
        );
      }
      const held = (
        await this.deps.db.all<{ id: string }>(`SELECT id FROM habilitations WHERE partner_id = ? AND status <> 'revoked' ORDER BY id`, [partnerId])
      ).map((row) => row.id);
      const revoked = held.length === 0 ? { changed: [] } : await this.deps.actions.habilitationAction('revoke', held, stepOptions(reason, dryRun), actor);
      const managerRows = await this.deps.db.all<UserKeyRow>(
        `SELECT ${USER_KEY_COLUMNS} FROM users
          WHERE partner_id = ? AND role IN ('administrator', 'deputy', 'habilitation_manager') AND status <> 'disabled' ORDER BY id`,
        [partnerId],
      );
      const managers = managerRows.map((row) => row.id);
      // Done already, and nothing held or managed since: no change, no trace (as a suspension of the suspended).
      if (held.length === 0 && managers.length === 0) {
        const done = await this.deps.db.value<number>(
          `SELECT id FROM traces WHERE partner_id = ? AND action = 'partner.closeOut' AND erased = 0 ORDER BY id DESC LIMIT 1`,
          [partnerId],
        );
        if (done !== undefined) {
          throw new CafsupError(
            'CONFLICT',
            `Clôture déjà faite pour ${partnerId} (trace n° ${done}) : aucune habilitation détenue ni aucun gestionnaire actif depuis.`,
            { ids: [partnerId] },
          );
        }
      }
      const disabled = await this.records.disable(managerRows, reason, actor, now.at, dryRun);
      const [traceId] = await trace(this.deps, actor, now.at, dryRun, [
        {
          action: 'partner.closeOut',
          targetType: 'partner',
          targetId: partnerId,
          partnerId,
          reason,
          before: { held: held.length, managers },
          after: { held: 0 },
          details: { endsAt: state.endsAt, revoked: held, disabled: disabled.map((entry) => entry.userId) },
        },
      ]);
      return {
        dryRun,
        endsAt: state.endsAt,
        revoked: revoked.changed.map((change) => change.id),
        disabled: disabled.map((entry) => entry.userId),
        traceId: traceId!,
      };
    });
  }

  /** The escalation ladder of a partner at `asOf` (workflows.md, section 3): it proposes, the supervisor decides. */
  async ladder(partnerId: string, asOf: CalendarDate): Promise<LadderView> {
    const partner = await requirePartner(this.deps, partnerId, asOf);
    const state = conventionState(partner.entry.convention, asOf);
    const flags = state.status === 'terminated' ? [] : (await this.deps.store.runAudit({ partnerId, asOf })).flags;
    const actionsTaken = new Set(
      (await this.deps.db.all<{ action: string }>('SELECT DISTINCT action FROM traces WHERE partner_id = ? AND erased = 0', [partnerId])).map(
        (row) => row.action,
      ),
    );
    return proposeLadder({
      asOf,
      mode: partner.terms.managementMode,
      status: state.status,
      termination: partner.entry.convention.termination,
      terminationEffectiveAt: state.terminationEffectiveAt,
      flags,
      held: (await this.deps.db.value<number>(`SELECT COUNT(*) FROM habilitations WHERE partner_id = ? AND status <> 'revoked'`, [partnerId]))!,
      questions: (await this.questions.list(partnerId, asOf)).map((question) => ({
        kind: question.kind,
        answered: question.clock.answered,
        dueAt: question.clock.answerDueAt,
        overdue: question.clock.overdue,
      })),
      actionsTaken,
      delegationWithdrawn: partner.entry.convention.delegationWithdrawnAt !== null && partner.entry.convention.delegationWithdrawnAt <= asOf,
    });
  }
}
