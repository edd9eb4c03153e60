import {
  CONTACT_ROLE_LABELS,
  REQUEST_KIND_LABELS,
  USER_ROLE_LABELS,
  REQUEST_STATUS_LABELS,
  conventionStatusLabel,
  countOf,
  escapeForTerminal,
  type ContactRole,
  type ConventionState,
  type DeletionForm,
  type DesignationForm,
  type Failing,
  type HabilitationForm,
  type LadderView,
  type RequestRecord,
  type Termination,
} from '@cafsup/shared';
import { frenchDate, frenchDateTime } from './format.js';

// Sentences about the supervision workflows' records (workflows.md), said alike by the
// `cafsup` workflow commands and the interface's dialogs.

/** The form's fields with the paper form's French words. */
function describeForm(request: RequestRecord): string[] {
  switch (request.kind) {
    case 'designation': {
      const form = request.form as DesignationForm;
      return [
        `${USER_ROLE_LABELS[form.role]} : ${form.name} (${form.function}), ${form.email}, ${form.phone}`,
        form.replaces === null ? 'ne remplace personne' : `remplace ${form.replaces.name} <${form.replaces.email}>`,
      ];
    }
    case 'habilitation': {
      const form = request.form as HabilitationForm;
      return [
        `personne : ${form.name}${form.function === null ? '' : ` (${form.function})`}, ${form.email}${form.userId === undefined ? '' : `, compte ${form.userId}`}`,
        `${form.service} ${form.profile}${form.departement === null ? '' : `, département ${form.departement}`}, ${form.temporary ? `mission temporaire jusqu’au ${frenchDate(form.endsAt)}` : 'mission permanente'}`,
      ];
    }
    case 'deletion': {
      const form = request.form as DeletionForm;
      return [
        ...form.people.map((person) => `suppression : ${person.name} <${person.email}>${person.function === null ? '' : `, ${person.function}`}`),
        `perte ou vol : ${form.lossOrTheft ? 'oui' : 'non'}${form.departedAt === undefined ? '' : ` ; départ le ${frenchDate(form.departedAt)}`}`,
      ];
    }
  }
}

/** A form of the register: its number, kind, status, dates, fields and traces, in French lines. */
export function describeRequest(request: RequestRecord): string[] {
  const lines = [
    `Demande n° ${request.number} — ${REQUEST_KIND_LABELS[request.kind]} (${REQUEST_STATUS_LABELS[request.status]})`,
    `  reçue le ${frenchDate(request.receivedAt)}${request.signatory === null ? '' : `, signée par ${escapeForTerminal(request.signatory)}`}`,
  ];
  if (request.reportDelayDays !== null)
    lines.push(`  signalée ${countOf(request.reportDelayDays, 'jour', 'jours')} après le départ (convention art. 9.2 : « sans délai »)`);
  if (request.decidedAt !== null)
    lines.push(
      `  ${request.status === 'applied' ? 'appliquée' : 'refusée'} le ${frenchDateTime(request.decidedAt)} : ${escapeForTerminal(request.decisionReason ?? '')}`,
    );
  lines.push(...describeForm(request).map((line) => `  ${escapeForTerminal(line)}`));
  if (request.traceIds.length > 0) lines.push(`  traces n° ${request.traceIds.join(', ')}`);
  return lines;
}

/** What applying a form changed, whichever form it was (the SDK's `changes`). */
export type AppliedChanges = {
  user?: { id: string; name: string; email: string } | null;
  habilitation?: { id: string; service: string; profile: string; departement: string | null; endsAt: string | null };
  contact?: { role: ContactRole; order?: number; name: string; email: string };
  /** Designation: whether the designated person was already named in that role (their details updated), and who leaves. */
  contactUpdated?: boolean;
  removedContact?: { role: ContactRole; order?: number; name: string; email: string } | null;
  /** Habilitation: the account that receives it when none is created. */
  existingUser?: { id: string; name: string } | null;
  roles?: { userId: string; role: string }[];
  passwordReset?: string[];
  revoked?: string[];
  disabled?: { userId: string; groupIds: string[] }[];
  incident?: number | null;
};

/** What applying a form changed (or would change), one French line each. */
export function describeChanges(changes: AppliedChanges): string[] {
  const lines: string[] = [];
  if (changes.user) lines.push(`  utilisateur créé : ${changes.user.id} ${escapeForTerminal(changes.user.name)} <${escapeForTerminal(changes.user.email)}>`);
  if (changes.existingUser)
    lines.push(
      `  compte existant : ${changes.existingUser.id} ${escapeForTerminal(changes.existingUser.name)} (aucun utilisateur créé, l’habilitation lui est accordée)`,
    );
  if (changes.habilitation) {
    const h = changes.habilitation;
    lines.push(
      `  habilitation accordée : ${h.id} ${h.service} ${h.profile}${h.departement === null ? '' : `, département ${h.departement}`}${h.endsAt === null ? '' : `, jusqu’au ${frenchDate(h.endsAt)} (mission temporaire)`}`,
    );
  }
  // Who leaves and who is named, each with the number of their place (« administrateur 2 »): the other contacts stay.
  const contactLine = (contact: NonNullable<AppliedChanges['contact']>, done: string) =>
    `  contact ${CONTACT_ROLE_LABELS[contact.role]}${contact.order === undefined ? '' : ` ${contact.order}`} du partenaire ${done} : ${escapeForTerminal(contact.name)} <${escapeForTerminal(contact.email)}>`;
  if (changes.removedContact) lines.push(contactLine(changes.removedContact, 'retiré'));
  if (changes.contact) lines.push(contactLine(changes.contact, changes.contactUpdated === true ? 'mis à jour' : 'ajouté'));
  for (const role of changes.roles ?? []) lines.push(`  rôle de ${role.userId} : ${(USER_ROLE_LABELS as Record<string, string>)[role.role] ?? role.role}`);
  if ((changes.passwordReset ?? []).length > 0) lines.push(`  changement de mot de passe forcé : ${changes.passwordReset!.join(', ')}`);
  if (changes.revoked !== undefined)
    lines.push(
      `  ${countOf(changes.revoked.length, 'habilitation dévalidée', 'habilitations dévalidées')}${changes.revoked.length === 0 ? '' : ` : ${changes.revoked.join(', ')}`}`,
    );
  for (const user of changes.disabled ?? [])
    lines.push(`  désactivé : ${user.userId}${user.groupIds.length === 0 ? '' : `, retiré de ${user.groupIds.join(', ')}`}`);
  if (changes.incident != null) lines.push(`  incident de sécurité n° ${changes.incident} enregistré (contrat de services, art. 5.1)`);
  return lines;
}

/** A registered letter (mise en demeure or unilateral termination): its dates, the status, the failings with their articles. */
export function describeNotice(kind: 'breach' | 'unilateral', result: { termination: Termination; failings: Failing[]; state: ConventionState }): string[] {
  return [
    `${kind === 'breach' ? 'Mise en demeure' : 'Résiliation unilatérale'} reçue le ${frenchDate(result.termination.noticeReceivedAt)} : ${result.state.terminationEffectiveAt === null ? 'pas de date d’effet' : `résiliation le ${frenchDate(result.state.terminationEffectiveAt)}`} (convention art. 17.2). Statut : ${conventionStatusLabel(result.state.status, result.termination)}.`,
    ...result.failings.map((failing) => `  · ${escapeForTerminal(failing.message)} (${failing.article})`),
  ];
}

/** What a remedy after a mise en demeure does to the convention. */
export function describeRemedy(date: string, state: ConventionState): string {
  return `Correction du ${frenchDate(date)} : la convention est ${state.status === 'active' ? 'de nouveau en vigueur' : `toujours résiliable le ${frenchDate(state.terminationEffectiveAt)} (correction après le délai d’un mois)`}.`;
}

/** The close-out: what is (or would be) revoked and disabled. */
export function describeCloseOut(result: { revoked: string[]; disabled: string[] }, dryRun: boolean): string {
  return `${dryRun ? 'Dévaliderait' : 'Dévalidé'} : ${countOf(result.revoked.length, 'habilitation')} ; ${dryRun ? 'désactiverait' : 'désactivé'} : ${result.disabled.length === 0 ? 'aucun gestionnaire' : result.disabled.join(', ')}.`;
}

/** The ladder's proposed next step and its article, or why there is none (it only proposes). */
export function describeNextStep(ladder: LadderView): string {
  const next = ladder.steps.find((step) => step.step === ladder.next);
  return next === undefined ? (ladder.note ?? 'Rien à proposer.') : `Prochaine étape : ${next.label} (${next.article}) — ${next.command}`;
}
