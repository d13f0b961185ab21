/**
 * A real dnsmasq run under a process name of its own, for end-to-end tests that stop a daemon and expect
 * tenken to report its process missing: the shared daemons of test/services (and privateDaemon's copies)
 * run under their packages' names, so a stopped copy is never "missing" while the shared one runs.
 * The name comes from a symlink to the binary: the kernel takes a process's comm from the file name it
 * was executed as, so /proc/PID/comm and argv[0] both carry the new name while /proc/PID/exe stays the
 * packaged binary.
 */
import { spawn } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BINARIES, FIXTURE, waitForPort } from '../services/daemons.ts';

/** A running renamed daemon. */
export interface RenamedDaemon {
  /** Its process name (/proc/PID/comm). */
  name: string;
  pid: number;
  port: number;
  /** Stops it and resolves once the process has exited (and been reaped). */
  stop(): Promise<void>;
}

/**
 * Starts dnsmasq as `name` (at most 15 bytes, the length of /proc/PID/comm) on 127.0.0.1:`port`, UDP and
 * TCP, answering FIXTURE.dnsName like the shared instance. `dir` holds the symlink and the pid file.
 */
export async function startRenamedDnsmasq(dir: string, name: string, port: number): Promise<RenamedDaemon> {
  if (Buffer.byteLength(name) > 15) throw new Error(`process name ${name} is longer than 15 bytes`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const program = path.join(dir, name);
  await symlink(BINARIES.dnsmasq, program);
  // Own process group, like the shared daemons: signals reach it alone, never the test runner.
  const child = spawn(
    program,
    [
      '-k',
      '--conf-file=/dev/null',
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${port}`,
      '--no-resolv',
      '--no-hosts',
      `--address=/${FIXTURE.dnsName}/${FIXTURE.dnsAddress}`,
      `--pid-file=${path.join(dir, 'dnsmasq.pid')}`,
      '--user=nobody',
      '--log-facility=-',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let tail = '';
  const keep = (d: Buffer): void => {
    tail = `${tail}${d.toString('utf8')}`.slice(-2000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const pid = child.pid;
  const stop = async (): Promise<void> => {
    if (pid === undefined || !alive()) return;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      return;
    }
    const late = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
    if (late) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await exited;
    }
  };
  if (pid === undefined) throw new Error(`cannot start ${program}: ${tail || 'no pid'}`);
  try {
    await waitForPort(port, { name, stop, output: () => tail, pids: () => [pid] }, 15_000, alive);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, pid, port, stop };
}
