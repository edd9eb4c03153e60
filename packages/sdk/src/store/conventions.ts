import type Database from 'better-sqlite3';
import { effectiveTerms, type Avenant, type CafDefaults, type CalendarDate, type Convention, type PartnerKind, type Terms } from '@cafsup/shared';

export interface PartnerConvention {
  partnerId: string;
  cafCode: string;
  /** The partner's kind of body (rule 16). */
  kind: PartnerKind;
  convention: Convention;
  /** The Caf's desk and ladder, the defaults of the contract (rules.md, "Avenants and effective terms"). */
  caf: CafDefaults | null;
}

/**
 * Every partner's convention with its avenants, parsed once and kept until the file changes:
 * `PRAGMA data_version` moves when another connection commits, `localWrites` when this one does.
 */
export class ConventionCache {
  private cached: { version: string; byPartner: Map<string, PartnerConvention>; terms: Map<string, Terms> } | null = null;
  private localWrites = 0;
  private readonly load: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.load = db.prepare(
      `SELECT c.partner_id, p.caf_code, json_extract(p.doc, '$.kind') AS kind, c.doc, f.doc AS caf,
          (SELECT json_group_array(json(a.doc)) FROM (SELECT doc FROM avenants a WHERE a.partner_id = c.partner_id ORDER BY number) a) AS avenants
         FROM conventions c JOIN partners p ON p.id = c.partner_id LEFT JOIN cafs f ON f.code = p.caf_code ORDER BY c.partner_id`,
    );
  }

  invalidate(): void {
    this.localWrites += 1;
  }

  all(): Map<string, PartnerConvention> {
    const version = `${this.db.pragma('data_version', { simple: true }) as number}:${this.localWrites}`;
    if (this.cached?.version !== version) {
      const byPartner = new Map<string, PartnerConvention>();
      const cafs = new Map<string, CafDefaults>();
      for (const row of this.load.iterate() as IterableIterator<{
        partner_id: string;
        caf_code: string;
        kind: PartnerKind;
        doc: string;
        caf: string | null;
        avenants: string;
      }>) {
        // Conventions stored before the contract had its own desk and ladder read as null: the Caf's.
        const convention = { serviceDesk: null, escalation: null, ...JSON.parse(row.doc), avenants: JSON.parse(row.avenants) as Avenant[] } as Convention;
        let caf = cafs.get(row.caf_code) ?? null;
        if (caf === null && row.caf !== null) {
          const { serviceDesk, escalation } = JSON.parse(row.caf) as CafDefaults;
          // Rungs stored before the ladder had sides were all the Caf's.
          caf = { serviceDesk, escalation: escalation === null ? null : escalation.map((rung) => ({ ...rung, side: rung.side ?? 'caf' })) };
          cafs.set(row.caf_code, caf);
        }
        byPartner.set(row.partner_id, { partnerId: row.partner_id, cafCode: row.caf_code, kind: row.kind, convention, caf });
      }
      this.cached = { version, byPartner, terms: new Map() };
    }
    return this.cached.byPartner;
  }

  /**
   * The partner's effective terms at `asOf`, computed once per version of the file. Reads the
   * version taken by the last `all()`, which every operation calls first: checking it again for
   * each of 5,000 partners would cost more than the terms.
   */
  terms(entry: PartnerConvention, asOf: CalendarDate): Terms {
    if (this.cached === null) this.all();
    const key = `${entry.partnerId}\u0000${asOf}`;
    let terms = this.cached!.terms.get(key);
    if (terms === undefined) {
      terms = effectiveTerms(entry.convention, asOf, entry.caf);
      this.cached!.terms.set(key, terms);
    }
    return terms;
  }

  get(partnerId: string): PartnerConvention | undefined {
    return this.all().get(partnerId);
  }
}
