import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { clip } from '../core/sanitize.ts';
import { type FailureClass, type ProbeRun, ProbeFailure } from './types.ts';

/*
 * Share listing through Samba's own `smbclient -L`, not by hand: it needs NTLMSSP authentication, SMB2
 * signing, a tree connect to IPC$ and DCE/RPC srvsvc NetShareEnumAll, which no maintained Node library
 * does, while smbclient (Debian package `smbclient`) is the well-kept tool for exactly this. It runs
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
export function smbclientFailure(output: string, exit: string): ProbeFailure {
  const lines = output.split(/\r?\n/).filter((l) => l.trim() !== '');
  const line = lines.find((l) => /NT_STATUS_[A-Z0-9_]+/.test(l));
  const status = line === undefined ? undefined : /NT_STATUS_[A-Z0-9_]+/.exec(line)?.[0];
  if (line === undefined || status === undefined) {
    const last = lines.at(-1);
    return new ProbeFailure(
      'protocol',
      `share listing failed (smbclient ${exit}): ${last === undefined ? 'no output' : clip(last.trim(), 160)}`,
    );
  }
  const known = CONNECTION_STATUS[status];
  if (known === 'refused')
    return new ProbeFailure('refused', `share listing: connection refused (${status})`);
  if (known === 'timeout') return new ProbeFailure('timeout', `share listing: no answer in time (${status})`);
  const connection = known !== undefined || /^(do_connect|protocol negotiation failed)\b/.test(line);
  return new ProbeFailure(connection ? 'protocol' : 'bad-status', `share listing: ${clip(line.trim(), 160)}`);
}

/** Where and as whom to list shares. */
export interface ShareTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

/**
 * smbclient's arguments for a listing: no password among them (it comes from `PASSWD`, or `--no-pass` for
 * an empty one); `--configfile=/dev/null` so this machine's smb.conf does not change what the probe sees.
 */
export function smbclientArgs(t: ShareTarget, timeoutSeconds: number): string[] {
  const args = [
    '--configfile=/dev/null',
    `--list=//${net.isIPv6(t.host) ? `[${t.host}]` : t.host}`,
    `--port=${t.port}`,
    `--user=${t.user}`,
    '--max-protocol=SMB3',
    '--grepable',
    `--timeout=${Math.max(1, Math.ceil(timeoutSeconds))}`,
  ];
  if (net.isIP(t.host) !== 0) args.push(`--ip-address=${t.host}`);
  if (t.password === '') args.push('--no-pass');
  return args;
}

/** Largest output taken from smbclient (a listing of thousands of shares still fits). */
const MAX_OUTPUT = 1 << 20;

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
  const leftSeconds = (p.deadline - performance.now()) / 1000;
  if (leftSeconds <= 0 || p.signal.aborted) {
    throw new ProbeFailure('timeout', `no share listing within ${p.timeoutSeconds} s`);
  }
  const args = smbclientArgs(t, leftSeconds);
  const hide = (text: string): string => (t.password.length >= 3 ? text.split(t.password).join('***') : text);
  p.transcript.sent(
    `smbclient ${args.join(' ')}${t.password === '' ? '' : ' (password in the environment)'}`,
  );
  const env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };
  if (t.password !== '') env.PASSWD = t.password;
  const { err, stdout, stderr } = await new Promise<{
    err: (Error & { code?: unknown; signal?: unknown }) | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    const child = execFile(
      tool,
      args,
      { env, signal: p.signal, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT, encoding: 'utf8' },
      (e, out, errOut) => {
        const done = () => resolve({ err: e, stdout: out, stderr: errOut });
        // At the deadline execFile answers as soon as it has sent SIGKILL: wait (briefly) until smbclient is
        // gone, so that no probe leaves a process behind when it returns.
        if (e?.name !== 'AbortError' || child.exitCode !== null || child.signalCode !== null) return done();
        const wait = setTimeout(done, 2000);
        child.once('exit', () => {
          clearTimeout(wait);
          done();
        });
      },
    );
    // stdin at EOF: smbclient must never wait for a typed password.
    child.stdin?.end();
  });
  const output = `${stdout}\n${stderr}`;
  for (const line of output.split(/\r?\n/)) if (line.trim() !== '') p.transcript.received(hide(line));
  if (err !== null) {
    if (err.name === 'AbortError' || p.signal.aborted) {
      throw new ProbeFailure('timeout', `no share listing from smbclient within ${p.timeoutSeconds} s`);
    }
    if (err.code === 'ENOENT') return null;
    if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
      throw new ProbeFailure('protocol', `share listing: smbclient printed more than ${MAX_OUTPUT} bytes`);
    }
    const exit = typeof err.code === 'number' ? `exit ${err.code}` : `killed by ${String(err.signal)}`;
    throw smbclientFailure(hide(output), exit);
  }
  return parseShareList(stdout);
}
