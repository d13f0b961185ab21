import { describe, expect, it } from 'vitest';
import type { ProcessInfo } from './proc.ts';
import { isUserManager, sessionEntry, sessionProcesses } from './session.ts';

function proc(over: Partial<ProcessInfo> & Pick<ProcessInfo, 'pid' | 'name'>): ProcessInfo {
  return {
    ppid: 1,
    cmdline: [],
    uid: 1000,
    user: 'alice',
    state: 'S',
    start: null,
    rssKb: 1000,
    exe: null,
    kernelThread: false,
    loginuid: null,
    ...over,
  };
}
const SYSTEMD = { path: '/usr/lib/systemd/systemd', deleted: false };
const NIX_SYSTEMD = '/nix/store/0c7c2ggbv4sf4dw8gya1ycm4w1dcmwjq-systemd-256.8/lib/systemd/systemd';
const DBUS = { path: '/usr/bin/dbus-daemon', deleted: false };
const BROKER = { path: '/usr/bin/dbus-broker', deleted: false };
const LAUNCH = { path: '/usr/bin/dbus-broker-launch', deleted: false };
const manager = (over: Partial<ProcessInfo> = {}) =>
  proc({ pid: 3110, name: 'systemd', cmdline: ['/lib/systemd/systemd', '--user'], exe: SYSTEMD, ...over });
const system = new Set(['www-data', 'nobody', 'messagebus']);

describe('a user manager', () => {
  it("is systemd --user started by pid 1 from systemd's own program, wherever the distribution installs it", () => {
    expect(isUserManager(manager())).toBe(true);
    expect(isUserManager(manager({ exe: { path: '/lib/systemd/systemd', deleted: false } }))).toBe(true);
    expect(isUserManager(manager({ exe: { path: '/lib/systemd/systemd', deleted: true } }))).toBe(true);
    expect(isUserManager(manager({ exe: { path: NIX_SYSTEMD, deleted: false } }))).toBe(true);
  });

  it('is never pid 1, nor a program merely named systemd', () => {
    expect(isUserManager(manager({ pid: 1, ppid: 0, cmdline: ['/sbin/init'] }))).toBe(false);
    expect(isUserManager(manager({ cmdline: ['/lib/systemd/systemd', '--system'] }))).toBe(false);
    expect(isUserManager(manager({ exe: { path: '/tmp/systemd', deleted: false } }))).toBe(false);
    expect(isUserManager(manager({ exe: { path: '/var/www/lib/systemd/systemdx', deleted: false } }))).toBe(
      false,
    );
    expect(isUserManager(manager({ ppid: 4242 }))).toBe(false);
    expect(isUserManager(manager({ cmdline: ['/tmp/x', '--user'] }))).toBe(false);
  });

  it('is not a copy of systemd in a home, temp or web directory, though its path ends in lib/systemd/systemd', () => {
    for (const copy of [
      '/home/joe/.local/lib/systemd/systemd',
      '/tmp/lib/systemd/systemd',
      '/var/www/lib/systemd/systemd',
      '/usr/local/lib/systemd/systemd',
      '/home/joe/nix/store/0c7c2ggbv4sf4dw8gya1ycm4w1dcmwjq-systemd-256.8/lib/systemd/systemd',
      '/nix/store/0c7c2ggbv4sf4dw8gya1ycm4w1dcmwjq-evil/lib/systemd/systemd',
      '/nix/store/not-a-hash-systemd-256.8/lib/systemd/systemd',
    ])
      expect(isUserManager(manager({ exe: { path: copy, deleted: false } })), copy).toBe(false);
  });

  it("is not one when its program file is not root's or may be written by group or others", () => {
    const file = (uid: number, mode: number) => new Map([[3110, { uid, mode }]]);
    expect(isUserManager(manager(), file(0, 0o100755))).toBe(true);
    expect(isUserManager(manager(), file(0, 0o100555))).toBe(true);
    expect(isUserManager(manager(), file(500, 0o100755))).toBe(false);
    expect(isUserManager(manager(), file(0, 0o100775))).toBe(false);
    expect(isUserManager(manager(), file(0, 0o100757))).toBe(false);
    // A symbolic link (in a tree under --root) or a directory at the path is no program.
    expect(isUserManager(manager(), file(0, 0o120777))).toBe(false);
    expect(isUserManager(manager(), file(0, 0o040755))).toBe(false);
    // Another process's file says nothing about this one.
    expect(isUserManager(manager({ pid: 3111 }), file(500, 0o100777))).toBe(true);
  });

  it('is not vouched for when this run may not read its program (exe unreadable without root)', () => {
    expect(isUserManager(manager({ exe: null }))).toBe(false);
  });
});

describe('the processes of login sessions', () => {
  it("are people's and root's user managers and the session bus each started, not a daemon account's", () => {
    const ps = [
      proc({ pid: 1, ppid: 0, name: 'systemd', uid: 0, user: 'root', cmdline: ['/sbin/init'], exe: SYSTEMD }),
      manager(),
      proc({
        pid: 3112,
        ppid: 3110,
        name: 'dbus-daemon',
        cmdline: ['/usr/bin/dbus-daemon', '--session'],
        exe: DBUS,
      }),
      manager({ pid: 3300, uid: 0, user: 'root' }),
      proc({
        pid: 3302,
        ppid: 3300,
        name: 'dbus-broker-lau',
        uid: 0,
        user: 'root',
        cmdline: ['/usr/bin/dbus-broker-launch', '--scope', 'user'],
        exe: LAUNCH,
      }),
      proc({
        pid: 3303,
        ppid: 3302,
        name: 'dbus-broker',
        uid: 0,
        user: 'root',
        cmdline: ['dbus-broker'],
        exe: BROKER,
      }),
      manager({ pid: 5000, uid: 33, user: 'www-data' }),
      proc({
        pid: 5002,
        ppid: 5000,
        name: 'dbus-daemon',
        uid: 33,
        user: 'www-data',
        cmdline: ['dbus-daemon', '--session'],
        exe: DBUS,
      }),
      // The system bus, and a session bus not started by a user manager.
      proc({
        pid: 600,
        name: 'dbus-daemon',
        uid: 100,
        user: 'messagebus',
        cmdline: ['dbus-daemon', '--system'],
      }),
      proc({ pid: 3400, ppid: 3199, name: 'dbus-daemon', cmdline: ['dbus-daemon', '--session'], exe: DBUS }),
    ];
    expect([...sessionProcesses(ps, system)].sort((a, b) => a - b)).toEqual([3110, 3112, 3300, 3302, 3303]);
  });
});

describe('the session bus of a login', () => {
  const ps = (bus: Partial<ProcessInfo>, broker: Partial<ProcessInfo> = {}) => [
    manager(),
    proc({
      pid: 3112,
      ppid: 3110,
      name: 'dbus-daemon',
      cmdline: ['dbus-daemon', '--session'],
      exe: DBUS,
      ...bus,
    }),
    proc({
      pid: 3120,
      ppid: 3110,
      name: 'dbus-broker-lau',
      cmdline: ['/usr/bin/dbus-broker-launch', '--scope=user'],
      exe: LAUNCH,
    }),
    proc({ pid: 3121, ppid: 3120, name: 'dbus-broker', cmdline: ['dbus-broker'], exe: BROKER, ...broker }),
  ];
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);

  it("is left out when run from the bus's own program under the user's real manager", () => {
    expect(sorted(sessionProcesses(ps({}), system))).toEqual([3110, 3112, 3120, 3121]);
    const nix = {
      path: '/nix/store/0c7c2ggbv4sf4dw8gya1ycm4w1dcmwjq-dbus-1.14.10/bin/dbus-daemon',
      deleted: false,
    };
    expect(sorted(sessionProcesses(ps({ exe: nix }), system))).toEqual([3110, 3112, 3120, 3121]);
  });

  it("is judged when its program is a copy elsewhere, not root's, or unreadable, its name and words notwithstanding", () => {
    const copy = { path: '/home/alice/.local/bin/dbus-daemon', deleted: false };
    expect(sorted(sessionProcesses(ps({ exe: copy }), system))).toEqual([3110, 3120, 3121]);
    expect(
      sorted(sessionProcesses(ps({ exe: { path: '/tmp/usr/bin/dbus-daemon', deleted: false } }), system)),
    ).toEqual([3110, 3120, 3121]);
    expect(sorted(sessionProcesses(ps({ exe: null }), system))).toEqual([3110, 3120, 3121]);
    expect(
      sorted(sessionProcesses(ps({}, { exe: { path: '/dev/shm/dbus-broker', deleted: false } }), system)),
    ).toEqual([3110, 3112, 3120]);
    const planted = new Map([[3112, { uid: 1000, mode: 0o100755 }]]);
    expect(sorted(sessionProcesses(ps({}), system, planted))).toEqual([3110, 3120, 3121]);
  });

  it('under a disguised manager is judged with it', () => {
    const fake = manager({ exe: { path: '/home/alice/.local/lib/systemd/systemd', deleted: false } });
    expect(sorted(sessionProcesses([fake, ...ps({}).slice(1)], system))).toEqual([]);
  });
});

describe('a baseline entry of a login session', () => {
  it("is a person's systemd or session bus; never root's systemd (pid 1) or a daemon account's", () => {
    expect(sessionEntry('systemd', 'alice', system)).toBe(true);
    expect(sessionEntry('dbus-daemon', 'alice', system)).toBe(true);
    expect(sessionEntry('dbus-daemon', 'root', system)).toBe(true);
    expect(sessionEntry('systemd', 'root', system)).toBe(false);
    expect(sessionEntry('systemd', 'www-data', system)).toBe(false);
    expect(sessionEntry('dbus-daemon', 'messagebus', system)).toBe(false);
    expect(sessionEntry('nginx', 'alice', system)).toBe(false);
  });
});
