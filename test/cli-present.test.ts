/** `nslab present`'s arguments: a wrong lab or step is said first, with what would be right. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const nslab = (args: string[]) => run(process.execPath, ['bin/nslab.js', ...args], { encoding: 'utf8' }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

it('names the steps a lab has when --step is outside them, and unknown labs', async () => {
  const step = await nslab(['present', 'pivot-root', '--step', '9']);
  expect(step.code).toBe(1);
  expect(step.stderr).toContain('--step must be a step of pivot-root: 1 to 4.');
  const lab = await nslab(['present', 'no-such-lab']);
  expect(lab.stderr).toContain('There is no lab "no-such-lab"');
  expect(lab.stderr).not.toMatch(/\n\s+at /);
});
