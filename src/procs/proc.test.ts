import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../../test/helpers/cli.ts';
import { makeFifo } from '../../test/helpers/fifo.ts';
import { TenkenError } from '../core/errors.ts';
import { readSocketTables } from './sockets.ts';
import {
  exeConcerns,
  isVanished,
  parseCmdline,
  parseExeTarget,
  parseLoginuid,
  parsePasswd,
  parseStat,
  parseStatus,
  readProcEnv,
  readProcess,
  readProcesses,
  readProgramFiles,
  type ProcessInfo,
} from './proc.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'captured');
interface Manifest {
  tmpDir: string;
  libDir: string;
  roles: Record<string, number>;
  ps: string[];
}
const manifest = JSON.parse(readFileSync(path.join(FIXTURE, 'manifest.json'), 'utf8')) as Manifest;
const roles = manifest.roles as Record<
  | 'listener'
  | 'tmpexe'
  | 'deleted'
  | 'nobody'
  | 'argv0'
  | 'spaces'
  | 'zombieParent'
  | 'zombie'
  | 'kthreadd'
  | 'kworker',
  number
>;

/** `ps -o pid=,ppid=,user=,stat=,rss=,lstart=,comm=` lines (LC_ALL=C, TZ=UTC) as records. */
function parsePs(lines: string[]) {
  return lines.map((l) => {
    const m =
      /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\w{3} \w{3}\s+\d+ \d\d:\d\d:\d\d \d{4}) (.*)$/.exec(l);
    if (!m) throw new Error(`unexpected ps line ${l}`);
    return {
      pid: Number(m[1]),
      ppid: Number(m[2]),
      user: m[3] as string,
      state: (m[4] as string)[0],
      rss: Number(m[5]),
      start: Date.parse(`${m[6]} UTC`),
      comm: m[7] as string,
    };
  });
}

const temps: string[] = [];
function tempCopy(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-procs-'));
  temps.push(dir);
  cpSync(FIXTURE, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('reading a captured /proc tree', () => {
  it('agrees with what ps said about every captured process (pid, ppid, user, state, rss, start, name)', async () => {
    const procs = await readProcesses({ root: FIXTURE });
    // ps lists zombies too; tenken leaves them out (they run no more).
    const ps = parsePs(manifest.ps).filter((p) => p.state !== 'Z');
    expect(procs.map((p) => p.pid).sort((a, b) => a - b)).toEqual(ps.map((p) => p.pid).sort((a, b) => a - b));
    for (const want of ps) {
      const got = procs.find((p) => p.pid === want.pid);
      expect(got, `pid ${want.pid}`).toBeDefined();
      if (!got) continue;
      expect(got.ppid).toBe(want.ppid);
      expect(got.user).toBe(want.user);
      expect(got.state).toBe(want.state);
      expect(got.rssKb).toBe(want.rss);
      expect(got.name).toBe(want.comm);
      // lstart is truncated to the second; ours keeps the tick.
      expect(Math.abs(Date.parse(got.start ?? '') - want.start)).toBeLessThan(1000);
    }
  });

  it('splits command lines on NULs, keeps an empty middle argument and drops title padding', async () => {
    const procs = await readProcesses({ root: FIXTURE });
    const byPid = (pid: number) => procs.find((p) => p.pid === pid);
    expect(byPid(roles.spaces)?.cmdline).toEqual(['/bin/sh', '-c', 'sleep 1003; :', '', 'arg with space']);
    expect(byPid(roles.argv0)?.cmdline).toEqual(['tk worker: idle', '1002']);
    expect(byPid(roles.argv0)?.name).toBe('sleep');
    // process.title rewrote argv and padded it with NULs.
    expect(byPid(roles.listener)?.cmdline).toEqual(['tk-listener']);
    // A zombie runs no more: it is read (empty command line) but not listed as a process.
    expect(byPid(roles.zombie)).toBeUndefined();
    const env = await readProcEnv({ root: FIXTURE });
    expect((await readProcess({ root: FIXTURE }, roles.zombie, env))?.cmdline).toEqual([]);
  });

  it('tells kernel threads by their PF_KTHREAD flag and gives them no program', async () => {
    const procs = await readProcesses({ root: FIXTURE });
    for (const pid of [roles.kthreadd, roles.kworker]) {
      const p = procs.find((x) => x.pid === pid);
      expect(p?.kernelThread).toBe(true);
      expect(p?.exe).toBeNull();
    }
    const zombie = await readProcess({ root: FIXTURE }, roles.zombie, await readProcEnv({ root: FIXTURE }));
    expect(zombie?.kernelThread).toBe(false);
    expect(zombie?.state).toBe('Z');
  });

  it('sees a program in /tmp and a deleted program, and nothing wrong with the others', async () => {
    const procs = await readProcesses({ root: FIXTURE });
    const concerns = new Map(procs.map((p) => [p.pid, exeConcerns(p.exe)]));
    expect(procs.find((p) => p.pid === roles.tmpexe)?.exe).toEqual({
      path: `${manifest.tmpDir}/tk-tmpsleep`,
      deleted: false,
    });
    expect(concerns.get(roles.tmpexe)).toEqual(['temp-dir']);
    expect(procs.find((p) => p.pid === roles.deleted)?.exe).toEqual({
      path: `${manifest.libDir}/tk-oldd`,
      deleted: true,
    });
    expect(concerns.get(roles.deleted)).toEqual(['deleted']);
    for (const role of ['listener', 'nobody', 'argv0', 'spaces', 'zombieParent', 'kthreadd'] as const) {
      expect(concerns.get(roles[role]), role).toEqual([]);
    }
  });

  it('skips a process that vanished between readdir and read, and keeps the rest', async () => {
    const root = tempCopy();
    unlinkSync(path.join(root, 'proc', String(roles.nobody), 'status'));
    rmSync(path.join(root, 'proc', String(roles.argv0)), { recursive: true });
    const pids = (await readProcesses({ root })).map((p) => p.pid);
    expect(pids).not.toContain(roles.nobody);
    expect(pids).not.toContain(roles.argv0);
    expect(pids).toContain(roles.listener);
    expect(pids).toHaveLength(Object.keys(roles).length - 3); // the zombie is never listed
  });

  it('leaves out and counts the processes /proc hides from this user (hidepid), instead of failing', () => {
    const root = tempCopy();
    chmodSync(root, 0o755);
    for (const f of ['stat', 'status']) chmodSync(path.join(root, 'proc', String(roles.nobody), f), 0o000);
    // Root reads a mode-000 file all the same: the command runs as nobody, as an admin's cron job might,
    // from a copy of the bundle nobody can read wherever the checkout is.
    const asRoot = process.getuid?.() === 0;
    const asUser = asRoot ? ['runuser', '-u', 'nobody', '--'] : [];
    const pkg = mkdtempSync(path.join(os.tmpdir(), 'tenken-procs-bundle-'));
    temps.push(pkg);
    chmodSync(pkg, 0o755);
    cpSync(path.join(REPO, 'package.json'), path.join(pkg, 'package.json'));
    cpSync(path.join(REPO, 'dist', 'tenken.js'), path.join(pkg, 'dist', 'tenken.js'));
    const state = mkdtempSync(path.join(os.tmpdir(), 'tenken-procs-hidden-'));
    temps.push(state);
    chmodSync(state, 0o1777); // sticky: nobody's run may keep state in root's directory
    const [cmd, ...args] = [
      ...asUser,
      process.execPath,
      path.join(pkg, 'dist', 'tenken.js'),
      '--root',
      root,
      '--state',
      state,
      '--format',
      'json',
      'procs',
    ];
    const out = spawnSync(cmd, args, { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    const doc = JSON.parse(out.stdout) as { results: { findings: { summary: string }[] }[] };
    expect(doc.results.flatMap((r) => r.findings.map((f) => f.summary))).toContain(
      '1 process is hidden from this user (/proc mounted hidepid): they were not compared with the baseline; run tenken as root to see every process',
    );
  });

  it('reads an exe that is a symlink (as in /proc) or a file holding the target', async () => {
    const root = tempCopy();
    const exe = path.join(root, 'proc', String(roles.deleted), 'exe');
    const target = readFileSync(exe, 'utf8').trim();
    unlinkSync(exe);
    symlinkSync(target, exe);
    const env = await readProcEnv({ root });
    expect((await readProcess({ root }, roles.deleted, env))?.exe).toEqual({
      path: `${manifest.libDir}/tk-oldd`,
      deleted: true,
    });
  });

  it('lists a process whose stat has no usable start time without one, and the others as before', async () => {
    const root = tempCopy();
    const before = await readProcesses({ root });
    const file = path.join(root, 'proc', String(roles.nobody), 'stat');
    const fields = readFileSync(file, 'utf8').split(') ');
    const rest = (fields[1] as string).split(' ');
    // starttime (field 22) beyond any date, not a number, and with a control byte: each threw or read as NaN.
    for (const bad of ['99999999999999999999', 'abc', '12\u00013']) {
      rest[22 - 3] = bad;
      writeFileSync(file, `${fields[0]}) ${rest.join(' ')}`);
      const now = await readProcesses({ root });
      expect(now.map((p) => p.pid)).toEqual(before.map((p) => p.pid));
      expect(now.find((p) => p.pid === roles.nobody)?.start).toBeNull();
      expect(now.filter((p) => p.pid !== roles.nobody)).toEqual(before.filter((p) => p.pid !== roles.nobody));
    }
  });

  it('leaves out a process whose status is a FIFO (a forged tree) at once, and says a FIFO net table in one line', {
    timeout: 10_000,
  }, async () => {
    const root = tempCopy();
    const before = await readProcesses({ root });
    const status = path.join(root, 'proc', String(roles.nobody), 'status');
    unlinkSync(status);
    makeFifo(status);
    const t0 = Date.now();
    const now = await readProcesses({ root });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(now.map((p) => p.pid)).toEqual(before.map((p) => p.pid).filter((pid) => pid !== roles.nobody));
    rmSync(path.join(root, 'proc', 'net', 'tcp'), { force: true });
    makeFifo(path.join(root, 'proc', 'net', 'tcp'));
    await expect(readSocketTables({ root })).rejects.toThrow(
      new TenkenError('Cannot read /proc/net/tcp: not a regular file'),
    );
  });

  it('shows a uid that /etc/passwd does not know as the number', async () => {
    const root = tempCopy();
    writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    const p = (await readProcesses({ root })).find((x) => x.pid === roles.nobody);
    expect(p?.user).toBe('65534');
    expect(p?.uid).toBe(65534);
  });

  it("reads the tree's /etc/passwd through an absolute link inside the tree, never the auditing machine's", async () => {
    const root = tempCopy();
    rmSync(path.join(root, 'etc', 'passwd'));
    writeFileSync(
      path.join(root, 'etc', 'passwd.tenken-real'),
      'root:x:0:0:root:/root:/bin/bash\nnobodyx:x:65534:65534::/:/bin/false\n',
    );
    symlinkSync('/etc/passwd.tenken-real', path.join(root, 'etc', 'passwd'));
    const p = (await readProcesses({ root })).find((x) => x.pid === roles.nobody);
    expect(p?.user).toBe('nobodyx');
  });
});

describe('parsers', () => {
  const real = readFileSync(path.join(FIXTURE, 'proc', String(roles.listener), 'stat'), 'utf8');
  it('reads a command name holding spaces and parentheses up to the last ")"', () => {
    const tricky = real.replace('(tk-listener)', '(a) S 9 (b))');
    const st = parseStat(tricky);
    expect(st?.comm).toBe('a) S 9 (b)');
    expect(st?.pid).toBe(roles.listener);
    expect(st?.starttime).toBe(parseStat(real)?.starttime);
    expect(parseStat('garbage')).toBeNull();
  });
  it('unescapes the status Name and reads the effective uid and VmRSS', () => {
    const st = parseStatus(
      'Name:\tevil\\nname\\\\x\nState:\tS (sleeping)\nPPid:\t1\nUid:\t1000\t0\t0\t0\nVmRSS:\t  1234 kB\n',
    );
    expect(st).toEqual({ name: 'evil\nname\\x', state: 'S', ppid: 1, uids: [1000, 0, 0, 0], rssKb: 1234 });
  });
  it('recognises a memfd program (this machine runs some: /memfd:NAME (deleted)) as fileless', () => {
    expect(exeConcerns(parseExeTarget('/memfd:sealed-91173221a7ea (deleted)'))).toEqual(['memfd']);
    expect(exeConcerns(parseExeTarget('/dev/shm/x'))).toEqual(['temp-dir']);
    expect(exeConcerns(parseExeTarget('/tmpfoo/x'))).toEqual([]);
    expect(exeConcerns(parseExeTarget('/var/tmp/x (deleted)'))).toEqual(['deleted', 'temp-dir']);
    expect(exeConcerns({ path: '/usr/sbin/nginx', deleted: true, replaced: true })).toEqual(['replaced']);
  });
  it('reads loginuid, with (uid_t)-1 as unset', () => {
    expect(parseLoginuid('4294967295')).toBeNull();
    expect(parseLoginuid('1000')).toBe(1000);
  });
  it('keeps the first name of a shared uid in /etc/passwd, as getpwuid does', () => {
    const users = parsePasswd(
      'root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n# c\nbad\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n',
    );
    expect([...users]).toEqual([
      [0, 'root'],
      [33, 'www-data'],
    ]);
  });
  it('drops only trailing empty arguments', () => {
    expect(parseCmdline(new TextEncoder().encode('a\0\0b\0\0\0'))).toEqual(['a', '', 'b']);
    expect(parseCmdline(new Uint8Array())).toEqual([]);
  });
  it('treats ENOENT and ESRCH as a vanished process, not EACCES', () => {
    expect(isVanished({ code: 'ESRCH' })).toBe(true);
    expect(isVanished({ code: 'ENOENT' })).toBe(true);
    expect(isVanished({ code: 'EACCES' })).toBe(false);
  });
});

describe('the live /proc of this machine', () => {
  it('reads this very process as ps sees it', async () => {
    const env = await readProcEnv({ root: '/' });
    const me = await readProcess({ root: '/' }, process.pid, env);
    const ps = execFileSync('ps', ['-o', 'ppid=,user=,comm=', '-p', String(process.pid)], {
      encoding: 'utf8',
    })
      .trim()
      .split(/\s+/);
    expect(me?.ppid).toBe(Number(ps[0]));
    expect(me?.user).toBe(ps[1]);
    expect(me?.name).toBe(ps.slice(2).join(' '));
    expect(me?.cmdline.slice(1)).toEqual([...process.execArgv, ...process.argv.slice(1)]);
    expect(me?.exe?.path).toBe(process.execPath);
    expect(Date.parse(me?.start ?? '')).toBeLessThanOrEqual(Date.now());
  });

  it('returns null for a process that has exited', async () => {
    const child = spawn('sleep', ['30']);
    const pid = child.pid as number;
    const env = await readProcEnv({ root: '/' });
    expect((await readProcess({ root: '/' }, pid, env))?.name).toBe('sleep');
    await new Promise((r) => {
      child.on('exit', r);
      child.kill('SIGKILL');
    });
    expect(await readProcess({ root: '/' }, pid, env)).toBeNull();
  });
});

describe('the program files of a tree under --root', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const proc = (pid: number, exe: string | null): ProcessInfo => ({
    pid,
    ppid: 1,
    name: 'systemd',
    cmdline: ['systemd', '--user'],
    uid: 1000,
    user: 'alice',
    state: 'S',
    start: null,
    rssKb: 1,
    exe: exe === null ? null : { path: exe, deleted: false },
    kernelThread: false,
    loginuid: null,
  });

  it("are the tree's files at the program paths (a link there as a link), never where its proc/PID/exe points", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-programs-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'usr/lib/systemd'), { recursive: true });
    mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
    mkdirSync(path.join(root, 'proc/42'), { recursive: true });
    writeFileSync(path.join(root, 'usr/lib/systemd/systemd'), 'x');
    chmodSync(path.join(root, 'usr/lib/systemd/systemd'), 0o757);
    symlinkSync('/home/alice/dbus-daemon', path.join(root, 'usr/bin/dbus-daemon'));
    // The tree's exe link names a host file: following it would judge this machine's file, not the tree's.
    symlinkSync(process.execPath, path.join(root, 'proc/42/exe'));
    const ps = [
      proc(42, '/usr/lib/systemd/systemd'),
      proc(43, '/usr/bin/dbus-daemon'),
      proc(44, '/lib/systemd/systemd'), // not in the tree: not examined
      proc(45, null),
      proc(46, '/usr/bin/bash'), // not wanted
    ];
    const files = await readProgramFiles({ root }, ps, (p) => p !== '/usr/bin/bash');
    const at = (rel: string) => {
      const st = lstatSync(path.join(root, rel));
      return { uid: st.uid, mode: st.mode };
    };
    expect([...files.keys()]).toEqual([42, 43]);
    expect(files.get(42)).toEqual(at('usr/lib/systemd/systemd'));
    expect((files.get(42)?.mode ?? 0) & 0o777).toBe(0o757);
    expect(files.get(43)).toEqual(at('usr/bin/dbus-daemon'));
    expect((files.get(43)?.mode ?? 0) & 0o170000).toBe(0o120000);
  });
});
