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
const manager = (over: Partial<ProcessInfo> = {}) =>
  proc({ pid: 3110, name: 'systemd', cmdline: ['/lib/systemd/systemd', '--user'], exe: SYSTEMD, ...over });
const system = new Set(['www-data', 'nobody', 'messagebus']);

describe('a user manager', () => {
  it("is systemd --user started by pid 1 from systemd's own program (or one this user may not read)", () => {
    expect(isUserManager(manager())).toBe(true);
    expect(isUserManager(manager({ exe: null }))).toBe(true);
    expect(isUserManager(manager({ exe: { path: '/lib/systemd/systemd', deleted: true } }))).toBe(true);
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
});

describe('the processes of login sessions', () => {
  it("are people's and root's user managers and the session bus each started, not a daemon account's", () => {
    const ps = [
      proc({ pid: 1, ppid: 0, name: 'systemd', uid: 0, user: 'root', cmdline: ['/sbin/init'], exe: SYSTEMD }),
      manager(),
      proc({ pid: 3112, ppid: 3110, name: 'dbus-daemon', cmdline: ['/usr/bin/dbus-daemon', '--session'] }),
      manager({ pid: 3300, uid: 0, user: 'root' }),
      proc({
        pid: 3302,
        ppid: 3300,
        name: 'dbus-broker-lau',
        uid: 0,
        user: 'root',
        cmdline: ['/usr/bin/dbus-broker-launch', '--scope', 'user'],
      }),
      proc({ pid: 3303, ppid: 3302, name: 'dbus-broker', uid: 0, user: 'root', cmdline: ['dbus-broker'] }),
      manager({ pid: 5000, uid: 33, user: 'www-data' }),
      proc({
        pid: 5002,
        ppid: 5000,
        name: 'dbus-daemon',
        uid: 33,
        user: 'www-data',
        cmdline: ['dbus-daemon', '--session'],
      }),
      // The system bus, and a session bus not started by a user manager.
      proc({
        pid: 600,
        name: 'dbus-daemon',
        uid: 100,
        user: 'messagebus',
        cmdline: ['dbus-daemon', '--system'],
      }),
      proc({ pid: 3400, ppid: 3199, name: 'dbus-daemon', cmdline: ['dbus-daemon', '--session'] }),
    ];
    expect([...sessionProcesses(ps, system)].sort((a, b) => a - b)).toEqual([3110, 3112, 3300, 3302, 3303]);
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
