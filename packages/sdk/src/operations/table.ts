import { z } from 'zod';
import {
  actionOptionsSchema,
  auditCountsInputSchema,
  auditRunInputSchema,
  avenantDraftSchema,
  avenantSignatureSchema,
  calendarDateField,
  groupsListInputSchema,
  habilitationsListInputSchema,
  idListSchema,
  idField,
  idSchema,
  partnersListInputSchema,
  quotasTotalsInputSchema,
  quotasUsageInputSchema,
  reviewRecordSchema,
  tracesListInputSchema,
  tracesVerifyInputSchema,
  tracesPurgeInputSchema,
  usersListInputSchema,
  withReason,
  lazySchema,
  optionalField,
  plainInput,
  conventionEditSchema,
  groupDraftSchema,
  groupEditSchema,
  habilitationDraftSchema,
  partnerDraftSchema,
  partnerEditSchema,
  userEditSchema,
  noticeDraftSchema,
  noticeRemedySchema,
  personExtractInputSchema,
  questionAnswerSchema,
  questionDraftSchema,
  REQUEST_STATUSES,
  requestDraftSchema,
  reviewCampaignInputSchema,
  reviewKitInputSchema,
  reviewSheetRecordSchema,
  userDraftSchema,
  type Actor,
} from '@cafsup/shared';
import type { PartnerScope } from '../store/audit.js';
import type { ScopeTarget, Store } from '../store/store.js';
import type { DatasetEvent } from '../dataset/json-reader.js';

/** What a handler knows of its call beyond its input. */
export interface OperationContext {
  /** The acting supervisor; throws when none is known (only writes ask). */
  actor(): Actor;
  /** The partners the caller may see: `{}` for every Caf. */
  scope: PartnerScope;
  /**
   * For handlers that commit their own transactions (import, purge): called inside the last
   * one with the answer, so that an idempotency key lands with the write or not at all.
   */
  beforeCommit(result: unknown): Promise<void> | void;
  /** The document of `dataset.import`, as bytes or already parsed events. */
  source?: AsyncIterable<Uint8Array> | Iterable<DatasetEvent>;
  onProgress?: (progress: { bytes: number; entities: number }) => void;
}

/**
 * One operation of cafsup: its input schema (strict: an unknown field is refused), whether it
 * writes, whether it needs every Caf, what its caller must be allowed to see, and its handler.
 * Both transports, the server's routes and the contract tests are driven by this table.
 */
export interface OperationSpec<S extends z.ZodType = z.ZodType> {
  /** One French line, for `--help`, `cafsup api` and the API document. */
  summary: string;
  access: 'read' | 'write';
  /** Import, export and purge touch every partner: only a token for every Caf may call them. */
  storeWide?: boolean;
  input: S;
  /** Checked against the caller's Cafs before the handler runs; out of scope reads as missing. */
  target?: (input: z.output<S>) => ScopeTarget;
  /** A dry run writes nothing, so it is never stored under an idempotency key. */
  dryRun?: (input: z.output<S>) => boolean;
  /** The handler commits its own transactions and calls `context.beforeCommit` in the last one. */
  ownTransactions?: boolean;
  /** `dataset.import` reads a document (`context.source`); `dataset.export` streams one out. */
  stream?: 'in' | 'out';
  /**
   * A read whose answer depends only on its input, the caller's role and Cafs, the day and
   * traced data: a server may give the same text again while the trail's head has not moved
   * (workers/answers.ts). Not for reads of what changes untraced (a token's last use).
   */
  keptAnswer?: true;
  run(store: Store, input: z.output<S>, context: OperationContext): unknown;
  /**
   * A read's answer as the JSON text that `jsonText` writes for it (in UTF-8, in pieces written
   * one after the other), where the store has it at hand without building the answer (the
   * audit's flags are kept in that form): for a caller in this process that prints it (`cafsup
   * audit --json`), never over HTTP.
   */
  text?(store: Store, input: z.output<S>, context: OperationContext): Promise<{ text: readonly Uint8Array[] }>;
}

function operation<S extends z.ZodType>(spec: OperationSpec<S>): OperationSpec<S> {
  return spec;
}

/** The day a read is made for, when not today. */
const optionalDate = optionalField(calendarDateField);
const byId = lazySchema(() => z.strictObject({ id: idSchema }));
const idsAction = lazySchema(() => z.strictObject({ ids: idListSchema, options: actionOptionsSchema }));
const none = lazySchema(() => z.strictObject({}));
const optionsDryRun = (input: { options: { dryRun?: boolean | undefined } }) => input.options.dryRun === true;
const registerNumber = lazySchema(() => z.number().int().positive().max(1_000_000));

/** An action run as the whole of its operation: its traces' numbers go only to its answer (`ActionRunner`'s `whole`). */
const WHOLE = true;

/** An action on a list of users or habilitations (rules.md, "Actions"): ids, a reason, an optional dry run. */
function entityAction(
  summary: string,
  kind: 'users' | 'habilitations',
  run: (store: Store, ids: string[], options: z.output<typeof actionOptionsSchema>, actor: Actor) => unknown,
) {
  return operation({
    summary,
    access: 'write',
    input: idsAction,
    target: (input) => ({ [kind]: input.ids }),
    dryRun: optionsDryRun,
    run: (store, input, { actor }) => run(store, input.ids, input.options, actor()),
  });
}
const asOfOf = (store: Store, input: { asOf?: string | undefined }) => input.asOf ?? store.today();
/** The target of a read of every partner in reach, or of the one it names. */
const optionalPartner = (input: { partnerId?: string | undefined }): ScopeTarget => ({ partners: input.partnerId === undefined ? [] : [input.partnerId] });

export const OPERATION_TABLE = {
  'partners.list': operation({
    summary: 'liste des partenaires, par page',
    access: 'read',
    keptAnswer: true,
    input: partnersListInputSchema,
    run: (store, input, { scope }) => store.listPartners(input, scope),
  }),
  'partners.get': operation({
    summary: 'fiche d’un partenaire : convention, état, conditions en vigueur',
    access: 'read',
    keptAnswer: true,
    input: plainInput({ id: idField, asOf: optionalDate }),
    target: (input) => ({ partners: [input.id] }),
    run: (store, input) => store.getPartner(input.id, asOfOf(store, input)),
  }),
  'partners.withdrawDelegation': operation({
    summary: 'retrait de la délégation (contrat art. 2.2.1), avec l’avenant à signer',
    access: 'write',
    input: lazySchema(() => z.strictObject({ id: idSchema, options: actionOptionsSchema })),
    target: (input) => ({ partners: [input.id] }),
    dryRun: optionsDryRun,
    run: (store, input, { actor }) => store.actions.withdrawDelegation(input.id, input.options, actor()),
  }),
  'conventions.get': operation({
    summary: 'convention d’un partenaire, son état et ses conditions en vigueur',
    access: 'read',
    keptAnswer: true,
    input: plainInput({ partnerId: idField, asOf: optionalDate }),
    target: (input) => ({ partners: [input.partnerId] }),
    run: async (store, input) => {
      const detail = await store.getPartner(input.partnerId, asOfOf(store, input));
      return { ...detail.convention, state: detail.state, terms: detail.terms };
    },
  }),
  'quotas.usage': operation({
    summary: 'usage des quotas par service et profil',
    access: 'read',
    keptAnswer: true,
    input: quotasUsageInputSchema,
    target: optionalPartner,
    run: (store, input, { scope }) => store.quotaUsage(input, scope),
  }),
  'quotas.totals': operation({
    summary: 'places attribuées et accordées, et quotas dépassés, de chaque partenaire',
    access: 'read',
    keptAnswer: true,
    input: quotasTotalsInputSchema,
    target: optionalPartner,
    run: (store, input, { scope }) => store.quotaTotals(input, scope),
  }),
  'audit.run': operation({
    summary: 'les alertes des règles, de la plus grave à la moins grave',
    access: 'read',
    keptAnswer: true,
    input: auditRunInputSchema,
    target: optionalPartner,
    run: (store, input, { scope }) => store.runAudit(input, scope),
    text: (store, input, { scope }) => store.runAuditText(input, scope),
  }),
  'audit.counts': operation({
    summary: 'le nombre d’alertes par gravité de chaque partenaire qui en a',
    access: 'read',
    keptAnswer: true,
    input: auditCountsInputSchema,
    target: optionalPartner,
    run: (store, input, { scope }) => store.auditCounts(input, scope),
  }),
  'users.list': operation({
    summary: 'utilisateurs d’un partenaire',
    access: 'read',
    input: usersListInputSchema,
    target: (input) => ({ partners: [input.partnerId] }),
    run: (store, input) => store.listUsers(input),
  }),
  'users.get': operation({
    summary: 'un utilisateur',
    access: 'read',
    input: byId,
    target: (input) => ({ users: [input.id] }),
    run: (store, input) => store.getUser(input.id),
  }),
  'users.suspend': entityAction('suspension d’utilisateurs', 'users', (store, ids, options, actor) =>
    store.actions.userAction('suspend', ids, options, actor, WHOLE),
  ),
  'users.reinstate': entityAction('rétablissement d’utilisateurs suspendus', 'users', (store, ids, options, actor) =>
    store.actions.userAction('reinstate', ids, options, actor, WHOLE),
  ),
  'users.forcePasswordReset': operation({
    summary: 'changement de mot de passe forcé (utilisateurs, ou tout un partenaire)',
    access: 'write',
    input: lazySchema(() => z.union([idsAction, z.strictObject({ partnerId: idSchema, options: actionOptionsSchema })])),
    target: (input) => ('partnerId' in input ? { partners: [input.partnerId] } : { users: input.ids }),
    dryRun: optionsDryRun,
    run: (store, input, { actor }) =>
      store.actions.forcePasswordReset('partnerId' in input ? { partnerId: input.partnerId } : { userIds: input.ids }, input.options, actor(), WHOLE),
  }),
  'users.revokeHabilitations': entityAction('dévalidation des habilitations données directement à des utilisateurs', 'users', (store, ids, options, actor) =>
    store.actions.revokeUsersHabilitations(ids, options, actor, WHOLE),
  ),
  'groups.list': operation({
    summary: 'groupes d’un partenaire',
    access: 'read',
    input: groupsListInputSchema,
    target: (input) => ({ partners: [input.partnerId] }),
    run: (store, input) => store.listGroups(input),
  }),
  'groups.get': operation({
    summary: 'un groupe et ses membres',
    access: 'read',
    input: byId,
    target: (input) => ({ groups: [input.id] }),
    run: (store, input) => store.getGroup(input.id),
  }),
  'habilitations.list': operation({
    summary: 'habilitations d’un partenaire',
    access: 'read',
    input: habilitationsListInputSchema,
    target: (input) => ({ partners: [input.partnerId] }),
    run: (store, input) => store.listHabilitations(input),
  }),
  'habilitations.get': operation({
    summary: 'une habilitation',
    access: 'read',
    input: byId,
    target: (input) => ({ habilitations: [input.id] }),
    run: (store, input) => store.getHabilitation(input.id),
  }),
  'habilitations.suspend': entityAction('suspension à titre conservatoire d’habilitations', 'habilitations', (store, ids, options, actor) =>
    store.actions.habilitationAction('suspend', ids, options, actor, WHOLE),
  ),
  'habilitations.reinstate': entityAction('rétablissement d’habilitations suspendues', 'habilitations', (store, ids, options, actor) =>
    store.actions.habilitationAction('reinstate', ids, options, actor, WHOLE),
  ),
  'habilitations.revoke': entityAction('dévalidation d’habilitations', 'habilitations', (store, ids, options, actor) =>
    store.actions.habilitationAction('revoke', ids, options, actor, WHOLE),
  ),
  'avenants.list': operation({
    summary: 'avenants d’une convention, signés ou en projet',
    access: 'read',
    input: plainInput({ partnerId: idField, asOf: optionalDate }),
    target: (input) => ({ partners: [input.partnerId] }),
    run: (store, input) => store.listAvenants(input.partnerId, asOfOf(store, input)),
  }),
  'avenants.create': operation({
    summary: 'nouvel avenant, numéroté à la suite',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, draft: avenantDraftSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.draft.dryRun === true,
    run: (store, input, { actor }) => store.actions.createAvenant(input.partnerId, input.draft, actor()),
  }),
  'avenants.sign': operation({
    summary: 'signature d’un avenant par la Caf ou le partenaire',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, number: z.number().int().positive().max(10_000), signature: avenantSignatureSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.signature.dryRun === true,
    run: (store, input, { actor }) => store.actions.signAvenant(input.partnerId, input.number, input.signature, actor()),
  }),
  'reviews.list': operation({
    summary: 'revues inverses d’un partenaire',
    access: 'read',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    run: (store, input) => store.listReviews(input.partnerId),
  }),
  'reviews.record': operation({
    summary: 'enregistrement d’une revue inverse (contrat art. 2.2.2)',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, review: reviewRecordSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.review.dryRun === true,
    run: (store, input, { actor }) => store.actions.recordReview(input.partnerId, input.review, actor()),
  }),
  'traces.list': operation({
    summary: 'les traces, les plus récentes d’abord',
    access: 'read',
    input: tracesListInputSchema,
    target: optionalPartner,
    run: (store, input, { scope }) => store.listTraces(input, scope),
  }),
  'traces.verify': operation({
    summary: 'vérification de la chaîne des traces, au besoin par un point de contrôle signé ; donne sa tête',
    access: 'read',
    input: tracesVerifyInputSchema,
    run: (store, input) => store.verifyTraces(input),
  }),
  'traces.head': operation({
    summary: 'tête de la chaîne des traces (numéro et empreinte), pour un point de contrôle signé',
    access: 'read',
    input: none,
    run: (store) => store.traceHead(),
  }),
  'traces.hashes': operation({
    summary: 'empreintes de traces données, pour vérifier des points de contrôle',
    access: 'read',
    input: lazySchema(() => z.strictObject({ ids: z.array(z.number().int().positive()).min(1).max(1000) })),
    run: (store, input) => store.traceHashes(input.ids),
  }),
  'traces.purge': operation({
    summary: 'application des durées de conservation (contrat art. 5.3.2)',
    access: 'write',
    storeWide: true,
    input: tracesPurgeInputSchema,
    dryRun: (input) => input.dryRun === true,
    ownTransactions: true,
    run: (store, input, context) => store.purge(input, context.actor, context.beforeCommit),
  }),
  'dataset.import': operation({
    summary: 'import d’un jeu de données (tout ou rien)',
    access: 'write',
    storeWide: true,
    input: lazySchema(() => withReason({}, { defaulted: true })),
    dryRun: (input) => input.dryRun === true,
    ownTransactions: true,
    stream: 'in',
    run: (store, input, context) => {
      if (context.source === undefined) throw new Error('dataset.import needs its document');
      return store.importDataset(context.source, context.actor(), {
        ...(input.reason === undefined ? {} : { reason: input.reason }),
        ...(input.dryRun === undefined ? {} : { dryRun: input.dryRun }),
        ...(context.onProgress === undefined ? {} : { onProgress: context.onProgress }),
        beforeCommit: context.beforeCommit,
      });
    },
  }),
  'dataset.export': operation({
    summary: 'le jeu de données complet',
    access: 'read',
    storeWide: true,
    input: none,
    stream: 'out',
    run: async (store) => {
      let text = '';
      for await (const chunk of store.exportChunks()) text += chunk;
      return JSON.parse(text) as unknown;
    },
  }),
  'dataset.summary': operation({
    summary: 'chiffres pour un tableau de bord',
    access: 'read',
    input: none,
    run: (store, _input, { scope }) => store.summary(scope),
  }),
  // --- supervision workflows (workflows.md, issue 13) -------------------------------------------------
  'requests.add': operation({
    summary: 'enregistrement d’un formulaire reçu (désignation, habilitation, suppression d’accès)',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, request: requestDraftSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.request.dryRun === true,
    run: (store, input, { actor }) => store.workflows.requests.add(input.partnerId, input.request, actor()),
  }),
  'requests.list': operation({
    summary: 'registre des formulaires d’un partenaire',
    access: 'read',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, status: z.enum(REQUEST_STATUSES).optional() })),
    target: (input) => ({ partners: [input.partnerId] }),
    run: (store, input) => store.workflows.requests.list(input.partnerId, input.status),
  }),
  'requests.get': operation({
    summary: 'un formulaire du registre et les traces de ce qu’il a changé',
    access: 'read',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, number: registerNumber })),
    target: (input) => ({ partners: [input.partnerId] }),
    run: (store, input) => store.workflows.requests.get(input.partnerId, input.number),
  }),
  'requests.apply': operation({
    summary: 'application d’un formulaire ; refusée avec la règle et l’article qu’elle enfreindrait',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, number: registerNumber, options: actionOptionsSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: optionsDryRun,
    run: (store, input, { actor }) => store.workflows.requests.apply(input.partnerId, input.number, input.options, actor()),
  }),
  'requests.refuse': operation({
    summary: 'refus motivé d’un formulaire',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, number: registerNumber, options: actionOptionsSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: optionsDryRun,
    run: (store, input, { actor }) => store.workflows.requests.refuse(input.partnerId, input.number, input.options, actor()),
  }),
  'users.create': operation({
    summary: 'création d’un utilisateur par la Caf',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, user: userDraftSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.user.dryRun === true,
    run: (store, input, { actor }) => store.workflows.records.createUser(input.partnerId, input.user, actor()),
  }),
  'users.edit': operation({
    summary: 'correction d’un utilisateur par la Caf',
    access: 'write',
    input: lazySchema(() => z.strictObject({ id: idSchema, changes: userEditSchema })),
    target: (input) => ({ users: [input.id] }),
    dryRun: (input) => input.changes.dryRun === true,
    run: (store, input, { actor }) => store.workflows.records.editUser(input.id, input.changes, actor()),
  }),
  'groups.edit': operation({
    summary: 'correction d’un groupe (nom, membres) par la Caf (mode centralisé)',
    access: 'write',
    input: lazySchema(() => z.strictObject({ id: idSchema, changes: groupEditSchema })),
    target: (input) => ({ groups: [input.id] }),
    dryRun: (input) => input.changes.dryRun === true,
    run: (store, input, { actor }) => store.workflows.records.editGroup(input.id, input.changes, actor()),
  }),
  'partners.create': operation({
    summary: 'nouveau partenaire et sa convention signée',
    access: 'write',
    input: partnerDraftSchema,
    dryRun: (input) => input.dryRun === true,
    run: (store, input, { actor, scope }) => store.workflows.records.createPartner(input, actor(), scope),
  }),
  'partners.edit': operation({
    summary: 'correction des informations d’un partenaire',
    access: 'write',
    input: lazySchema(() => z.strictObject({ id: idSchema, changes: partnerEditSchema })),
    target: (input) => ({ partners: [input.id] }),
    dryRun: (input) => input.changes.dryRun === true,
    run: (store, input, { actor }) => store.workflows.records.editPartner(input.id, input.changes, actor()),
  }),
  'conventions.edit': operation({
    summary: 'correction de la convention telle que signée (les changements ultérieurs sont des avenants)',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, changes: conventionEditSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.changes.dryRun === true,
    run: (store, input, { actor }) => store.workflows.records.editConvention(input.partnerId, input.changes, actor()),
  }),
  'groups.create': operation({
    summary: 'création d’un groupe par la Caf (mode centralisé)',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, group: groupDraftSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.group.dryRun === true,
    run: (store, input, { actor }) => store.workflows.records.createGroup(input.partnerId, input.group, actor()),
  }),
  'habilitations.create': operation({
    summary: 'habilitation accordée par la Caf (mode centralisé, convention art. 9.1)',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, habilitation: habilitationDraftSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.habilitation.dryRun === true,
    run: (store, input, { actor }) => store.workflows.records.createHabilitation(input.partnerId, input.habilitation, actor()),
  }),
  'reviews.campaign': operation({
    summary: 'campagne de revue inverse : revues dues dans la fenêtre ou en retard (contrat art. 2.2.2)',
    access: 'read',
    input: reviewCampaignInputSchema,
    run: (store, input, { scope }) => store.workflows.campaigns.campaign(input, scope),
  }),
  'reviews.kit': operation({
    summary: 'feuille de revue pré-remplie : chaque habilitation détenue',
    access: 'read',
    input: reviewKitInputSchema,
    target: (input) => ({ partners: [input.partnerId] }),
    run: (store, input) => store.workflows.campaigns.kit(input.partnerId, asOfOf(store, input)),
  }),
  'reviews.recordSheet': operation({
    summary: 'revue enregistrée avec la feuille retournée (SHA-256) ; les « non » deviennent des dévalidations proposées',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, review: reviewSheetRecordSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.review.dryRun === true,
    run: (store, input, { actor }) => store.workflows.campaigns.recordSheet(input.partnerId, input.review, actor()),
  }),
  'questions.list': operation({
    summary: 'questions au partenaire et incidents, avec leurs délais de réponse et l’escalade due',
    access: 'read',
    input: plainInput({ partnerId: idField, asOf: optionalDate }),
    target: (input) => ({ partners: [input.partnerId] }),
    run: (store, input) => store.workflows.questions.list(input.partnerId, asOfOf(store, input)),
  }),
  'questions.add': operation({
    summary: 'question au partenaire (contrat art. 2.2.1) ou incident au centre de services (art. 3.2)',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, question: questionDraftSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.question.dryRun === true,
    run: (store, input, { actor }) => store.workflows.questions.add(input.partnerId, input.question, actor()),
  }),
  'questions.answer': operation({
    summary: 'réponse à une question ou à un incident',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, number: registerNumber, answer: questionAnswerSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.answer.dryRun === true,
    run: (store, input, { actor }) => store.workflows.questions.answer(input.partnerId, input.number, input.answer, actor()),
  }),
  'notices.add': operation({
    summary: 'mise en demeure ou résiliation unilatérale par lettre recommandée (convention art. 17.2)',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, notice: noticeDraftSchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.notice.dryRun === true,
    run: (store, input, { actor }) => store.workflows.breaches.addNotice(input.partnerId, input.notice, actor()),
  }),
  'notices.remedy': operation({
    summary: 'correction des manquements après une mise en demeure',
    access: 'write',
    input: lazySchema(() => z.strictObject({ partnerId: idSchema, remedy: noticeRemedySchema })),
    target: (input) => ({ partners: [input.partnerId] }),
    dryRun: (input) => input.remedy.dryRun === true,
    run: (store, input, { actor }) => store.workflows.breaches.remedy(input.partnerId, input.remedy, actor()),
  }),
  'partners.closeOut': operation({
    summary: 'clôture à la date d’effet de la résiliation : tout dévalider, désactiver les gestionnaires',
    access: 'write',
    input: lazySchema(() => z.strictObject({ id: idSchema, options: actionOptionsSchema })),
    target: (input) => ({ partners: [input.id] }),
    dryRun: optionsDryRun,
    run: (store, input, { actor }) => store.workflows.breaches.closeOut(input.id, input.options, actor()),
  }),
  'partners.ladder': operation({
    summary: 'échelle d’escalade : la prochaine étape proportionnée, avec son article',
    access: 'read',
    input: plainInput({ id: idField, asOf: optionalDate }),
    target: (input) => ({ partners: [input.id] }),
    run: (store, input) => store.workflows.breaches.ladder(input.id, asOfOf(store, input)),
  }),
  'traces.forPerson': operation({
    summary: 'extrait des traces d’une personne (contrat art. 5.3.4, RGPD art. 15), la demande enregistrée',
    access: 'write',
    input: personExtractInputSchema,
    target: (input) => ({ users: [input.userId] }),
    dryRun: (input) => input.dryRun === true,
    run: (store, input, { actor }) => store.workflows.person.extract(input, actor()),
  }),
  // --- end of supervision workflows -------------------------------------------------------------------
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry keeps its own schema type
} satisfies Record<string, OperationSpec<any>>;

export type Operation = keyof typeof OPERATION_TABLE;

/** Every operation, in the table's order. */
export const OPERATIONS = Object.keys(OPERATION_TABLE) as Operation[];

export function isOperation(name: string): name is Operation {
  return Object.hasOwn(OPERATION_TABLE, name);
}

/** The table's entry of an operation, typed loosely for generic callers (transports, routes). */
export function operationSpec(name: Operation): OperationSpec {
  return OPERATION_TABLE[name];
}
