/**
 * Reads lab files in a process of its own and prints what came back, as JSON: a read that
 * blocks (a FIFO) or never ends (/dev/zero) would freeze the test process itself, so the test
 * runs the reads here, with a timeout, and a hang is a failure instead of a stuck suite.
 * argv: <pid> <path>...
 */
import { listAs, readFileAs } from '../../src/kernel/in-root.ts';

const [pid, ...paths] = process.argv.slice(2);
const result: Record<string, { text: string | null; list: number | null }> = {};
for (const path of paths) {
  const text = readFileAs(Number(pid), path);
  const list = listAs(Number(pid), path);
  result[path] = { text: text === null ? null : text.slice(0, 40), list: list === null ? null : list.length };
}
process.stdout.write(JSON.stringify(result));
