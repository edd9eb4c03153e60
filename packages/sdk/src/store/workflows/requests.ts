import {
  CafsupError,
  longFrenchDate,
  DELEGATED_HABILITATION_REFUSAL,
  actionOptionsSchema,
  applyChange,
  daysBetween,
  normaliseEmail,
  parseInput,
  requestDraftSchema,
  REQUEST_KIND_LABELS,
  isSamePersonName,
  type ActionOptions,
  type Actor,
  type AvenantChange,
  type Contact,
  type DeletionForm,
  type DesignationForm,
  type HabilitationForm,
  type RequestDraft,
  type RequestRecord,
  type RequestStatus,
  type Terms,
} from '@cafsup/shared';
import { grantRefusal, nextId, nextNumber, refused, requireEndAhead, requirePartner, stepOptions, trace, type WorkflowDeps } from './deps.js';
import { newHabilitation, newUser, type Records, type UserKeyRow } from './records.js';
import type { Questions } from './breaches.js';

interface RequestRow {
  partner_id: string;
  number: number;
  kind: RequestRecord['kind'];
  received_at: string;
  signatory: string | null;
  form: string;
  status: RequestStatus;
  decided_at: string | null;
  decision_reason: string | null;
  trace_ids: string;
}

function rowToRequest(row: RequestRow): RequestRecord {
  const form = JSON.parse(row.form) as RequestRecord['form'];
  const departedAt = row.kind === 'deletion' ? ((form as DeletionForm).departedAt ?? null) : null;
  return {
    partnerId: row.partner_id,
    number: row.number,
    kind: row.kind,
    receivedAt: row.received_at,
    signatory: row.signatory,
    form,
    status: row.status,
    decidedAt: row.decided_at,
    decisionReason: row.decision_reason,
    traceIds: JSON.parse(row.trace_ids) as number[],
    reportDelayDays: departedAt === null ? null : daysBetween(departedAt, row.received_at),
  };
}

/** The partner-side contacts a designation form is about: its administrators and deputies. */
function isDesignatedContact(contact: Contact): boolean {
  return contact.side === 'partner' && (contact.role === 'administrator' || contact.role === 'deputy');
}

/**
 * What a designation form changes in the convention's contacts, as an avenant's changes (the one
 * model of a contact change): the person named in `replaces` removed (matched by e-mail, compared
 * as rule 7 does), the designated person set in their place — or in their own, when already
 * named in that role (new details) — and every other contact kept. A plain `setContact` would
 * replace every contact of the role: a partner with two administrators would lose both.
 * Null when `replaces` names no administrator nor deputy of the partner.
 */
function designationChanges(
  contacts: readonly Contact[],
  form: DesignationForm,
): { changes: AvenantChange[]; contact: Contact; updated: boolean; removed: Contact | null } | null {
  const email = normaliseEmail(form.email);
  const sameRole = contacts.filter((candidate) => candidate.side === 'partner' && candidate.role === form.role);
  const own = sameRole.find((candidate) => normaliseEmail(candidate.email) === email);
  let replaced: Contact | undefined;
  if (form.replaces !== null) {
    const wanted = normaliseEmail(form.replaces.email);
    const matches = contacts.filter((candidate) => isDesignatedContact(candidate) && normaliseEmail(candidate.email) === wanted);
    replaced = matches.find((candidate) => candidate.role === form.role) ?? matches[0];
    if (replaced === undefined) return null;
  }
  // The place the designated person takes: their own entry, else the replaced person's in that role.
  const slot = own ?? (replaced?.role === form.role ? replaced : undefined);
  const changes: AvenantChange[] = [];
  const remove = (contact: Contact) => changes.push({ type: 'removeContact', side: 'partner', role: contact.role, email: contact.email });
  if (replaced !== undefined && replaced !== slot) remove(replaced);
  // `setContact` replaces the contact of its role with its order, or every contact of its role
  // when it has none: an order is given whenever another contact of the role stays.
  const staying = sameRole.filter((candidate) => candidate !== slot && candidate !== replaced);
  let order = slot?.order;
  if (order === undefined && staying.length > 0) {
    if (slot !== undefined) remove(slot);
    order = Math.max(...staying.map((candidate) => candidate.order ?? 1)) + 1;
  }
  const contact: Contact = {
    side: 'partner',
    role: form.role,
    ...(order === undefined ? {} : { order }),
    name: form.name,
    function: form.function,
    email: form.email,
    phone: form.phone,
  };
  changes.push({ type: 'setContact', contact });
  // Who leaves the contacts: the person replaced (the designated person's own entry is updated, not removed).
  const removed = replaced === undefined || replaced === own ? null : replaced;
  return { changes, contact, updated: own !== undefined, removed };
}

/** The register of the paper forms (workflows.md, section 1): received, then applied or refused. */
export class Requests {
  constructor(
    private readonly deps: WorkflowDeps,
    private readonly records: Records,
    private readonly questions: Questions,
  ) {}

  async list(partnerId: string, status?: RequestStatus): Promise<RequestRecord[]> {
    await requirePartner(this.deps, partnerId, this.deps.clock().today);
    const rows = await this.deps.db.all<RequestRow>(
      `SELECT * FROM requests WHERE partner_id = ? ${status === undefined ? '' : 'AND status = ?'} ORDER BY number`,
      status === undefined ? [partnerId] : [partnerId, status],
    );
    return rows.map(rowToRequest);
  }

  async get(partnerId: string, number: number): Promise<RequestRecord> {
    const row = await this.deps.db.get<RequestRow>('SELECT * FROM requests WHERE partner_id = ? AND number = ?', [partnerId, number]);
    if (row === undefined) throw new CafsupError('NOT_FOUND', `Demande n° ${number} introuvable pour ${partnerId}.`, { ids: [`${partnerId}#${number}`] });
    return rowToRequest(row);
  }

  /** Records a form as received, with the next number of the partner's register. */
  async add(partnerId: string, draft: RequestDraft, actor: Actor) {
    const input = parseInput(requestDraftSchema, draft);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      await requirePartner(this.deps, partnerId, now.today);
      const receivedAt = input.receivedAt ?? now.today;
      if (receivedAt > now.today) {
        throw new CafsupError('VALIDATION', `Une demande ne peut pas être reçue le ${longFrenchDate(receivedAt)}, dans le futur.`, {
          problems: [{ path: 'receivedAt', message: 'date dans le futur' }],
        });
      }
      // A departure is reported after it happens: one after the form's reception would give a
      // negative reporting delay (« signalée -348 jours après le départ »).
      const { departedAt } = input.form as Partial<DeletionForm>;
      if (departedAt !== undefined && departedAt > receivedAt) {
        throw new CafsupError(
          'VALIDATION',
          `Départ du ${longFrenchDate(departedAt)} postérieur à la réception du formulaire (${longFrenchDate(receivedAt)}).`,
          {
            problems: [{ path: 'form.departedAt', message: `postérieur à la réception (${longFrenchDate(receivedAt)})` }],
          },
        );
      }
      // An account a form names by its id is one of this partner's: else the register would keep
      // another partner's (or another Caf's) id, refused only when the form is applied.
      const form = input.form as { userId?: string; people?: { userId?: string }[] };
      if (form.userId !== undefined) await this.records.requireUserOf(partnerId, form.userId, 'form.userId');
      for (const [index, person] of (form.people ?? []).entries()) {
        if (person.userId !== undefined) await this.records.requireUserOf(partnerId, person.userId, `form.people[${index}].userId`);
      }
      const number = await nextNumber(this.deps.db, 'requests', partnerId);
      const record = { partnerId, number, kind: input.kind, receivedAt, signatory: input.signatory ?? null, form: input.form };
      const [traceId] = await trace(this.deps, actor, now.at, dryRun, [
        {
          action: 'request.add',
          targetType: 'request',
          targetId: `${partnerId}#${number}`,
          partnerId,
          reason: input.reason ?? `Formulaire « ${REQUEST_KIND_LABELS[input.kind]} » reçu le ${longFrenchDate(receivedAt)}`,
          before: null,
          after: record,
        },
      ]);
      await this.deps.db.run(
        `INSERT INTO requests (partner_id, number, kind, received_at, signatory, form, status, trace_ids) VALUES (?, ?, ?, ?, ?, ?, 'received', ?)`,
        [partnerId, number, input.kind, receivedAt, record.signatory, JSON.stringify(input.form), JSON.stringify(traceId === null ? [] : [traceId])],
      );
      return { dryRun, request: await this.get(partnerId, number), traceId: traceId! };
    });
  }

  async refuse(partnerId: string, number: number, options: ActionOptions, actor: Actor) {
    const { reason = '', dryRun = false } = parseInput(actionOptionsSchema, options);
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const request = await this.requireReceived(partnerId, number);
      const [traceId] = await trace(this.deps, actor, now.at, dryRun, [
        {
          action: 'request.refuse',
          targetType: 'request',
          targetId: `${partnerId}#${number}`,
          partnerId,
          reason,
          before: { status: request.status },
          after: { status: 'refused' },
        },
      ]);
      await this.decide(request, 'refused', now.at, reason, traceId == null ? [] : [traceId]);
      return { dryRun, request: await this.get(partnerId, number), traceId: traceId! };
    });
  }

  /**
   * Applies a form: what it asks is done with the actions of rules.md, in this one transaction,
   * each change traced; refused, naming the rule and article, when it would break one.
   */
  async apply(partnerId: string, number: number, options: ActionOptions, actor: Actor) {
    const { reason = '', dryRun = false } = parseInput(actionOptionsSchema, options);
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const request = await this.requireReceived(partnerId, number);
      const traceIds: (number | null)[] = [];
      let changes: unknown;
      switch (request.kind) {
        case 'designation':
          changes = await this.applyDesignation(partnerId, number, request.form as DesignationForm, reason, actor, now, dryRun, traceIds);
          break;
        case 'habilitation':
          changes = await this.applyHabilitation(partnerId, number, request.form as HabilitationForm, reason, actor, now, dryRun, traceIds);
          break;
        case 'deletion':
          changes = await this.applyDeletion(partnerId, number, request.form as DeletionForm, reason, actor, now, dryRun, traceIds);
          break;
      }
      traceIds.push(
        ...(await trace(this.deps, actor, now.at, dryRun, [
          {
            action: 'request.apply',
            targetType: 'request',
            targetId: `${partnerId}#${number}`,
            partnerId,
            reason,
            before: { status: request.status },
            after: { status: 'applied' },
          },
        ])),
      );
      await this.decide(
        request,
        'applied',
        now.at,
        reason,
        traceIds.filter((id): id is number => id !== null),
      );
      return { dryRun, request: await this.get(partnerId, number), changes };
    });
  }

  private async requireReceived(partnerId: string, number: number): Promise<RequestRecord> {
    await requirePartner(this.deps, partnerId, this.deps.clock().today);
    const request = await this.get(partnerId, number);
    if (request.status !== 'received') {
      throw new CafsupError('CONFLICT', `La demande n° ${number} est déjà ${request.status === 'applied' ? 'appliquée' : 'refusée'}.`, {
        ids: [`${partnerId}#${number}`],
      });
    }
    return request;
  }

  private async decide(request: RequestRecord, status: RequestStatus, at: string, reason: string, traceIds: number[]): Promise<void> {
    await this.deps.db.run('UPDATE requests SET status = ?, decided_at = ?, decision_reason = ?, trace_ids = ? WHERE partner_id = ? AND number = ?', [
      status,
      at,
      reason,
      JSON.stringify([...request.traceIds, ...traceIds]),
      request.partnerId,
      request.number,
    ]);
  }

  /**
   * « Désignation d'un administrateur »: the partner-side contact is replaced as an avenant's
   * `setContact` and `removeContact` would (contrat art. 2.2.2 and annexe 1): only the person the
   * form replaces leaves, the others stay; the user with that e-mail gets the role, and the person
   * replaced, when an account of theirs holds that role, loses it (rule 13).
   */
  private async applyDesignation(
    partnerId: string,
    number: number,
    form: DesignationForm,
    reason: string,
    actor: Actor,
    now: { at: string },
    dryRun: boolean,
    traceIds: (number | null)[],
  ) {
    const entry = (await this.deps.conventions.get(partnerId))!;
    const { avenants: _avenants, ...stored } = entry.convention;
    const designation = designationChanges(stored.contacts, form);
    if (designation === null) {
      const replaces = form.replaces!;
      const named = stored.contacts.filter(isDesignatedContact).map((candidate) => `${candidate.name} <${candidate.email}>`);
      throw new CafsupError(
        'VALIDATION',
        `Demande n° ${number} : ${replaces.name} <${replaces.email}>, à remplacer, n’est ni administrateur ni suppléant désigné par la convention de ${partnerId} (${named.length === 0 ? 'aucun n’est désigné' : `désignés : ${named.join(', ')}`}). Rien n’a été modifié.`,
        { problems: [{ path: 'form.replaces.email', message: 'aucun administrateur ni suppléant du partenaire avec cette adresse' }] },
      );
    }
    const holder = { contacts: structuredClone(stored.contacts) } as Terms;
    for (const change of designation.changes) applyChange(holder, change);
    await this.deps.db.run('UPDATE conventions SET doc = ? WHERE partner_id = ?', [JSON.stringify({ ...stored, contacts: holder.contacts }), partnerId]);
    this.deps.conventions.invalidate();
    traceIds.push(
      ...(await trace(this.deps, actor, now.at, dryRun, [
        {
          action: 'convention.setContact',
          targetType: 'partner',
          targetId: partnerId,
          partnerId,
          reason,
          before: { contacts: stored.contacts },
          after: { contacts: holder.contacts },
        },
      ])),
    );
    const roles: { userId: string; role: string }[] = [];
    const replaced = form.replaces === null ? undefined : await this.records.userByEmail(partnerId, normaliseEmail(form.replaces.email));
    // The person replaced loses a manager's role once the convention no longer designates them,
    // whichever role the form gives its new person (review 36: a deputy designated in an
    // administrator's place left them administrator, and rule 13 flagged it at once).
    const stillDesignated = (email: string) => holder.contacts.some((contact) => isDesignatedContact(contact) && normaliseEmail(contact.email) === email);
    if (
      replaced !== undefined &&
      (replaced.role === 'administrator' || replaced.role === 'deputy') &&
      normaliseEmail(form.replaces!.email) !== normaliseEmail(form.email) &&
      !stillDesignated(normaliseEmail(form.replaces!.email))
    ) {
      traceIds.push(await this.records.setRole(replaced, 'user', reason, actor, now.at, dryRun));
      roles.push({ userId: replaced.id, role: 'user' });
    }
    const designated = await this.records.userByEmail(partnerId, normaliseEmail(form.email));
    if (designated !== undefined && designated.role !== form.role) {
      traceIds.push(await this.records.setRole(designated, form.role, reason, actor, now.at, dryRun));
      roles.push({ userId: designated.id, role: form.role });
    }
    return { contact: designation.contact, contactUpdated: designation.updated, removedContact: designation.removed, roles };
  }

  /**
   * « Demande individuelle d'habilitation »: in centralised mode the Caf grants it (convention
   * art. 9.1), creating the user when absent, with `endsAt` for a temporary mission; in delegated
   * mode the partner's managers do.
   */
  private async applyHabilitation(
    partnerId: string,
    number: number,
    form: HabilitationForm,
    reason: string,
    actor: Actor,
    now: { at: string; today: string },
    dryRun: boolean,
    traceIds: (number | null)[],
  ) {
    const partner = await requirePartner(this.deps, partnerId, now.today);
    if (partner.terms.managementMode !== 'centralised')
      throw refused(DELEGATED_HABILITATION_REFUSAL, `Pour répondre au partenaire : cafsup request refuse ${partnerId} ${number} --reason « … ».`);
    // The account the form names by id; else the one with its e-mail, when it is the same person.
    // An account of someone else with that address is not theirs to receive: left out here, the
    // address is then refused as shared (rule 7) by the check every grant goes through.
    const byEmail = form.userId === undefined ? await this.records.userByEmail(partnerId, normaliseEmail(form.email)) : undefined;
    const existing =
      form.userId !== undefined
        ? await this.records.requireUserOf(partnerId, form.userId, 'form.userId')
        : byEmail !== undefined && isSamePersonName(form.name, byEmail.name)
          ? byEmail
          : undefined;
    if (existing?.status === 'disabled') throw new CafsupError('CONFLICT', `L’utilisateur ${existing.id} est désactivé.`, { ids: [existing.id] });
    requireEndAhead(form.endsAt, now.today, 'form.endsAt');
    const refusal = await grantRefusal(this.deps, partner, now.today, {
      service: form.service,
      profile: form.profile,
      departement: form.departement,
      email: form.email,
      userId: existing?.id ?? null,
    });
    if (refusal !== null)
      throw refused(refusal, `Rien n’a été créé ; pour répondre au partenaire : cafsup request refuse ${partnerId} ${number} --reason « … ».`);
    let userId = existing?.id;
    let user = null;
    if (userId === undefined) {
      user = newUser(
        {
          id: await nextId(this.deps.db, 'users', `${partnerId}-u`, 3),
          partnerId,
          name: form.name,
          email: form.email,
          function: form.function,
          role: 'user',
          departement: form.departement,
          missionEndAt: null,
        },
        now.at,
      );
      traceIds.push(await this.records.insertUser(user, reason, actor, now.at, dryRun));
      userId = user.id;
    }
    const habilitation = newHabilitation(
      { id: await nextId(this.deps.db, 'habilitations', `${partnerId}-h`, 4), partnerId, userId, groupId: null },
      { service: form.service, profile: form.profile, departement: form.departement, endsAt: form.endsAt },
      now.at,
    );
    traceIds.push(await this.records.insertHabilitation(habilitation, reason, actor, now.at, dryRun));
    // Said, so that a supervisor sees whose account receives it when none is created.
    return { user, existingUser: existing === undefined ? null : { id: existing.id, name: existing.name }, habilitation };
  }

  /**
   * « Demande de suppression d'accès »: every habilitation given to the people directly is
   * revoked, they leave their groups and are disabled; with « perte ou vol » their password
   * change is forced first and a security incident recorded (contrat art. 5.1, convention art. 9.2).
   */
  private async applyDeletion(
    partnerId: string,
    number: number,
    form: DeletionForm,
    reason: string,
    actor: Actor,
    now: { at: string },
    dryRun: boolean,
    traceIds: (number | null)[],
  ) {
    const problems: { path: string; message: string }[] = [];
    const users: UserKeyRow[] = [];
    for (const [index, person] of form.people.entries()) {
      const user =
        person.userId !== undefined ? await this.records.loadUser(person.userId) : await this.records.userByEmail(partnerId, normaliseEmail(person.email));
      if (user === undefined || user.partner_id !== partnerId)
        problems.push({ path: `form.people[${index}]`, message: `aucun compte de ${person.name} (${person.email}) chez ${partnerId}` });
      users.push(user!);
    }
    if (problems.length > 0)
      throw new CafsupError('VALIDATION', `Demande n° ${number} : ${problems.map((problem) => problem.message).join(' ; ')}.`, { problems });
    const live = users.filter((user) => user.status !== 'disabled');
    const ids = live.map((user) => user.id);
    const collect = <R extends { changed: { id: string; traceId: number | null }[] }>(result: R): R => {
      traceIds.push(...result.changed.map((change) => (dryRun ? null : change.traceId)));
      return result;
    };
    const passwordReset =
      form.lossOrTheft && ids.length > 0 ? collect(await this.deps.actions.forcePasswordReset({ userIds: ids }, stepOptions(reason, dryRun), actor)) : null;
    const revoked = ids.length > 0 ? collect(await this.deps.actions.revokeUsersHabilitations(ids, stepOptions(reason, dryRun), actor)) : null;
    const disabled = await this.records.disable(live, reason, actor, now.at, dryRun);
    traceIds.push(...disabled.map((entry) => entry.traceId));
    const incident = form.lossOrTheft
      ? await this.questions.open(
          partnerId,
          {
            kind: 'incident',
            text: `Perte ou vol signalé (demande de suppression d’accès n° ${number}) : ${form.people.map((person) => `${person.name} <${person.email}>`).join(', ')}. Incident de sécurité (contrat de services, art. 5.1 ; convention, art. 9.2).`,
            flags: [],
            dueAt: null,
            openedAt: now.at,
          },
          reason,
          actor,
          dryRun,
        )
      : null;
    if (incident !== null) traceIds.push(incident.traceId);
    return {
      passwordReset: passwordReset?.changed.map((change) => change.id) ?? [],
      revoked: revoked?.changed.map((change) => change.id) ?? [],
      disabled: disabled.map((entry) => ({ userId: entry.userId, groupIds: entry.groupIds })),
      incident: incident === null ? null : incident.number,
    };
  }
}
