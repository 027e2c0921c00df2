/**
 * The nslab command line. Parses arguments (commander), checks prerequisites, prepares the
 * container image, and hands over to the full-screen views in components/ — or, for `list`
 * and `verify`, prints and exits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { NslabError } from './errors.ts';
import { printable } from './printable.ts';
import { assertPrerequisites, checkPrerequisites, formatReport } from './doctor.ts';
import type { Lab } from './labs/types.ts';
import { ensureHostRootfs } from './rootfs/build.ts';
import { computeLayout } from './layout.ts';
import { PACKAGE_ROOT } from './paths.ts';
import { PLAYGROUND, Stage, type StageSpec } from './world/stage.ts';
import type { Start } from '../components/run.tsx';

const rootfsOption = () =>
  new Option('--rootfs <path>', 'container root filesystem: a directory, .tar or .tar.gz (Alpine minirootfs, docker export)');

// Loaded when needed, not at start: the playground's first prompt waits for none of them
// (zod, node-tar and the lab files cost about a tenth of a second to load).
const loadLabs = async () => (await import('./labs/catalog.ts')).loadLabs();
const importRootfs = async (path: string) => (await import('./rootfs/import.ts')).importRootfs(path);

/** The container image's tar, and for an imported one what the import did (devices skipped, setuid bits cleared). */
async function containerImage(rootfs: string | undefined): Promise<{ tar: string; summary: string | null }> {
  if (!rootfs) return { tar: (await ensureHostRootfs()).tarPath, summary: null };
  const image = await importRootfs(rootfs);
  // On the terminal's main screen, so it is still there after the full-screen UI has gone.
  process.stderr.write(`nslab: ${printable(image.description)}\n`);
  return { tar: image.tarPath, summary: image.description };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The terminal must be one nslab can draw on. TERM=dumb (Emacs shell buffers, some CI logs)
 * cannot move the cursor: Ink's frames would arrive as garbage, so refuse with the reason.
 * NO_COLOR (no-color.org: set and not empty) turns nslab's own colours off; chalk, which Ink
 * draws with, reads only FORCE_COLOR, once, when it is first loaded.
 */
function checkTerminalKind(): void {
  if (process.env.TERM === 'dumb') {
    throw new NslabError(
      'This terminal is TERM=dumb: it cannot move the cursor, and nslab draws two shells side by side.',
      'Run nslab in a terminal emulator (xterm, GNOME Terminal, tmux, ...). `nslab list`, `nslab verify` and `nslab doctor` print plain text and work anywhere.',
    );
  }
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
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
async function prepareInteractive(rootfs: string | undefined): Promise<{ tar: string; summary: string | null }> {
  const interactive = process.stdin.isTTY && process.stdout.isTTY;
  await assertPrerequisites(interactive ? { terminal: terminalSize() } : {});
  checkTerminalKind();
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

/** --rootfs given before or after the subcommand (`nslab --rootfs X play`, `nslab play --rootfs X`). */
const rootfsOf = (command: Command): string | undefined => (command.optsWithGlobals() as { rootfs?: string }).rootfs;

export function buildProgram(): Command {
  const program = new Command('nslab')
    .description('Learn how Linux containers work by building one by hand, inside real namespaces.')
    .version(packageVersion(), '-V, --version', "print nslab's version")
    .argument('[lab-id]', 'open this lab (default: the lab list)')
    .addOption(rootfsOption())
    // Without this, commander gives the program's own --rootfs every "--rootfs X" on the line,
    // also the one after a subcommand, and `nslab play --rootfs X` would use the host rootfs.
    .enablePositionalOptions()
    .showHelpAfterError()
    .action(async (labId: string | undefined, options: { rootfs?: string }) => {
      // The lab id is checked first: a typo must not wait for (or cause) a rootfs import.
      const labs = await loadLabs();
      const lab = labId === undefined ? undefined : labs.find((l) => l.id === labId);
      if (labId !== undefined && !lab) throw unknownLab(labId, labs);
      const { tar, summary } = await prepareInteractive(options.rootfs);
      const start: Start = lab ? { kind: 'lab', id: lab.id, stage: openEarly(lab.start, tar, true) } : { kind: 'list' };
      if (start.kind === 'lab') await start.stage?.catch(() => {});
      const { runApp } = await loadUi();
      await runApp(Promise.resolve(labs), tar, start, summary);
    });

  program
    .command('play')
    .description('the free playground: a host shell and a container shell side by side')
    .addOption(rootfsOption())
    .action(async (_options: unknown, command: Command) => {
      const { tar, summary } = await prepareInteractive(rootfsOf(command));
      const stage = openEarly(PLAYGROUND, tar, false);
      // Let the stage open first: its shells then start in their own processes while Ink loads.
      await stage.catch(() => {});
      const { runApp } = await loadUi();
      // The lab files are only needed for Ctrl-g l; load them once the playground is up.
      const labs = stage.then(
        () => loadLabs(),
        () => loadLabs(),
      );
      await runApp(labs, tar, { kind: 'play', stage }, summary);
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
    .action(async (labId: string | undefined, options: { all?: boolean; json?: boolean }, command: Command) => {
      if (!labId && !options.all) throw new NslabError('Say which lab to verify, or --all.', 'Example: nslab verify pivot-root');
      await assertPrerequisites();
      const labs = await loadLabs();
      const chosen = options.all ? labs : labs.filter((l) => l.id === labId);
      if (chosen.length === 0) throw unknownLab(labId!, labs);
      const { tar } = await containerImage(rootfsOf(command));
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
    .command('report')
    .description('for graders: each lab\'s steps, when they passed, what the kernel showed, hints and solutions used')
    .addOption(new Option('--json', 'versioned JSON').conflicts(['junit', 'tap']))
    .addOption(new Option('--junit', 'JUnit XML, one testcase per step').conflicts(['tap']))
    .option('--tap', 'TAP version 14')
    .action(async (options: { json?: boolean; junit?: boolean; tap?: boolean }) => {
      const labs = await loadLabs();
      const { runReport } = await import('./report/commands.ts');
      runReport(labs, options.json ? 'json' : options.junit ? 'junit' : options.tap ? 'tap' : 'text');
    });

  program
    .command('reset')
    .description('forget your progress in a lab (or --all); asks first')
    .argument('[lab-id]', 'the lab to reset')
    .option('--all', 'every lab')
    .option('--yes', 'do not ask (for scripts)')
    .action(async (labId: string | undefined, options: { all?: boolean; yes?: boolean }) => {
      const labs = await loadLabs();
      const { runReset } = await import('./report/commands.ts');
      await runReset(labs, { labId, ...options });
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
