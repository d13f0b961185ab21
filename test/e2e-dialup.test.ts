/**
 * The dial-up check against the real mgetty (Debian's package) and the real /bin/login: mgetty runs on a
 * pseudo-terminal whose other end is a Hayes modem this test plays (socat makes the pty: Node has none), takes
 * calls (RING, ATA, `CONNECT 33600`), hands callers to /bin/login, and logs as it does on a server; login
 * writes the wtmp records. Then tenken reads what they wrote under `--root`, and what is asserted is what
 * happened: the call that logged in matched with its login (by pid), the calls that did not, a login on the
 * line that no call explains (the real login run on the tty without mgetty: what an intruder with the console
 * cable gets), and the modem trouble the misbehaving modem made mgetty log.
 *
 * Private: each mgetty (and the lone login) runs in mount and pid namespaces of its own, where /var/log, /run,
 * /etc/passwd, /etc/shadow and /etc/mgetty are this test's files, and /dev is a small tmpfs holding only the
 * few nodes login and mgetty need plus the pty bound at /dev/ttyS7 (the name matters: tenken's dial-up check
 * is about serial lines, and mgetty names its log mg_ttyS7.log). The system's wtmp, utmp, lastlog, accounts,
 * /dev/ttyS*, /dev/log and /var/log/mgetty are never touched. The namespace's pid 1 is a shell that starts
 * mgetty as init would (so mgetty does not warn that its parent is not init), each run's pids start at a
 * different base (as a real host's would differ), and when the test ends or fails, killing unshare kills the
 * namespace and everything in it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli, tempDir } from './helpers/cli.ts';

const MGETTY = '/sbin/mgetty';
const SOCAT = '/usr/bin/socat';
const LINE = 'ttyS7';
const USER = 'dialin';
const PASSWORD = 'dial-in-Pw7';
/** `openssl passwd -6 -salt s8salt dial-in-Pw7` (a fixed salt keeps the test's files the same every run). */
const HASH =
  '$6$s8salt$tr3KwPsqCUvuHvmkk56BgcAUuYdnTLtlnq.iVNrMlSkKI9OXTOursPI7g0GdvApX/bXSdSg1jkykxrv666fMk.';
/** mgetty writes local times: a zone that is not UTC shows whether tenken reads them in the right one. */
const ZONE = 'Asia/Tokyo';

/** Every wait's deadline (ms): the slowest step, login's 3 s delay after a wrong password, fits well. */
const STEP_MS = 10_000;

/** The test's private tree: what the namespaces see as /var/log, /run, /etc's files; tenken's --root. */
const root = tempDir('tenken-e2e-dialup-');
const logFile = path.join(root, 'var/log/mgetty', `mg_${LINE}.log`);
const live: ChildProcess[] = [];

/** The text mgetty has logged so far (empty before it first writes). */
function mgettyLog(): string {
  return existsSync(logFile) ? readFileSync(logFile, 'latin1') : '';
}

/** Waits until `cond` holds, failing with `what` (and the log's tail) at the deadline. */
async function until(what: string, cond: () => boolean, ms = STEP_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end)
      throw new Error(
        `${what}: not within ${ms} ms; mgetty's log ends:\n${mgettyLog().split('\n').slice(-15).join('\n')}`,
      );
    await sleep(25);
  }
}

/** How the emulated modem answers: each AT command of the init chat, and ATA. null: no answer at all. */
interface ModemBehaviour {
  init: 'OK' | 'ERROR';
  answer: string | null;
}

/**
 * One run of a program on the line: a pty from socat (its master is our modem/terminal end, through socat's
 * stdio), bound at /dev/ttyS7 in a fresh namespace where `command` runs. Closing the master is the carrier
 * dropping: the kernel hangs the line up.
 */
class LineRun {
  private buf = '';
  private readonly socat: ChildProcess;
  private exited: Promise<void> | null = null;
  /** Where mgetty's log ended when this run started. */
  logFrom = 0;
  /** Whether the program in the namespace has ended. */
  done = false;

  constructor(
    private readonly name: string,
    private readonly modem: ModemBehaviour | null,
  ) {
    const link = path.join(root, `pty-${name}`);
    this.socat = spawn(SOCAT, [`PTY,link=${link},raw,echo=0`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
    live.push(this.socat);
    this.socat.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      this.answerAt();
    });
    this.socat.stdin?.on('error', () => undefined);
  }

  /** Answers the AT commands mgetty sends (only while no call is up: then the line carries the caller's text). */
  private online = false;
  private answerAt(): void {
    if (!this.modem || this.online) return;
    for (;;) {
      const m = /(AT[^\r]*)\r/.exec(this.buf);
      if (!m) return;
      this.buf = this.buf.slice(m.index + m[0].length);
      const cmd = m[1] as string;
      if (cmd === 'ATA') {
        if (this.modem.answer === null) continue;
        this.send(`${cmd}\r\r\n${this.modem.answer}\r\n`);
        if (this.modem.answer.startsWith('CONNECT')) this.online = true;
      } else this.send(`${cmd}\r\r\n${this.modem.init}\r\n`);
    }
  }

  send(text: string): void {
    this.socat.stdin?.write(text);
  }

  /** Starts `command` in the namespace, on /dev/ttyS7 = this run's pty; its pids start after `pidBase`. */
  async start(pidBase: number, command: string[]): Promise<void> {
    const link = path.join(root, `pty-${this.name}`);
    await until(`socat's pty for ${this.name}`, () => existsSync(link));
    const pts = readlinkSync(link);
    this.logFrom = mgettyLog().length;
    const dev = path.join(root, 'dev');
    const binds = [
      ['var/log', '/var/log'],
      ['run', '/run'],
      ['etc/passwd', '/etc/passwd'],
      ['etc/shadow', '/etc/shadow'],
      ['etc/mgetty', '/etc/mgetty'],
    ].map(([own, target]) => `mount --bind ${path.join(root, own as string)} ${target}`);
    const script = [
      'set -e',
      ...binds,
      `mount -t tmpfs -o mode=755,size=64k tmpfs ${dev}`,
      `for n in null zero full random urandom tty ptmx; do touch ${dev}/$n; mount --bind /dev/$n ${dev}/$n; done`,
      `mkdir ${dev}/pts; mount --bind /dev/pts ${dev}/pts`,
      `touch ${dev}/${LINE}; mount --bind ${pts} ${dev}/${LINE}`,
      `ln -s /proc/self/fd ${dev}/fd`,
      `mount --move ${dev} /dev`,
      `echo ${pidBase} > /proc/sys/kernel/ns_last_pid`,
      // pid 1 of the namespace starts the program as init starts a getty, and waits for it
      `env -i TZ=${ZONE} PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" &`,
      'wait $!',
    ].join('\n');
    const ns = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--pid',
        '--fork',
        '--kill-child',
        '--mount-proc',
        '/bin/sh',
        '-ec',
        script,
        'sh',
        ...command,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    live.push(ns);
    let out = '';
    ns.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    ns.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    this.exited = new Promise((resolve) => {
      ns.once('exit', (code, signal) => {
        this.done = true;
        if (out.trim() && code !== 0 && signal === null) this.output = out;
        resolve();
      });
    });
  }

  /** What the namespace printed when it failed. */
  output = '';

  /** Waits for `re` from the line (what mgetty or login wrote to the caller) and consumes up to it. */
  async expect(re: RegExp): Promise<string> {
    let got = '';
    await until(
      `${this.name}: ${String(re)} on the line (got ${JSON.stringify(this.buf.slice(-200))})`,
      () => {
        const m = re.exec(this.buf);
        if (!m) return false;
        got = this.buf.slice(0, m.index + m[0].length);
        this.buf = this.buf.slice(m.index + m[0].length);
        return true;
      },
    );
    return got;
  }

  /** Drops the carrier: closes the pty's master (socat), so the line hangs up. */
  hangUp(): void {
    this.socat.kill('SIGTERM');
  }

  /** Waits for the program to end (mgetty or login gone), failing at the deadline. */
  async ended(ms = STEP_MS): Promise<void> {
    await until(`${this.name}: the program on the line to end ${this.output}`, () => this.done, ms);
    await this.exited;
    this.hangUp();
  }
}

/** Waits until mgetty has initialised the modem and waits for a call (its log's `waiting...` since `from`). */
async function idle(run: LineRun): Promise<void> {
  // mgetty writes the newline before each line: its last line has none yet
  await until('mgetty waiting for a call', () =>
    / waiting\.\.\.(?:\n|$)/.test(mgettyLog().slice(run.logFrom)),
  );
}

/** A call on a line mgetty serves, answered by the modem with `CONNECT 33600`. */
async function connect(run: LineRun): Promise<void> {
  await idle(run);
  run.send('\r\nRING\r\n');
  await run.expect(/login: ?$/);
}

const MGETTY_CMD = [MGETTY, LINE];
const LOGIN_CMD = ['/bin/sh', '-c', `exec setsid -c /bin/login </dev/${LINE} >/dev/${LINE} 2>&1`];
const ok: ModemBehaviour = { init: 'OK', answer: 'CONNECT 33600' };
/** When the last thing on the line happened: tenken inspects later. */
let finished = 0;
/** When the first run started. */
const started = Date.now();

beforeAll(async () => {
  for (const bin of [MGETTY, SOCAT, '/usr/bin/unshare', '/bin/login'])
    if (!existsSync(bin)) throw new Error(`${bin} is not installed (run .ci/services.sh)`);
  for (const d of ['etc/mgetty', 'var/log/mgetty', 'run/lock', 'dev', 'home'])
    mkdirSync(path.join(root, d), { recursive: true });
  writeFileSync(
    path.join(root, 'etc/passwd'),
    `${readFileSync('/etc/passwd', 'utf8')}${USER}:x:4242:100:dial-in test:${root}/home:/bin/sh\n`,
  );
  writeFileSync(
    path.join(root, 'etc/shadow'),
    `${readFileSync('/etc/shadow', 'utf8')}${USER}:${HASH}:19000:0:99999:7:::\n`,
    { mode: 0o640 },
  );
  writeFileSync(path.join(root, 'etc/mgetty/login.config'), '*\t-\t-\t/bin/login @\n', { mode: 0o600 });
  // data-only: no fax class probing; no DTR toggle (a pty has no modem lines); ATA unanswered gives up in 3 s
  writeFileSync(
    path.join(root, 'etc/mgetty/mgetty.config'),
    'debug 9\nspeed 38400\nmodem-type data\ntoggle-dtr no\nanswer-chat-timeout 3\n',
  );
  // wtmp and friends exist (glibc's updwtmp does not create them), empty, as on a fresh host
  for (const f of ['wtmp', 'btmp', 'lastlog'])
    writeFileSync(path.join(root, 'var/log', f), '', { mode: 0o664 });
  writeFileSync(path.join(root, 'run/utmp'), '', { mode: 0o664 });
  symlinkSync(`/usr/share/zoneinfo/${ZONE}`, path.join(root, 'etc/localtime'));

  // 1. A call that logs in, types a command, and logs out.
  {
    const run = new LineRun('login', ok);
    await run.start(3000, MGETTY_CMD);
    await connect(run);
    run.send(`${USER}\r`);
    await run.expect(/Password: ?$/);
    run.send(`${PASSWORD}\r`);
    await run.expect(/\$ $/);
    run.send('tty\r');
    await run.expect(new RegExp(`/dev/${LINE}\\r\\n`));
    run.send('exit\r');
    await run.ended();
  }
  // 2. A call whose caller hangs up at mgetty's login prompt.
  {
    const run = new LineRun('hangup', ok);
    await run.start(4000, MGETTY_CMD);
    await connect(run);
    run.hangUp();
    await run.ended();
  }
  // 3. A call with a wrong password, then the caller hangs up at login's second prompt.
  {
    const run = new LineRun('wrong-password', ok);
    await run.start(5000, MGETTY_CMD);
    await connect(run);
    run.send(`${USER}\r`);
    await run.expect(/Password: ?$/);
    run.send('not-the-password\r');
    await run.expect(/Login incorrect/);
    await run.expect(/login: ?$/);
    run.hangUp();
    await run.ended();
  }
  // 4. The modems do not connect: NO CARRIER after ATA.
  {
    const run = new LineRun('no-carrier', { init: 'OK', answer: 'NO CARRIER' });
    await run.start(6000, MGETTY_CMD);
    await idle(run);
    run.send('\r\nRING\r\n');
    await run.ended();
  }
  // 5. The modem does not answer ATA at all (answer-chat-timeout 3 s).
  {
    const run = new LineRun('ata-silent', { init: 'OK', answer: null });
    await run.start(7000, MGETTY_CMD);
    await idle(run);
    run.send('\r\nRING\r\n');
    await run.ended();
  }
  // 6. The modem answers the init chat with ERROR: mgetty gives up on it and exits.
  {
    const run = new LineRun('init-error', { init: 'ERROR', answer: null });
    await run.start(8000, MGETTY_CMD);
    await run.ended();
  }
  // 7. A login on the line with no call: the real login run on the tty itself, no mgetty.
  {
    const run = new LineRun('console', null);
    await run.start(9000, LOGIN_CMD);
    await run.expect(/login: ?$/);
    run.send(`${USER}\r`);
    await run.expect(/Password: ?$/);
    run.send(`${PASSWORD}\r`);
    await run.expect(/\$ $/);
    run.send('exit\r');
    await run.ended();
  }
  finished = Date.now();
}, 120_000);

afterAll(async () => {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await sleep(50);
});

interface Finding {
  kind: string;
  status: string;
  summary: string;
  user?: string;
  data: Record<string, unknown>;
}

/** tenken's config for the tree: a 10 s login window (the whole test takes 20 s; logins within a window of
 * the log's first line are not judged, and the default 120 s would leave the console login unjudged). */
function config(): string {
  const file = path.join(root, 'tenken.yaml');
  writeFileSync(file, stringify({ checks: { dialup: { windowSeconds: 10 } } }));
  return file;
}

/** What every run of tenken on the tree must find (the findings of `dialup`, or the check's dialup kind). */
function assertFindings(findings: Finding[]): void {
  const of = (kind: string) => findings.filter((f) => f.kind === kind);
  // the times tenken gives must fall in the test's run: mgetty's local (Tokyo) stamps read in the right zone
  const inRun = (iso: unknown) => {
    const t = Date.parse(String(iso));
    return t >= started - 2000 && t <= finished + 2000;
  };
  const intrusions = of('dialup-login-without-call');
  expect(intrusions.map((f) => [f.status, f.user, f.data.line, f.data.pid])).toEqual([
    ['CRITICAL', USER, LINE, 9001],
  ]);
  expect(inRun(intrusions[0]?.data.time)).toBe(true);
  const noLogin = of('dialup-call-without-login').sort((a, b) => Number(a.data.pid) - Number(b.data.pid));
  expect(
    noLogin.map((f) => [f.status, f.data.pid, f.data.outcome, f.data.connection, f.data.loginName]),
  ).toEqual([
    ['INFO', 4001, 'no-login', null, null],
    ['INFO', 5001, 'login-failed', '33600', USER],
    ['INFO', 6001, 'connect-failed', '', null],
    ['INFO', 7001, 'connect-failed', '', null],
  ]);
  expect(noLogin.every((f) => inRun(f.data.time))).toBe(true);
  expect(noLogin.map((f) => f.summary)).toEqual([
    expect.stringMatching(
      /^Call on ttyS7 at \S+ \S+ Asia\/Tokyo led to no login: the caller left before logging in$/,
    ),
    expect.stringMatching(/login as dialin failed \(no login record\)$/),
    expect.stringMatching(/the modems did not connect \(A_FAIL\)$/),
    expect.stringMatching(/the modems did not connect \(timeout\)$/),
  ]);
  // A pty has no modem-control lines: every mgetty start logs "DSR is off" (6 starts). mgetty then reads the
  // status of the failed TIOCMGET uninitialised, so "starting login while DCD is low!" (kind `warning`)
  // comes or not from run to run: not asserted.
  const trouble = of('dialup-modem-trouble')
    .filter((f) => f.data.issue !== 'warning')
    .map((f) => [f.status, f.data.issue, f.data.count]);
  expect(trouble).toEqual([
    ['WARNING', 'dsr-off', 6],
    ['WARNING', 'init-failed', 1],
  ]);
  const [summary] = of('dialup-line-summary');
  expect(summary?.data).toMatchObject({ line: LINE, calls: 5, logins: 2, matched: 1, failures: 3 });
  expect(summary?.data.timeZone).toBe(ZONE);
}

describe('the dial-up check on what the real mgetty and login wrote', () => {
  it('mgetty logged the calls and login wrote wtmp as the test made them', () => {
    const log = mgettyLog();
    expect(log).toContain(
      "##### data dev=ttyS7, pid=3001, caller='none', conn='33600', name='', cmd='/bin/login', user='dialin'",
    );
    expect(log).toContain('##### failed dev=ttyS7, pid=4001, got signal 1, exiting');
    expect(log).toContain("##### failed A_FAIL dev=ttyS7, pid=6001, caller='none', conn='', name=''");
    expect(log).toContain('##### failed in mg_init_data, dev=ttyS7, pid=8001');
    // 384-byte records: a USER_PROCESS and a DEAD_PROCESS for each of the two logins
    expect(readFileSync(path.join(root, 'var/log/wtmp')).length).toBe(4 * 384);
  });

  it('tenken dialup: the login matched, the calls without login, the console login, the modem trouble', async () => {
    const now = new Date(finished + 20 * 60_000);
    const r = await runCli(['--root', root, '--config', config(), '--format', 'json', 'dialup'], { now });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as {
      findings: Finding[];
      timeZone: string;
      logs: string[];
      wtmp: string[];
    };
    expect(doc.timeZone).toBe(ZONE);
    expect(doc.logs).toEqual([`/var/log/mgetty/mg_${LINE}.log`]);
    expect(doc.wtmp).toEqual(['/var/log/wtmp']);
    assertFindings(doc.findings);
  });

  it('tenken check --only dialup reports the same, once', async () => {
    const now = new Date(finished + 20 * 60_000);
    const state = tempDir('tenken-e2e-dialup-state-');
    const args = ['--root', root, '--config', config(), '--format', 'json', 'check', '--only', 'dialup'];
    const first = await runCli(args, { now, state });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(2);
    const report = JSON.parse(first.stdout) as {
      checks: { kind: string; results: { findings: Finding[] }[] }[];
    };
    const dialup = report.checks
      .filter((c) => c.kind === 'dialup')
      .flatMap((c) => c.results.flatMap((r) => r.findings));
    assertFindings(dialup);
    // the next run has nothing new to say
    const second = await runCli(args, { now: new Date(now.getTime() + 3_600_000), state });
    expect(second.code).toBe(0);
  });
});
