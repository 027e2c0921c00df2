/** A broken lab file is reported with its file, step and field; a good one loads. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LabDefinitionError } from '../src/errors.ts';
import { loadLabs } from '../src/labs/catalog.ts';
import { validateLab } from '../src/labs/schema.ts';

const engine = join(process.cwd(), 'src/labs/types.ts');
const dirs: string[] = [];
function labsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-labs-')) + '/';
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(dir + name, text);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const check = "{ id: 'c', title: 'a check', run: () => ({ pass: false, expected: 'x', found: 'y' }) }";
const step = (id: string, extra = '') =>
  `{ id: '${id}', title: 'Step ${id}', goal: 'Do it.', hints: ['a hint'], solution: [{ pane: 'host', command: 'true' }], checks: [${check}]${extra} }`;
const lab = (id: string, steps: string) => `import type { Lab } from '${engine}';
export default {
  id: '${id}', title: 'A lab', summary: 'What you learn.',
  start: { container: { namespaces: ['mount'], root: 'none', proc: false } },
  steps: [${steps}],
} satisfies Lab as Lab;
`;

describe('lab files', () => {
  it('loads valid labs in file-name order', async () => {
    const dir = labsDir({ '02-second.ts': lab('second', step('one')), '01-first.ts': lab('first', step('one')) });
    expect((await loadLabs(dir)).map((l) => l.id)).toEqual(['first', 'second']);
  });

  it('names the file, the step and the field of a mistake', async () => {
    const broken = lab('broken', `${step('one')}, { id: 'two', title: 'Step two', goal: '', hints: [], solution: [{ pane: 'guest', command: 'x' }], checks: [{ id: 'c', title: 't', run: 'not code' }] }`);
    const dir = labsDir({ '01-broken.ts': broken });
    const error = await loadLabs(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabDefinitionError);
    const message = (error as Error).message;
    expect(message).toContain('Lab file labs/01-broken.ts is not valid');
    expect(message).toContain('step 2 ("two"), field goal: must not be empty');
    expect(message).toContain('step 2 ("two"), field hints: needs at least one hint');
    expect(message).toMatch(/step 2 \("two"\), field solution\[0\]\.pane: /);
    expect(message).toContain('step 2 ("two"), field checks[0].run: must be a function');
  });

  it('refuses a misnamed file, an id that disagrees with its file name, and a repeated step id', async () => {
    await expect(loadLabs(labsDir({ 'first.ts': lab('first', step('one')) }))).rejects.toThrow(/misnamed: lab files are named NN-<lab-id>\.ts/);
    await expect(loadLabs(labsDir({ '01-first.ts': lab('other', step('one')) }))).rejects.toThrow(/defines the lab "other"; its file name says "first"/);
    expect(() => validateLab({ id: 'x', title: 't', summary: 's', start: { container: { namespaces: [], root: 'none', proc: false } }, steps: [] }, 'labs/01-x.ts')).toThrow(/field steps: needs at least one step/);
    await expect(loadLabs(labsDir({ '01-dup.ts': lab('dup', `${step('one')}, ${step('one')}`) }))).rejects.toThrow(/step 2 repeats the id "one"/);
  });

  it('reports a lab file that does not even load', async () => {
    await expect(loadLabs(labsDir({ '01-syntax.ts': 'export default {' }))).rejects.toThrow(/labs\/01-syntax\.ts could not be loaded/);
  });

  it('accepts every lab shipped in labs/', async () => {
    const labs = await loadLabs();
    expect(labs.map((l) => l.id)).toEqual(['chroot-escape', 'proc-leakage', 'pivot-root', 'mount-propagation', 'veth-pairing']);
  });
});
