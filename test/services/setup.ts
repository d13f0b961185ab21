/**
 * vitest globalSetup for the probe tests: starts the real daemons (nginx, postfix + dovecot, vsftpd, smbd,
 * tinyproxy, dnsmasq) on 127.0.0.1 with their own configs under /tmp/tenken-services-<offset>/, waits until
 * each listens, and hands the tests what is running through `inject('tenkenServices')`. A daemon that
 * cannot start is recorded with its reason, and the tests that need it fail saying so.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  BINARIES,
  type Certs,
  type Daemon,
  type DaemonName,
  FIXTURE,
  defaultPorts,
  installed,
  makeCerts,
  makeMailDir,
  type Ports,
  startDnsmasq,
  startDovecot,
  startNginx,
  startPostfix,
  startSmbd,
  startTinyproxy,
  startVsftpd,
} from './daemons.ts';

/** What the tests get: where things are, and which daemons are up (null) or why not (a reason). */
export interface ServicesInfo {
  dir: string;
  ports: Ports;
  certs: Certs;
  /** Root of the Maildirs (FIXTURE.mailUser's is `${mailDir}/box`). */
  mailDir: string;
  fixture: typeof FIXTURE;
  up: Record<DaemonName, string | null>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    tenkenServices: ServicesInfo;
  }
}

let running: Daemon[] = [];
let baseDir = '';

/** Stops daemons a crashed earlier run left behind. */
async function cleanupLeftovers(dir: string): Promise<void> {
  if (existsSync(path.join(dir, 'postfix/main.cf'))) {
    const { execFile } = await import('node:child_process');
    await new Promise<void>((resolve) =>
      execFile(BINARIES.postfix, ['-c', path.join(dir, 'postfix'), 'stop'], () => resolve()),
    );
  }
  // Each daemon led its own process group; kill what is left of those groups (orphaned workers too), but
  // only processes that are one of our daemons, in case a pid was reused.
  const groups = new Set(
    JSON.parse(await readFile(path.join(dir, 'pids.json'), 'utf8').catch(() => '[]')) as number[],
  );
  if (groups.size === 0) return;
  const names =
    /^(nginx|vsftpd|smbd|samba-dcerpcd|rpcd_\w+|tinyproxy|dnsmasq|dovecot|anvil|log|config|auth|imap|pop3|imap-login|pop3-login|stats)$/;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const m = /^\d+ \((.*)\) \S+ \d+ (\d+)/.exec(stat);
    if (m && groups.has(Number(m[2])) && names.test(m[1] ?? '')) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Starts every daemon; never throws for a daemon that fails (its reason is recorded instead). */
/** vitest options that take a separate value (`--reporter json`): their values are not file filters. */
const VALUE_OPTIONS = new Set([
  '--reporter',
  '--outputFile',
  '--config',
  '-c',
  '--project',
  '--testNamePattern',
  '-t',
  '--pool',
  '--shard',
  '--root',
  '-r',
  '--dir',
  '--exclude',
  '--maxWorkers',
]);

/** Test files that talk to the daemons (repo-relative); vitest runs a file when a filter is a substring of its path. */
function serviceTestFiles(): string[] {
  const repo = path.resolve(import.meta.dirname, '..', '..');
  const probes = readdirSync(path.join(repo, 'src', 'probes'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `src/probes/${f}`);
  return [
    ...probes,
    'src/logins/mail.test.ts',
    'test/e2e-services.test.ts',
    'test/e2e-attacks.test.ts',
    'test/services/',
  ];
}

/**
 * Whether this run needs the daemons: a whole-suite run does, and so does one with a file filter that selects
 * a suite talking to them (vitest selects a file when a filter is a substring of its path). `npx vitest run
 * src/logs` then starts (and tears down) nothing, so several runs on one machine do not fight over ports.
 */
export function runNeedsServices(
  argv: readonly string[],
  files: readonly string[] = serviceTestFiles(),
): boolean {
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    if (!['run', 'watch', 'dev', 'related'].includes(a)) filters.push(a.replace(/^\.\//, ''));
  }
  return filters.length === 0 || filters.some((f) => files.some((file) => file.includes(f)));
}

export async function setup(project: TestProject): Promise<void> {
  const offset = Number(process.env.TENKEN_SERVICES_PORT_OFFSET ?? '0') || 0;
  const dir = path.join(os.tmpdir(), `tenken-services-${offset}`);
  if (!runNeedsServices(process.argv.slice(2))) {
    const why = 'not started: the file filters of this run name no suite that needs the daemons';
    const up = Object.fromEntries(Object.keys(BINARIES).map((n) => [n, why])) as Record<
      DaemonName,
      string | null
    >;
    const certs = { ca: '', cert: '', key: '', shortCert: '', shortKey: '' };
    project.provide('tenkenServices', {
      dir,
      ports: defaultPorts(offset),
      certs,
      mailDir: '',
      fixture: FIXTURE,
      up,
    });
    return;
  }
  baseDir = dir;
  await cleanupLeftovers(dir);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const ports = defaultPorts(offset);
  const up = Object.fromEntries(Object.keys(BINARIES).map((n) => [n, 'not started'])) as Record<
    DaemonName,
    string | null
  >;
  const started = Date.now();

  let certs: Certs;
  try {
    certs = await makeCerts(path.join(dir, 'certs'));
  } catch (err) {
    const why = `cannot make test certificates with openssl: ${(err as Error).message.split('\n')[0]}`;
    for (const n of Object.keys(up) as DaemonName[]) up[n] = why;
    certs = { ca: '', cert: '', key: '', shortCert: '', shortKey: '' };
    project.provide('tenkenServices', { dir, ports, certs, mailDir: '', fixture: FIXTURE, up });
    console.warn(`services: ${why}`);
    return;
  }
  const mailDir = await makeMailDir(path.join(dir, 'mail'));
  const notRoot = process.getuid?.() !== 0 ? 'the tests are not running as root (daemons need it)' : null;

  const start = async (name: DaemonName, fn: () => Promise<Daemon>): Promise<void> => {
    if (notRoot) {
      up[name] = notRoot;
      return;
    }
    if (!installed(name)) {
      up[name] = `${BINARIES[name]} is not installed (run .ci/services.sh)`;
      return;
    }
    try {
      running.push(await fn());
      up[name] = null;
    } catch (err) {
      up[name] = (err as Error).message;
    }
  };
  const sub = (n: string): string => path.join(dir, n);
  await Promise.all([
    start('nginx', () => startNginx(sub('nginx'), ports, certs)),
    start('vsftpd', () => startVsftpd(sub('vsftpd'), ports)),
    start('smbd', () => startSmbd(sub('smbd'), ports)),
    start('tinyproxy', () => startTinyproxy(sub('tinyproxy'), ports)),
    start('dnsmasq', () => startDnsmasq(sub('dnsmasq'), ports)),
    (async () => {
      await start('dovecot', () => startDovecot(sub('dovecot'), ports, certs, mailDir));
      await start('postfix', () => startPostfix(sub('postfix'), ports, certs, mailDir, sub('dovecot')));
    })(),
  ]);
  await writeFile(path.join(dir, 'pids.json'), JSON.stringify(running.flatMap((d) => d.pids())));

  const ok = (Object.keys(up) as DaemonName[]).filter((n) => up[n] === null);
  const bad = (Object.keys(up) as DaemonName[]).filter((n) => up[n] !== null);
  console.log(
    `services: ${ok.join(', ') || 'none'} up in ${Date.now() - started} ms${bad.length ? `; NOT up: ${bad.join(', ')}` : ''}`,
  );
  for (const n of bad) console.log(`services: ${n}: ${up[n] ?? ''}`);
  project.provide('tenkenServices', { dir, ports, certs, mailDir, fixture: FIXTURE, up });
}

/** Stops every daemon this setup started. */
export async function teardown(): Promise<void> {
  const list = running;
  running = [];
  await Promise.all(list.map((d) => d.stop().catch(() => undefined)));
  if (baseDir !== '') await rm(path.join(baseDir, 'pids.json'), { force: true });
}
