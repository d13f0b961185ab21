import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRoot, runAsNobody } from '../../test/helpers/as-nobody.ts';
import { makeFifo } from '../../test/helpers/fifo.ts';
import { DEMO_ROOT, runCli, tempDir } from '../../test/helpers/cli.ts';
import { writeFileAtomic } from './atomic.ts';
import { defaultStateDir, StateStore, stateDirFor, unsafeStateDir, waitSeconds } from './store.ts';

/** Field 22 of /proc/PID/stat: the start time in clock ticks since boot. */
function statStart(pid: number | 'self'): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
}
const ownStart = (): string => statStart('self');
const bootId = (): string => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp file behind', () => {
    const dir = tempDir();
    const f = path.join(dir, 'x.json');
    writeFileAtomic(f, 'one');
    writeFileAtomic(f, 'two');
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(existsSync(path.join(dir, `.x.json.${process.pid}`))).toBe(false);
  });

  it('refuses to write through a symbolic link', () => {
    const dir = tempDir();
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, path.join(dir, 'logs.json'));
    expect(() => writeFileAtomic(path.join(dir, 'logs.json'), 'evil')).toThrow(/symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
  });

  it('says what failed and why when the directory is missing', () => {
    expect(() => writeFileAtomic('/nonexistent-dir/x.json', 'a')).toThrow(
      /^Cannot write \/nonexistent-dir\/x\.json: no such file or directory$/,
    );
  });
});

describe('the default state directory', () => {
  it('is /var/lib/tenken for root, else under XDG_STATE_HOME or HOME', () => {
    expect(defaultStateDir({}, 0)).toBe('/var/lib/tenken');
    expect(defaultStateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' }, 1000)).toBe('/x/state/tenken');
    expect(defaultStateDir({ HOME: '/home/u' }, 1000)).toBe('/home/u/.local/state/tenken');
  });

  it('is a one-line error when there is no HOME and no passwd entry', () => {
    // Node's os.homedir() throws for a uid without a passwd entry and no HOME ("uv_os_homedir returned ENOENT").
    const uid = 4242;
    const script = `const { defaultStateDir } = m; try { console.log(defaultStateDir({}, ${uid})); } catch (e) { console.log(e.message); }`;
    return (async () => {
      const out = isRoot()
        ? await runAsNobody(path.join(import.meta.dirname, 'store.ts'), script, { uid, env: {} })
        : null;
      if (out !== null)
        expect(out).toBe(
          `Cannot choose a state directory: HOME is not set and uid ${uid} has no home directory; give --state DIR`,
        );
      // Not root: this user has a passwd entry, which is where a missing HOME is looked up.
      else
        expect(defaultStateDir({}, process.getuid?.())).toBe(path.join(os.homedir(), '.local/state/tenken'));
    })();
  });
});

describe('StateStore', () => {
  it('treats a corrupt state file as absent and reports it', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'logs.json'), '{"half": ');
    const s = new StateStore(dir);
    expect(s.read('logs')).toBeUndefined();
    expect(s.problems[0]?.reason).toMatch(/not valid JSON/);
  });

  it('replaces a symbolic link at a state file with the state, leaving its target alone', () => {
    const dir = tempDir();
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, path.join(dir, 'logs.json'));
    const s = new StateStore(dir);
    expect(s.read('logs')).toBeUndefined();
    expect(s.problems[0]?.reason).toMatch(
      /symbolic link \(not followed; this run's state replaces the link\)/,
    );
    s.commit('logs', { v: 1 });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(path.join(dir, 'logs.json')).isFile()).toBe(true);
    const next = new StateStore(dir);
    expect([next.read('logs'), next.problems]).toEqual([{ v: 1 }, []]);
  });

  it('reports a FIFO at a state file as not a regular file at once, instead of waiting for a writer', {
    timeout: 10_000,
  }, () => {
    const dir = tempDir();
    const file = path.join(dir, 'logs.json');
    makeFifo(file);
    const s = new StateStore(dir);
    const t0 = Date.now();
    expect(s.read('logs')).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(s.problems).toEqual([{ file, reason: 'unreadable: not a regular file' }]);
    expect(() => s.commit('logs', {})).toThrow(`Cannot write ${file}: not a regular file (remove it)`);
  });

  it("takes a symbolic link at the lock path for no run's lock, without reading through it (a FIFO)", {
    timeout: 10_000,
  }, () => {
    const dir = tempDir();
    const pipe = path.join(dir, 'pipe');
    makeFifo(pipe);
    symlinkSync(pipe, path.join(dir, 'lock'));
    const t0 = Date.now();
    const release = new StateStore(dir).lock();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(lstatSync(path.join(dir, 'lock')).isFile()).toBe(true);
    expect(lstatSync(pipe).isFIFO()).toBe(true);
    release();
  });

  it('says, when it cannot create its state directory, that --state DIR chooses another', () => {
    // What `nobody` (home /nonexistent) meets as "permission denied"; a file in the path fails for root too.
    const file = path.join(tempDir(), 'home');
    writeFileSync(file, '');
    const dir = path.join(file, '.local/state/tenken');
    expect(() => new StateStore(dir).lock()).toThrow(
      `Cannot create state directory ${dir}: not a directory; choose another with --state DIR`,
    );
  });

  it('says to remove a directory that sits where a state file belongs', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'logs.json'));
    expect(() => new StateStore(dir).commit('logs', {})).toThrow(
      `Cannot write ${path.join(dir, 'logs.json')}: is a directory (remove it)`,
    );
  });

  it('says to remove a directory at the lock path instead of calling it a lock that keeps reappearing', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'lock'));
    expect(() => new StateStore(dir).lock()).toThrow(
      `Cannot take lock ${path.join(dir, 'lock')}: not a regular file (remove it)`,
    );
  });

  it("leaves a lock it cannot read (root's, seen by a user's run) in place and says so", async () => {
    const dir = tempDir();
    // Sticky, as /tmp: a user's run may use it, and not take over root's files in it.
    chmodSync(dir, 0o1777);
    const release = new StateStore(dir).lock();
    const lock = path.join(dir, 'lock');
    const before = readFileSync(lock, 'utf8');
    let message: string;
    if (isRoot()) {
      message = await runAsNobody(
        path.join(import.meta.dirname, 'store.ts'),
        `try { new m.StateStore(${JSON.stringify(dir)}).lock()(); console.log('taken'); } catch (e) { console.log(e.message); }`,
      );
    } else {
      chmodSync(lock, 0);
      try {
        new StateStore(dir).lock()();
        message = 'taken';
      } catch (e) {
        message = (e as Error).message;
      }
      chmodSync(lock, 0o600);
    }
    expect(message).toBe(
      `Cannot take lock ${lock}: permission denied (taken by a run of uid ${process.getuid?.()}; this run cannot tell whether it still runs)`,
    );
    expect(readFileSync(lock, 'utf8')).toBe(before);
    release();
  });

  it("leaves a state file it cannot read (root's, seen by a user's run) as it is, and says so", async () => {
    const dir = tempDir();
    // Sticky, as /tmp: a user's run may use it, and not take over root's files in it.
    chmodSync(dir, 0o1777);
    const file = path.join(dir, 'logs.json');
    writeFileSync(file, '{"root":"cursors"}\n', { mode: 0o600 });
    const run = `const s = new m.StateStore(${JSON.stringify(dir)});
      const got = s.read('logs');
      s.commit('logs', { user: 'cursors' });
      s.commit('attacks', { user: 'attackers' });
      console.log(JSON.stringify({ got: got ?? null, problems: s.problems }));`;
    let out: string;
    if (isRoot()) out = await runAsNobody(path.join(import.meta.dirname, 'store.ts'), run);
    else {
      chmodSync(file, 0);
      const s = new StateStore(dir);
      const got = s.read('logs');
      s.commit('logs', { user: 'cursors' });
      s.commit('attacks', { user: 'attackers' });
      chmodSync(file, 0o600);
      out = JSON.stringify({ got: got ?? null, problems: s.problems });
    }
    expect(JSON.parse(out)).toEqual({
      got: null,
      problems: [{ file, reason: 'unreadable: permission denied', kept: true }],
    });
    expect(readFileSync(file, 'utf8')).toBe('{"root":"cursors"}\n');
    // What it could write, it wrote.
    expect(JSON.parse(readFileSync(path.join(dir, 'attacks.json'), 'utf8'))).toEqual({ user: 'attackers' });
  });

  it('waits for a live run to release the lock, up to a limit (cron starts check and logins mail together)', async () => {
    const dir = tempDir();
    const release = new StateStore(dir).lock();
    const slept: number[] = [];
    // The other run ends while this one sleeps its first second.
    const said: string[] = [];
    const got = await new StateStore(dir).lockWait(5000, {
      onWait: (m) => said.push(m),
      sleep: (ms) => {
        slept.push(ms);
        release();
        return Promise.resolve();
      },
    });
    expect(slept).toEqual([1000]);
    expect(said).toEqual([
      `Another tenken run holds ${path.join(dir, 'lock')}: pid ${process.pid} is still running: waiting up to 5 s for it to finish`,
    ]);
    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(`${process.pid} ${ownStart()} ${bootId()}\n`);
    got();
    // Held for good: given up at the limit with the usual one line.
    const holder = new StateStore(dir).lock();
    const start = Date.now();
    await expect(new StateStore(dir).lockWait(1200)).rejects.toThrow(
      /^Another tenken run holds .*: pid \d+ is still running$/,
    );
    expect(Date.now() - start).toBeGreaterThanOrEqual(1200);
    await expect(new StateStore(dir).lockWait(0)).rejects.toThrow(/still running/);
    holder();
    expect(() => waitSeconds('2m')).toThrow('Invalid --wait 2m: give whole seconds (0 to give up at once)');
    expect(waitSeconds('0')).toBe(0);
  });

  it('locks runs against each other and takes over a stale lock', () => {
    const dir = tempDir();
    const s = new StateStore(dir);
    const release = s.lock();
    expect(() => new StateStore(dir).lock()).toThrow(new RegExp(`pid ${process.pid} is still running`));
    release();
    writeFileSync(path.join(dir, 'lock'), '999999999\n');
    const again = new StateStore(dir).lock();
    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(`${process.pid} ${ownStart()} ${bootId()}\n`);
    again();
    expect(existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('takes over a lock whose pid now belongs to another process or another boot', () => {
    const dir = tempDir();
    const lock = path.join(dir, 'lock');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    // Our own pid, alive, but started at another tick: a reused pid.
    writeFileSync(lock, `${process.pid} ${Number(ownStart()) + 1} ${boot}\n`);
    new StateStore(dir).lock()();
    // The right pid and start time, but recorded in an earlier boot.
    writeFileSync(lock, `${process.pid} ${ownStart()} 00000000-0000-0000-0000-000000000000\n`);
    new StateStore(dir).lock()();
    expect(existsSync(lock)).toBe(false);
  });

  it('holds a lock whose pid, start time and boot match a live process', () => {
    const dir = tempDir();
    const lock = path.join(dir, 'lock');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = child.pid as number;
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      writeFileSync(lock, `${pid} ${statStart(pid)} ${boot}\n`);
      expect(() => new StateStore(dir).lock()).toThrow(
        new RegExp(`^Another tenken run holds ${lock}: pid ${pid} is still running$`),
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over a lock held by a run that was killed and not yet reaped (a zombie), in either lock format', async () => {
    const dir = tempDir();
    const lock = path.join(dir, 'lock');
    // sh starts a child, then becomes sleep, which never reaps it: when the child exits a second later (long
    // after the exec: sh itself would have reaped a child that ended before it), it is a zombie.
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d)))),
      );
      const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      for (let i = 0; i < 250 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(state()).toBe('Z');
      writeFileSync(lock, `${pid} ${statStart(pid)} ${bootId()}\n`);
      new StateStore(dir).lock()();
      writeFileSync(lock, `${pid}\n`);
      new StateStore(dir).lock()();
      expect(existsSync(lock)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('takes over an old-format lock (a bare pid) held by a process that is not tenken, or a day old', async () => {
    const dir = tempDir();
    const lock = path.join(dir, 'lock');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      // Until it has exec'd, the child's command line is still node's.
      for (let i = 0; i < 200 && !readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').startsWith('sleep'); i++)
        await new Promise((r) => setTimeout(r, 10));
      writeFileSync(lock, `${child.pid}\n`);
      new StateStore(dir).lock()();
      // Our own pid (node) in the old format: held, until the lock is a day old.
      writeFileSync(lock, `${process.pid}\n`);
      expect(() => new StateStore(dir).lock()).toThrow(`pid ${process.pid} is still running`);
      const old = new Date(Date.now() - 25 * 3_600_000);
      utimesSync(lock, old, old);
      new StateStore(dir).lock()();
      expect(existsSync(lock)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('counts a lock without a pid (written on a full disk) as held for an hour, then takes it over', () => {
    const dir = tempDir();
    const lock = path.join(dir, 'lock');
    writeFileSync(lock, '');
    expect(() => new StateStore(dir).lock()).toThrow(
      /holds .*lock: taken at .* without a pid \(a full disk\?\)$/,
    );
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(lock, old, old);
    const release = new StateStore(dir).lock();
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid} ${ownStart()} ${bootId()}\n`);
    release();
    expect(existsSync(lock)).toBe(false);
  });

  it('refuses a state base or its roots directory that is a symbolic link when --root is given', () => {
    const dir = tempDir();
    const real = path.join(dir, 'real');
    mkdirSync(real);
    const link = path.join(dir, 'statelink');
    symlinkSync(real, link);
    expect(() => new StateStore(stateDirFor(link, '/srv/demo')).lock()).toThrow(
      new RegExp(`^Cannot use state directory ${link}: it is a symbolic link$`),
    );
    const base = path.join(dir, 'base');
    mkdirSync(base);
    symlinkSync(real, path.join(base, 'roots'));
    expect(() => new StateStore(stateDirFor(base, '/srv/demo')).commit('logs', {})).toThrow(
      new RegExp(`^Cannot use state directory ${base}/roots: it is a symbolic link$`),
    );
    expect(readdirSync(real)).toEqual([]);
  });

  it('refuses a state directory another user owns or can write (as sshd StrictModes), and names why', () => {
    const names = (uid: number): string | undefined => ({ 0: 'root', 1000: 'yanagi', 65534: 'nobody' })[uid];
    const tail = (me: string): string =>
      `; another user could choose what tenken remembers (make it ${me}'s and not writable by others, or give another --state)`;
    expect(unsafeStateDir({ uid: 65534, mode: 0o40777 }, 0, names)).toBe(
      `owned by nobody (uid 65534) and writable by others${tail('root')}`,
    );
    expect(unsafeStateDir({ uid: 1000, mode: 0o40700 }, 0, names)).toBe(
      `owned by yanagi (uid 1000)${tail('root')}`,
    );
    expect(unsafeStateDir({ uid: 4242, mode: 0o40700 }, 1000, names)).toBe(
      `owned by uid 4242${tail('yanagi')}`,
    );
    expect(unsafeStateDir({ uid: 0, mode: 0o40770 }, 0, names)).toBe(`writable by its group${tail('root')}`);
    // Safe: the runner's own or root's, 0700/0755, or sticky as /tmp.
    expect(unsafeStateDir({ uid: 0, mode: 0o40700 }, 0, names)).toBeNull();
    expect(unsafeStateDir({ uid: 0, mode: 0o40755 }, 1000, names)).toBeNull();
    expect(unsafeStateDir({ uid: 1000, mode: 0o40755 }, 1000, names)).toBeNull();
    expect(unsafeStateDir({ uid: 0, mode: 0o41777 }, 0, names)).toBeNull();
  });

  it('check --state a directory anyone can write says so in one line, exits 3 and writes nothing', async () => {
    const dir = tempDir();
    const state = path.join(dir, 'tenken');
    mkdirSync(state);
    chmodSync(state, 0o777);
    const r = await runCli(['--root', DEMO_ROOT, 'check'], { state });
    expect(r.stderr).toMatch(
      new RegExp(
        `^tenken: Cannot use state directory ${state}: writable by others; another user could choose what tenken remembers \\(.*\\)\n$`,
      ),
    );
    expect(r.code).toBe(3);
    expect(readdirSync(state)).toEqual([]);
  });

  it('check --root with --state a symbolic link says so in one line and writes nothing through it', async () => {
    const dir = tempDir();
    const real = path.join(dir, 'real');
    mkdirSync(real);
    const link = path.join(dir, 'statelink');
    symlinkSync(real, link);
    const r = await runCli(['--root', DEMO_ROOT, 'check'], { state: link });
    expect(r.stderr).toBe(`tenken: Cannot use state directory ${link}: it is a symbolic link\n`);
    expect(r.code).toBe(3);
    expect(readdirSync(real)).toEqual([]);
  });

  it('keeps a --root tree apart from the live host', () => {
    expect(stateDirFor('/var/lib/tenken', '/')).toBe('/var/lib/tenken');
    expect(stateDirFor('/var/lib/tenken', '/srv/demo')).toMatch(
      /^\/var\/lib\/tenken\/roots\/demo-[0-9a-f]{12}$/,
    );
  });
});
