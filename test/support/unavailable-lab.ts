/**
 * Run as uid 65534 by test/labs/requirements.test.ts: nslab without root has no cgroup to
 * delegate, so the cgroups lab must be skipped by verify with its reason and refused by
 * Stage.open in words; the capstone, whose limits check alone requires a cgroup, is verified
 * with that check skipped. Prints one JSON document.
 */
import { loadLabs } from '../../src/labs/catalog.ts';
import { reportDocument, verifyLabs, formatReport } from '../../src/labs/verify.ts';
import { Stage } from '../../src/world/stage.ts';

const tar = process.argv[2]!;
const labs = await loadLabs();
const lab = labs.find((l) => l.id === 'cgroups')!;
const reports = await verifyLabs([lab], tar, { jobs: 1 });
const capstone = await verifyLabs([labs.find((l) => l.id === 'capstone')!], tar, { jobs: 2 });
let refused = '';
try {
  const stage = await Stage.open(lab.start, tar, { cols: 80, rows: 24 });
  await stage.close();
} catch (error) {
  refused = `${(error as Error).message} ${(error as { hint?: string }).hint ?? ''}`;
}
process.stdout.write(JSON.stringify({ document: reportDocument(reports, []), text: formatReport(reports[0]!), refused, capstone: { document: reportDocument(capstone, []), text: formatReport(capstone[0]!) } }));
