import {
  HABILITATION_STATUS_LABELS,
  SEVERITY_LABELS,
  TRACE_ACTION_LABELS,
  USER_ROLE_LABELS,
  USER_STATUS_LABELS,
  countOf,
  describeDecisionChange,
  escapeForTerminal,
  ruleDefinition,
  type DecisionChange,
  type Flag,
  type Habilitation,
  type Trace,
} from '@cafsup/shared';
import type { CafsupClient } from '@cafsup/sdk';
import { frenchDate, frenchDateTime, traceTarget } from '../../format.js';
import { routeOfFlag, targetsOfFlag } from '../flags.js';
import { useNavigation, type DetailRequest, type Route } from '../navigation.js';
import { useSession } from '../session.js';
import { changesInWords, describeHabilitations, describeUsers } from '../words.js';
import { useAsync, type AsyncState } from './use-async.js';

/** A detail as lines of text, and where Entrée leads from it. */
export interface Detail {
  title: string;
  lines: string[];
  go: Route | null;
}

const say = escapeForTerminal;

function habilitationLine(habilitation: Habilitation, via?: string): string {
  return `  ${habilitation.id} · ${habilitation.service} ${habilitation.profile}${habilitation.departement === null ? '' : ` · dép. ${habilitation.departement}`} · ${HABILITATION_STATUS_LABELS[habilitation.status]}${via === undefined ? '' : ` · par le groupe ${say(via)}`}`;
}

function flagLines(flags: readonly Flag[]): string[] {
  return flags.length === 0 ? ['  aucune'] : flags.map((flag) => `  ${SEVERITY_LABELS[flag.severity]} · ${say(flag.message)}`);
}

async function userDetail(client: CafsupClient, id: string, asOf: string | undefined): Promise<Detail> {
  const user = await client.users.get(id);
  const [groups, habilitations, report] = await Promise.all([
    client.groups.all({ partnerId: user.partnerId }),
    client.habilitations.all({ partnerId: user.partnerId }),
    client.audit.run({ partnerId: user.partnerId, ...(asOf === undefined ? {} : { asOf }) }),
  ]);
  const mine = groups.filter((group) => group.memberIds.includes(id));
  const own = habilitations.filter((habilitation) => habilitation.userId === id);
  const viaGroups = habilitations.flatMap((habilitation) => {
    const group = mine.find((candidate) => candidate.id === habilitation.groupId);
    return group === undefined ? [] : [habilitationLine(habilitation, group.name)];
  });
  const flags = report.flags.filter(
    (flag) => targetsOfFlag(flag).users.includes(id) || own.some((habilitation) => targetsOfFlag(flag).habilitations.includes(habilitation.id)),
  );
  return {
    title: `${say(user.name)} (${user.id}) — ${user.partnerId}`,
    lines: [
      `Mél : ${say(user.email)}${user.function === null ? '' : ` · ${say(user.function)}`}`,
      `Rôle : ${USER_ROLE_LABELS[user.role]} · statut : ${USER_STATUS_LABELS[user.status]}${user.mustChangePassword ? ' · doit changer son mot de passe' : ''}`,
      `Dernière connexion : ${user.lastLoginAt === null ? 'jamais' : frenchDateTime(user.lastLoginAt)} · mot de passe changé : ${user.passwordChangedAt === null ? 'jamais' : frenchDateTime(user.passwordChangedAt)}`,
      ...(user.missionEndAt === null ? [] : [`Fin de mission : ${frenchDate(user.missionEndAt)}`]),
      `Groupes (${mine.length}) : ${mine.map((group) => say(group.name)).join(', ') || 'aucun'}`,
      `Habilitations (${own.length + viaGroups.length}) :`,
      ...own.map((habilitation) => habilitationLine(habilitation)),
      ...viaGroups,
      'Alertes :',
      ...flagLines(flags),
    ],
    go: { screen: 'partner', partnerId: user.partnerId, tab: 'utilisateurs', focusId: user.id },
  };
}

async function groupDetail(client: CafsupClient, id: string): Promise<Detail> {
  const group = await client.groups.get(id);
  const names = await describeUsers(client, group.memberIds);
  return {
    title: `Groupe ${say(group.name)} (${group.id}) — ${group.partnerId}`,
    lines: [`Membres (${group.memberIds.length}) :`, ...group.memberIds.map((member) => `  ${member} ${say(names(member) ?? '')}`)],
    go: { screen: 'partner', partnerId: group.partnerId, tab: 'utilisateurs' },
  };
}

async function habilitationDetail(client: CafsupClient, id: string, asOf: string | undefined): Promise<Detail> {
  const habilitation = await client.habilitations.get(id);
  if (habilitation.groupId !== null) {
    const group = await groupDetail(client, habilitation.groupId);
    return {
      ...group,
      title: `${habilitation.id} — ${group.title}`,
      lines: [habilitationLine(habilitation).trim(), ...group.lines],
      go: { screen: 'partner', partnerId: habilitation.partnerId, tab: 'habilitations', focusId: id },
    };
  }
  const [names, report] = await Promise.all([
    describeHabilitations(client, [id]),
    client.audit.run({ partnerId: habilitation.partnerId, ...(asOf === undefined ? {} : { asOf }) }),
  ]);
  return {
    title: `${habilitation.id} (${say(names(id) ?? '')})`,
    lines: [
      habilitationLine(habilitation).trim(),
      `Accordée le ${frenchDateTime(habilitation.grantedAt)}${habilitation.suspendedAt === null ? '' : ` · suspendue le ${frenchDateTime(habilitation.suspendedAt)}`}${habilitation.revokedAt === null ? '' : ` · dévalidée le ${frenchDateTime(habilitation.revokedAt)}`}`,
      'Alertes :',
      ...flagLines(
        report.flags.filter(
          (flag) => targetsOfFlag(flag).habilitations.includes(id) || (habilitation.userId !== null && targetsOfFlag(flag).users.includes(habilitation.userId)),
        ),
      ),
    ],
    go: { screen: 'partner', partnerId: habilitation.partnerId, tab: 'habilitations', focusId: id },
  };
}

async function flagDetail(client: CafsupClient, flag: Flag): Promise<Detail> {
  const targets = targetsOfFlag(flag);
  const [habilitations, users] = await Promise.all([describeHabilitations(client, targets.habilitations), describeUsers(client, targets.users)]);
  const definition = ruleDefinition(flag.rule);
  return {
    title: `${definition.label} — ${SEVERITY_LABELS[flag.severity]} — ${flag.partnerId}`,
    lines: [
      say(flag.message),
      `Règle n° ${definition.number} (${flag.rule}) · ${definition.article}`,
      ...(targets.habilitations.length + targets.users.length === 0 ? [] : ['Concerne :']),
      ...targets.habilitations.map((id) => `  habilitation ${id} (${say(habilitations(id) ?? '')})`),
      ...targets.users.map((id) => `  ${id} ${say(users(id) ?? '')}`),
    ],
    go: routeOfFlag(flag),
  };
}

/** The decisions an import changed, as its trace lists them (the first thousand), in the words of `cafsup import`. */
function importDecisions(trace: Trace): string[] {
  const details = trace.details as { decisionChanges?: DecisionChange[]; decisionChangesTotal?: number } | null;
  const listed = details?.decisionChanges ?? [];
  const more = (details?.decisionChangesTotal ?? listed.length) - listed.length;
  return [...listed.map((change) => `  ${say(describeDecisionChange(change))}`), ...(more > 0 ? [`  … et ${countOf(more, 'autre')}`] : [])];
}

async function traceDetail(client: CafsupClient, trace: Trace): Promise<Detail> {
  const target =
    trace.targetId === null
      ? undefined
      : trace.targetType === 'habilitation'
        ? (await describeHabilitations(client, [trace.targetId]))(trace.targetId)
        : trace.targetType === 'user'
          ? (await describeUsers(client, [trace.targetId]))(trace.targetId)
          : undefined;
  return {
    title: `Trace n° ${trace.id} — ${TRACE_ACTION_LABELS[trace.action]}`,
    lines: [
      `Le ${frenchDateTime(trace.at)} par ${say(trace.actor.name)} <${say(trace.actor.email)}>`,
      `Cible : ${traceTarget(trace)}${target === undefined ? '' : ` (${say(target)})`}${trace.partnerId === null ? '' : ` · partenaire ${trace.partnerId}`}`,
      `Motif : ${say(trace.reason)}`,
      'Changements :',
      ...changesInWords(trace.before, trace.after).map((line) => `  ${line}`),
      ...(trace.action === 'dataset.import' ? importDecisions(trace) : []),
    ],
    go: trace.partnerId === null ? null : { screen: 'partner', partnerId: trace.partnerId, tab: 'traces' },
  };
}

/** The detail Entrée opens on a row; every SDK call of a detail is here. */
export function useDetail(request: DetailRequest): AsyncState<Detail> {
  const { client } = useSession();
  const { asOf, revision } = useNavigation();
  return useAsync(() => {
    switch (request.kind) {
      case 'user':
        return userDetail(client, request.id, asOf);
      case 'habilitation':
        return habilitationDetail(client, request.id, asOf);
      case 'flag':
        return flagDetail(client, request.flag);
      case 'trace':
        return traceDetail(client, request.trace);
    }
  }, [request, asOf, revision]);
}
