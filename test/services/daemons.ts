/**
 * Real daemons for the probe tests: each one gets its own config in a directory of ours, listens on
 * 127.0.0.1 on unprivileged ports, and is stopped by its handle. The packages come from .ci/services.sh;
 * nothing here touches the system's own configs or services.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Ports of one set of daemons. */
export interface Ports {
  http: number;
  https: number;
  smtp: number;
  pop3: number;
  imap: number;
  ftp: number;
  /** First of ten passive-mode data ports. */
  ftpPasv: number;
  smb: number;
  netbios: number;
  proxy: number;
  dns: number;
}

/** The ports the shared daemons use (plus TENKEN_SERVICES_PORT_OFFSET, for two runs on one machine). */
export function defaultPorts(offset = 0): Ports {
  const p: Ports = {
    http: 18080,
    https: 18443,
    smtp: 12525,
    pop3: 10110,
    imap: 10143,
    ftp: 10021,
    ftpPasv: 10030,
    smb: 1445,
    netbios: 1139,
    proxy: 18888,
    dns: 10053,
  };
  for (const k of Object.keys(p) as (keyof Ports)[]) p[k] += offset;
  return p;
}

/** Fixed facts the tests rely on. */
export const FIXTURE = {
  /** Text on nginx's home page. */
  token: 'tenken-probe-page-7f3a',
  mailDomain: 'tenken.test',
  mailUser: 'box',
  mailPassword: 'secret-box-pw',
  /** dnsmasq answers this name with this address. */
  dnsName: 'www.tenken.test',
  dnsAddress: '127.0.0.5',
  ftpFile: 'readme.txt',
  /** A directory beside vsftpd's pub/ with mode 000: the anonymous user cannot change into it. */
  ftpLockedDir: 'locked',
  /** nginx's /private/ asks for this user and password (HTTP basic auth). */
  webUser: 'webuser',
  webPassword: 'web-pw-4c1e',
  smbShare: 'pub',
  /** A share only an authenticated user sees listed (with IPC$), for the smb share listing. */
  smbAuthShare: 'tenkenshare',
  /** An existing unix account, given a Samba password in the instance's own tdbsam. */
  smbUser: 'nobody',
  smbPassword: 'tenken-smb-pw-5d1c',
} as const;

/** Certificates made for the run: a CA, a leaf for localhost/127.0.0.1 signed by it, and a short-lived one. */
export interface Certs {
  ca: string;
  cert: string;
  key: string;
  /** Leaf valid for 3 days (for the expiry tests). */
  shortCert: string;
  shortKey: string;
}

/** A running daemon. */
export interface Daemon {
  name: string;
  stop(): Promise<void>;
  /** The last lines it printed, for failure messages. */
  output(): string;
  /** Pids to kill if a crashed run left it behind. */
  pids(): number[];
}

/** Which binary each daemon needs (for a clear "not installed" message). */
export const BINARIES = {
  nginx: '/usr/sbin/nginx',
  postfix: '/usr/sbin/postfix',
  dovecot: '/usr/sbin/dovecot',
  vsftpd: '/usr/sbin/vsftpd',
  smbd: '/usr/sbin/smbd',
  tinyproxy: '/usr/bin/tinyproxy',
  dnsmasq: '/usr/sbin/dnsmasq',
} as const;

/** Daemon names. */
export type DaemonName = keyof typeof BINARIES;

async function writeTree(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await writeFile(file, text);
  }
}

/** Makes the test certificates with openssl (EC keys: fast). */
export async function makeCerts(dir: string): Promise<Certs> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const f = (n: string): string => path.join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '30',
    '-subj',
    '/CN=tenken test CA',
  ]);
  const ext = f('san.ext');
  await writeFile(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  for (const [name, days] of [
    ['leaf', '30'],
    ['short', '3'],
  ] as const) {
    await run('openssl', [
      'req',
      ...ec,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
      '-subj',
      '/CN=localhost',
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.pem`),
      '-days',
      days,
      '-extfile',
      ext,
    ]);
  }
  for (const n of ['ca.key', 'leaf.key', 'short.key']) await chmod(f(n), 0o644);
  return {
    ca: f('ca.pem'),
    cert: f('leaf.pem'),
    key: f('leaf.key'),
    shortCert: f('short.pem'),
    shortKey: f('short.key'),
  };
}

/** Spawns a foreground daemon, keeping its last output lines. */
function spawnDaemon(
  name: string,
  cmd: string,
  args: string[],
): { child: ChildProcess; output: () => string } {
  // Own process group: tinyproxy signals its whole group on SIGTERM, which would take the test runner along.
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let tail: string[] = [];
  const keep = (d: Buffer): void => {
    tail = [
      ...tail,
      ...d
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== ''),
    ].slice(-15);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (e) => keep(Buffer.from(`${name}: ${e.message}`)));
  return { child, output: () => tail.join('\n') };
}

/** Signals a daemon's whole process group (it leads one: spawned detached), so workers go with it. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(pid, 'SIGTERM');
    const late = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
    if (late) {
      signalGroup(pid, 'SIGKILL');
      await exited;
    }
  }
  // Workers that outlived their master (nginx's, smbd's) are still in the group.
  signalGroup(pid, 'SIGKILL');
  // SIGKILL is delivered asynchronously: until the workers are gone, their listening sockets still take
  // connections and then reset them, so a test that stops a daemon and expects "refused" would race.
  await groupGone(pid, 5000);
}

/** Waits until no live (non-zombie) process is left in process group `pgid`, or `ms` pass. */
async function groupGone(pgid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await groupAlive(pgid))) return;
    await sleep(20);
  }
}

async function groupAlive(pgid: number): Promise<boolean> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, 'latin1').catch(() => '');
    // "pid (comm) state ppid pgrp ..." — comm may hold spaces and parentheses, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] !== undefined && rest[0] !== 'Z' && rest[2] === String(pgid)) return true;
  }
  return false;
}

/** A daemon kept in the foreground as our child, and whether it is still running. */
function foreground(
  name: string,
  cmd: string,
  args: string[],
  log?: string,
): { d: Daemon; alive: () => boolean } {
  const { child, output } = spawnDaemon(name, cmd, args);
  const d: Daemon = {
    name,
    output: () => output() || (log === undefined ? '' : lastLines(log)),
    pids: () => (child.pid === undefined ? [] : [child.pid]),
    stop: () => stopChild(child),
  };
  return { d, alive: () => child.exitCode === null && child.signalCode === null };
}

/** Fails when something already listens on one of `ports` (a daemon left over from a crashed run). */
export async function assertFree(name: string, ports: number[]): Promise<void> {
  for (const port of ports) {
    const taken = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (taken)
      throw new Error(
        `cannot start ${name}: 127.0.0.1:${port} is already in use (see \`ss -ltnp 'sport = :${port}'\`)`,
      );
  }
}

/** Waits until a TCP port accepts connections (or the daemon died, or time ran out). */
export async function waitForPort(
  port: number,
  daemon: Daemon,
  ms = 15_000,
  alive?: () => boolean,
): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (alive && !alive())
      throw new Error(`${daemon.name} exited before listening on ${port}: ${daemon.output() || 'no output'}`);
    if (Date.now() > until)
      throw new Error(
        `${daemon.name} not listening on 127.0.0.1:${port} after ${ms} ms: ${daemon.output() || 'no output'}`,
      );
    await sleep(100);
  }
}

/**
 * nginx on http and https, serving a page with FIXTURE.token, `/old` redirecting to it, `/missing` 404,
 * `/private/` behind basic auth (FIXTURE.webUser), `/latin1.html` in ISO-8859-1, `/elsewhere` redirecting
 * to an unresolvable `.invalid` name and `/tohttps` to its own https port (a certificate of the test CA).
 */
export async function startNginx(dir: string, ports: Ports, certs: Certs): Promise<Daemon> {
  const conf = path.join(dir, 'nginx.conf');
  await writeTree(dir, {
    'html/index.html': `<!doctype html><title>tenken</title><p>${FIXTURE.token}</p>\n`,
    'html/private/index.html': `<!doctype html><p>private ${FIXTURE.token}</p>\n`,
    // "Café" in ISO-8859-1 (one byte 0xE9), served as such.
    'html/latin1.html': Buffer.from('<!doctype html><p>Caf\xe9 ok</p>\n', 'latin1'),
    htpasswd: `${FIXTURE.webUser}:{PLAIN}${FIXTURE.webPassword}\n`,
    'nginx.conf': `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${ports.http};
    listen 127.0.0.1:${ports.https} ssl;
    ssl_certificate ${certs.cert};
    ssl_certificate_key ${certs.key};
    root ${dir}/html;
    location = /old { return 301 /; }
    location = /loop { return 302 /loop; }
    location = /broken { return 500; }
    location = /elsewhere { return 302 http://nowhere.tenken.invalid/; }
    location = /tohttps { return 301 https://127.0.0.1:${ports.https}/; }
    location /private/ { auth_basic "tenken"; auth_basic_user_file ${dir}/htpasswd; }
    location = /latin1.html { types { } default_type "text/html; charset=iso-8859-1"; }
  }
}
`,
  });
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  await assertFree('nginx', [ports.http, ports.https]);
  const { d, alive } = foreground('nginx', BINARIES.nginx, [
    '-c',
    conf,
    '-p',
    dir,
    '-e',
    `${dir}/error.log`,
    '-g',
    'daemon off;',
  ]);
  await ready(d, alive, [ports.http]);
  return d;
}

/**
 * vsftpd, its root holding pub/readme.txt: anonymous only, or with `local` also local users through PAM
 * (the package's /etc/pam.d/vsftpd), so that a wrong password is a real failed login in its log;
 * `pasvAddress` is the address its PASV replies give (vsftpd's pasv_address; 127.0.0.1 by default).
 */
export async function startVsftpd(
  dir: string,
  ports: Ports,
  opts: { local?: boolean; pasvAddress?: string } = {},
): Promise<Daemon> {
  await writeTree(dir, {
    [`root/pub/${FIXTURE.ftpFile}`]: 'tenken probe test file\n',
    'vsftpd.conf': `listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=${ports.ftp}
background=NO
anonymous_enable=YES
anon_root=${dir}/root
no_anon_password=YES
local_enable=${opts.local ? 'YES' : 'NO'}
write_enable=NO
pasv_enable=YES
pasv_address=${opts.pasvAddress ?? '127.0.0.1'}
pasv_min_port=${ports.ftpPasv}
pasv_max_port=${ports.ftpPasv + 9}
connect_from_port_20=NO
secure_chroot_dir=${dir}/empty
isolate=NO
isolate_network=NO
seccomp_sandbox=NO
ftpd_banner=tenken-test FTP ready
syslog_enable=NO
vsftpd_log_file=${dir}/vsftpd.log
${
  opts.local
    ? // both logs: vsftpd's own (logins) and the wu-ftpd style xferlog (transfers)
      `xferlog_enable=YES\ndual_log_enable=YES\nxferlog_file=${dir}/xferlog\nxferlog_std_format=YES\n`
    : 'xferlog_enable=NO\n'
}`,
  });
  await mkdir(path.join(dir, 'empty'), { recursive: true, mode: 0o755 });
  // A directory the anonymous user may not enter (vsftpd lists its own entry for `LIST -a locked`).
  await mkdir(path.join(dir, 'root', FIXTURE.ftpLockedDir), { recursive: true });
  await chmod(path.join(dir, 'root', FIXTURE.ftpLockedDir), 0o000);
  await assertFree('vsftpd', [ports.ftp]);
  const { d, alive } = foreground('vsftpd', BINARIES.vsftpd, [path.join(dir, 'vsftpd.conf')]);
  await ready(d, alive, [ports.ftp]);
  return d;
}

/** Runs `cmd` with `input` on its stdin (execFile cannot feed stdin). */
function runWithInput(cmd: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 15_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
    child.stdin?.end(input);
  });
}

/**
 * smbd on the SMB and NetBIOS-session ports, signing required, a guest share, and a share for
 * FIXTURE.smbUser, whose password lives in the instance's own tdbsam (never the system's passdb).
 */
export async function startSmbd(
  dir: string,
  ports: Ports,
  opts: {
    signing?: 'mandatory' | 'default';
    logFile?: string;
    /** More smb.conf text: `global` lines go into [global], `shares` after it; `@DIR@` is the instance's directory. */
    conf?: { global?: string[]; shares?: string };
  } = {},
): Promise<Daemon> {
  const more = (text: string): string => text.split('@DIR@').join(dir);
  const sub = ['lock', 'state', 'cache', 'pid', 'private', 'ncalrpc', 'share'];
  for (const s of sub) await mkdir(path.join(dir, s), { recursive: true, mode: 0o755 });
  await writeTree(dir, {
    'smb.conf': `[global]
  server role = standalone server
  workgroup = TENKEN
  netbios name = TENKENTEST
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = ${ports.smb} ${ports.netbios}
  disable netbios = yes
  lock directory = ${dir}/lock
  state directory = ${dir}/state
  cache directory = ${dir}/cache
  pid directory = ${dir}/pid
  private dir = ${dir}/private
  ncalrpc dir = ${dir}/ncalrpc
  log file = ${opts.logFile ?? `${dir}/log.%m`}
  max log size = 100
${opts.logFile ? '  log level = 1 auth_audit:3\n' : ''}  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  server signing = ${opts.signing ?? 'mandatory'}
  passdb backend = tdbsam:${dir}/private/passdb.tdb
${(opts.conf?.global ?? []).map((l) => `  ${more(l)}\n`).join('')}[${FIXTURE.smbShare}]
  path = ${dir}/share
  read only = yes
  guest ok = yes
[${FIXTURE.smbAuthShare}]
  path = ${dir}/share
  read only = yes
${more(opts.conf?.shares ?? '')}`,
  });
  // pdbedit reads the new password twice from stdin; the passdb is the tdbsam named in this smb.conf.
  await runWithInput(
    '/usr/bin/pdbedit',
    ['-s', path.join(dir, 'smb.conf'), '-a', '-u', FIXTURE.smbUser, '-t'],
    `${FIXTURE.smbPassword}\n${FIXTURE.smbPassword}\n`,
  );
  await assertFree('smbd', [ports.smb, ports.netbios]);
  const { d, alive } = foreground('smbd', BINARIES.smbd, [
    '-F',
    '--no-process-group',
    '-s',
    path.join(dir, 'smb.conf'),
    // with a log file, smb.conf's log level (auth_audit's lines); else level 1 on stdout
    ...(opts.logFile ? [] : ['--debug-stdout', '-d', '1']),
  ]);
  await ready(d, alive, [ports.smb, ports.netbios]);
  const conf = path.join(dir, 'smb.conf');
  return {
    ...d,
    stop: async () => {
      await d.stop();
      // smbd starts samba-dcerpcd (share listings) in a session of its own: the group kill misses it.
      await killByConfig(`--configfile=${conf}`);
    },
  };
}

/** Kills the processes whose command line holds `arg` (one instance's own config path) and waits for them. */
async function killByConfig(arg: string): Promise<void> {
  const find = async (): Promise<number[]> => {
    const pids: number[] = [];
    for (const e of await readdir('/proc').catch(() => [] as string[])) {
      if (!/^\d+$/.test(e)) continue;
      const cmd = await readFile(`/proc/${e}/cmdline`, 'latin1').catch(() => '');
      if (cmd.split('\0').includes(arg)) pids.push(Number(e));
    }
    return pids;
  };
  const deadline = Date.now() + 5000;
  for (let pids = await find(); pids.length > 0 && Date.now() < deadline; pids = await find()) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await sleep(20);
  }
}

/** tinyproxy, allowing CONNECT only to the https port; clients from `allow` only (default 127.0.0.1). */
export async function startTinyproxy(
  dir: string,
  ports: Ports,
  opts: { allow?: string; upstream?: string } = {},
): Promise<Daemon> {
  await mkdir(dir, { recursive: true, mode: 0o777 });
  await chmod(dir, 0o777);
  await writeTree(dir, {
    'tinyproxy.conf': `User nobody
Group nogroup
Port ${ports.proxy}
Listen 127.0.0.1
Timeout 30
MaxClients 20
Allow ${opts.allow ?? '127.0.0.1'}
ConnectPort ${ports.https}
LogLevel Info
PidFile "${dir}/tinyproxy.pid"
LogFile "${dir}/tinyproxy.log"
${opts.upstream === undefined ? '' : `Upstream http ${opts.upstream}\n`}`,
  });
  await assertFree('tinyproxy', [ports.proxy]);
  const { d, alive } = foreground('tinyproxy', BINARIES.tinyproxy, [
    '-d',
    '-c',
    path.join(dir, 'tinyproxy.conf'),
  ]);
  await ready(d, alive, [ports.proxy]);
  return d;
}

/** dnsmasq answering FIXTURE.dnsName, refusing everything else (no upstream). */
export async function startDnsmasq(dir: string, ports: Ports): Promise<Daemon> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await assertFree('dnsmasq', [ports.dns]);
  const { d, alive } = foreground('dnsmasq', BINARIES.dnsmasq, [
    '-k',
    '--conf-file=/dev/null',
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    `--port=${ports.dns}`,
    '--no-resolv',
    '--no-hosts',
    `--address=/${FIXTURE.dnsName}/${FIXTURE.dnsAddress}`,
    `--pid-file=${dir}/dnsmasq.pid`,
    '--user=nobody',
    '--log-facility=-',
  ]);
  // dnsmasq also listens on TCP for the same port.
  await ready(d, alive, [ports.dns]);
  return d;
}

/** dovecot POP3 + IMAP over the Maildirs under `mailDir`, STARTTLS, one passwd-file user; auth socket for postfix. */
export async function startDovecot(
  dir: string,
  ports: Ports,
  certs: Certs,
  mailDir: string,
  opts: { penalty?: boolean } = {},
): Promise<Daemon> {
  for (const s of ['run', 'state']) await mkdir(path.join(dir, s), { recursive: true, mode: 0o755 });
  await writeTree(dir, {
    users: `${FIXTURE.mailUser}:{PLAIN}${FIXTURE.mailPassword}\n`,
    'dovecot.conf': `protocols = imap pop3
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = tenken-test-${ports.imap}
log_path = ${dir}/dovecot.log
ssl = yes
ssl_cert = <${certs.cert}
ssl_key = <${certs.key}
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
first_valid_uid = 8
mail_location = maildir:${mailDir}/%n
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${dir}/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=${mailDir}/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = 0
  }
}
service auth {
  unix_listener ${dir}/auth-client {
    mode = 0666
  }
}
${
  opts.penalty === false
    ? // no anvil-auth-penalty socket: auth adds no growing delay (2, 4, 8, 15 s) after each failure per address
      'service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n'
    : ''
}`,
  });
  await assertFree('dovecot', [ports.pop3, ports.imap]);
  const { d, alive } = foreground(
    'dovecot',
    BINARIES.dovecot,
    ['-F', '-c', path.join(dir, 'dovecot.conf')],
    path.join(dir, 'dovecot.log'),
  );
  await ready(d, alive, [ports.pop3, ports.imap]);
  return d;
}

/** Waits for the daemon's ports; stops it (and says why) when it does not come up. */
async function ready(d: Daemon, isAlive: () => boolean, ports: number[]): Promise<void> {
  try {
    for (const port of ports) await waitForPort(port, d, 20_000, isAlive);
  } catch (err) {
    await d.stop();
    throw err;
  }
}

function lastLines(file: string): string {
  try {
    // Synchronous on purpose: only used to build an error message.
    return readFileSync(file, 'utf8').split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}

/**
 * postfix with its own config directory: SMTP on 127.0.0.1, STARTTLS, SASL through dovecot's socket, and
 * virtual delivery of FIXTURE.mailUser@FIXTURE.mailDomain into `${mailDir}/box/` (a Maildir, owned by `mail`).
 * postfix daemonises (its master outlives `start-fg`'s wrapper), so it is stopped by signalling the master.
 */
export async function startPostfix(
  dir: string,
  ports: Ports,
  certs: Certs,
  mailDir: string,
  dovecotDir: string,
): Promise<Daemon> {
  const services = [
    `127.0.0.1:${ports.smtp} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'tlsmgr unix - - n 1000? 1 tlsmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'local unix - n n - - local',
    'virtual unix - n n - - virtual',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  await writeTree(dir, {
    'master.cf': `${services.join('\n')}\n`,
    'main.cf': `compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
maillog_file_prefixes = ${dir}
maillog_file = ${dir}/maillog
myhostname = mail.${FIXTURE.mailDomain}
mydomain = ${FIXTURE.mailDomain}
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
smtpd_banner = $myhostname ESMTP tenken-test
virtual_mailbox_domains = ${FIXTURE.mailDomain}
virtual_mailbox_base = ${mailDir}
virtual_mailbox_maps = texthash:${dir}/vmailbox
virtual_uid_maps = static:8
virtual_gid_maps = static:8
virtual_minimum_uid = 8
alias_maps =
alias_database =
smtpd_tls_security_level = may
smtpd_tls_cert_file = ${certs.cert}
smtpd_tls_key_file = ${certs.key}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${dovecotDir}/auth-client
biff = no
`,
    vmailbox: `${FIXTURE.mailUser}@${FIXTURE.mailDomain} ${FIXTURE.mailUser}/\n`,
  });
  await mkdir(path.join(dir, 'queue'), { recursive: true, mode: 0o755 });
  await mkdir(path.join(dir, 'data'), { recursive: true, mode: 0o700 });
  const { uid } = await idOf('postfix');
  await chown(path.join(dir, 'data'), uid, -1);
  const output = (): string => lastLines(path.join(dir, 'maillog'));
  const pidFile = path.join(dir, 'queue/pid/master.pid');
  const d: Daemon = {
    name: 'postfix',
    output,
    pids: () => [],
    stop: async () => {
      // SIGTERM to the master is what `postfix stop` sends, without its one-second polling loop.
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (!(pid > 0)) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await sleep(100);
    },
  };
  await assertFree('postfix', [ports.smtp]);
  try {
    await run(BINARIES.postfix, ['-c', dir, 'check']);
    await run(BINARIES.postfix, ['-c', dir, 'start']);
  } catch (err) {
    const raw = (err as { stderr?: unknown }).stderr;
    const stderr = (typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : '').trim();
    throw new Error(
      `postfix did not start: ${(err as Error).message.split('\n')[0] ?? ''}${stderr ? `: ${stderr}` : ''} ${output()}`,
    );
  }
  await ready(d, () => true, [ports.smtp]);
  return d;
}

async function idOf(user: string): Promise<{ uid: number; gid: number }> {
  const { stdout: u } = await run('id', ['-u', user]);
  const { stdout: g } = await run('id', ['-g', user]);
  return { uid: Number(u.trim()), gid: Number(g.trim()) };
}

/** The Maildir root (owned by `mail`, where postfix delivers and dovecot reads). */
export async function makeMailDir(dir: string): Promise<string> {
  const { uid, gid } = await idOf('mail');
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chown(dir, uid, gid);
  return dir;
}

/** Whether a daemon's binary is installed. */
export function installed(name: DaemonName): boolean {
  return existsSync(BINARIES[name]);
}

/** OpenSSH's server (never the system's: its own config, host key and port). */
export const SSHD = '/usr/sbin/sshd';

/** Login records sshd writes itself (btmp for each failed password, wtmp/utmp/lastlog for a session). */
const LOGIN_RECORDS = ['/var/log/btmp', '/var/log/wtmp', '/var/log/lastlog', '/run/utmp'];

/**
 * A private OpenSSH sshd on 127.0.0.1:`port`: password logins (no PAM), at most 3 tries per connection, the
 * public keys in `${dir}/authorized_keys` for any user, and its messages appended to `log` (`-E`: sshd's own
 * lines, without syslog's prefix). It runs in a mount namespace of its own (`unshare -m`) where the login
 * records it writes (LOGIN_RECORDS) are files of `dir`: the system's btmp and wtmp get none of the test's
 * logins. The system's sshd and /etc/ssh are not touched; only /run/sshd (the privilege separation directory
 * sshd requires) is made when missing.
 */
export async function startSshd(dir: string, port: number, log: string): Promise<Daemon> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const key = path.join(dir, 'host_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const conf = path.join(dir, 'sshd_config');
  await writeFile(
    conf,
    `Port ${port}
ListenAddress 127.0.0.1
HostKey ${key}
PidFile ${dir}/sshd.pid
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile ${dir}/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin no
MaxAuthTries 3
LogLevel INFO
`,
  );
  // Bind a private copy over each record file that exists (sshd creates none of them; btmp must be root's
  // and not world-readable, or sshd refuses to write it).
  const binds: string[] = [];
  for (const target of LOGIN_RECORDS) {
    if (!existsSync(target)) continue;
    const own = path.join(dir, path.basename(target));
    await writeFile(own, '', { mode: 0o600 });
    binds.push(`mount --bind ${own} ${target}`);
  }
  await assertFree('sshd', [port]);
  const { d, alive } = foreground(
    'sshd',
    '/usr/bin/unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '/bin/sh',
      '-ec',
      `${binds.join(' && ')}${binds.length ? ' && ' : ''}exec ${SSHD} -D -f ${conf} -E ${log}`,
    ],
    log,
  );
  await ready(d, alive, [port]);
  return d;
}
