/**
 * /proc/<pid>/mountinfo, as proc_pid_mountinfo(5) describes it:
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 *
 * (7) is zero or more optional fields ended by the "-" separator (8). The kernel escapes space,
 * tab, newline and backslash in paths, the source and the options as \040 \011 \012 \134.
 * Only mounts reachable from the reading process's root are listed, with paths relative to it:
 * a chrooted process sees its own view.
 */
import { posix } from 'node:path';
import { readProcText } from './proc.ts';

export interface Propagation {
  /** Peer group id of a shared mount ("shared:N"). */
  shared?: number;
  /** Peer group this mount receives propagation from ("master:N"): a slave. */
  master?: number;
  /**
   * "propagate_from:N": the closest dominant peer group under the reader's root, shown when the
   * master itself is not visible there (e.g. the reader is chrooted).
   */
  propagateFrom?: number;
  unbindable: boolean;
}

export interface MountEntry {
  id: number;
  parentId: number;
  major: number;
  minor: number;
  /** The directory of the filesystem that forms this mount's root (a bind mount's source path). */
  root: string;
  /** Where it is mounted, relative to the reader's root. */
  mountPoint: string;
  /** Per-mount options (rw/ro, nosuid, nodev, noexec, relatime, ...). */
  options: string[];
  /** `options` contains "ro": this mount point is read-only. */
  readOnly: boolean;
  /** The optional fields as written (shared:N, master:N, propagate_from:N, unbindable, ...). */
  optionalFields: string[];
  propagation: Propagation;
  fsType: string;
  source: string;
  /** Per-superblock options. */
  superOptions: string[];
}

/** Undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
export function unescapeMountField(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function splitOptions(text: string | undefined): string[] {
  // Split before unescaping: a comma inside an option value is escaped by the kernel.
  if (!text) return [];
  return text.split(',').filter(Boolean).map(unescapeMountField);
}

function parsePropagation(fields: readonly string[]): Propagation {
  const result: Propagation = { unbindable: false };
  for (const field of fields) {
    const [tag, value] = field.split(':');
    const n = Number(value);
    if (tag === 'shared') result.shared = n;
    else if (tag === 'master') result.master = n;
    else if (tag === 'propagate_from') result.propagateFrom = n;
    else if (tag === 'unbindable') result.unbindable = true;
  }
  return result;
}

/** Parses one mountinfo line; null for a blank or malformed line. */
export function parseMountinfoLine(line: string): MountEntry | null {
  const fields = line.trim().split(' ');
  const sep = fields.indexOf('-', 6);
  if (fields.length < 7 || sep < 0) return null;
  const [id, parentId, devno, root, mountPoint, options] = fields;
  const [major, minor] = (devno ?? '').split(':').map(Number);
  const optionalFields = fields.slice(6, sep);
  const opts = splitOptions(options);
  const entry: MountEntry = {
    id: Number(id),
    parentId: Number(parentId),
    major: major ?? NaN,
    minor: minor ?? NaN,
    root: unescapeMountField(root ?? ''),
    mountPoint: unescapeMountField(mountPoint ?? ''),
    options: opts,
    readOnly: opts.includes('ro'),
    optionalFields,
    propagation: parsePropagation(optionalFields),
    fsType: fields[sep + 1] ?? '',
    source: unescapeMountField(fields[sep + 2] ?? ''),
    superOptions: splitOptions(fields[sep + 3]),
  };
  if (!Number.isInteger(entry.id) || !Number.isInteger(entry.parentId)) return null;
  return entry;
}

export function parseMountinfo(text: string): MountEntry[] {
  const result: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const entry = parseMountinfoLine(line);
    if (entry) result.push(entry);
  }
  return result;
}

/** The mount table as process `pid` sees it; null when the process is gone (zombies too). */
export function readMountinfo(pid: number): MountEntry[] | null {
  // Opening mountinfo of an exited task whose nsproxy is gone fails with EINVAL.
  const text = readProcText(pid, 'mountinfo', ['EINVAL']);
  return text === null ? null : parseMountinfo(text);
}

function normalizeMountPath(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/**
 * The mount visible at exactly `mountPoint`. When several mounts are stacked on the same
 * directory, the visible one is the top of the stack: the one no other candidate is mounted on.
 */
export function findMount(entries: readonly MountEntry[], mountPoint: string): MountEntry | undefined {
  const wanted = normalizeMountPath(mountPoint);
  const candidates = entries.filter((e) => e.mountPoint === wanted);
  const ids = new Set(candidates.map((e) => e.id));
  const covered = new Set(candidates.filter((e) => ids.has(e.parentId) && e.parentId !== e.id).map((e) => e.parentId));
  return candidates.filter((e) => !covered.has(e.id)).at(-1) ?? candidates.at(-1);
}

export type PropagationName = 'shared' | 'slave' | 'private' | 'unbindable' | 'shared+slave';

/**
 * The propagation type as mount(8) names it. The kernel clears a mount's master when it is made
 * unbindable and clears "unbindable" when it is made shared, so "unbindable" never combines.
 */
export function propagationName(entry: Pick<MountEntry, 'propagation'>): PropagationName {
  const p = entry.propagation;
  if (p.unbindable) return 'unbindable';
  const shared = p.shared !== undefined;
  const slave = p.master !== undefined;
  if (shared && slave) return 'shared+slave';
  if (shared) return 'shared';
  if (slave) return 'slave';
  return 'private';
}
