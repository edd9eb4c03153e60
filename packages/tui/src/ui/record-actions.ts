import { RECORD_FORM_LABELS, WORKFLOW_STEP_LABELS, countOf, escapeForTerminal, type Group } from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';
import { frenchDate } from '../format.js';
import {
  CONVENTION_FIELDS,
  GROUP_FIELDS,
  HABILITATION_FIELDS,
  NEW_PARTNER_FIELDS,
  PARTNER_FIELDS,
  QUOTAS_QUESTION,
  USER_FIELDS,
  changeLines,
  changesFrom,
  createQuestions,
  editQuestions,
  recordFrom,
  subscriptionsFrom,
  type CurrentValues,
  type RecordField,
} from '../record-forms.js';
import { PREVIEW_REASON, type ActionPlan } from './actions.js';
import type { RecordRequest } from './navigation.js';
import { title, traceIdsOf } from './workflow-actions.js';

// The dialogs of the records the Caf writes without a form (workflows.md §1): each traced like
// an action, so each asks its reason; the fields come from record-forms.ts.

const reasonOf = (reason: string | undefined) => reason ?? PREVIEW_REASON;
const say = escapeForTerminal;
const UNCHANGED = 'Aucun champ changé.';

/** An edit: its questions with the current values, the changes it makes, and the SDK call. */
function editPlan(
  heading: string,
  fields: RecordField[],
  current: CurrentValues | undefined,
  edit: (client: CafsupClient, changes: Record<string, unknown>) => Promise<{ traceId: number | null; changes: { before: object; after: object } }>,
): ActionPlan {
  return {
    title: heading,
    questions: editQuestions(fields, current),
    reasonRequired: true,
    async run(client, answers, { reason, dryRun }) {
      const changes = changesFrom(fields, answers, current);
      if (Object.keys(changes).length === 0) return { lines: [UNCHANGED], traceIds: [], nothing: true };
      // What changes is the store's answer: a value typed as it already is changes nothing.
      const result = await edit(client, { ...changes, reason: reasonOf(reason), dryRun });
      const lines = changeLines(fields, result.changes as { before: Record<string, unknown>; after: Record<string, unknown> }).map((line) => `  ${say(line)}`);
      if (lines.length === 0) return { lines: [UNCHANGED], traceIds: [], nothing: true };
      return { lines: [`${dryRun ? 'Modifierait' : 'Modifié'} :`, ...lines], traceIds: traceIdsOf(result.traceId), nothing: false };
    },
  };
}

function habilitationCreatePlan(partnerId: string, holder: string | undefined): ActionPlan {
  // Looked up once per dialog: whether the holder is one of the partner's groups.
  let groupIds: Promise<Set<string>> | undefined;
  return {
    title: title(WORKFLOW_STEP_LABELS.habilitationCreate, partnerId),
    questions: createQuestions(HABILITATION_FIELDS).map((question) =>
      question.key === 'holder' && holder !== undefined ? { ...question, initial: holder } : question,
    ),
    reasonRequired: true,
    async run(client, answers, { reason, dryRun }) {
      groupIds ??= client.groups.all({ partnerId }).then((groups) => new Set(groups.map((group) => group.id)));
      const { holder, ...fields } = recordFrom(HABILITATION_FIELDS, answers) as { holder: string } & Record<string, string>;
      const to = (await groupIds).has(holder) ? { groupId: holder } : { userId: holder };
      const result = await client.habilitations.create(partnerId, { ...fields, profile: fields.profile!, ...to, reason: reasonOf(reason), dryRun });
      const { habilitation } = result;
      return {
        lines: [
          `${dryRun ? 'Accorderait' : 'Accordée'} : ${habilitation.id} ${habilitation.service} ${habilitation.profile} à ${habilitation.userId ?? `groupe ${habilitation.groupId}`}${habilitation.endsAt === null ? '' : `, jusqu’au ${frenchDate(habilitation.endsAt)}`}`,
        ],
        traceIds: traceIdsOf(result.traceId),
        nothing: false,
      };
    },
  };
}

/** A group of the partner (several: the dialog asks which first, then offers its values). */
function groupEditPlan(groups: { id: string; current?: Group }[]): ActionPlan {
  const planOf = (group: { id: string; current?: Group }) =>
    editPlan(title(WORKFLOW_STEP_LABELS.groupEdit, group.id), GROUP_FIELDS, group.current, (client, changes) => client.groups.edit(group.id, changes));
  if (groups.length === 1) return planOf(groups[0]!);
  const chosen = (value: string | undefined) => groups.find((group) => group.id === value)!;
  return {
    title: title(WORKFLOW_STEP_LABELS.groupEdit),
    questions: [
      {
        key: 'group',
        label: RECORD_FORM_LABELS.whichGroup,
        choices: groups.map((group) => ({ label: `${group.id} ${say(group.current?.name ?? '')}`, value: group.id })),
      },
    ],
    follow: (question, value) => (question.key === 'group' ? planOf(chosen(value)).questions : []),
    reasonRequired: true,
    run: (client, answers, options) => planOf(chosen(answers.group)).run(client, answers, options),
  };
}

/** The plan of each direct record. */
export function recordPlanFor(request: RecordRequest): ActionPlan {
  switch (request.kind) {
    case 'userCreate':
      return {
        title: title(WORKFLOW_STEP_LABELS.userCreate, request.partnerId),
        questions: createQuestions(USER_FIELDS),
        reasonRequired: true,
        async run(client, answers, { reason, dryRun }) {
          const draft = recordFrom(USER_FIELDS, answers) as { name: string; email: string };
          const { user, traceId } = await client.users.create(request.partnerId, { ...draft, reason: reasonOf(reason), dryRun });
          return {
            lines: [`${dryRun ? 'Créerait' : 'Créé'} : ${user.id} ${say(user.name)} <${say(user.email)}>`],
            traceIds: traceIdsOf(traceId),
            nothing: false,
          };
        },
      };
    case 'userEdit':
      return editPlan(title(WORKFLOW_STEP_LABELS.userEdit, request.userId), USER_FIELDS, request.current, (client, changes) =>
        client.users.edit(request.userId, changes),
      );
    case 'groupCreate':
      return {
        title: title(WORKFLOW_STEP_LABELS.groupCreate, request.partnerId),
        questions: createQuestions(GROUP_FIELDS),
        reasonRequired: true,
        async run(client, answers, { reason, dryRun }) {
          const draft = recordFrom(GROUP_FIELDS, answers) as { name: string };
          const { group, traceId } = await client.groups.create(request.partnerId, { ...draft, reason: reasonOf(reason), dryRun });
          return {
            lines: [`${dryRun ? 'Créerait' : 'Créé'} : groupe ${group.id} ${say(group.name)} (${countOf(group.memberIds.length, 'membre')})`],
            traceIds: traceIdsOf(traceId),
            nothing: false,
          };
        },
      };
    case 'groupEdit':
      return groupEditPlan(request.groups);
    case 'habilitationCreate':
      return habilitationCreatePlan(request.partnerId, request.holder);
    case 'partnerCreate':
      return {
        title: title(WORKFLOW_STEP_LABELS.partnerCreate),
        // The convention's keys are prefixed: a partner and its convention could share a field name.
        questions: [...createQuestions(NEW_PARTNER_FIELDS), ...createQuestions(CONVENTION_FIELDS, 'convention.'), QUOTAS_QUESTION],
        reasonRequired: true,
        async run(client, answers, { reason, dryRun }) {
          const partner = recordFrom(NEW_PARTNER_FIELDS, answers);
          const convention = {
            partnerId: partner.id,
            signedAt: null,
            ...recordFrom(CONVENTION_FIELDS, answers, 'convention.'),
            subscriptions: subscriptionsFrom(answers['convention.quotas']),
          };
          const result = await client.partners.create({ partner, convention, reason: reasonOf(reason), dryRun } as never);
          return {
            lines: [
              `${dryRun ? 'Enregistrerait' : 'Enregistré'} : ${result.partner.id} ${say(result.partner.name)}, convention ${say(result.convention.number)}`,
              ...result.convention.subscriptions.flatMap((subscription) =>
                subscription.quotas.map((quota) => `  ${subscription.service} ${quota.profile} : ${countOf(quota.maxUsers, 'place')}`),
              ),
            ],
            traceIds: traceIdsOf(result.traceId),
            nothing: false,
          };
        },
      };
    case 'partnerEdit':
      return editPlan(title(WORKFLOW_STEP_LABELS.partnerEdit, request.partnerId), PARTNER_FIELDS, request.current, (client, changes) =>
        client.partners.edit(request.partnerId, changes),
      );
    case 'conventionEdit':
      return editPlan(title(WORKFLOW_STEP_LABELS.conventionEdit, request.partnerId), CONVENTION_FIELDS, request.current, (client, changes) =>
        client.conventions.edit(request.partnerId, changes),
      );
  }
}
