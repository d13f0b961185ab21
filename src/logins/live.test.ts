import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { livePidAlive, statBootTime } from './live.ts';
import type { UtmpRecord } from './utmp.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tenken-live-'));
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  writeFileSync(
    path.join(root, 'etc/passwd'),
    'root:x:0:0::/root:/bin/sh\nkato:x:502:100::/home/kato:/bin/sh\n',
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const login = (pid: number, sec: number, user = 'kato'): UtmpRecord => ({
  index: 0,
  type: 7,
  pid,
  line: 'pts/0',
  id: 'ts/0',
  user,
  host: 'pc24',
  exitTermination: 0,
  exitStatus: 0,
  session: 0,
  sec,
  usec: 0,
  addr: [0, 0, 0, 0],
});

function proc(pid: number, loginuid: number) {
  mkdirSync(path.join(root, 'proc', String(pid)), { recursive: true });
  writeFileSync(path.join(root, 'proc', String(pid), 'loginuid'), String(loginuid));
}

const BOOT = 1_794_897_000; // 2026-11-17T06:30:00Z
const NOW = Date.UTC(2026, 11, 31);

describe("util-linux's is_phantom on a --root tree", () => {
  it("says a session is gone unless the tree's /proc holds its pid with the user's loginuid, after the tree's boot", () => {
    mkdirSync(path.join(root, 'proc'));
    writeFileSync(path.join(root, 'proc/stat'), `cpu  1 0 1 1 0 0 0 0 0 0\nbtime ${BOOT}\nprocesses 9\n`);
    proc(3832, 502);
    proc(4000, 4294967295); // a daemon's pid reused: no login
    const alive = livePidAlive(root, NOW);
    expect(alive(login(3832, BOOT + 60))).toBe(true);
    expect(alive(login(3999, BOOT + 60))).toBe(false); // no such process (and no /dev/pts/0 in the tree)
    expect(alive(login(4000, BOOT + 60))).toBe(false);
    expect(alive(login(3832, BOOT - 60))).toBe(false); // before the tree's boot: a crash ended it
    expect(alive(login(3832, BOOT + 60, 'nosuch'))).toBe(false);
    // Without loginuid, the tty's owner in the tree's /dev decides, as util-linux's fallback.
    rmSync(path.join(root, 'proc/3832/loginuid'));
    expect(alive(login(3832, BOOT + 60))).toBe(false);
  });

  it("without a loginuid, judges by the owner of the session's tty in the tree's /dev", () => {
    const me = process.getuid?.() ?? 0;
    writeFileSync(
      path.join(root, 'etc/passwd'),
      `kato:x:${me}:100::/home/kato:/bin/sh\nroot:x:0:0::/root:/bin/sh\n`,
    );
    mkdirSync(path.join(root, 'proc/3832'), { recursive: true });
    writeFileSync(path.join(root, 'proc/stat'), `cpu  1 0 1 1 0 0 0 0 0 0\nbtime ${BOOT}\nprocesses 9\n`);
    mkdirSync(path.join(root, 'dev/pts'), { recursive: true });
    writeFileSync(path.join(root, 'dev/pts/0'), '');
    const alive = livePidAlive(root, NOW);
    expect(alive(login(3832, BOOT + 60))).toBe(true);
    expect(alive({ ...login(3832, BOOT + 60), line: 'pts/1' })).toBe(false); // no such tty in the tree
  });

  it('keeps every unclosed session open in a tree without /proc (it cannot tell)', () => {
    expect(livePidAlive(root, NOW)(login(3832, BOOT + 60))).toBe(true);
  });

  it("reads the boot time from /proc/stat's btime", () => {
    expect(statBootTime('cpu  1 2 3\nbtime 1794897000\nprocesses 9\n')).toBe(BOOT);
    expect(statBootTime('cpu  1 2 3\n')).toBeNull();
  });

  it("reads the tree's /etc/passwd through an absolute link as the server would (inside the tree)", () => {
    mkdirSync(path.join(root, 'proc'));
    writeFileSync(path.join(root, 'proc/stat'), `cpu  1 0 1 1 0 0 0 0 0 0\nbtime ${BOOT}\nprocesses 9\n`);
    proc(3832, 502);
    rmSync(path.join(root, 'etc/passwd'));
    writeFileSync(path.join(root, 'etc/passwd.tenken-real'), 'kato:x:502:100::/home/kato:/bin/sh\n');
    symlinkSync('/etc/passwd.tenken-real', path.join(root, 'etc/passwd'));
    expect(livePidAlive(root, NOW)(login(3832, BOOT + 60))).toBe(true);
  });
});
