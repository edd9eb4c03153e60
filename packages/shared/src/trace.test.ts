import { describe, expect, it } from 'vitest';
import { traceCanonicalParts, traceContentCanonical, traceLinkCanonical, type Trace } from './trace.js';

// PostgreSQL appends a trace by filling these pieces in SQL (packages/sdk/src/store/traces.ts):
// any other text than JavaScript's canonical one breaks the chain at the next verify.
describe('traceCanonicalParts', () => {
  const traces: Omit<Trace, 'id' | 'hash' | 'prevHash'>[] = [
    {
      at: '2026-12-04T23:59:59.123Z',
      kind: 'decision',
      actor: { name: 'Élodie « Ñ » 😀', email: 'e@caf78.fr' },
      action: 'habilitation.suspend',
      targetType: 'habilitation',
      targetId: 'h"1\\',
      partnerId: 'p00042',
      reason: 'Départ\nde l’agent \u0000 \ud800 fin',
      before: { status: 'active', id: 'x', nested: { z: 1, a: [null, { id: 2 }] } },
      after: { status: 'suspended' },
      details: null,
    },
    {
      at: '2026-01-01T00:00:00.000Z',
      kind: 'activity',
      actor: { name: 'a', email: 'b' },
      action: 'traces.personExtract',
      targetType: 'user',
      targetId: null,
      partnerId: null,
      reason: '',
      before: null,
      after: null,
      details: { id: 7 },
    },
  ];
  it.each(traces)('filled with the number and hashes, gives the canonical texts ($action)', (trace) => {
    const { content, link } = traceCanonicalParts(trace);
    expect(content).toHaveLength(2);
    expect(link).toHaveLength(4);
    for (const id of [1, 42, 1_000_000_007]) {
      expect(`${content[0]}${id}${content[1]}`).toBe(traceContentCanonical({ ...trace, id }));
      const [contentHash, prevHash] = ['a'.repeat(64), 'b'.repeat(64)];
      expect(`${link[0]}"${contentHash}"${link[1]}${id}${link[2]}"${prevHash}"${link[3]}`).toBe(
        traceLinkCanonical({ id, at: trace.at, kind: trace.kind, prevHash, contentHash }),
      );
    }
  });
});
