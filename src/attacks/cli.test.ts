import { utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { mkdtempSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { App, GlobalOptions } from '../cli/app.ts';
import { register } from '../cli/commands/attacks.ts';
import { parseSince } from '../core/time.ts';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';

const NOW = new Date(Date.UTC(2024, 5, 30, 12, 0, 0));

/** Runs `tenken attacks` in-process with a hand-made App (the command is not in commands/index.ts yet). */
async function run(args: string[], format: 'text' | 'json' = 'text') {
  let out = '';
  let err = '';
  let code = -1;
  const globals: GlobalOptions = {
    root: undefined,
    config: undefined,
    state: os.tmpdir(),
    format,
    only: undefined,
    quiet: false,
    color: false,
  };
  const app: App = {
    io: {
      write: (t) => ((out += t), Promise.resolve()),
      error: (t) => void (err += `${t}\n`),
      isTTY: false,
      env: {},
      cwd: dir,
    },
    globals: () => globals,
    load: () =>
      Promise.resolve({
        config: configSchema.parse({}),
        configPath: null,
        host: makeHost({ name: 'testhost', now: NOW }),
        plan: { services: [], syslogFiles: [], journal: 'off', skipped: [] },
      }),
    exit: (c) => {
      code = c;
    },
  };
  const program = new Command('tenken').exitOverride();
  register(program, app);
  await program.parseAsync(['attacks', ...args], { from: 'user' });
  return { out, err, code };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-attacks-'));
const auth = path.join(dir, 'auth.log');
writeFileSync(
  auth,
  [
    ...Array.from(
      { length: 12 },
      (_, i) =>
        `Jun 30 11:00:${String(i).padStart(2, '0')} srv sshd[${100 + i}]: Failed password for invalid user admin${i} from 203.0.113.66 port ${5000 + i} ssh2`,
    ),
    'Jun 30 11:01:00 srv sshd[200]: Accepted password for root from 203.0.113.66 port 6000 ssh2',
    'Jun 30 11:02:00 srv CRON[1]: pam_unix(cron:session): session opened for user root',
  ].join('\n'),
);
// Year-less dates take the year of the file's last write (src/logs's rule): the host's clock in this test.
utimesSync(auth, NOW, NOW);

describe('tenken attacks', () => {
  it('prints the per-source summary and exits CRITICAL for a burst followed by a login', async () => {
    const r = await run([auth]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/CRITICAL.*203\.0\.113\.66: 12 failed logins .*then logged in as root/);
    expect(r.out).toMatch(/203\.0\.113\.66 +12 +0 +1/);
  });
  it('writes JSON with the findings and sources', async () => {
    const r = await run([auth], 'json');
    const doc = JSON.parse(r.out) as {
      status: string;
      findings: { kind: string; data: { count: number } }[];
    };
    expect(doc.status).toBe('CRITICAL');
    expect(doc.findings[0]).toMatchObject({ kind: 'attack-bruteforce', data: { count: 12 } });
  });
  it('counts a file named twice once', async () => {
    const r = await run([auth, auth], 'json');
    const doc = JSON.parse(r.out) as { findings: { data: { count: number } }[] };
    expect(doc.findings[0]?.data.count).toBe(12);
  });
  it('lists every source with a finding and only the 100 most active OK ones, counting the rest', async () => {
    // 300 addresses below the threshold (the first five with 3 tries, the rest with one) beside the burst.
    const log = path.join(dir, 'botnet.log');
    const tries = (i: number) => (i < 5 ? 3 : 1);
    const lines = Array.from({ length: 300 }, (_, i) =>
      Array.from(
        { length: tries(i) },
        (_, k) =>
          `Jun 30 11:30:0${k} srv sshd[${1000 + i}]: Failed password for invalid user u${i} from 198.18.${i >> 8}.${i & 255} port ${7000 + k} ssh2`,
      ),
    ).flat();
    writeFileSync(log, `${[...lines, ''].join('\n')}`);
    utimesSync(log, NOW, NOW);
    const json = await run([auth, log], 'json');
    const doc = JSON.parse(json.out) as {
      sources: { host: string; failures: number; status: string }[];
      sourcesTotal: number;
      sourcesOmitted: number;
    };
    expect(doc.sourcesTotal).toBe(301);
    expect(doc.sourcesOmitted).toBe(200);
    expect(doc.sources).toHaveLength(101);
    expect(doc.sources[0]).toMatchObject({ host: '203.0.113.66', status: 'CRITICAL' });
    expect(doc.sources.slice(1, 6).map((x) => x.failures)).toEqual([3, 3, 3, 3, 3]);
    const text = await run([auth, log]);
    expect(text.code).toBe(2);
    // 310 failures from 300 addresses within the hour are also a distributed brute force, which names no
    // source of its own: the table still lists the 100 most active.
    expect(text.out).toMatch(/: 2 findings, 301 sources$/m);
    expect(text.out).toMatch(/^WARNING {2}distributed brute force: 310 failed logins from 300 sources, /m);
    expect(text.out.split('\n').filter((l) => /^ {2}OK +198\.18\.\d+\.\d+ /.test(l))).toHaveLength(100);
    expect(text.out).toMatch(/^ {2}… and 200 more sources, all OK$/m);
  });
  it('honours --since', async () => {
    // After the log's events (11:00-11:02), before the run's clock (12:00): a time ahead of it is refused.
    const r = await run(['--since', '2024-06-30T11:30:00Z', auth]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('0 findings');
  });
  it('says which file it could not read, in one line', async () => {
    const r = await run([path.join(dir, 'missing.log')]);
    expect(r.err.trim()).toBe(
      `tenken: Cannot read ${path.join(dir, 'missing.log')}: no such file or directory`,
    );
    expect(r.code).toBe(3);
    // The headline says what JSON and the exit code say, not "OK".
    expect(r.out).toMatch(/^UNKNOWN: 0 findings, 0 sources$/m);
  });
  it('reads a web access log by its content when its name does not say so (a false all-clear before)', async () => {
    const log = path.join(dir, 'mysite-ssl.log');
    writeFileSync(
      log,
      Array.from(
        { length: 3 },
        (_, i) =>
          `198.51.100.9 - - [30/Jun/2024:11:0${i}:00 +0000] "GET /.env HTTP/1.1" ${i === 2 ? 200 : 404} 12 "-" "x"\n`,
      ).join(''),
    );
    utimesSync(log, NOW, NOW);
    const r = await run([log]);
    expect(r.out).toMatch(/CRITICAL 198\.51\.100\.9: 3 web probes \(\/\.env\); 1 answered 2xx/);
  });

  it('reads the own logs of vsftpd, Samba and `sshd -E` named on the command line (0 findings before)', async () => {
    // As vsftpd 3.0.3 (vsftpd_log_file), Samba 4.17 (log file, auth_audit:3) and OpenSSH 9.2 (-E) wrote them
    // in test/e2e-attacks.test.ts; Samba's file is named after the client (`log file = .../log.%m`).
    const files = {
      'vsftpd.log': [
        'Thu Nov 26 13:18:31 2026 [pid 23809] CONNECT: Client "127.0.0.1"',
        'Thu Nov 26 13:18:32 2026 [pid 23808] [nobody] FAIL LOGIN: Client "127.0.0.1"',
        'Thu Nov 26 13:18:33 2026 [pid 23851] CONNECT: Client "127.0.0.1"',
        'Thu Nov 26 13:18:35 2026 [pid 23850] [nosuchftp] FAIL LOGIN: Client "127.0.0.1"',
        'Thu Nov 26 13:18:36 2026 [pid 24104] CONNECT: Client "127.0.0.1"',
        'Thu Nov 26 13:18:36 2026 [pid 24103] [ftp] OK LOGIN: Client "127.0.0.1", anon password "<no_password>"',
      ],
      'log.127.0.0.1': [
        '[2026/11/26 13:18:27.186667,  0] ../../source3/smbd/server.c:1741(main)',
        '  smbd version 4.17.12-Debian started.',
        '[2026/11/26 13:18:31.255818,  2] ../../auth/auth_log.c:647(log_authentication_event_human_readable)',
        '  Auth: [SMB2,(null)] user [WORKGROUP]\\[nobody] at [Thu, 26 Nov 2026 13:18:31.255778 UTC] with [NTLMv2] status [NT_STATUS_WRONG_PASSWORD] workstation [VM] remote host [ipv4:127.0.0.1:37526] mapped to [WORKGROUP]\\[nobody]. local host [ipv4:127.0.0.1:38415] ',
        '[2026/11/26 13:18:31.352919,  2] ../../auth/auth_log.c:647(log_authentication_event_human_readable)',
        '  Auth: [SMB2,(null)] user [WORKGROUP]\\[nosuchsmb] at [Thu, 26 Nov 2026 13:18:31.352885 UTC] with [NTLMv2] status [NT_STATUS_NO_SUCH_USER] workstation [VM] remote host [ipv4:127.0.0.1:37536] mapped to [WORKGROUP]\\[nosuchsmb]. local host [ipv4:127.0.0.1:38415] ',
        '[2026/11/26 13:18:31.431808,  3] ../../auth/auth_log.c:647(log_authentication_event_human_readable)',
        '  Auth: [SMB2,(null)] user [WORKGROUP]\\[nobody] at [Thu, 26 Nov 2026 13:18:31.431779 UTC] with [NTLMv2] status [NT_STATUS_OK] workstation [VM] remote host [ipv4:127.0.0.1:37546] became [TENKENTEST]\\[nobody] [S-1-5-21-2801202438-4195677388-4118279337-501]. local host [ipv4:127.0.0.1:38415] ',
      ],
      'sshd.log': [
        'Server listening on 127.0.0.1 port 45001.\r',
        'Failed password for nobody from 127.0.0.1 port 49916 ssh2\r',
        'Connection closed by authenticating user nobody 127.0.0.1 port 49916 [preauth]\r',
        'Invalid user nosuchssh from 127.0.0.1 port 49920\r',
        'Could not get shadow information for NOUSER\r',
        'Failed password for invalid user nosuchssh from 127.0.0.1 port 49920 ssh2\r',
        'Connection closed by invalid user nosuchssh 127.0.0.1 port 49920 [preauth]\r',
      ],
    };
    const got: Record<string, unknown> = {};
    for (const [name, lines] of Object.entries(files)) {
      const log = path.join(dir, name);
      writeFileSync(log, `${lines.join('\n')}\n`);
      const doc = JSON.parse((await run([log], 'json')).out) as {
        sources: { host: string; failures: number; successes: number; users: string[]; services: string[] }[];
      };
      got[name] = doc.sources.map(({ host, failures, successes, users, services }) => ({
        host,
        failures,
        successes,
        users,
        services,
      }));
    }
    const row = (service: string, users: string[], successes: number) => [
      { host: '127.0.0.1', failures: 2, successes, users, services: [service] },
    ];
    expect(got).toEqual({
      'vsftpd.log': row('vsftpd', ['nobody', 'nosuchftp'], 1),
      'log.127.0.0.1': row('samba', ['nobody', 'nosuchsmb'], 1),
      'sshd.log': row('sshd', ['nobody', 'nosuchssh'], 0),
    });
  });

  it('shows user names and lines in UTF-8, as the logs check does (たなか, not mojibake)', async () => {
    const log = path.join(dir, 'utf8.log');
    writeFileSync(
      log,
      Array.from(
        { length: 12 },
        (_, i) =>
          `Jun 30 11:${String(10 + i)}:00 srv vsftpd[${40 + i}]: [pid ${40 + i}] [たなか] FAIL LOGIN: Client "::ffff:203.0.113.9"\n`,
      ).join(''),
    );
    utimesSync(log, NOW, NOW);
    const r = await run([log], 'json');
    const doc = JSON.parse(r.out) as {
      findings: { summary: string; evidence: { text: string }[]; data: { users: string[] } }[];
      sources: { users: string[] }[];
    };
    expect(doc.findings[0]?.data.users).toEqual(['たなか']);
    expect(doc.findings[0]?.summary).toContain('(users たなか)');
    expect(doc.findings[0]?.evidence[0]?.text).toContain('[たなか] FAIL LOGIN');
    expect(doc.sources[0]?.users).toEqual(['たなか']);
  });
  it('parses --since spans and dates', () => {
    expect(parseSince('2h', NOW).toISOString()).toBe('2024-06-30T10:00:00.000Z');
    expect(parseSince('2024-06-01T00:00:00Z', NOW).toISOString()).toBe('2024-06-01T00:00:00.000Z');
    expect(() => parseSince('yesterday', NOW)).toThrow(/^Invalid --since "yesterday"/);
  });
});
