/**
 * Run as uid 65534 by test/grade.test.ts: nslab without root has no cgroup to delegate, so the
 * capstone's limits cannot be checked. Grades the script given (base64) as argv[3] against the
 * rootfs tar of argv[2] and prints the JSON document, the JUnit and the text, as one JSON document.
 */
import { loadLabs } from '../../src/labs/catalog.ts';
import { grade, gradeDocument, gradeJunit, gradeText } from '../../src/labs/grade.ts';

const [tar, script] = [process.argv[2]!, Buffer.from(process.argv[3]!, 'base64')];
const scriptPath = 'container.sh';
const lab = (await loadLabs({ languages: [] })).find((l) => l.id === 'capstone')!;
const result = await grade(lab, script, tar);
process.stdout.write(JSON.stringify({ document: gradeDocument(scriptPath, result), junit: gradeJunit(scriptPath, result), text: gradeText(result) }));
