/**
 * A KernelSource that records what another one answered, and one that replays a recording:
 * predicates are unit-tested on real states recorded from lab worlds (test/fixtures/check).
 */
import type { FileIdentity } from '../kernel/proc.ts';
import type { MountNode } from '../kernel/mounttree.ts';
import type { IpLink } from '../kernel/netlink.ts';
import type { Subject } from './types.ts';
import type { KernelSource } from './view.ts';

export type Recording = Record<string, unknown>;

const METHODS = ['resolve', 'procText', 'procLink', 'dirIdentity', 'identityAs', 'readAs', 'listAs', 'rootMountId', 'mountIdAs', 'pidAncestry', 'mountTree', 'links'] as const;

const key = (method: string, args: readonly unknown[]) => `${method}(${args.map((a) => JSON.stringify(a)).join(',')})`;

/** JSON with bigints kept (mount ids, inode numbers): {"$bigint": "123"}. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v), 1);
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => (v && typeof v === 'object' && '$bigint' in v ? BigInt((v as { $bigint: string }).$bigint) : v)) as T;
}

/** Wraps `inner`; every answer is kept in `recording` under the call that asked for it. */
export function recordingSource(inner: KernelSource, recording: Recording): KernelSource {
  const source = {} as Record<string, unknown>;
  for (const method of METHODS) {
    source[method] = (...args: unknown[]) => {
      const result = (inner[method] as (...a: unknown[]) => unknown)(...args);
      if (result instanceof Promise) return result.then((r) => ((recording[key(method, args)] = r), r));
      recording[key(method, args)] = result;
      return result;
    };
  }
  return source as unknown as KernelSource;
}

/** Answers from a recording; a question it does not hold is a test defect, and says so. */
export class ReplaySource implements KernelSource {
  constructor(private readonly recording: Recording) {}

  private get<T>(method: string, args: readonly unknown[]): T {
    const k = key(method, args);
    if (!(k in this.recording)) throw new Error(`the recording has no answer for ${k}`);
    return this.recording[k] as T;
  }

  resolve(subject: Subject) {
    return this.get<number | null>('resolve', [subject]);
  }
  procText(pid: number, rel: string) {
    return this.get<string | null>('procText', [pid, rel]);
  }
  procLink(pid: number, rel: string) {
    return this.get<string | null>('procLink', [pid, rel]);
  }
  dirIdentity(pid: number, which: 'root' | 'cwd') {
    return this.get<FileIdentity | null>('dirIdentity', [pid, which]);
  }
  identityAs(pid: number, path: string) {
    return this.get<FileIdentity | null>('identityAs', [pid, path]);
  }
  readAs(pid: number, path: string) {
    return this.get<string | null>('readAs', [pid, path]);
  }
  listAs(pid: number, path: string) {
    return this.get<string[] | null>('listAs', [pid, path]);
  }
  rootMountId(pid: number) {
    return this.get<bigint | null>('rootMountId', [pid]);
  }
  mountIdAs(pid: number, path: string) {
    return this.get<bigint | null>('mountIdAs', [pid, path]);
  }
  pidAncestry(pid: number) {
    return this.get<number[] | null>('pidAncestry', [pid]);
  }
  mountTree(pid: number) {
    return this.get<MountNode[] | null>('mountTree', [pid]);
  }
  links(pid: number) {
    return Promise.resolve(this.get<IpLink[] | null>('links', [pid]));
  }
}
