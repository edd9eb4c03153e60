import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { laterDate, type CalendarDate } from './dates.js';
import { ESCALATION_SIDES, escalationContactSchema, orderedEscalation, serviceDeskSchema, type EscalationContact, type ServiceDesk } from './caf.js';
import { calendarDateSchema, emailSchema, normaliseEmail, requiredTextSchema } from './fields.js';
import { CONTACT_ROLE_LABELS, MANAGEMENT_MODE_LABELS, countOf, frenchNumber, plural } from './labels.js';
import {
  CONTACT_ROLES,
  MANAGEMENT_MODES,
  checkQuotas,
  contactSchema,
  maxUsersSchema,
  profileCodeSchema,
  profileNotInCatalogueMessage,
  quotaSchema,
  serviceCodeSchema,
  type Contact,
  type Quota,
  type Subscription,
  type Terms,
} from './terms.js';
import { CDAP_SERVICE, isKnownProfile } from './catalogue.js';
import { departementSchema } from './fields.js';

/** The typed changes an avenant may carry (rules.md, "Avenants and effective terms"). */
export const avenantChangeSchema = lazySchema(() =>
  z
    .discriminatedUnion('type', [
      z.object({
        type: z.literal('setQuota'),
        service: serviceCodeSchema,
        profile: profileCodeSchema,
        maxUsers: maxUsersSchema,
        departements: z.array(departementSchema).optional(),
      }),
      z.object({ type: z.literal('removeQuota'), service: serviceCodeSchema, profile: profileCodeSchema }),
      z.object({ type: z.literal('addService'), service: serviceCodeSchema, quotas: z.array(quotaSchema).default([]) }),
      z.object({ type: z.literal('removeService'), service: serviceCodeSchema }),
      z.object({ type: z.literal('setManagementMode'), mode: z.enum(MANAGEMENT_MODES) }),
      z.object({ type: z.literal('setContact'), contact: contactSchema }),
      z.object({
        type: z.literal('removeContact'),
        side: z.enum(['caf', 'partner']),
        role: z.enum(CONTACT_ROLES),
        email: emailSchema,
      }),
      // The contract's own service desk and escalation ladder (contrat art. 3.2, 3.3), as AMP's avenant 1 changed them.
      z.object({ type: z.literal('setServiceDesk'), serviceDesk: serviceDeskSchema }),
      z.object({ type: z.literal('setEscalation'), escalation: z.array(escalationContactSchema) }),
      z.object({ type: z.literal('note'), text: requiredTextSchema }),
    ])
    .superRefine((change, ctx) => {
      if (change.type === 'setQuota' && !isKnownProfile(change.service, change.profile)) {
        ctx.addIssue({ code: 'custom', path: ['profile'], message: profileNotInCatalogueMessage(change.service, change.profile) });
      }
      if (change.type === 'addService') checkQuotas(change.service, change.quotas, ctx, ['quotas']);
    }),
);
export type AvenantChange = z.infer<typeof avenantChangeSchema>;

/** The most users a quota a supervisor drafts may allow: past it, a figure mistyped (trial 22 took 99,999,999,999). */
export const DRAFTED_MAX_USERS = 100_000;

type Issue = (path: PropertyKey[], message: string) => void;

/**
 * What a supervisor drafting terms (an avenant, a convention entered or corrected) gets wrong
 * without it being refused by the terms' own shape, which a dataset's conventions and avenants
 * share and so keep as signed (trials 24 and 25): Cdap's code in other letters (« cdap » is
 * another service, which no quota of Cdap's would ever match), a département given twice, a
 * quota larger than any partner's staff.
 */
function checkDraftedService(service: string, issue: Issue, path: PropertyKey[]): void {
  if (service !== CDAP_SERVICE && service.toUpperCase() === CDAP_SERVICE)
    issue([...path, 'service'], `service « ${service} » : le code de Cdap s’écrit « ${CDAP_SERVICE} »`);
}

function checkDraftedQuota(quota: { maxUsers: number; departements?: readonly string[] | undefined }, issue: Issue, path: PropertyKey[]): void {
  // An integer past JavaScript's exact ones is refused by the terms' shape already, once.
  if (Number.isSafeInteger(quota.maxUsers) && quota.maxUsers > DRAFTED_MAX_USERS)
    issue([...path, 'maxUsers'], `au plus ${frenchNumber(DRAFTED_MAX_USERS)} attendu (reçu le nombre ${frenchNumber(quota.maxUsers)})`);
  const seen = new Set<string>();
  quota.departements?.forEach((departement, at) => {
    if (seen.has(departement)) issue([...path, 'departements', at], `département ${departement} deux fois`);
    seen.add(departement);
  });
}

/** The subscriptions of a convention a supervisor enters or corrects (`checkDraftedService`). */
export function checkDraftedSubscriptions(subscriptions: readonly Subscription[] | undefined, ctx: z.RefinementCtx, path: PropertyKey[]): void {
  const issue: Issue = (at, message) => ctx.addIssue({ code: 'custom', path: at, message });
  subscriptions?.forEach((subscription, index) => {
    checkDraftedService(subscription.service, issue, [...path, index]);
    subscription.quotas.forEach((quota, at) => checkDraftedQuota(quota, issue, [...path, index, 'quotas', at]));
  });
}

/**
 * The changes of an avenant a supervisor drafts (`checkDraftedService`), and what is changed
 * twice in it — a quota (or its service), the management mode, the service desk, the escalation
 * ladder — since only the last would count.
 * A Cdap quota removed that its catalogue does not have cannot exist.
 */
export function checkDraftedChanges(changes: readonly AvenantChange[], ctx: z.RefinementCtx): void {
  const changed = new Map<string, number>();
  changes.forEach((change, index) => {
    const issue: Issue = (path, message) => ctx.addIssue({ code: 'custom', path: [index, ...path], message });
    if ('service' in change) checkDraftedService(change.service, issue, []);
    if (change.type === 'removeQuota' && change.service === CDAP_SERVICE && !isKnownProfile(change.service, change.profile)) {
      issue(['profile'], profileNotInCatalogueMessage(change.service, change.profile));
    }
    if (change.type === 'setQuota') checkDraftedQuota(change, issue, []);
    if (change.type === 'addService') change.quotas.forEach((quota, at) => checkDraftedQuota(quota, issue, ['quotas', at]));
    // What the change sets, and what else it sets with it: a service added or removed sets all
    // of its quotas, so a quota of it changed in the same avenant is changed twice.
    const sets: [what: string, within: string[]] | null =
      change.type === 'setQuota' || change.type === 'removeQuota'
        ? [`le quota ${change.service} ${change.profile}`, [`le service ${change.service}`]]
        : change.type === 'addService' || change.type === 'removeService'
          ? [`le service ${change.service}`, [...changed.keys()].filter((key) => key.startsWith(`le quota ${change.service} `))]
          : change.type === 'setManagementMode'
            ? ['le mode de gestion', []]
            : change.type === 'setServiceDesk'
              ? ['le centre de services', []]
              : change.type === 'setEscalation'
                ? ['la procédure d’escalade', []]
                : null;
    if (sets === null) return;
    const [what, within] = sets;
    const earlier = [what, ...within].map((key) => changed.get(key)).find((at) => at !== undefined);
    if (earlier !== undefined) issue(['type'], `${what} : déjà changé par changes[${earlier}], un avenant ne le change qu’une fois`);
    if (!changed.has(what)) changed.set(what, index);
  });
}

export const avenantSchema = lazySchema(() =>
  z.object({
    number: z.number().int().positive(),
    title: requiredTextSchema,
    signedByCafAt: calendarDateSchema.nullable().default(null),
    signedByPartnerAt: calendarDateSchema.nullable().default(null),
    effectiveAt: calendarDateSchema.nullable().default(null),
    changes: z.array(avenantChangeSchema).default([]),
  }),
);
export type Avenant = z.infer<typeof avenantSchema>;

/** Signed means both parties signed. */
export function isAvenantSigned(avenant: Avenant): boolean {
  return avenant.signedByCafAt !== null && avenant.signedByPartnerAt !== null;
}

/** The given `effectiveAt`, else the later signature; null while a side has not signed. */
export function avenantEffectiveAt(avenant: Avenant): CalendarDate | null {
  if (avenant.signedByCafAt === null || avenant.signedByPartnerAt === null) return null;
  return avenant.effectiveAt ?? laterDate(avenant.signedByCafAt, avenant.signedByPartnerAt);
}

/** An avenant applies at `asOf` when both sides signed on or before it and it took effect by then. */
export function avenantApplies(avenant: Avenant, asOf: CalendarDate): boolean {
  const effectiveAt = avenantEffectiveAt(avenant);
  return effectiveAt !== null && avenant.signedByCafAt! <= asOf && avenant.signedByPartnerAt! <= asOf && effectiveAt <= asOf;
}

function upsertSubscription(subscriptions: Subscription[], service: string): Subscription {
  let subscription = subscriptions.find((candidate) => candidate.service === service);
  if (subscription === undefined) {
    subscription = { service, availableFrom: null, quotas: [] };
    subscriptions.push(subscription);
  }
  return subscription;
}

/** Applies one change to terms in place (the terms are a private copy of the caller's). */
export function applyChange(terms: Terms, change: AvenantChange): void {
  switch (change.type) {
    case 'setQuota': {
      const subscription = upsertSubscription(terms.subscriptions, change.service);
      const quota = {
        profile: change.profile,
        maxUsers: change.maxUsers,
        ...(change.departements === undefined ? {} : { departements: [...change.departements] }),
      };
      const index = subscription.quotas.findIndex((candidate) => candidate.profile === change.profile);
      if (index === -1) subscription.quotas.push(quota);
      else subscription.quotas[index] = quota;
      return;
    }
    case 'removeQuota': {
      const subscription = terms.subscriptions.find((candidate) => candidate.service === change.service);
      if (subscription !== undefined) {
        subscription.quotas = subscription.quotas.filter((quota) => quota.profile !== change.profile);
      }
      return;
    }
    case 'addService': {
      const subscription = upsertSubscription(terms.subscriptions, change.service);
      subscription.quotas = change.quotas.map((quota) => ({ ...quota }));
      return;
    }
    case 'removeService':
      terms.subscriptions = terms.subscriptions.filter((subscription) => subscription.service !== change.service);
      return;
    case 'setManagementMode':
      terms.managementMode = change.mode;
      return;
    case 'setContact': {
      const { contact } = change;
      const replaced = (candidate: (typeof terms.contacts)[number]) =>
        candidate.side === contact.side && candidate.role === contact.role && (contact.order === undefined || candidate.order === contact.order);
      const firstIndex = terms.contacts.findIndex(replaced);
      const kept = terms.contacts.filter((candidate) => !replaced(candidate));
      const position = firstIndex === -1 ? kept.length : firstIndex;
      kept.splice(position, 0, { ...contact });
      terms.contacts = kept;
      return;
    }
    case 'removeContact': {
      const email = normaliseEmail(change.email);
      terms.contacts = terms.contacts.filter(
        (contact) => !(contact.side === change.side && contact.role === change.role && normaliseEmail(contact.email) === email),
      );
      return;
    }
    case 'setServiceDesk':
      terms.serviceDesk = { ...change.serviceDesk };
      return;
    case 'setEscalation':
      terms.escalation = change.escalation.map((rung) => ({ ...rung }));
      return;
    case 'note':
      return;
  }
}

/**
 * The départements a quota is open to. Without a list it is open to all of them (rules.md,
 * rule 3: only a list restricts): said, since `setQuota` replaces the quota whole and so lifts a
 * restriction it does not repeat.
 */
function departementScope(departements: readonly string[] | undefined): string {
  if (departements === undefined || departements.length === 0) return ' (tous départements)';
  return ` (${plural(departements.length, 'département')} ${departements.join(', ')})`;
}

/** A quota as lists say it: « T13 × 20 (départements 13, 83, 84) ». */
export function quotaText(quota: Quota): string {
  return `${quota.profile} × ${frenchNumber(quota.maxUsers)}${departementScope(quota.departements)}`;
}

/** One change of an avenant in a French sentence, as the supervisor reads it in lists. */
export function describeAvenantChange(change: AvenantChange): string {
  switch (change.type) {
    case 'setQuota':
      return `quota ${change.service} ${change.profile} fixé à ${countOf(change.maxUsers, 'utilisateur')}${departementScope(change.departements)}`;
    case 'removeQuota':
      return `quota ${change.service} ${change.profile} retiré`;
    case 'addService':
      return `service ${change.service} ajouté${change.quotas.length === 0 ? '' : ` : ${change.quotas.map(quotaText).join(', ')}`}`;
    case 'removeService':
      return `service ${change.service} retiré`;
    case 'setManagementMode':
      return `mode de gestion : ${MANAGEMENT_MODE_LABELS[change.mode]}`;
    case 'setContact':
      return `contact ${describeContact(change.contact)}`;
    case 'removeContact':
      return `contact ${change.side === 'caf' ? 'Caf' : 'partenaire'} ${CONTACT_ROLE_LABELS[change.role]} retiré : ${change.email}`;
    case 'setServiceDesk':
      return `centre de services : ${serviceDeskText(change.serviceDesk)}`;
    case 'setEscalation':
      return `procédure d’escalade : ${escalationText(change.escalation)}`;
    case 'note':
      return `note : ${change.text}`;
  }
}

/** A contact named by a convention: « Caf responsable de la sécurité : Luc Martin <luc.martin@caf78.fr> ». */
export function describeContact(contact: Pick<Contact, 'side' | 'role' | 'name' | 'email'>): string {
  return `${contact.side === 'caf' ? 'Caf' : 'partenaire'} ${CONTACT_ROLE_LABELS[contact.role]} : ${contact.name} <${contact.email}>`;
}

/** A service desk and when escalation starts after it, in one line (an avenant's change, an edit's preview). */
export function serviceDeskText(desk: ServiceDesk | null): string {
  if (desk === null) return 'non précisé';
  return `${describeServiceDesk(desk)}${desk.escalateAfterDays == null ? '' : `, escalade ${escalationTrigger(desk)}`}`;
}

/** An escalation ladder in one line, in its order. */
export function escalationText(ladder: readonly EscalationContact[]): string {
  return ladder.length === 0 ? 'aucun interlocuteur' : orderedEscalation(ladder).map(describeEscalationRung).join(' ; ');
}

/** A service desk in one French line: address, phone, days and hours, answer time (contrat art. 3.2). */
export function describeServiceDesk(desk: ServiceDesk): string {
  const parts = [desk.email, desk.phone, desk.days, desk.hours].filter((part): part is string => typeof part === 'string' && part !== '');
  if (desk.answerWithinWorkingDays != null) parts.push(`réponse sous ${countOf(desk.answerWithinWorkingDays, 'jour ouvré', 'jours ouvrés')}`);
  return parts.length === 0 ? 'non précisé' : parts.join(', ');
}

/** When the escalation may start (contrat art. 3.3; Val d'Oise: « dans un délai d'1 mois »). */
export function escalationTrigger(desk: ServiceDesk | null): string {
  const delay = desk?.escalateAfterDays;
  return `en l’absence de réponse${delay == null ? '' : ` sous ${countOf(delay, 'jour')}`} ou en cas d’urgence`;
}

/**
 * The contract's desk and ladder as the partner sheet shows them, once: the effective ones,
 * both sides of the ladder in order, with the trigger of the escalation.
 */
export function describeContractSupport(terms: Pick<Terms, 'serviceDesk' | 'escalation'>): string[] {
  const lines = [`Centre de services : ${terms.serviceDesk === null ? 'non précisé' : describeServiceDesk(terms.serviceDesk)}`];
  if (terms.escalation.length === 0) lines.push('Procédure d’escalade : aucun interlocuteur désigné');
  else {
    lines.push(`Procédure d’escalade, ${escalationTrigger(terms.serviceDesk)} :`);
    for (const rung of orderedEscalation(terms.escalation)) lines.push(`  ${describeEscalationRung(rung)}`);
  }
  return lines;
}

/** How each side of the ladder is named. */
export const ESCALATION_SIDE_LABELS: Record<(typeof ESCALATION_SIDES)[number], string> = { caf: 'Caf', partner: 'partenaire' };

/** One rung in words: side, order, name, function, e-mail and phone. */
export function describeEscalationRung(rung: EscalationContact): string {
  const reach = [rung.email, rung.phone].filter((part): part is string => part !== null && part !== '').join(', ');
  return `${ESCALATION_SIDE_LABELS[rung.side]} ${rung.order}. ${rung.name}${rung.function === null ? '' : `, ${rung.function}`}${reach === '' ? '' : ` (${reach})`}`;
}
