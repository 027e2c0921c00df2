/**
 * The nslab command line. Parses arguments (commander), checks prerequisites, prepares the
 * container image, and hands over to the full-screen views in components/ — or, for `list`
 * and `verify`, prints and exits.
 */
import { Command, Option } from 'commander';
import { NslabError } from './errors.ts';
import { printable } from './printable.ts';
import { assertPrerequisites, checkPrerequisites, formatReport } from './doctor.ts';
import type { Lab } from './labs/types.ts';
import { ensureHostRootfs } from './rootfs/build.ts';
import { computeLayout } from './layout.ts';
import { PLAYGROUND, Stage, type StageSpec } from './world/stage.ts';
import type { Start } from '../components/run.tsx';

const rootfsOption = () =>
  new Option('--rootfs <path>', 'container root filesystem: a directory, .tar or .tar.gz (Alpine minirootfs, docker export)');

// Loaded when needed, not at start: the playground's first prompt waits for none of them
// (zod, node-tar and the lab files cost about a tenth of a second to load).
const loadLabs = async () => (await import('./labs/catalog.ts')).loadLabs();
const importRootfs = async (path: string) => (await import('./rootfs/import.ts')).importRootfs(path);

async function containerImage(rootfs: string | undefined): Promise<string> {
  const image = rootfs ? await importRootfs(rootfs) : await ensureHostRootfs();
  return image.tarPath;
}

function terminalSize() {
  return { columns: process.stdout.columns ?? 0, rows: process.stdout.rows ?? 0 };
}

/**
 * What every full-screen command needs before it takes over the terminal: the prerequisites,
 * then the container image. The UI is imported after the caller has started the lab world:
 * the world starts in its own processes but needs this process's attention at a few points,
 * and importing Ink (about a quarter of a second of work) would keep it waiting.
 */
async function prepareInteractive(rootfs: string | undefined): Promise<string> {
  const interactive = process.stdin.isTTY && process.stdout.isTTY;
  await assertPrerequisites(interactive ? { terminal: terminalSize() } : {});
  if (!interactive) {
    throw new NslabError('nslab needs an interactive terminal.', 'Run it directly in a terminal window, not through a pipe.');
  }
  return containerImage(rootfs);
}

/**
 * Loads the full-screen UI. Ink renders only a final frame when it believes it runs in CI (the
 * `CI` variable, read once when Ink is first loaded); nslab has already made sure it is on a
 * real terminal, where a user with CI=1 in their shell still wants to see the lab.
 */
async function loadUi(): Promise<typeof import('../components/run.tsx')> {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  return import('../components/run.tsx');
}

/**
 * Opens the first stage as soon as the container image is ready, sized for the screen to come.
 * Callers let it open before loading Ink: its shells then boot in their own processes while
 * Ink loads, instead of the world waiting on a busy main thread (measured: 0.76 s vs 1.0 s).
 */
function openEarly(spec: StageSpec, tar: string, withLabPanel: boolean): Promise<Stage> {
  const { columns, rows } = terminalSize();
  const { paneCols, paneRows } = computeLayout({ columns, rows, inLab: withLabPanel });
  const stage = Stage.open(spec, tar, { cols: paneCols, rows: paneRows });
  stage.catch(() => {}); // the session awaits it and shows the failure
  return stage;
}

function unknownLab(id: string, labs: readonly Lab[]): NslabError {
  return new NslabError(`There is no lab "${id}".`, `Labs: ${labs.map((l) => l.id).join(', ')}. \`nslab list\` shows them all.`);
}

export function buildProgram(): Command {
  const program = new Command('nslab')
    .description('Learn how Linux containers work by building one by hand, inside real namespaces.')
    .argument('[lab-id]', 'open this lab (default: the lab list)')
    .addOption(rootfsOption())
    .showHelpAfterError()
    .action(async (labId: string | undefined, options: { rootfs?: string }) => {
      const tar = await prepareInteractive(options.rootfs);
      const labs = await loadLabs();
      const lab = labId === undefined ? undefined : labs.find((l) => l.id === labId);
      if (labId !== undefined && !lab) throw unknownLab(labId, labs);
      const start: Start = lab ? { kind: 'lab', id: lab.id, stage: openEarly(lab.start, tar, true) } : { kind: 'list' };
      if (start.kind === 'lab') await start.stage?.catch(() => {});
      const { runApp } = await loadUi();
      await runApp(Promise.resolve(labs), tar, start);
    });

  program
    .command('play')
    .description('the free playground: a host shell and a container shell side by side')
    .addOption(rootfsOption())
    .action(async (options: { rootfs?: string }) => {
      const tar = await prepareInteractive(options.rootfs);
      const stage = openEarly(PLAYGROUND, tar, false);
      // Let the stage open first: its shells then start in their own processes while Ink loads.
      await stage.catch(() => {});
      const { runApp } = await loadUi();
      // The lab files are only needed for Ctrl-g l; load them once the playground is up.
      const labs = stage.then(
        () => loadLabs(),
        () => loadLabs(),
      );
      await runApp(labs, tar, { kind: 'play', stage });
    });

  program
    .command('list')
    .description('the labs, with their step counts and your progress')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const labs = await loadLabs();
      const { ProgressStore, describeProgress } = await import('./labs/progress.ts');
      const { progress, warning } = new ProgressStore().load();
      if (warning) process.stderr.write(`nslab: ${warning}\n`);
      const rows = labs.map((lab) => ({
        id: lab.id,
        title: lab.title,
        steps: lab.steps.length,
        progress: describeProgress(progress.labs[lab.id], lab.steps.length),
      }));
      if (options.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else {
        const idWidth = Math.max(...rows.map((r) => r.id.length));
        const titleWidth = Math.max(...rows.map((r) => r.title.length));
        for (const r of rows) process.stdout.write(`${r.id.padEnd(idWidth)}  ${r.title.padEnd(titleWidth)}  ${String(r.steps).padStart(2)} steps  ${r.progress}\n`);
      }
    });

  program
    .command('verify')
    .description('prove each lab honest: in a fresh lab world every check fails, the reference solution is typed, every check passes')
    .argument('[lab-id]', 'the lab to verify')
    .option('--all', 'verify every lab')
    .option('--json', 'print JSON')
    .addOption(rootfsOption())
    .action(async (labId: string | undefined, options: { all?: boolean; json?: boolean; rootfs?: string }) => {
      if (!labId && !options.all) throw new NslabError('Say which lab to verify, or --all.', 'Example: nslab verify pivot-root');
      await assertPrerequisites();
      const labs = await loadLabs();
      const chosen = options.all ? labs : labs.filter((l) => l.id === labId);
      if (chosen.length === 0) throw unknownLab(labId!, labs);
      const tar = await containerImage(options.rootfs);
      const { formatVerdict, verifyLab } = await import('./labs/verify.ts');
      const verdicts = [];
      for (const lab of chosen) {
        const verdict = await verifyLab(lab, tar);
        verdicts.push(verdict);
        if (!options.json) process.stdout.write(formatVerdict(verdict) + '\n');
      }
      if (options.json) process.stdout.write(JSON.stringify(verdicts, null, 2) + '\n');
      process.exitCode = verdicts.every((v) => v.ok) ? 0 : 1;
    });

  program
    .command('doctor')
    .description('check what nslab needs from this machine, and how to fix what is missing')
    .action(async () => {
      const report = await checkPrerequisites({ terminal: process.stdout.isTTY ? terminalSize() : undefined });
      process.stdout.write(formatReport(report) + '\n');
      process.exitCode = report.some((p) => p.required && !p.ok) ? 1 : 0;
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof NslabError) {
      // Messages can quote lab output (a tar error naming a hostile file); keep lines intact.
      const safe = (text: string) => text.split('\n').map(printable).join('\n');
      process.stderr.write(`nslab: ${safe(error.message)}\n${error.hint ? `${safe(error.hint)}\n` : ''}`);
    } else {
      const detail = process.env.NSLAB_DEBUG ? (error as Error).stack : (error as Error).message;
      process.stderr.write(`nslab: unexpected error: ${detail}\nPlease report it; NSLAB_DEBUG=1 shows the details.\n`);
    }
    process.exitCode = 1;
  }
  // Open handles (a PTY being torn down) must not keep a finished nslab alive.
  process.exit();
}

await main(process.argv);
