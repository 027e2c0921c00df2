/**
 * A stage: one lab world with its two panes, in a starting state. The host pane is a shell in
 * the lab host; the container pane becomes the container the starting state describes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NslabError } from '../errors.ts';
import { unmet } from '../labs/requirements.ts';
import type { Pane } from '../term/pane.ts';
import { atPrompt } from '../term/prompt.ts';
import { mark, markFirstOutput } from '../trace.ts';
import { readWorldScript } from './scripts.ts';
import { LabWorld, labEnvironment, LAB_HOST_ROOTFS } from './world.ts';

/** Namespaces as util-linux unshare(1) names its flags. */
export type UnshareNamespace = 'mount' | 'pid' | 'net' | 'uts' | 'ipc' | 'cgroup' | 'user';

export interface ContainerSpec {
  /** Namespaces the container gets of its own (empty: it shares all of the lab host's). */
  readonly namespaces: readonly UnshareNamespace[];
  /** pivot: pivoted into the rootfs; chroot: only chrooted into it; none: stays in the lab host's root. */
  readonly root: 'pivot' | 'chroot' | 'none';
  /** Mount a proc in the container's root (with pivot/chroot). */
  readonly proc: boolean;
  readonly hostname?: string;
}

export interface StageSpec {
  readonly container: ContainerSpec;
  /** Shell run as lab-host root before the panes start: planted files, processes, mounts. */
  readonly setup?: string;
  /**
   * Give the lab a cgroup of its own to write (`requires: [cgroup]`): `/lab` inside the world's
   * cgroup, owned by the lab's root, made before the setup runs (src/world/limits.ts delegate).
   * `where-available`: the same where the machine can delegate one, and none where it cannot
   * (checks that need it are then skipped, src/labs/runner.ts), instead of refusing the lab.
   */
  readonly cgroup?: boolean | 'where-available';
}

export interface StageSize {
  readonly cols: number;
  readonly rows: number;
}

export const PLAYGROUND: StageSpec = {
  container: { namespaces: ['mount', 'pid', 'net', 'uts', 'ipc'], root: 'pivot', proc: true, hostname: 'container' },
};

const CPID_TIMEOUT_MS = 5_000;
/** How long both shells may take to reach their first prompt (generous: a loaded machine). */
const READY_TIMEOUT_MS = 20_000;

/** How long each part of opening a stage took, in ms (for `npm run bench`). */
export interface StageTimings {
  readonly world: number;
  readonly container: number;
}

export class Stage {
  private constructor(
    readonly world: LabWorld,
    readonly host: Pane,
    readonly container: Pane,
    /** The container's first process, as the lab host numbers it ($CPID in the host pane). */
    readonly containerPid: number,
    /** The same process as the real machine numbers it (for reading /proc from nslab). */
    readonly containerRealPid: number,
    readonly timings: StageTimings,
  ) {}

  /**
   * `size` may still be on its way: the CLI starts the world before it has loaded what measures
   * the screen (src/cli.ts), and the panes are the first to need it.
   */
  static async open(spec: StageSpec, rootfsTar: string, paneSize: StageSize | Promise<StageSize>, hooks: { onWorldSpawn?: () => void } = {}): Promise<Stage> {
    // Before any world exists: a lab this machine cannot give a cgroup is refused in words.
    const [missing] = spec.cgroup ? unmet(['cgroup']) : [];
    if (missing && spec.cgroup !== 'where-available') throw new NslabError(`This lab is unavailable here: ${missing.reason}.`, `To enable it, ${missing.enable}; \`nslab doctor\` shows what this machine offers.`);
    // Awaited once the world is up; a failure is the open's failure, not an unhandled one meanwhile.
    if (paneSize instanceof Promise) paneSize.catch(() => {});
    const started = performance.now();
    // The panes' module (node-pty, the xterm emulator: ~50 ms to load) loads while the world
    // boots, not before: it would delay the spawn.
    let panes: Promise<typeof import('../term/pane.ts')> | undefined;
    const loadPanes = () => (panes ??= import('../term/pane.ts'));
    const onSpawn = () => {
      loadPanes().catch(() => {}); // awaited below
      hooks.onWorldSpawn?.();
    };
    const world = await LabWorld.start({ rootfsTar, onSpawn });
    mark('world-ready');
    const worldReady = performance.now();
    let container: Pane | undefined;
    let hostPane: Pane | undefined;
    try {
      const size = await paneSize;
      const { Pane } = await loadPanes();
      const enteredPane = (argv: readonly string[], env: Record<string, string>) => openPane(Pane, world, argv, env, size);
      if (spec.cgroup && !missing) world.limits.delegate(world.identity.uid);
      if (spec.setup) {
        const result = await world.exec(spec.setup);
        if (result.code !== 0) {
          throw new NslabError(`The lab's starting state could not be set up: ${result.stderr.trim() || `exit ${result.code}`}`);
        }
      }
      container = enteredPane(['sh', '-c', 'eval "$NSLAB_CT_SCRIPT"', 'nslab-container'], { ...labEnvironment(), ...containerEnvironment(spec.container) });
      const containerStarted = performance.now();
      mark('container-pane-spawned');
      markFirstOutput(container, 'container');
      const containerPid = await waitForContainerPid(world, container);
      const containerReady = performance.now();
      mark('cpid');
      const containerRealPid = world.realPid(container.pid, containerPid);
      if (containerRealPid === null) throw new NslabError('The container started but nslab cannot find its process.');
      const host = enteredPane(['sh', '-c', 'cd /root && exec bash -i'], { ...labEnvironment(), CPID: String(containerPid) });
      hostPane = host;
      mark('host-pane-spawned');
      markFirstOutput(host, 'host');
      await waitForStartingState(host, container, containerRealPid);
      mark('starting-state');
      return new Stage(world, host, container, containerPid, containerRealPid, {
        world: worldReady - started,
        container: containerReady - containerStarted,
      });
    } catch (error) {
      container?.dispose();
      hostPane?.dispose();
      await world.stop();
      throw error;
    }
  }

  /** Real pid of the lab host's init: the reference for "shares a namespace with the host". */
  get labHostPid(): number {
    return this.world.labHostPid;
  }

  resize(size: StageSize): void {
    this.host.resize(size.cols, size.rows);
    this.container.resize(size.cols, size.rows);
  }

  async close(): Promise<void> {
    this.host.dispose();
    this.container.dispose();
    await this.world.stop();
  }
}

/** A pane whose program runs in the lab host (LabWorld.openEntry), whose foreground is checked to be the lab's. */
function openPane(Pane: typeof import('../term/pane.ts').Pane, world: LabWorld, argv: readonly string[], env: Record<string, string>, size: StageSize): Pane {
  const entry = world.openEntry();
  try {
    const pane = new Pane({ argv: [...entry.argv, ...argv], env, owns: (pid, session) => world.owns(pid, { session }), ...size });
    pane.onExit(entry.close);
    return pane;
  } catch (err) {
    entry.close();
    throw err;
  }
}

function containerEnvironment(spec: ContainerSpec): Record<string, string> {
  const flags = spec.namespaces.map((ns) => `--${ns}`);
  // A new pid namespace only applies to children: unshare must fork (pid_namespaces(7)).
  if (spec.namespaces.includes('pid')) flags.push('--fork');
  return {
    NSLAB_CT_UNSHARE: flags.join(' '),
    NSLAB_CT_ROOT: spec.root,
    NSLAB_CT_PROC: spec.proc ? '1' : '0',
    NSLAB_CT_HOSTNAME: spec.hostname ?? '',
    NSLAB_CT_SCRIPT: readWorldScript('container.sh'),
    ROOTFS: LAB_HOST_ROOTFS,
  };
}

/** container.sh writes its lab-host pid to /run/nslab/cpid just before it becomes the container. */
async function waitForContainerPid(world: LabWorld, container: Pane): Promise<number> {
  const deadline = Date.now() + CPID_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = world.readLabHostFile('/run/nslab/cpid');
    if (text && /^\d+\n$/.test(text)) return Number(text);
    if (container.exit) break;
    await sleep(5);
  }
  const screen = screenText(container).trim();
  throw new NslabError(`The container did not start${screen ? `: ${screen}` : '.'}`);
}

/**
 * A stage is ready only in the lab's starting state, never on a timer: until then a check
 * would read nsenter (the lab host's root and namespaces) in the container pane's foreground
 * and could pass with nothing typed.
 * - The container pane: its foreground process group is the container's own process, which
 *   container.sh turned into the shell by exec (same pid) after it entered the namespaces and
 *   the root. An interactive shell makes itself the foreground group (tcsetpgrp(3), job
 *   control); before that the foreground is nsenter's group. And its prompt is on the screen.
 * - The host pane: its foreground is no longer nsenter (the pane's own process) but the
 *   interactive shell, at its first prompt.
 * The setup script has run before either pane started.
 */
async function waitForStartingState(host: Pane, container: Pane, containerRealPid: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const ready = () =>
    container.foregroundPid() === containerRealPid &&
    atPrompt(container) &&
    (host.foregroundPid() ?? host.pid) !== host.pid &&
    atPrompt(host);
  while (!ready()) {
    for (const [name, pane] of [['container', container], ['host', host]] as const) {
      if (pane.exit) throw new NslabError(`The ${name} shell exited before its first prompt${detail(pane)}`);
    }
    if (Date.now() > deadline) {
      const which = container.foregroundPid() === containerRealPid && atPrompt(container) ? host : container;
      throw new NslabError(`The ${which === host ? 'host' : 'container'} shell did not reach its first prompt in ${READY_TIMEOUT_MS / 1000} s${detail(which)}`);
    }
    await nextChangeOr(10, host, container);
  }
}

/**
 * The next change of either pane's screen, or `ms`, whichever comes first: a prompt is looked
 * at when it is drawn, not up to a poll later (the foreground group, which draws nothing, is
 * still polled).
 */
async function nextChangeOr(ms: number, ...panes: Pane[]): Promise<void> {
  const offs: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    for (const pane of panes) offs.push(pane.onChange(resolve));
  });
  clearTimeout(timer);
  for (const off of offs) off();
}

function detail(pane: Pane): string {
  const screen = screenText(pane).trim();
  return screen ? `: ${screen}` : '.';
}

/** The visible text of a pane, for error messages and tests. */
export function screenText(pane: Pane): string {
  const buffer = pane.term.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < pane.term.rows; y++) {
    lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
  }
  return lines.join('\n').replace(/\n+$/, '');
}
