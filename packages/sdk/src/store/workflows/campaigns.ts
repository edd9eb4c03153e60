import {
  CafsupError,
  longFrenchDate,
  addDays,
  addMonths,
  compareCodePoints,
  conventionState,
  daysBetween,
  parseInput,
  profileLabel,
  readReturnedSheet,
  reviewCampaignInputSchema,
  reviewSheetRecordSchema,
  ruleDefinition,
  type Actor,
  type CalendarDate,
  type Flag,
  type FlagOf,
  type ReviewCampaign,
  type ReviewCampaignInput,
  type ReviewKit,
  type ReviewKitRow,
  type ReviewSheetRecord,
  type Terms,
} from '@cafsup/shared';
import { inScope, type PartnerScope } from '../audit.js';
import { sha256 } from '../traces.js';
import { XlsxReadError, readXlsxRows, rowsAsCsv } from '../../dataset/xlsx-read.js';
import { requirePartner, trace, type WorkflowDeps } from './deps.js';

function recipient(terms: Terms, role: 'administrator' | 'deputy') {
  const contact = terms.contacts.find((candidate) => candidate.side === 'partner' && candidate.role === role);
  return contact === undefined ? null : { name: contact.name, email: contact.email };
}

interface KitRow {
  id: string;
  user_id: string | null;
  group_id: string | null;
  group_name: string | null;
  name: string | null;
  email: string | null;
  function: string | null;
  mission_end_at: string | null;
  last_login_at: string | null;
  service: string;
  profile: string;
  departement: string | null;
  status: string;
  granted_at: string;
  ends_at: string | null;
}

/** The yearly reverse review as a campaign (contrat de services, art. 2.2.2; workflows.md, section 2). */
export class Campaigns {
  constructor(private readonly deps: WorkflowDeps) {}

  /**
   * The partners whose review is overdue, or due within `within` days of `asOf`: rule 11 itself
   * gives each one's due date (one definition of « due »). Overdue today is rule 11 at `asOf`,
   * listed whatever the window, as it runs while the convention is in force, its notice period
   * included. Due within the window is rule 11 on the window's last day on which the convention
   * is still in force (a review due on day D is late on D + 1): the window's end, or the day
   * before the convention ends within it. A review that would fall due only on the convention's
   * last day in force or after is not asked for, the convention ending with it; and widening the
   * window never hides a partner. Each convention ending within the window costs an audit of its
   * one partner: `review due --within 366` on 5,000 partners took 1.8 s, against 2.1 s for the
   * one audit before (review 36, on a loaded machine).
   */
  async campaign(query: ReviewCampaignInput, scope: PartnerScope = {}): Promise<ReviewCampaign> {
    const input = parseInput(reviewCampaignInputSchema, query);
    const asOf = input.asOf ?? this.deps.clock().today;
    const horizon = addDays(asOf, input.within + 1);
    const partners: PartnerScope = {
      ...scope,
      ...(input.cafCode === undefined ? {} : { cafCodes: [input.cafCode].filter((code) => scope.cafCodes === undefined || scope.cafCodes.includes(code)) }),
    };
    const found = new Map<string, FlagOf<'REVIEW_OVERDUE'>>();
    const keep = async (day: CalendarDate, only: PartnerScope) => {
      for (const flag of (await this.deps.store.runAudit({ asOf: day, rules: ['REVIEW_OVERDUE'] }, only)).flags) {
        if (flag.rule === 'REVIEW_OVERDUE' && !found.has(flag.partnerId)) found.set(flag.partnerId, flag);
      }
    };
    await keep(asOf, partners);
    await keep(horizon, partners);
    // The conventions that end within the window (not in force on its last day): rule 11 on their last day in force.
    for (const entry of (await this.deps.conventions.all()).values()) {
      if (found.has(entry.partnerId) || !inScope(entry, partners)) continue;
      const { endsAt } = conventionState(entry.convention, horizon);
      if (endsAt === null || endsAt > horizon || addDays(endsAt, -1) <= asOf) continue;
      await keep(addDays(endsAt, -1), { ...partners, partnerId: entry.partnerId });
    }
    const reviews: ReviewCampaign['reviews'] = [];
    for (const flag of found.values()) {
      const partner = await requirePartner(this.deps, flag.partnerId, asOf);
      reviews.push({
        partnerId: flag.partnerId,
        partnerName: partner.name,
        cafCode: partner.entry.cafCode,
        lastReviewAt: flag.lastReviewAt,
        dueAt: flag.dueAt,
        overdue: flag.dueAt < asOf,
        daysLeft: daysBetween(asOf, flag.dueAt),
        administrator: recipient(partner.terms, 'administrator'),
        deputy: recipient(partner.terms, 'deputy'),
      });
    }
    // By code point, as partners and audit order ids (rules.md): `<` compares UTF-16 units.
    reviews.sort((a, b) => compareCodePoints(a.dueAt, b.dueAt) || compareCodePoints(a.partnerId, b.partnerId));
    return { asOf, within: input.within, reviews, overdue: reviews.filter((review) => review.overdue).length };
  }

  /** The pre-filled sheet: one row per held habilitation, with the flags that concern it. */
  async kit(partnerId: string, asOf: CalendarDate = this.deps.clock().today): Promise<ReviewKit> {
    const partner = await requirePartner(this.deps, partnerId, asOf);
    const rows = await this.deps.db.all<KitRow>(
      `SELECT h.id, u.id AS user_id, g.id AS group_id, g.name AS group_name, u.name, u.email, u.function, u.mission_end_at, u.last_login_at,
              h.service, h.profile, h.departement, h.status, h.granted_at, h.ends_at
         FROM habilitations h LEFT JOIN users u ON u.key = h.user_key LEFT JOIN groups g ON g.key = h.group_key
        WHERE h.partner_id = ? AND h.status <> 'revoked' ORDER BY h.id`,
      [partnerId],
    );
    const flags = (await this.deps.store.runAudit({ partnerId, asOf })).flags;
    const concerns = (flag: Flag, row: KitRow): boolean => {
      const fields = flag as unknown as Record<string, unknown>;
      if (fields.habilitationId !== undefined) return fields.habilitationId === row.id;
      if (row.user_id === null) return false;
      if (fields.userId !== undefined) return fields.userId === row.user_id;
      if (Array.isArray(fields.userIds)) return fields.userIds.includes(row.user_id);
      if (Array.isArray(fields.excessUserIds))
        return fields.service === row.service && fields.profile === row.profile && fields.excessUserIds.includes(row.user_id);
      return false;
    };
    return {
      partnerId,
      partnerName: partner.name,
      asOf,
      recipients: (['administrator', 'deputy'] as const).flatMap((role) => {
        const contact = recipient(partner.terms, role);
        return contact === null ? [] : [{ role, ...contact }];
      }),
      rows: rows.map((row): ReviewKitRow => ({
        habilitationId: row.id,
        person: row.group_id !== null ? `groupe ${row.group_name}` : row.name!,
        userId: row.user_id,
        groupId: row.group_id,
        email: row.email,
        function: row.function,
        service: row.service,
        profile: row.profile,
        profileLabel: profileLabel(row.service, row.profile),
        departement: row.departement,
        status: row.status,
        grantedAt: row.granted_at,
        lastLoginAt: row.last_login_at,
        missionEndAt: row.ends_at ?? row.mission_end_at,
        flags: flags.filter((flag) => concerns(flag, row)).map((flag) => `${ruleDefinition(flag.rule).number} ${ruleDefinition(flag.rule).label}`),
      })),
    };
  }

  /**
   * The returned sheet as the proof of the review: its SHA-256 is stored with the review, and its
   * « non » rows become the proposed revocations (applied by the supervisor after a dry run).
   */
  async recordSheet(partnerId: string, record: ReviewSheetRecord, actor: Actor) {
    const input = parseInput(reviewSheetRecordSchema, record);
    const dryRun = input.dryRun ?? false;
    const { text, digest } = returnedSheetText(input);
    const { decisions, problems } = readReturnedSheet(text);
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      await requirePartner(this.deps, partnerId, now.today);
      const held = new Map(
        (await this.deps.db.all<{ id: string; status: string }>(`SELECT id, status FROM habilitations WHERE partner_id = ?`, [partnerId])).map((row) => [
          row.id,
          row.status,
        ]),
      );
      for (const decision of decisions) {
        if (!held.has(decision.habilitationId))
          problems.push({ path: `sheet[${decision.line}]`, message: `habilitation ${decision.habilitationId} inconnue chez ${partnerId}` });
      }
      if (problems.length > 0) {
        throw new CafsupError('VALIDATION', `Feuille de revue illisible : ${problems.map((problem) => `${problem.path} : ${problem.message}`).join(' ; ')}.`, {
          problems,
        });
      }
      const proof = `feuille de revue retournée${input.fileName === undefined ? '' : ` (${input.fileName})`}, SHA-256 ${digest}`;
      const recorded = await this.deps.actions.recordReview(
        partnerId,
        { completedAt: input.completedAt, reviewer: input.reviewer, proof, ...(input.reason === undefined ? {} : { reason: input.reason }) },
        actor,
      );
      const revocations = decisions
        .filter((decision) => decision.keep === false && held.get(decision.habilitationId) !== 'revoked')
        .map((decision) => ({ habilitationId: decision.habilitationId, motive: decision.motive }));
      const summary = {
        rows: decisions.length,
        keep: decisions.filter((decision) => decision.keep === true).length,
        revoke: revocations.length,
        undecided: decisions.filter((decision) => decision.keep === null).map((decision) => decision.habilitationId),
      };
      await this.deps.db.run('INSERT INTO review_sheets (partner_id, completed_at, reviewer, sha256, file_name, decisions) VALUES (?, ?, ?, ?, ?, ?)', [
        partnerId,
        input.completedAt,
        input.reviewer,
        digest,
        input.fileName ?? null,
        JSON.stringify(decisions),
      ]);
      const [traceId] = await trace(this.deps, actor, now.at, dryRun, [
        {
          action: 'review.sheet',
          targetType: 'review',
          targetId: `${partnerId}@${input.completedAt}`,
          partnerId,
          reason: input.reason ?? `Feuille de revue inverse retournée le ${longFrenchDate(input.completedAt)} (contrat de services, art. 2.2.2)`,
          before: null,
          after: { sha256: digest, ...summary },
          details: { revocations },
        },
      ]);
      return {
        dryRun,
        review: recorded.review,
        sha256: digest,
        summary,
        revocations,
        nextDueAt: addMonths(input.completedAt, this.deps.settings.reviewPeriodMonths),
        traceIds: dryRun ? [] : [recorded.traceId!, traceId!],
      };
    });
  }
}

/**
 * The text of a returned sheet and the SHA-256 of what the partner returned: the CSV's own
 * text, or the workbook's bytes (read as the CSV of its first sheet), so the digest kept is
 * the one anyone can recompute from the file.
 */
function returnedSheetText(input: { sheet?: string | undefined; workbook?: string | undefined }): { text: string; digest: string } {
  if (input.sheet !== undefined) return { text: input.sheet, digest: sha256(input.sheet) };
  const bytes = Buffer.from(input.workbook!, 'base64');
  try {
    return { text: rowsAsCsv(readXlsxRows(bytes)), digest: sha256(bytes) };
  } catch (error) {
    if (!(error instanceof XlsxReadError)) throw error;
    throw new CafsupError('VALIDATION', `Classeur de revue illisible : ${error.message}.`, { problems: [{ path: 'workbook', message: error.message }] });
  }
}
