import {
  PERSON_EXTRACT_ARTICLE,
  canonicalJson,
  formNamesOthers,
  formNamesPerson,
  formatActor,
  parseInput,
  personExtractInputSchema,
  personExtractMarkdown,
  type Actor,
  type DecisionChange,
  type ExtractTrace,
  type Group,
  type PersonExtract,
  type PersonExtractInput,
  type RequestForm,
  type RequestKind,
  type Trace,
  type TracesListInput,
} from '@cafsup/shared';
import {
  HABILITATION_COLUMNS,
  HABILITATION_FROM,
  USER_HABILITATION_IDS,
  USER_IMPORT_CHANGES,
  rowToHabilitation,
  type HabilitationRow,
} from '../../dataset/rows.js';
import { everyItem } from '../pagination.js';
import { rowToTrace, sha256, traceIds, type TraceRow } from '../traces.js';
import { requirePartner, trace, type WorkflowDeps } from './deps.js';

/** What a person's extract says in place of the content of a form that names others too. */
const MASKED_FORM = 'contenu non repris : le formulaire nomme aussi d’autres personnes';
/** And in place of the rest of an import's trace, which lists what the import changed for everyone. */
const MASKED_IMPORT = 'seules les décisions de l’import qui concernent la personne sont reprises';

/** And in place of the other members a group's creation or edit lists. */
const MASKED_GROUP = 'seule l’appartenance de la personne au groupe est reprise : les autres membres sont les leurs';

/**
 * A group's trace as a person's extract gives it: its lists of members (`group.create`'s,
 * `group.edit`'s before and after) kept to the person, or null when no other member is listed.
 */
function ownMembership(item: ExtractTrace, userId: string): ExtractTrace | null {
  const others = (value: unknown) => (value as { memberIds?: unknown } | null)?.memberIds;
  const lists = [others(item.before), others(item.after)].filter((list): list is string[] => Array.isArray(list));
  if (item.targetType !== 'group' || !lists.some((list) => list.some((id) => id !== userId))) return null;
  const own = (value: unknown) => {
    const listed = others(value);
    return Array.isArray(listed) ? { ...(value as object), memberIds: listed.filter((id) => id === userId) } : value;
  };
  return { ...item, before: own(item.before), after: own(item.after), details: { masked: MASKED_GROUP } };
}

/**
 * A change an import made, as a person's extract gives it: a habilitation given from one holder
 * to another names the other as « (autre titulaire) » (trial 22 review, M6: each extract named
 * the other person).
 */
function ownSide(change: DecisionChange, userId: string): DecisionChange {
  if (change.section !== 'habilitations' || change.field !== 'holder') return change;
  const other = (holder: string | null) => (holder === userId ? holder : '(autre titulaire)');
  return { ...change, from: other(change.from), to: other(change.to) };
}

/** A person's own traces (contrat de services, art. 5.3.4): the extract, and the request recorded. */
export class PersonTraces {
  constructor(private readonly deps: WorkflowDeps) {}

  async extract(query: PersonExtractInput, actor: Actor) {
    const input = parseInput(personExtractInputSchema, query);
    const dryRun = input.dryRun ?? false;
    return this.deps.actions.transact(dryRun, async () => {
      const now = this.deps.clock();
      const user = await this.deps.store.getUser(input.userId);
      const partner = await requirePartner(this.deps, user.partnerId, now.today);
      const groupRows = await this.deps.db.all<{ id: string }>(
        `SELECT g.id FROM groups g JOIN group_members m ON m.group_key = g.key JOIN users u ON u.key = m.user_key WHERE u.id = ? ORDER BY g.id`,
        [user.id],
      );
      const groups: Group[] = [];
      // Their groups without the other members: those are the others' (trial 22, F11; RGPD art. 15.4).
      for (const { id } of groupRows) groups.push({ ...(await this.deps.store.getGroup(id)), memberIds: [user.id] });
      const rights = (
        await this.deps.db.all<HabilitationRow>(
          `SELECT ${HABILITATION_COLUMNS} FROM ${HABILITATION_FROM}
            WHERE h.status <> 'revoked' AND h.id IN (${USER_HABILITATION_IDS})
            ORDER BY h.id`,
          { userId: user.id },
        )
      ).map((row) => ({ ...rowToHabilitation(row), via: row.user_id === user.id ? ('direct' as const) : ('group' as const) }));
      const traces: ExtractTrace[] = await everyItem<Trace, TracesListInput>((query) => this.deps.store.listTraces(query), { userId: user.id });
      // The traces whose content the extract masks.
      const maskedIds = new Set<number>();
      // The imports that changed a decision about them (a suspension undone…) come with those
      // changes only: the others' are theirs (RGPD art. 15.4, as for forms below).
      const imports = traces.filter((item) => item.action === 'dataset.import').map((item) => item.id);
      if (imports.length > 0) {
        const own = new Map<number, DecisionChange[]>();
        for (const row of await this.deps.db.all<{ trace_id: number; change: string }>(
          // Found through the person's own rows, then kept to the imports of their trail: each
          // import's whole list of changes was read (review 22, M5). `trace_id + 0` is no column
          // an index holds: pushed into the branches as it is, it would lead SQLite there again.
          `SELECT trace_id, change FROM (${USER_IMPORT_CHANGES}) AS own WHERE trace_id + 0 IN ${traceIds(this.deps.db, '@imports')} ORDER BY trace_id, position`,
          { imports: JSON.stringify(imports), userId: user.id },
        )) {
          let changes = own.get(Number(row.trace_id));
          if (changes === undefined) own.set(Number(row.trace_id), (changes = []));
          changes.push(ownSide(JSON.parse(row.change) as DecisionChange, user.id));
        }
        for (const [index, item] of traces.entries()) {
          if (item.action !== 'dataset.import') continue;
          traces[index] = { ...item, details: { decisionChanges: own.get(item.id) ?? [], masked: MASKED_IMPORT } };
          maskedIds.add(item.id);
        }
      }
      // A group's creation or edit that lists other members gives the person's membership only:
      // those members' ids are theirs (RGPD art. 15.4), as `groups` above gives the groups.
      for (const [index, item] of traces.entries()) {
        const kept = ownMembership(item, user.id);
        if (kept === null) continue;
        traces[index] = kept;
        maskedIds.add(item.id);
      }
      // The traces of the forms that name them (received, applied, refused, and the loss or theft
      // incident one opens), which name them by e-mail only: « every decision trace that concerns
      // the user » (workflows.md § 4). What applying a form did to others is theirs, not listed;
      // and a form that names others too is given without its content, which holds their names
      // and e-mails (RGPD art. 15.4: an access must not harm the rights of others).
      const forms = await this.deps.db.all<{ kind: RequestKind; form: string; trace_ids: string }>(
        'SELECT kind, form, trace_ids FROM requests WHERE partner_id = ? ORDER BY number',
        [user.partnerId],
      );
      const masked = new Set<number>();
      const formTraceIds: number[] = [];
      for (const row of forms) {
        const form = JSON.parse(row.form) as RequestForm;
        if (!formNamesPerson(row.kind, form, user)) continue;
        const ids = JSON.parse(row.trace_ids) as number[];
        formTraceIds.push(...ids);
        if (formNamesOthers(row.kind, form, user)) for (const id of ids) masked.add(id);
      }
      const listed = new Set(traces.map((item) => item.id));
      if (formTraceIds.length > 0) {
        const rows = await this.deps.db.all<TraceRow>(
          `SELECT * FROM traces WHERE id IN ${traceIds(this.deps.db)} AND erased = 0 AND target_type IN ('request', 'question')`,
          [JSON.stringify(formTraceIds)],
        );
        for (const row of rows) {
          if (listed.has(row.id)) continue;
          const item = rowToTrace(row);
          if (masked.has(item.id)) maskedIds.add(item.id);
          traces.push(masked.has(item.id) ? { ...item, before: null, after: null, details: { masked: MASKED_FORM } } : item);
        }
      }
      // Oldest first, as the trail reads.
      traces.sort((a, b) => a.id - b.id);
      // A masked trace's hashes cover what is masked, and would let a guess about it be
      // confirmed (trial 22, F6). So would the hash of any trace the extract shows after it
      // without a gap: each is computed from the one before and its own content, all shown (trial
      // 24: a guess at a form's other person, checked against the next trace's hash). Left out:
      // the hashes of a masked trace, of the run of traces that follows it without a gap, and the
      // previous trace's own hash, the masked one's previous.
      let chained = false;
      for (const [index, item] of traces.entries()) {
        const follows = index > 0 && traces[index - 1]!.id === item.id - 1;
        chained = maskedIds.has(item.id) || (follows && chained);
        if (chained) {
          item.hash = null;
          item.prevHash = null;
        }
        if (maskedIds.has(item.id + 1)) item.hash = null;
      }
      const extract: PersonExtract = {
        article: PERSON_EXTRACT_ARTICLE,
        asOf: now.today,
        user,
        partner: { id: partner.entry.partnerId, name: partner.name },
        groups,
        rights,
        traces,
        request: { requestedBy: input.requestedBy, through: input.through ?? null, recordedAt: now.at, recordedBy: formatActor(actor) },
      };
      const digest = sha256(canonicalJson(extract));
      await this.deps.db.run('INSERT INTO person_extracts (user_id, partner_id, requested_by, through, recorded_at, sha256) VALUES (?, ?, ?, ?, ?, ?)', [
        user.id,
        user.partnerId,
        input.requestedBy,
        input.through ?? null,
        now.at,
        digest,
      ]);
      const [traceId] = await trace(this.deps, actor, now.at, dryRun, [
        {
          action: 'traces.personExtract',
          targetType: 'user',
          targetId: user.id,
          partnerId: user.partnerId,
          reason: input.reason ?? `Demande de traces de ${input.requestedBy} (${PERSON_EXTRACT_ARTICLE})`,
          before: null,
          after: { sha256: digest, traces: traces.length, rights: rights.length },
          details: { requestedBy: input.requestedBy, through: input.through ?? null },
        },
      ]);
      return { dryRun, extract, markdown: personExtractMarkdown(extract), sha256: digest, traceId: traceId! };
    });
  }
}
