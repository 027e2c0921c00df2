/**
 * The nslab command line. Parses arguments (commander), checks prerequisites, prepares the
 * container image, and hands over to the full-screen views in components/ — or, for `list`
 * and `verify`, prints and exits.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { NslabError } from './errors.ts';
import { mark } from './trace.ts';
import { PACKAGE_ROOT } from './paths.ts';
import { printable } from './printable.ts';
import { unavailableBecause } from './labs/requirements.ts';
import type { DoctorOptions } from './doctor.ts';
import type { Lab } from './labs/types.ts';
import type { Stage, StageSize, StageSpec } from './world/stage.ts';
import { configureLimits, DEFAULT_LIMITS, formatBytes, parseSize } from './world/limits.ts';
import type { Start } from '../components/run.tsx';

mark('cli-eval');

// Modules are imported where they are used, not here: a full-screen command starts its lab
// world first and loads the rest while the world boots (see openInteractive), and a command
// that prints loads only what it prints. Each import() below is one module loaded once.
const doctor = () => import('./doctor.ts');
const assertPrerequisites = async (options: DoctorOptions = {}) => (await doctor()).assertPrerequisites(options);
const ensureHostRootfs = async () => (await import('./rootfs/build.ts')).ensureHostRootfs();
const stageModule = () => import('./world/stage.ts');

const recordOption = () => new Option('--record <file.cast>', 'record what the screen shows as an asciicast v2 file (asciinema play FILE), step passes marked');

/** Opens the recording before the screen is taken; a bad path stops the lab world that was starting (openInteractive). */
async function openRecorder(file: string | undefined, title: string) {
  if (!file) return undefined;
  const { CastRecorder } = await import('./record/asciicast.ts');
  return new CastRecorder(file, terminalSize(), title);
}

/** --tasks, --memory, --cpus: the limits of every lab world this command starts (src/world/limits.ts). */
function addLimitOptions(command: Command): Command {
  return command
    .option('--tasks <n>', `processes and threads per lab world (default ${DEFAULT_LIMITS.tasks})`)
    .option('--memory <size>', `memory per lab world, tmpfs files included, e.g. 512M, 2G (default ${formatBytes(DEFAULT_LIMITS.memoryBytes)})`)
    .option('--cpus <n>', `CPU time per lab world, in CPUs, e.g. 1.5 (default ${DEFAULT_LIMITS.cpus})`);
}

function applyLimitOptions(options: { tasks?: string; memory?: string; cpus?: string }): void {
  const number = (flag: string, text: string, value: number) => {
    if (!Number.isFinite(value)) throw new NslabError(`${flag} ${text} is not a number.`, `Example: nslab ${flag} ${flag === '--memory' ? '1G' : flag === '--tasks' ? '512' : '1.5'}`);
    return value;
  };
  configureLimits({
    ...(options.tasks === undefined ? {} : { tasks: number('--tasks', options.tasks, Number(options.tasks)) }),
    ...(options.memory === undefined ? {} : { memoryBytes: number('--memory', options.memory, parseSize(options.memory)) }),
    ...(options.cpus === undefined ? {} : { cpus: number('--cpus', options.cpus, Number(options.cpus)) }),
  });
}

const rootfsOption = () =>
  new Option('--rootfs <path>', 'container root filesystem: a directory, .tar or .tar.gz (Alpine minirootfs, docker export)');

const labsOption = () =>
  new Option('--labs <dir>', "an instructor's labs beside the built-in ones: a directory of NN-<lab-id>/lab.md (repeatable)").argParser(
    (dir: string, previous: string[] | undefined) => [...(previous ?? []), dir],
  );
const trustOption = () => new Option('--trust-lab-code', "load the checks.ts/checks.js of --labs labs: that code runs inside nslab, as you");

interface LabsOptions {
  readonly labs?: string[];
  readonly trustLabCode?: boolean;
}

// Loaded when needed, not at start: the playground's first prompt waits for none of them
// (zod, yaml, node-tar and the lab files cost about a tenth of a second to load).
const loadCatalog = async (options: LabsOptions) =>
  (await import('./labs/catalog.ts')).loadCatalog({ labDirs: options.labs ?? [], trustLabCode: options.trustLabCode ?? false });

/** Labs that were refused (and translations not used), for a screen that has one line to spare. */
function problemNotice(problems: readonly string[]): string | null {
  if (problems.length === 0) return null;
  return `${problems.length === 1 ? 'A lab file has a problem' : `${problems.length} problems in lab files`} (\`nslab list\` shows them all): ${problems[0]}`;
}
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
 * --rootfs given before or after the subcommand. The program has a --rootfs of its own (for
 * `nslab <lab-id> --rootfs X`), and commander gives it every --rootfs on the line, also the
 * one after `play`: the subcommand reads the program's value too.
 */
const rootfsOf = (command: Command): string | undefined => (command.optsWithGlobals() as { rootfs?: string }).rootfs;

/**
 * TERM=dumb (Emacs shell buffers, some CI logs) cannot move the cursor: Ink's frames would
 * arrive as garbage, so refuse with the reason.
 */
function checkTerminalKind(): void {
  if (process.env.TERM === 'dumb') {
    throw new NslabError(
      'This terminal is TERM=dumb: it cannot move the cursor, and nslab draws two shells side by side.',
      'Run nslab in a terminal emulator (xterm, GNOME Terminal, tmux, ...). `nslab list`, `nslab verify` and `nslab doctor` print plain text and work anywhere.',
    );
  }
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1.');
  return n;
}

function terminalSize() {
  return { columns: process.stdout.columns ?? 0, rows: process.stdout.rows ?? 0 };
}

type Ui = typeof import('../components/run.tsx');

interface Opening {
  readonly tar: string;
  readonly summary: string | null;
  readonly recorder: Awaited<ReturnType<typeof openRecorder>>;
  /** The first stage, opening (when the command has one). */
  readonly stage?: Promise<Stage>;
  /** Loaded while the world boots (not for the playground, which draws its panes first). */
  readonly ui?: Ui;
}

/**
 * What every full-screen command needs before it takes over the terminal, all started at once:
 * the prerequisites, the container image and then the first lab world, and the UI's modules.
 * The world boots in processes of its own (the image is their stdin, src/world/world.ts) while
 * this process loads Ink, React and the views; measured in a 160x45 PTY, doing these one after
 * the other cost more than half of the time to both prompts.
 *
 * Errors come in the order a user fixes them: a missing prerequisite, then the terminal, then
 * the image and the recording; a world started meanwhile is stopped.
 */
async function openInteractive(
  rootfs: string | undefined,
  record: { file: string | undefined; title: string },
  first?: { spec: (stages: typeof import('./world/stage.ts')) => StageSpec; panel: boolean | number },
  options: { ui: boolean } = { ui: true },
): Promise<Opening> {
  const interactive = process.stdin.isTTY && process.stdout.isTTY;
  if (!interactive || process.env.TERM === 'dumb') {
    await assertPrerequisites(interactive ? { terminal: terminalSize() } : {});
    checkTerminalKind();
    throw new NslabError('nslab needs an interactive terminal.', 'Run it directly in a terminal window, not through a pipe.');
  }
  mark('openInteractive');
  const image = containerImage(rootfs);
  void image.then(() => mark('image'));
  // The rest waits until level 1 is spawned (or the opening failed first): work started before
  // it, on this thread or in probe processes, would only delay the world. The prerequisites'
  // probes run in one shell at the lowest priority (doctor.ts): beside the boot, not in its way.
  let spawned!: () => void;
  const worldSpawned = new Promise<void>((resolve) => (spawned = resolve));
  const stage = first ? image.then(async ({ tar }) => openEarly(first.spec(await stageModule()), tar, first.panel, spawned)) : undefined;
  void (stage ?? image).then(spawned, spawned);
  const prerequisites = worldSpawned.then(() => assertPrerequisites({ terminal: terminalSize() }));
  // Without the views, what draws the first frame is loaded while the world boots instead.
  const ui = options.ui ? worldSpawned.then(loadUi) : undefined;
  if (!options.ui) void worldSpawned.then(terminalModule).catch(() => {});
  void ui?.then(() => mark('ui-loaded'));
  void prerequisites.then(() => mark('prereq'));
  void stage?.then(() => mark('stage-open'));
  // Each is awaited below, or dropped with the error that comes first.
  for (const started of [image, stage, prerequisites, ui]) started?.catch(() => {});
  try {
    await prerequisites;
    const { tar, summary } = await image;
    const recorder = await openRecorder(record.file, record.title);
    return { tar, summary, recorder, ...(ui ? { ui: await ui } : {}), ...(stage ? { stage } : {}) };
  } catch (error) {
    void stage?.then((opened) => opened.close(), () => {});
    throw error;
  }
}

/**
 * Loads the full-screen UI. Ink renders only a final frame when it believes it runs in CI (the
 * `CI` variable, read once when Ink is first loaded); nslab has already made sure it is on a
 * real terminal, where a user with CI=1 in their shell still wants to see the lab.
 */
async function loadUi(): Promise<typeof import('../components/run.tsx')> {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  // NO_COLOR (no-color.org): Ink's colours come from chalk, which reads FORCE_COLOR only.
  // Nothing nslab shows depends on colour alone (✓ ✗ + ~ ● ○ ▶ carry the meaning).
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
  // Ink's layout engine (yoga-layout) instantiates its inline WebAssembly through fetch() when
  // there is one, and Node's fetch loads undici for it: 0.3 of the 0.6 s the UI took to load
  // (--cpu-prof). Without fetch, yoga decodes the same bytes itself. The property is moved
  // aside, not read: reading it is what loads undici.
  const fetch = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (fetch?.configurable) delete (globalThis as { fetch?: unknown }).fetch;
  try {
    return await import('../components/run.tsx');
  } finally {
    if (fetch?.configurable) Object.defineProperty(globalThis, 'fetch', fetch);
  }
}

/**
 * The playground's first frame: its panes, drawn as soon as the stage is open and before the
 * views are loaded (src/term/terminal.ts). A stage that takes longer than FIRST_FRAME_WAIT_MS,
 * or fails, is left to the views ("starting", or why it failed).
 */
const terminalModule = () => import('./term/terminal.ts');

async function paintFirstFrame(stage: Promise<Stage>, recorder: Opening['recorder']) {
  const { FIRST_FRAME_WAIT_MS, paintStage, takeTerminal } = await terminalModule();
  let timer: NodeJS.Timeout | undefined;
  const opened = await Promise.race([stage.catch(() => null), new Promise<null>((resolve) => (timer = setTimeout(resolve, FIRST_FRAME_WAIT_MS, null)))]);
  clearTimeout(timer);
  const terminal = takeTerminal(recorder);
  if (opened) paintStage(terminal.writer, opened);
  mark('painted');
  return { terminal, stageShown: opened !== null };
}

/**
 * Opens the first stage as soon as the container image is ready, sized for the screen to come.
 * The world is spawned before the layout module is even loaded (string-width's Intl.Segmenter
 * alone costs ~20 ms): the panes are the first to need the size.
 */
async function openEarly(spec: StageSpec, tar: string, withLabPanel: boolean | number, onWorldSpawn: () => void): Promise<Stage> {
  const { Stage } = await stageModule();
  const size = import('./layout.ts').then(({ computeLayout }): StageSize => {
    const { columns, rows } = terminalSize();
    const { paneCols, paneRows } = computeLayout({ columns, rows, inLab: withLabPanel !== false, fixedPanelRows: typeof withLabPanel === 'number' ? withLabPanel : undefined });
    return { cols: paneCols, rows: paneRows };
  });
  return Stage.open(spec, tar, size, { onWorldSpawn });
}

function unknownLab(id: string, labs: readonly Lab[], problems: readonly string[]): NslabError {
  const refused = problems.length ? `\nLab files with problems:\n${problems.join('\n')}` : '';
  return new NslabError(`There is no lab "${id}".${refused}`, `Labs: ${labs.map((l) => l.id).join(', ')}. \`nslab list\` shows them all.`);
}

export function buildProgram(): Command {
  const program = new Command('nslab')
    .description('Learn how Linux containers work by building one by hand, inside real namespaces.')
    .version(packageVersion(), '-V, --version', "print nslab's version")
    .argument('[lab-id]', 'open this lab (default: the lab list)')
    .addOption(rootfsOption())
    .addOption(labsOption())
    .addOption(trustOption())
    .addOption(recordOption())
    .showHelpAfterError()
    // The limit flags belong to the program, so they work before or after any command name.
    .hook('preAction', (root) => applyLimitOptions(root.opts()));
  addLimitOptions(program);
  // --labs and --trust-lab-code belong to the program, like the limit flags: every command that
  // lists labs reads them from there, before or after its name (`nslab verify --labs DIR`).
  const catalog = () => loadCatalog(program.opts<LabsOptions>());
  program
    .action(async (labId: string | undefined, options: { rootfs?: string; record?: string } & LabsOptions) => {
      // The lab id is checked first: a typo must not wait for (or cause) a rootfs import.
      const { labs, problems } = await catalog();
      const lab = labId === undefined ? undefined : labs.find((l) => l.id === labId);
      if (labId !== undefined && !lab) throw unknownLab(labId, labs, problems);
      const { tar, summary, recorder, stage, ui } = await openInteractive(options.rootfs, { file: options.record, title: `nslab ${labId ?? ''}`.trim() }, lab ? { spec: () => lab.start, panel: true } : undefined);
      const start: Start = lab ? { kind: 'lab', id: lab.id, stage } : { kind: 'list' };
      await (ui ?? (await loadUi())).runApp(Promise.resolve(labs), tar, start, { recorder, labProblems: problemNotice(problems), notice: summary });
    });

  program
    .command('play')
    .description('the free playground: a host shell and a container shell side by side')
    .addOption(rootfsOption())
    .addOption(recordOption())
    .action(async (options: { rootfs?: string; record?: string }, command: Command) => {
      const { tar, summary, recorder, stage } = await openInteractive(rootfsOf(command), { file: options.record, title: 'nslab play' }, { spec: (stages) => stages.PLAYGROUND, panel: false }, { ui: false });
      // Both prompts are drawn before Ink is loaded; the views take over the same screen.
      const first = await paintFirstFrame(stage!, recorder);
      // The lab files are only needed for Ctrl-g l; runApp loads them once the playground is up.
      await (await loadUi()).runApp(async () => (await catalog()).labs, tar, { kind: 'play', stage }, { recorder, notice: summary, ...first });
    });

  program
    .command('present')
    .description('presenter mode, for a projector: Ctrl-g n types the next solution line at human speed, Ctrl-g 1…9 goes to a step')
    .argument('<lab-id>', 'the lab to present')
    .option('--step <n>', 'start at this step (a fresh world, the earlier steps replayed)', (v) => Number(v))
    .addOption(rootfsOption())
    .addOption(recordOption())
    .action(async (labId: string, options: { step?: number; rootfs?: string; record?: string }, command: Command) => {
      // A wrong lab or step is said before the terminal and the machine are checked.
      const { labs, problems } = await catalog();
      const lab = labs.find((l) => l.id === labId);
      if (!lab) throw unknownLab(labId, labs, problems);
      const step = options.step ?? 1;
      if (!Number.isInteger(step) || step < 1 || step > lab.steps.length) {
        throw new NslabError(`--step must be a step of ${lab.id}: 1 to ${lab.steps.length}.`, `Example: nslab present ${lab.id} --step 2`);
      }
      const { PRESENTER_PANEL_ROWS } = await import('./layout.ts');
      const { tar, summary, recorder, stage, ui } = await openInteractive(rootfsOf(command), { file: options.record, title: `nslab present ${labId}` }, { spec: () => lab.start, panel: PRESENTER_PANEL_ROWS });
      await (ui ?? (await loadUi())).runApp(Promise.resolve(labs), tar, { kind: 'present', id: lab.id, stage, step: step - 1 }, { recorder, notice: summary });
    });

  program
    .command('list')
    .description('the labs, with their step counts and your progress')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { labs, problems } = await catalog();
      for (const problem of problems) process.stderr.write(`nslab: ${problem}\n`);
      if (problems.length) process.exitCode = 1;
      const { ProgressStore, describeProgress } = await import('./labs/progress.ts');
      const { progress, warning } = new ProgressStore().load();
      if (warning) process.stderr.write(`nslab: ${warning}\n`);
      const rows = labs.map((lab) => ({
        id: lab.id,
        title: lab.title,
        steps: lab.steps.length,
        progress: describeProgress(progress.labs[lab.id], lab.steps.length),
        ...(unavailableBecause(lab.requires) ? { unavailable: unavailableBecause(lab.requires)! } : {}),
      }));
      if (options.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else {
        const idWidth = Math.max(0, ...rows.map((r) => r.id.length));
        const titleWidth = Math.max(0, ...rows.map((r) => r.title.length));
        for (const r of rows) process.stdout.write(`${r.id.padEnd(idWidth)}  ${r.title.padEnd(titleWidth)}  ${String(r.steps).padStart(2)} steps  ${r.unavailable ?? r.progress}\n`);
      }
    });

  program
    .command('verify')
    .description("prove labs honest in fresh lab worlds: per step every check red at the start, each declared wrong attempt gives its verdicts, the reference solution turns every check green")
    .argument('[lab-id...]', 'the labs to verify (default with --labs: the labs of those directories)')
    .option('--all', 'verify every lab, built-in and --labs')
    .option('--json', 'print a JSON document (format version, nslab version, kernel, per-check verdict codes)')
    .option('--junit <file>', 'also write a JUnit XML report to this file')
    .addOption(new Option('--jobs <n>', 'lab worlds at a time (default: two per CPU, at most 8)').argParser(positiveInteger))
    .addOption(rootfsOption())
    .action(async (labIds: string[], options: { all?: boolean; json?: boolean; junit?: string; jobs?: number; rootfs?: string }, command: Command) => {
      if (labIds.length === 0 && !options.all && !program.opts<LabsOptions>().labs?.length) {
        throw new NslabError('Say which labs to verify: lab ids, --all, or --labs DIR.', 'Example: nslab verify pivot-root');
      }
      await assertPrerequisites();
      const { labs, problems } = await catalog();
      for (const id of labIds) if (!labs.some((l) => l.id === id)) throw unknownLab(id, labs, problems);
      const chosen = options.all ? labs : labIds.length ? labs.filter((l) => labIds.includes(l.id)) : labs.filter((l) => !l.origin.builtIn);
      // A lab that did not load is a failed verification (of the directories asked about).
      const relevant = options.all || labIds.length === 0 ? problems : [];
      for (const problem of relevant) if (!options.json) process.stdout.write(`FAIL ${problem}\n`);
      const { tar } = await containerImage(rootfsOf(command));
      const { formatReport, junitReport, reportDocument, verifyLabs } = await import('./labs/verify.ts');
      const reports = await verifyLabs(chosen, tar, {
        ...(options.jobs ? { jobs: options.jobs } : {}),
        onLab: (report) => {
          if (!options.json) process.stdout.write(formatReport(report) + '\n');
        },
      });
      if (options.json) process.stdout.write(JSON.stringify(reportDocument(reports, relevant), null, 2) + '\n');
      if (options.junit) writeFileSync(options.junit, junitReport(reports, relevant));
      process.exitCode = relevant.length === 0 && reports.every((r) => r.ok) ? 0 : 1;
    });

  program
    .command('grade')
    .description('for graders: run a capstone script in a fresh lab world and check every requirement (exit 0 only when all hold)')
    .argument('<script>', "the student's container script")
    .option('--json', 'print a JSON document, a finding per requirement')
    .option('--junit <file>', 'also write a JUnit XML report to this file')
    .addOption(rootfsOption())
    .action(async (scriptPath: string, options: { json?: boolean; junit?: string }, command: Command) => {
      let script: Buffer;
      try {
        script = readFileSync(scriptPath);
      } catch (error) {
        throw new NslabError(`The script ${scriptPath} cannot be read: ${(error as Error).message}`, 'Give nslab grade the path of the shell script to grade.');
      }
      await assertPrerequisites();
      const { labs, problems } = await loadCatalog({});
      const { CAPSTONE_ID, grade, gradeDocument, gradeJunit, gradeText } = await import('./labs/grade.ts');
      const lab = labs.find((l) => l.id === CAPSTONE_ID);
      if (!lab) throw unknownLab(CAPSTONE_ID, labs, problems);
      const result = await grade(lab, script, (await containerImage(rootfsOf(command))).tar);
      process.stdout.write(options.json ? JSON.stringify(gradeDocument(scriptPath, result), null, 2) + '\n' : gradeText(result) + '\n');
      if (options.junit) writeFileSync(options.junit, gradeJunit(scriptPath, result));
      process.exitCode = result.ok ? 0 : 1;
    });

  program
    .command('report')
    .description('for graders: each lab\'s steps, when they passed, what the kernel showed, hints and solutions used')
    .addOption(new Option('--json', 'versioned JSON').conflicts(['junit', 'tap']))
    .addOption(new Option('--junit', 'JUnit XML, one testcase per step').conflicts(['tap']))
    .option('--tap', 'TAP version 14')
    .action(async (options: { json?: boolean; junit?: boolean; tap?: boolean }) => {
      const { labs } = await catalog();
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
      const { labs } = await catalog();
      const { runReset } = await import('./report/commands.ts');
      await runReset(labs, { labId, ...options });
    });

  program
    .command('doctor')
    .description('check what nslab needs from this machine, and how to fix what is missing')
    .action(async () => {
      const { checkPrerequisites, formatReport } = await doctor();
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
