import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { clip } from '../core/sanitize.ts';
import { type FailureClass, type ProbeRun, ProbeFailure } from './types.ts';

/*
 * Share listing through Samba's own `smbclient -L`, and the use of a share through `smbclient //host/share
 * -c ls`, not by hand: they need NTLMSSP authentication, SMB2 signing, tree connects and DCE/RPC srvsvc
 * NetShareEnumAll, which no maintained Node library does, while smbclient (Debian package `smbclient`) is
 * the well-kept tool for exactly this. It runs
 * without a shell, arguments as an array, the password in its environment (`PASSWD`, readable only by this
 * user and root) and never on its command line (which `ps` shows everyone); it is killed at the deadline.
 */

/** Where smbclient is looked for (fixed places: tenken may run from cron with a bare PATH). */
export const SMBCLIENT_PATHS = ['/usr/bin/smbclient', '/usr/local/bin/smbclient', '/bin/smbclient'];

/** What to say when smbclient is missing. */
export const SMBCLIENT_MISSING = 'smbclient is not installed (Debian package smbclient)';

/** The first executable smbclient of `candidates`, or null when none is installed. */
export function findSmbclient(candidates: readonly string[] = SMBCLIENT_PATHS): string | null {
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not there; try the next
    }
  }
  return null;
}

/** One share as `smbclient -g` lists it. */
export interface Share {
  /** `Disk`, `IPC`, `Printer`, `Device` (empty for a type smbclient does not name). */
  type: string;
  name: string;
  comment: string;
}

/**
 * Parses the shares out of `smbclient -L -g` output (`Disk|name|comment` lines); other lines (`SMB1
 * disabled -- no workgroup available`, `Server|...`, `Workgroup|...` from SMB1 browsing) are not shares.
 */
export function parseShareList(output: string): Share[] {
  const shares: Share[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = /^(Disk|IPC|Printer|Device|)\|([^|]+)\|(.*)$/.exec(line);
    if (m) shares.push({ type: m[1] ?? '', name: m[2] ?? '', comment: m[3] ?? '' });
  }
  return shares;
}

/** NT statuses that mean the connection itself failed, by failure class (anything else is the server's no). */
const CONNECTION_STATUS: Record<string, FailureClass> = {
  NT_STATUS_CONNECTION_REFUSED: 'refused',
  NT_STATUS_HOST_UNREACHABLE: 'refused',
  NT_STATUS_NETWORK_UNREACHABLE: 'refused',
  NT_STATUS_IO_TIMEOUT: 'timeout',
  NT_STATUS_CONNECTION_DISCONNECTED: 'protocol',
  NT_STATUS_CONNECTION_RESET: 'protocol',
  NT_STATUS_CONNECTION_ABORTED: 'protocol',
  NT_STATUS_END_OF_FILE: 'protocol',
  NT_STATUS_INVALID_NETWORK_RESPONSE: 'protocol',
  NT_STATUS_PIPE_BROKEN: 'protocol',
};

/**
 * The failure a failed `smbclient -L` run stands for, from its output: the first NT status names it
 * (`session setup failed: NT_STATUS_LOGON_FAILURE` → bad-status, `NT_STATUS_CONNECTION_REFUSED` → refused,
 * `NT_STATUS_IO_TIMEOUT` → timeout); a failed protocol negotiation or connection is a protocol error.
 */
export function smbclientFailure(output: string, exit: string, what = 'share listing'): ProbeFailure {
  const lines = output.split(/\r?\n/).filter((l) => l.trim() !== '');
  const line = lines.find((l) => /NT_STATUS_[A-Z0-9_]+/.test(l));
  const status = line === undefined ? undefined : /NT_STATUS_[A-Z0-9_]+/.exec(line)?.[0];
  if (line === undefined || status === undefined) {
    const last = lines.at(-1);
    return new ProbeFailure(
      'protocol',
      `${what} failed (smbclient ${exit}): ${last === undefined ? 'no output' : clip(last.trim(), 160)}`,
    );
  }
  const known = CONNECTION_STATUS[status];
  if (known === 'refused') return new ProbeFailure('refused', `${what}: connection refused (${status})`);
  if (known === 'timeout') return new ProbeFailure('timeout', `${what}: no answer in time (${status})`);
  const connection = known !== undefined || /^(do_connect|protocol negotiation failed)\b/.test(line);
  return new ProbeFailure(connection ? 'protocol' : 'bad-status', `${what}: ${clip(line.trim(), 160)}`);
}

/** Where and as whom to list shares; `smb1` when the server speaks only SMB1 (NT1). */
export interface ShareTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  smb1?: boolean;
}

/** Arguments every smbclient run gets: where, as whom, which protocols, how long. */
function commonArgs(t: ShareTarget): string[] {
  const args = [
    `--port=${t.port}`,
    `--user=${t.user}`,
    // An SMB1-only server is spoken to in SMB1, which smbclient refuses by default since Samba 4.11.
    ...(t.smb1 === true
      ? ['--option=client min protocol=NT1', '--max-protocol=NT1']
      : ['--max-protocol=SMB3']),
  ];
  return args;
}

/** The host as smbclient's `//host` takes it. */
const uncHost = (host: string): string => (net.isIPv6(host) ? `[${host}]` : host);

/**
 * smbclient's arguments for a listing: no password among them (it comes from `PASSWD`, or `--no-pass` for
 * an empty one); `--configfile=/dev/null` so this machine's smb.conf does not change what the probe sees.
 */
export function smbclientArgs(t: ShareTarget, timeoutSeconds: number): string[] {
  const [port, user, ...protocol] = commonArgs(t);
  const args = [
    '--configfile=/dev/null',
    `--list=//${uncHost(t.host)}`,
    port ?? '',
    user ?? '',
    ...protocol,
    '--grepable',
    `--timeout=${Math.max(1, Math.ceil(timeoutSeconds))}`,
  ];
  if (net.isIP(t.host) !== 0) args.push(`--ip-address=${t.host}`);
  if (t.password === '') args.push('--no-pass');
  return args;
}

/**
 * smbclient's arguments for using one share as a client does: connect to `//host/share` (as `t.user`, or
 * anonymously when `t.user` is empty), change into `dir` when given, and list it (`ls`). Same rules as
 * smbclientArgs: no password, no config of this machine.
 */
export function shareUseArgs(t: ShareTarget, share: string, dir: string, timeoutSeconds: number): string[] {
  const [port, user, ...protocol] = commonArgs(t);
  const args = [
    '--configfile=/dev/null',
    `//${uncHost(t.host)}/${share}`,
    port ?? '',
    t.user === '' ? '--user=%' : (user ?? ''),
    ...protocol,
    `--timeout=${Math.max(1, Math.ceil(timeoutSeconds))}`,
  ];
  if (net.isIP(t.host) !== 0) args.push(`--ip-address=${t.host}`);
  if (t.password === '') args.push('--no-pass');
  if (dir !== '') args.push(`--directory=${dir}`);
  args.push('--command=ls');
  return args;
}

/** Largest output taken from smbclient (a listing of thousands of shares still fits). */
const MAX_OUTPUT = 1 << 20;
/** Of a share's `ls` (any size: a directory of a million files), the first and the last bytes kept. */
const LS_HEAD = 16 * 1024;
const LS_TAIL = 8 * 1024;

/** How an smbclient run ended. */
interface SmbclientRun {
  /** Exit status, null when killed or not started. */
  code: number | null;
  signal: string | null;
  /** Not installed after all (ENOENT). */
  missing: boolean;
  /** Killed at the probe's deadline. */
  aborted: boolean;
  /** Printed more than MAX_OUTPUT (listing) and was killed. */
  overflow: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs smbclient without a shell, the password in its environment, stdin at EOF, killed at the probe's
 * deadline (and waited for, briefly, so that no probe leaves it behind). `whole` keeps all of stdout (up
 * to MAX_OUTPUT, past which it is killed); otherwise only its first and last bytes are kept.
 */
function runSmbclient(
  p: ProbeRun,
  tool: string,
  args: string[],
  password: string,
  whole: boolean,
): Promise<SmbclientRun> {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };
  if (password !== '') env.PASSWD = password;
  return new Promise((resolve) => {
    const child = spawn(tool, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let head = Buffer.alloc(0);
    let tail = Buffer.alloc(0);
    let size = 0;
    let stderr = Buffer.alloc(0);
    let missing = false;
    let aborted = false;
    let overflow = false;
    let done = false;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const onAbort = (): void => {
      aborted = true;
      kill();
      // Answer within 2 s even if the kernel is slow to reap it.
      killTimer = setTimeout(finish, 2000);
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(killTimer);
      p.signal.removeEventListener('abort', onAbort);
      const keep = head.length < size ? Buffer.concat([head, Buffer.from('\n...\n'), tail]) : head;
      resolve({
        code: child.exitCode,
        signal: child.signalCode,
        missing,
        aborted,
        overflow,
        stdout: keep.toString('utf8'),
        stderr: stderr.toString('utf8'),
      });
    };
    child.stdout?.on('data', (d: Buffer) => {
      size += d.length;
      if (whole) {
        if (size > MAX_OUTPUT) {
          overflow = true;
          kill();
        } else head = Buffer.concat([head, d]);
        return;
      }
      if (head.length < LS_HEAD) {
        const room = LS_HEAD - head.length;
        head = Buffer.concat([head, d.subarray(0, room)]);
        d = d.subarray(room);
      }
      if (d.length > 0) tail = Buffer.concat([tail, d]).subarray(-LS_TAIL);
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr = Buffer.concat([stderr, d]);
    });
    child.on('error', (e: Error & { code?: unknown }) => {
      if (e.code === 'ENOENT') missing = true;
      finish();
    });
    child.on('close', finish);
    if (p.signal.aborted) onAbort();
    else p.signal.addEventListener('abort', onAbort, { once: true });
    // stdin at EOF: smbclient must never wait for a typed password.
    child.stdin?.on('error', () => {});
    child.stdin?.end();
  });
}

/** Time left before the deadline, in seconds; throws a timeout when none is left. */
function secondsLeft(p: ProbeRun, what: string): number {
  const left = (p.deadline - performance.now()) / 1000;
  if (left <= 0 || p.signal.aborted)
    throw new ProbeFailure('timeout', `no ${what} within ${p.timeoutSeconds} s`);
  return left;
}

/** Records a run's output in the transcript (password hidden) and turns a failed run into its ProbeFailure. */
function judgeRun(p: ProbeRun, r: SmbclientRun, password: string, what: string): void {
  const hide = (text: string): string => (password.length >= 3 ? text.split(password).join('***') : text);
  const output = `${r.stdout}\n${r.stderr}`;
  for (const line of output.split(/\r?\n/)) if (line.trim() !== '') p.transcript.received(hide(line));
  if (r.aborted || p.signal.aborted) {
    throw new ProbeFailure('timeout', `no ${what} from smbclient within ${p.timeoutSeconds} s`);
  }
  if (r.overflow)
    throw new ProbeFailure('protocol', `${what}: smbclient printed more than ${MAX_OUTPUT} bytes`);
  if (r.code !== 0) {
    const exit = r.code !== null ? `exit ${r.code}` : `killed by ${String(r.signal)}`;
    throw smbclientFailure(hide(output), exit, what);
  }
}

/**
 * Lists the shares of `t` with smbclient at `tool`, within the probe's deadline, recording the command
 * (without the password) and smbclient's output in the transcript. Throws ProbeFailure when it fails;
 * null when `tool` is not there after all.
 */
export async function listShares(p: ProbeRun, t: ShareTarget, tool: string): Promise<Share[] | null> {
  if (t.user.includes('%')) {
    // smbclient reads `user%password` out of a user name; it would take the rest for the password.
    throw new ProbeFailure(
      'protocol',
      `share listing: smbclient cannot log in as "${t.user}" (it contains %)`,
    );
  }
  const args = smbclientArgs(t, secondsLeft(p, 'share listing'));
  p.transcript.sent(
    `smbclient ${args.join(' ')}${t.password === '' ? '' : ' (password in the environment)'}`,
  );
  const r = await runSmbclient(p, tool, args, t.password, true);
  if (r.missing) return null;
  judgeRun(p, r, t.password, 'share listing');
  return parseShareList(r.stdout);
}

/**
 * Uses one share as a client would (`smbclient //host/share -c ls`, into `dir` when given), with `t`'s
 * login or anonymously (`t.user` empty), within the probe's deadline. Throws ProbeFailure naming the share
 * and smbclient's NT status (`share "gone": tree connect failed: NT_STATUS_BAD_NETWORK_NAME`); false when
 * `tool` is not there after all, true when the share was listed.
 */
export async function useShare(
  p: ProbeRun,
  t: ShareTarget,
  share: string,
  dir: string,
  tool: string,
): Promise<boolean> {
  const what = `share "${clip(share, 60)}"`;
  if (t.user.includes('%')) {
    throw new ProbeFailure('protocol', `${what}: smbclient cannot log in as "${t.user}" (it contains %)`);
  }
  const args = shareUseArgs(t, share, dir, secondsLeft(p, `use of ${what}`));
  p.transcript.sent(
    `smbclient ${args.join(' ')}${t.password === '' ? '' : ' (password in the environment)'}`,
  );
  const r = await runSmbclient(p, tool, args, t.password, false);
  if (r.missing) return false;
  judgeRun(p, r, t.password, what);
  return true;
}
