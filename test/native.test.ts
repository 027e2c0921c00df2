import { openSync, closeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import pty from 'node-pty';
import { SyscallError, errnoName, tcgetpgrp } from '../native/libc.ts';

describe('native libc bindings', () => {
  it('names errno values', () => {
    expect(errnoName(1)).toBe('EPERM');
    expect(errnoName(25)).toBe('ENOTTY');
  });

  it('throws a typed error naming call, errno and argument', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(() => tcgetpgrp(fd)).toThrowError(SyscallError);
      try {
        tcgetpgrp(fd);
      } catch (e) {
        const err = e as SyscallError;
        expect(err.call).toBe('tcgetpgrp');
        expect(err.code).toBe('ENOTTY');
        expect(err.args).toEqual([fd]);
        expect(err.message).toBe(`tcgetpgrp(${fd}) failed: ENOTTY`);
      }
    } finally {
      closeSync(fd);
    }
  });

  it('finds the foreground process group of a PTY', async () => {
    const term = pty.spawn('/bin/sh', ['-c', 'sleep 5'], {});
    try {
      const fd = (term as unknown as { _fd: number })._fd;
      // sh -c with a single command execs sleep; the session leader is the foreground group.
      await new Promise((r) => setTimeout(r, 100));
      expect(tcgetpgrp(fd)).toBe(term.pid);
    } finally {
      term.kill('SIGKILL');
    }
  });
});
