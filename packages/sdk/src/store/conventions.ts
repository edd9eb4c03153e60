import type Database from 'better-sqlite3';
import { effectiveTerms, type Avenant, type CalendarDate, type Convention, type Terms } from '@cafsup/shared';

export interface PartnerConvention {
  partnerId: string;
  cafCode: string;
  convention: Convention;
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
      `SELECT c.partner_id, p.caf_code, c.doc,
          (SELECT json_group_array(json(a.doc)) FROM (SELECT doc FROM avenants a WHERE a.partner_id = c.partner_id ORDER BY number) a) AS avenants
         FROM conventions c JOIN partners p ON p.id = c.partner_id ORDER BY c.partner_id`,
    );
  }

  invalidate(): void {
    this.localWrites += 1;
  }

  all(): Map<string, PartnerConvention> {
    const version = `${this.db.pragma('data_version', { simple: true })}:${this.localWrites}`;
    if (this.cached?.version !== version) {
      const byPartner = new Map<string, PartnerConvention>();
      for (const row of this.load.iterate() as IterableIterator<{ partner_id: string; caf_code: string; doc: string; avenants: string }>) {
        const convention = { ...JSON.parse(row.doc), avenants: JSON.parse(row.avenants) as Avenant[] } as Convention;
        byPartner.set(row.partner_id, { partnerId: row.partner_id, cafCode: row.caf_code, convention });
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
      terms = effectiveTerms(entry.convention, asOf);
      this.cached!.terms.set(key, terms);
    }
    return terms;
  }

  get(partnerId: string): PartnerConvention | undefined {
    return this.all().get(partnerId);
  }
}
