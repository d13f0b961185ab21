/**
 * Issue 4's "real components over mocks" for the attack accounting: private instances of the real daemons
 * (test/services: nginx, postfix + dovecot, vsftpd, smbd, and an sshd of our own) are attacked for real on
 * loopback, as a client would (wrong passwords, a user that does not exist, web probes, a traversal), then
 * logged into once from the same address; each writes its log to a file of this test, and the built CLI reads
 * those files both ways: `tenken attacks FILE...`, and what the check reads with a config naming them as the
 * service's own logs. What is asserted is what the daemons logged: each attempt counted once, from 127.0.0.1,
 * the users tried, the service named, the probe paths and their answers.
 *
 * Private instances only (the shared ones stay as other tests expect them): dovecot without its auth penalty
 * (else 2+4+8+15 s of delays), vsftpd with local users through PAM, smbd logging auth_audit to a file, and
 * sshd in a mount namespace of its own so that its btmp records never reach the system's btmp.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { SourceSummary } from '../src/attacks/detect.ts';
import { REPO, tempDir } from './helpers/cli.ts';
import { type Daemon, FIXTURE, SSHD, startSshd } from './services/daemons.ts';
import { freePort, need, privateDaemon } from './services/index.ts';

const run = promisify(execFile);

/** One source's row of `tenken attacks --format json`. */
type SourceRow = SourceSummary;
/** One finding of it (what is asserted). */
interface FindingRow {
  kind: string;
  status: string;
  host: string;
  service: string;
  summary: string;
  data: Record<string, unknown>;
}
interface AttacksJson {
  status: string;
  files: string[];
  findings: FindingRow[];
  sources: SourceRow[];
}

/**
 * `tenken attacks --format json` through the built CLI (dist/tenken.js, built by the global setup): the FILEs,
 * or with none what the check reads for `config`.
 */
async function attacks(files: string[], config?: string): Promise<AttacksJson> {
  const state = tempDir('tenken-e2e-attacks-state-');
  const args = [path.join(REPO, 'dist/tenken.js'), '--state', state, ...(config ? ['--config', config] : [])];
  const r = await run(process.execPath, [...args, 'attacks', '--format', 'json', ...files], {
    env: { ...process.env, LANG: 'C', TZ: 'UTC' },
  }).catch((err: { stdout?: string; stderr?: string }) => {
    // exit 1/2 for WARNING/CRITICAL: the report is still on stdout
    if (err.stdout) return { stdout: err.stdout, stderr: err.stderr ?? '' };
    throw err;
  });
  expect(r.stderr, 'tenken attacks wrote to stderr').toBe('');
  return JSON.parse(r.stdout) as AttacksJson;
}

/**
 * A line-protocol conversation (SMTP, POP3, IMAP, FTP): waits for the greeting, then sends each line and
 * waits for an answer matching its pattern; returns every answer.
 */
async function converse(port: number, steps: [string | null, RegExp][], ms = 10_000): Promise<string[]> {
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.setEncoding('latin1');
  let buf = '';
  const answers: string[] = [];
  const waiters: (() => void)[] = [];
  sock.on('data', (d: string) => {
    buf += d;
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  sock.on('error', () => undefined);
  const until = Date.now() + ms;
  try {
    for (const [send, want] of steps) {
      if (send !== null) sock.write(`${send}\r\n`);
      for (;;) {
        const m = want.exec(buf);
        if (m) {
          answers.push(buf.slice(0, m.index + m[0].length));
          buf = buf.slice(m.index + m[0].length);
          break;
        }
        if (Date.now() > until || sock.destroyed)
          throw new Error(
            `port ${port}: no ${String(want)} after ${JSON.stringify(send)}; got ${JSON.stringify(buf)}`,
          );
        await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(200), closed]);
      }
    }
  } finally {
    sock.end();
    await Promise.race([closed, sleep(1000)]);
    sock.destroy();
  }
  return answers;
}

/** Sends one raw HTTP/1.0 request and returns the status code. */
async function http(port: number, request: string): Promise<number> {
  const sock = net.connect({ host: '127.0.0.1', port });
  let got = '';
  sock.setEncoding('latin1');
  sock.on('data', (d: string) => {
    got += d;
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('close', () => resolve());
    sock.once('error', reject);
    sock.write(`${request}\r\nHost: 127.0.0.1\r\n\r\n`);
  });
  const m = /^HTTP\/1\.\d (\d{3})/.exec(got);
  if (!m) throw new Error(`no HTTP answer to ${request}: ${JSON.stringify(got.slice(0, 200))}`);
  return Number(m[1]);
}

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');

/** Size and modification time of the system's btmp (null when it has none). */
function systemBtmp(): { size: number; mtimeMs: number } | null {
  try {
    const st = statSync('/var/log/btmp');
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}
const btmpBefore = systemBtmp();

const daemons: Daemon[] = [];
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

describe('attack accounting on what real daemons log when attacked', () => {
  const logs: Record<string, string[]> = {};
  const answers: Record<string, number> = {};

  beforeAll(async () => {
    need('nginx', 'postfix', 'dovecot', 'vsftpd', 'smbd');
    for (const bin of [SSHD, '/usr/bin/sshpass', '/usr/bin/smbclient'])
      if (!existsSync(bin)) throw new Error(`${bin} is not installed (run .ci/services.sh)`);
    const [web, mail, ftp, smb] = await Promise.all([
      privateDaemon('nginx'),
      privateDaemon('mail', { mailPenalty: false }),
      privateDaemon('vsftpd', { ftpLocalUsers: true }),
      privateDaemon('smbd', { smbLogFile: true }),
    ]);
    daemons.push(web.daemon, mail.daemon, ftp.daemon, smb.daemon);
    const sshDir = path.join(path.dirname(web.dir), `private-${process.pid}-sshd`);
    const sshPort = await freePort();
    await mkdir(sshDir, { recursive: true });
    const sshd = await startSshd(sshDir, sshPort, path.join(sshDir, 'sshd.log'));
    daemons.push(sshd);

    const { mailUser: user, mailPassword: pw } = FIXTURE;
    await Promise.all([
      // dovecot IMAP: two wrong passwords and an unknown user, then the right one
      (async () => {
        await converse(mail.ports.imap, [
          [null, /^\* OK.*\r\n/m],
          [`a1 LOGIN ${user} wrong-imap-1`, /^a1 NO .*\r\n/m],
          [`a2 LOGIN ${user} wrong-imap-2`, /^a2 NO .*\r\n/m],
          ['a3 LOGIN nosuchimap wrong-imap-3', /^a3 NO .*\r\n/m],
        ]);
        await converse(mail.ports.imap, [
          [null, /^\* OK.*\r\n/m],
          [`b1 LOGIN ${user} ${pw}`, /^b1 OK .*\r\n/m],
          ['b2 LOGOUT', /^b2 OK .*\r\n/m],
        ]);
      })(),
      // dovecot POP3
      (async () => {
        await converse(mail.ports.pop3, [
          [null, /^\+OK.*\r\n/m],
          [`USER ${user}`, /^\+OK.*\r\n/m],
          ['PASS wrong-pop3-1', /^-ERR.*\r\n/m],
          ['USER nosuchpop', /^\+OK.*\r\n/m],
          ['PASS wrong-pop3-2', /^-ERR.*\r\n/m],
        ]);
        await converse(mail.ports.pop3, [
          [null, /^\+OK.*\r\n/m],
          [`USER ${user}`, /^\+OK.*\r\n/m],
          [`PASS ${pw}`, /^\+OK.*\r\n/m],
          ['QUIT', /^\+OK.*\r\n/m],
        ]);
      })(),
      // postfix SMTP AUTH (SASL through dovecot)
      (async () => {
        await converse(mail.ports.smtp, [
          [null, /^220 .*\r\n/m],
          ['EHLO attacker.test', /^250 .*\r\n/m],
          [`AUTH PLAIN ${b64(`\0${user}\0wrong-smtp-1`)}`, /^535 .*\r\n/m],
          [`AUTH PLAIN ${b64('\0nosuchsmtp\0wrong-smtp-2')}`, /^535 .*\r\n/m],
          [`AUTH PLAIN ${b64(`\0${user}\0${pw}`)}`, /^235 .*\r\n/m],
          ['QUIT', /^221 .*\r\n/m],
        ]);
      })(),
      // vsftpd: a wrong password for an existing account and for none, then anonymous
      (async () => {
        await converse(ftp.ports.ftp, [
          [null, /^220 .*\r\n/m],
          ['USER nobody', /^331 .*\r\n/m],
          ['PASS wrong-ftp-1', /^530 .*\r\n/m],
        ]);
        await converse(ftp.ports.ftp, [
          [null, /^220 .*\r\n/m],
          ['USER nosuchftp', /^331 .*\r\n/m],
          ['PASS wrong-ftp-2', /^530 .*\r\n/m],
        ]);
        await converse(ftp.ports.ftp, [
          [null, /^220 .*\r\n/m],
          ['USER anonymous', /^230 .*\r\n/m], // no_anon_password: in at once
          ['QUIT', /^221 .*\r\n/m],
        ]);
      })(),
      // smbd through smbclient
      (async () => {
        const smbclient = (cred: string) =>
          run('smbclient', ['-L', '//127.0.0.1', '-p', String(smb.ports.smb), '-U', cred, '-m', 'SMB3'], {
            timeout: 15_000,
          }).then(
            () => 0,
            (err: { code?: number }) => err.code ?? -1,
          );
        answers.smbWrong = await smbclient(`${FIXTURE.smbUser}%wrong-smb-1`);
        answers.smbNoUser = await smbclient('nosuchsmb%wrong-smb-2');
        answers.smbOk = await smbclient(`${FIXTURE.smbUser}%${FIXTURE.smbPassword}`);
      })(),
      // nginx: basic auth and probes
      (async () => {
        const auth = (u: string, p: string) => `Authorization: Basic ${b64(`${u}:${p}`)}`;
        const p = web.ports.http;
        answers.webWrong = await http(p, `GET /private/ HTTP/1.0\r\n${auth(FIXTURE.webUser, 'wrong-web-1')}`);
        answers.webNoUser = await http(p, `GET /private/ HTTP/1.0\r\n${auth('nosuchweb', 'wrong-web-2')}`);
        answers.webOk = await http(
          p,
          `GET /private/ HTTP/1.0\r\n${auth(FIXTURE.webUser, FIXTURE.webPassword)}`,
        );
        answers.testCgi = await http(p, 'GET /cgi-bin/test-cgi HTTP/1.0');
        answers.env = await http(p, 'GET /.env HTTP/1.0');
        answers.wp = await http(p, 'GET /wp-login.php HTTP/1.0');
        answers.traversal = await http(p, 'GET /../../etc/passwd HTTP/1.0');
      })(),
      // sshd: wrong passwords for an account and for no account, with the real ssh client
      (async () => {
        const ssh = (u: string, pw: string) =>
          run(
            'sshpass',
            [
              '-e',
              'ssh',
              '-p',
              String(sshPort),
              '-o',
              'StrictHostKeyChecking=no',
              '-o',
              'UserKnownHostsFile=/dev/null',
              '-o',
              'PreferredAuthentications=password',
              '-o',
              'PubkeyAuthentication=no',
              '-o',
              'NumberOfPasswordPrompts=1',
              '-o',
              'LogLevel=ERROR',
              `${u}@127.0.0.1`,
              'true',
            ],
            { env: { ...process.env, SSHPASS: pw }, timeout: 20_000 },
          ).then(
            () => 0,
            (err: { code?: number }) => err.code ?? -1,
          );
        answers.sshNobody = await ssh('nobody', 'wrong-ssh-1');
        answers.sshNoUser = await ssh('nosuchssh', 'wrong-ssh-2');
        // then a login that succeeds: nobody's key (its shell, nologin, then ends the session)
        const key = path.join(sshDir, 'client_ed25519');
        await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
        await writeFile(path.join(sshDir, 'authorized_keys'), readFileSync(`${key}.pub`));
        answers.sshKey = await run('ssh', [
          ...['-p', String(sshPort), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
          ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
          'nobody@127.0.0.1',
          'true',
        ]).then(
          () => 0,
          (err: { code?: number; stderr?: string }) => (/Permission denied/.test(err.stderr ?? '') ? 255 : 1),
        );
      })(),
    ]);
    // let the daemons write their last lines (postlogd, dovecot's log process)
    await sleep(500);
    logs.nginx = [path.join(web.dir, 'access.log'), path.join(web.dir, 'error.log')];
    logs.dovecot = [path.join(mail.dir, 'dovecot', 'dovecot.log')];
    logs.postfix = [path.join(mail.dir, 'postfix', 'maillog')];
    logs.vsftpd = [path.join(ftp.dir, 'vsftpd.log'), path.join(ftp.dir, 'xferlog')];
    logs.samba = [path.join(smb.dir, 'log.smbd')];
    logs.sshd = [path.join(sshDir, 'sshd.log')];
  }, 60_000);

  /** The one source of a report, with what is asserted (fails naming the log when there is not one). */
  function only(r: AttacksJson, service: string): Omit<SourceRow, 'status' | 'first' | 'last'> {
    const why = `${service}: ${JSON.stringify(r.sources)}\n${(logs[service] ?? []).map((f) => readFileSync(f, 'latin1')).join('\n')}`;
    expect(r.sources, why).toHaveLength(1);
    const { host, failures, rejects, successes, scans, probes, passwd, users, services } = r
      .sources[0] as SourceRow;
    return { host, failures, rejects, successes, scans, probes, passwd, users, services };
  }

  const row = (service: string, failures: number, successes: number, users: string[]) => ({
    host: '127.0.0.1',
    failures,
    rejects: 0,
    successes,
    scans: 0,
    probes: 0,
    passwd: 0,
    users,
    services: [service],
  });

  /** What each daemon's log must give: every attempt once, the users the daemon named, and its logins. */
  const expected: Record<string, ReturnType<typeof row>> = {
    // 2 wrong passwords, a user nginx does not know, each a 401 and an error line: one attempt each
    // then webuser logs in (200 with its user, where the 401s were)
    nginx: { ...row('nginx', 2, 1, ['nosuchweb', 'webuser']), probes: 4, passwd: 1 },
    // IMAP 3 on one connection, POP3 2 on one: dovecot logs one line per connection with its count and the
    // last user tried (box's tries are counted, not named); then box logs in over both
    dovecot: row('dovecot', 5, 2, ['nosuchimap', 'nosuchpop']),
    // postfix logs a successful AUTH nowhere (only `auth=1/3` in the disconnect line)
    postfix: row('postfix', 2, 0, ['box', 'nosuchsmtp']),
    // then anonymous, whom vsftpd logs as `ftp`
    vsftpd: row('vsftpd', 2, 1, ['nobody', 'nosuchftp']),
    samba: row('samba', 2, 1, ['nobody', 'nosuchsmb']),
    // nosuchssh's `Invalid user` and `Failed password for invalid user` are one attempt; the readiness
    // check's bare TCP connection (`kex_exchange_identification: Connection closed by remote host`, then
    // `Connection closed by 127.0.0.1 port N`) is what a port scanner's connect leaves: one scan
    sshd: { ...row('sshd', 2, 1, ['nobody', 'nosuchssh']), scans: 1 },
  };

  it('the clients got the answers of failed and successful logins', () => {
    expect(answers).toEqual({
      webWrong: 401,
      webNoUser: 401,
      webOk: 200,
      testCgi: 404,
      env: 404,
      wp: 404,
      traversal: 400,
      smbWrong: 1,
      smbNoUser: 1,
      smbOk: 0,
      sshNobody: 255,
      sshNoUser: 255,
      // nologin ends the session with 1: the login itself succeeded
      sshKey: 1,
    });
  });

  it.each(Object.keys(expected))(
    '%s: each attempt once, from 127.0.0.1, with its users (tenken attacks FILE...)',
    async (service) => {
      expect(only(await attacks(logs[service] ?? []), service)).toEqual(expected[service]);
    },
  );

  it.each(Object.keys(expected))(
    '%s: the same through the check, with the log as the service`s own',
    async (service) => {
      const config = path.join(path.dirname(logs[service]?.[0] ?? ''), `tenken-${service}.yaml`);
      await writeFile(
        config,
        stringify({
          detect: false,
          syslog: { files: [], journal: 'off' },
          services: { [service]: { logs: logs[service] } },
        }),
      );
      expect(only(await attacks([], config), service)).toEqual(expected[service]);
    },
  );

  it('nginx: the probe paths and their answers, and the traversal as a password-file read', async () => {
    const r = await attacks(logs.nginx ?? []);
    const probe = r.findings.find((f) => f.kind === 'attack-webprobe');
    expect(probe).toMatchObject({
      status: 'INFO',
      host: '127.0.0.1',
      service: 'nginx',
      // 404 three times, 400 for the traversal: none answered 2xx
      data: {
        probes: 4,
        notFound: 3,
        paths: ['/../../etc/passwd', '/.env', '/cgi-bin/test-cgi', '/wp-login.php'],
        answered: [],
      },
    });
    const passwd = r.findings.find((f) => f.kind === 'attack-passwd');
    expect(passwd).toMatchObject({
      status: 'WARNING',
      data: { attempts: 1, services: ['nginx'], paths: ['/../../etc/passwd'], answered: false },
    });
  });

  it('dovecot: the attack, then box logging in from the same address, is CRITICAL', async () => {
    const r = await attacks(logs.dovecot ?? []);
    const bf = r.findings.find((f) => f.kind === 'attack-bruteforce');
    expect(bf).toMatchObject({ status: 'CRITICAL', host: '127.0.0.1', data: { count: 5 } });
    expect(bf?.summary).toMatch(/then logged in as box via dovecot$/);
  });

  it('sshd: its btmp (private, in its mount namespace) holds two records for the invalid user, none went to the system`s', async () => {
    const out = await run(process.execPath, [
      path.join(REPO, 'dist/tenken.js'),
      'lastb',
      '-w',
      '-R',
      '--time-format',
      'notime',
      '-f',
      path.join(path.dirname(logs.sshd?.[0] ?? ''), 'btmp'),
    ]);
    expect(
      out.stdout
        .split('\n')
        .filter((l) => /ssh:notty/.test(l))
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['nosuchssh', 'nosuchssh', 'nobody']);
    expect(systemBtmp()).toEqual(btmpBefore);
  });

  it('all the logs together: 15 attempts from 127.0.0.1, then logins: CRITICAL', async () => {
    const r = await attacks(Object.values(logs).flat());
    const s = only(r, 'all');
    expect(s).toMatchObject({ host: '127.0.0.1', failures: 15, successes: 6, probes: 4, passwd: 1 });
    expect(s.services.sort()).toEqual(['dovecot', 'nginx', 'postfix', 'samba', 'sshd', 'vsftpd']);
    const bf = r.findings.find((f) => f.kind === 'attack-bruteforce');
    expect(bf).toMatchObject({ status: 'CRITICAL', host: '127.0.0.1', data: { count: 15 } });
    expect(bf?.summary).toMatch(/^127\.0\.0\.1: 15 failed logins .*then logged in as /);
  });
});

describe('attack accounting on what real tinyproxy logs when it refuses a client', () => {
  it('counts its `Unauthorized connection` as a refused connection from the client, with its time', async () => {
    const proxy = await privateDaemon('tinyproxy', { proxyAllow: '192.0.2.1' });
    daemons.push(proxy.daemon);
    const log = path.join(proxy.dir, 'tinyproxy.log');
    const before = Date.now();
    await http(
      proxy.ports.proxy,
      'GET http://www.example.org/ HTTP/1.0\r\nHost: www.example.org\r\n\r\n',
    ).catch(
      () => 0, // it may hang up without an answer: the log line is what counts
    );
    const deadline = Date.now() + 10_000;
    while (!/Unauthorized connection/.test(await readFile(log, 'latin1').catch(() => ''))) {
      if (Date.now() > deadline) throw new Error(`tinyproxy logged no refusal:\n${proxy.daemon.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await attacks([log]);
    const text = readFileSync(log, 'latin1');
    expect(r.sources, text).toHaveLength(1);
    const s = r.sources[0] as SourceRow;
    // Each refusal it logged: this test's request, and the set-up's readiness check (it connects too).
    const refusals = text.match(/Unauthorized connection from "127\.0\.0\.1"/g)?.length ?? 0;
    expect(refusals).toBeGreaterThanOrEqual(1);
    expect(s).toMatchObject({ host: '127.0.0.1', scans: refusals, failures: 0, services: ['tinyproxy'] });
    // Its own log's stamp (local time, milliseconds) was read: the refusal is from this run, not undated.
    expect(Math.abs(Date.parse(s.first ?? '') - before)).toBeLessThan(60_000);
  });
});
