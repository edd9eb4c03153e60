import { describe, expect, it } from 'vitest';
import { proposeLadder, type LadderInput } from './breach.js';

const BASE: LadderInput = {
  asOf: '2026-11-22',
  mode: 'delegated',
  status: 'active',
  termination: null,
  terminationEffectiveAt: null,
  flags: [{ rule: 'DORMANT_ACCOUNT', severity: 'medium' }],
  held: 12,
  questions: [],
  actionsTaken: new Set(),
  delegationWithdrawn: false,
};

describe('the escalation ladder (convention art. 17.2)', () => {
  it('asks first, waits for the answer unless a flag is critical, then goes up one step at a time', () => {
    expect(proposeLadder(BASE).next).toBe('ask');
    const asked = { ...BASE, questions: [{ kind: 'question' as const, answered: false, dueAt: '2026-12-07', overdue: false }] };
    expect([proposeLadder(asked).next, proposeLadder(asked).note]).toEqual([
      null,
      'Réponse du partenaire attendue au plus tard le 7 décembre 2026 : attendre avant d’aller plus loin.',
    ]);
    const critical = { ...asked, flags: [{ rule: 'QUOTA_EXCEEDED' as const, severity: 'critical' as const }] };
    expect(proposeLadder(critical).next).toBe('suspend');
    const unanswered = { ...asked, questions: [{ ...asked.questions[0]!, overdue: true }] };
    // A dormant account calls for neither a suspension nor a password change: the withdrawal comes next.
    expect(proposeLadder(unanswered).next).toBe('withdrawDelegation');
    expect(proposeLadder({ ...unanswered, mode: 'centralised', delegationWithdrawn: true }).next).toBe('noticeOfBreach');
  });

  it('cites the centralised contract’s articles, and offers nothing once closed out', () => {
    const centralised = proposeLadder({ ...BASE, mode: 'centralised' });
    expect(centralised.steps.map((step) => [step.step, step.article, step.status])).toEqual([
      ['ask', 'convention, art. 9.1', 'proposed'],
      ['suspend', 'convention, art. 9.1', 'not_applicable'],
      ['forcePasswordReset', 'convention, art. 9.2', 'not_applicable'],
      ['withdrawDelegation', 'contrat de services, art. 2.2.1', 'not_applicable'],
      ['noticeOfBreach', 'convention, art. 17.2', 'later'],
      ['closeOut', 'convention, art. 17.2', 'not_applicable'],
    ]);
    const ended = {
      ...BASE,
      status: 'terminated' as const,
      terminationEffectiveAt: '2026-11-01',
      termination: { kind: 'unilateral' as const, noticeReceivedAt: '2026-08-01' },
    };
    expect(proposeLadder(ended).next).toBe('closeOut');
    expect([proposeLadder({ ...ended, held: 0 }).offered, proposeLadder({ ...ended, held: 0 }).next]).toEqual([false, null]);
  });
});
