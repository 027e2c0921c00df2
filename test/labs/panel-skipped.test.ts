/**
 * A check not run on this machine (its `requires:` unmet) is drawn as neither a tick nor a
 * cross: a dash, dim, with the reason and what would enable it; never "found/expected" as if it
 * had failed.
 */
import { describe, expect, it } from 'vitest';
import type { CheckOutcome } from '../../src/labs/runner.ts';
import { panelText } from '../../src/labs/panel.ts';
import { builtInLab } from '../support/lab.ts';

describe('the lab panel', () => {
  it('shows a skipped check with a dash and its reason, a failed one with a cross', async () => {
    const lab = await builtInLab('capstone');
    const results: CheckOutcome[] = [
      { id: 'own-mount', title: 'The container has its own mount namespace', pass: false, code: 'shared', expected: 'own mount namespace', found: 'shares it' },
      { id: 'limits', title: 'Bounded', pass: false, skipped: true, code: 'skipped', expected: 'Bounded', found: 'not checked: no cgroup here; to enable it, start nslab as root' },
    ];
    const view = { lab, stepIndex: 0, results, hintsShown: 0, solution: 'hidden', complete: false, catchingUp: null, checkMs: null, defects: [], undone: [], lostShell: null, panelOffset: 0, panelFull: false, frame: 0 } as const;
    const body = panelText(view, 'ready', 200).body.map((l) => `${l.color ?? ''}|${l.dim ? 'dim' : ''}|${l.text}`);
    expect(body).toContain('red||✗ The container has its own mount namespace');
    expect(body).toContain('|dim|– Bounded');
    expect(body).toContain('|dim|    not checked: no cgroup here; to enable it, start nslab as root');
    expect(body.filter((l) => l.includes('expected: Bounded'))).toEqual([]);
  });
});
