import { z } from './zod.js';
import { lazySchema } from './lazy.js';
import { CDAP_SERVICE, CODE_MAX, PROFILE_CODE, SERVICE_CODE, isKnownProfile } from './catalogue.js';
import type { EscalationContact, ServiceDesk } from './caf.js';
import { calendarDateSchema, departementSchema, emailSchema, normaliseEmail, requiredTextSchema, textSchema } from './fields.js';

export const serviceCodeSchema = lazySchema(() =>
  z.string().max(CODE_MAX, `code de service trop long : ${CODE_MAX} caractères au plus`).regex(SERVICE_CODE, 'code de service invalide'),
);
export const profileCodeSchema = lazySchema(() =>
  z.string().max(CODE_MAX, `code de profil trop long : ${CODE_MAX} caractères au plus`).regex(PROFILE_CODE, 'code de profil invalide'),
);

/** A quota's number of users: -0 (which JSON may carry) is 0, not « -0 utilisateur » (trial 25). */
export const maxUsersSchema = lazySchema(() =>
  z
    .number()
    .int()
    .min(0)
    .overwrite((n) => n + 0),
);

/** The maximum number of users of one profile of a service, optionally for some départements only. */
export const quotaSchema = lazySchema(() =>
  z.object({
    profile: profileCodeSchema,
    maxUsers: maxUsersSchema,
    departements: z.array(departementSchema).optional(),
  }),
);
export type Quota = z.infer<typeof quotaSchema>;

/** A bulletin d'adhésion: one service opened to the partner, with its quotas. */
export const subscriptionSchema = lazySchema(() =>
  z
    .object({
      service: serviceCodeSchema,
      availableFrom: calendarDateSchema.nullable().default(null),
      quotas: z.array(quotaSchema).default([]),
    })
    .superRefine((subscription, ctx) => checkQuotas(subscription.service, subscription.quotas, ctx, ['quotas'])),
);
export type Subscription = z.infer<typeof subscriptionSchema>;

/**
 * A service's quotas: each profile in the service's catalogue, and named once. A quota is the
 * one of its service and profile (rules.md: `setQuota` creates or replaces « that quota »); two
 * would each be counted against the same holders, with two answers to « over? ».
 */
export function checkQuotas(service: string, quotas: readonly { profile: string }[], ctx: z.RefinementCtx, basePath: PropertyKey[]): void {
  const profiles = new Set<string>();
  quotas.forEach((quota, index) => {
    if (!isKnownProfile(service, quota.profile)) {
      ctx.addIssue({
        code: 'custom',
        path: [...basePath, index, 'profile'],
        message: profileNotInCatalogueMessage(service, quota.profile),
      });
    }
    if (profiles.has(quota.profile)) {
      ctx.addIssue({ code: 'custom', path: [...basePath, index, 'profile'], message: `profil ${quota.profile} deux fois dans le service ${service}` });
    }
    profiles.add(quota.profile);
  });
}

export function profileNotInCatalogueMessage(service: string, profile: string): string {
  return service === CDAP_SERVICE
    ? `profil « ${profile} » absent du catalogue Cdap (T1–T22 sauf T3, T7, T17)`
    : `profil « ${profile} » invalide pour le service ${service}`;
}

export const CONTACT_ROLES = [
  'administrator',
  'deputy',
  'habilitation_manager',
  'security_officer',
  'privacy_officer',
  'it_officer',
  'mcp_officer',
  'service_desk',
  'escalation',
] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];

/** A person named in the contract, on the Caf's side or the partner's. */
export const contactSchema = lazySchema(() =>
  z.object({
    side: z.enum(['caf', 'partner']),
    role: z.enum(CONTACT_ROLES),
    order: z.number().int().positive().optional(),
    name: requiredTextSchema,
    function: textSchema.nullable().optional(),
    email: emailSchema,
    phone: textSchema.nullable().optional(),
  }),
);
export type Contact = z.infer<typeof contactSchema>;

export const MANAGEMENT_MODES = ['delegated', 'centralised'] as const;
export type ManagementMode = (typeof MANAGEMENT_MODES)[number];

/** The terms in force: what the convention says once the applying avenants are taken in. */
export interface Terms {
  managementMode: ManagementMode;
  subscriptions: Subscription[];
  contacts: Contact[];
  /** The contract's service desk (contrat art. 3.2), else the Caf's; null when neither names one. */
  serviceDesk: ServiceDesk | null;
  /** The contract's escalation ladder (art. 3.3), else the Caf's; both sides, as the documents list them. */
  escalation: EscalationContact[];
}

/** An effective quota with the service it belongs to. */
export interface ServiceQuota {
  service: string;
  profile: string;
  maxUsers: number;
  departements: string[] | null;
}

/** Every quota of the terms, ordered by service then profile (code-point order). */
export function listQuotas(terms: Terms): ServiceQuota[] {
  const quotas: ServiceQuota[] = [];
  for (const subscription of terms.subscriptions) {
    for (const quota of subscription.quotas) {
      quotas.push({
        service: subscription.service,
        profile: quota.profile,
        maxUsers: quota.maxUsers,
        departements: quota.departements ?? null,
      });
    }
  }
  return quotas;
}

/** Index of quotas by `service\u0000profile`, for rules 2 and 3. */
export function indexQuotas(terms: Terms): Map<string, ServiceQuota> {
  return new Map(listQuotas(terms).map((quota) => [quotaKey(quota.service, quota.profile), quota]));
}

export function quotaKey(service: string, profile: string): string {
  return `${service}\u0000${profile}`;
}

/** Whether an e-mail is one of the contacts' of the given roles on the partner side (rule 13). */
export function designatedPartnerEmails(terms: Terms, roles: readonly ContactRole[]): Set<string> {
  return new Set(
    terms.contacts.filter((contact) => contact.side === 'partner' && roles.includes(contact.role)).map((contact) => normaliseEmail(contact.email)),
  );
}
