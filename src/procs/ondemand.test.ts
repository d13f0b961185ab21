import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFifo } from '../../test/helpers/fifo.ts';
import {
  type OndemandEntry,
  entryMatches,
  parseInetdConf,
  parseListenValue,
  parseServices,
  parseUnitFile,
  parseXinetdFile,
  readOndemand,
} from './ondemand.ts';

const ROOT = path.join(import.meta.dirname, 'fixtures', 'ondemand');
const services = parseServices(readFileSync(path.join(ROOT, 'etc/services'), 'utf8'));

/** The port getent(1) resolves for a service: the system's resolver as oracle (the fixture is this machine's file). */
function getent(name: string): number {
  const out = execFileSync('getent', ['services', name], { encoding: 'utf8' });
  return Number(/\s(\d+)\//.exec(out)?.[1]);
}

const pick = (e: OndemandEntry) => ({
  name: e.name,
  protocol: e.protocol,
  port: e.port,
  server: e.server,
  enabled: e.enabled,
});

describe('inetd.conf', () => {
  const entries = parseInetdConf(
    readFileSync(path.join(ROOT, 'etc/inetd.conf'), 'utf8'),
    '/etc/inetd.conf',
    services,
  );
  it('resolves service names to ports as getent does, and reads the program behind tcpd', () => {
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const n of ['daytime/tcp', 'ftp/tcp', 'shell/tcp', 'talk/udp']) {
      expect(byName.get(n.split('/')[0] as string)?.port, n).toBe(getent(n));
    }
    expect(byName.get('ftp')?.server).toBe('/usr/sbin/in.ftpd');
    expect(byName.get('daytime')?.server).toBeNull();
    expect(byName.get('talk')?.protocol).toBe('udp');
    expect(byName.get('shell')?.addr).toBe('127.0.0.1');
  });
  it("keeps update-inetd's #<off># entries as disabled and skips comments and RPC entries", () => {
    expect(entries.find((e) => e.name === 'telnet')).toMatchObject({
      enabled: false,
      port: 23,
      server: '/usr/sbin/in.telnetd',
    });
    expect(
      entries.some((e) => e.name === 'discard' || e.name === 'time' || e.name.startsWith('rstatd')),
    ).toBe(false);
  });
  it('takes a numeric service as the port and leaves an unknown name unresolved', () => {
    expect(entries.find((e) => e.name === '2121')).toMatchObject({
      port: 2121,
      protocol: 'tcp',
      server: '/usr/local/sbin/tk-ftpd',
    });
    expect(entries.find((e) => e.name === 'nosuchservice')?.port).toBeNull();
    expect(entries.find((e) => e.name === 'ftp')?.line).toBe(23);
  });
});

describe('xinetd', () => {
  it('parses service blocks with = and +=, and a brace on its own line or the service line', () => {
    const f = parseXinetdFile(
      'service a {\n port = 1\n log_on_failure = HOST\n log_on_failure += USERID\n}\nservice b\n{\n port = 2\n}\n',
    );
    expect(f.services.map((s) => [s.name, s.attrs.get('port'), s.attrs.get('log_on_failure')])).toEqual([
      ['a', ['1'], ['HOST', 'USERID']],
      ['b', ['2'], undefined],
    ]);
  });
  it('reads xinetd.conf and its includedir, skipping names with a dot or a tilde, honouring disable', async () => {
    const { entries, problems } = await readOndemand({ root: ROOT });
    expect(problems).toEqual([]);
    const x = entries.filter((e) => e.kind === 'xinetd').map(pick);
    expect(x).toEqual(
      expect.arrayContaining([
        { name: 'echo', protocol: 'tcp', port: getent('echo/tcp'), server: null, enabled: false },
        { name: 'echo', protocol: 'udp', port: getent('echo/udp'), server: null, enabled: false },
        { name: 'servers', protocol: 'tcp', port: 9099, server: null, enabled: false },
        {
          name: 'telnet',
          protocol: 'tcp',
          port: getent('telnet/tcp'),
          server: '/usr/sbin/in.telnetd',
          enabled: true,
        },
        {
          name: 'tftp',
          protocol: 'udp',
          port: getent('tftp/udp'),
          server: '/usr/sbin/in.tftpd',
          enabled: true,
        },
        { name: 'time', protocol: 'udp', port: getent('time/udp'), server: null, enabled: false },
      ]),
    );
    expect(x).toHaveLength(6);
    expect(x.some((e) => e.name === 'rlogin')).toBe(false);
  });
  it("applies a defaults block's disabled list", () => {
    const f = parseXinetdFile(
      'defaults\n{\n disabled = tftp\n}\nservice tftp\n{\n socket_type = dgram\n server = /x\n}\n',
    );
    expect(f.disabled).toEqual(['tftp']);
  });
});

describe('systemd socket units', () => {
  it('reads ListenStream with drop-ins (an empty value resets), the service program, and enablement', async () => {
    const { entries } = await readOndemand({ root: ROOT });
    const sd = entries.filter((e) => e.kind === 'systemd');
    expect(sd.filter((e) => e.name === 'ssh')).toEqual([
      {
        kind: 'systemd',
        name: 'ssh',
        protocol: 'tcp',
        port: 2222,
        addr: '::',
        server: '/usr/sbin/sshd',
        enabled: true,
        source: '/lib/systemd/system/ssh.socket',
        line: 0,
      },
    ]);
    const dovecot = sd.filter((e) => e.name === 'dovecot');
    expect(dovecot.map((e) => `${e.addr} ${e.port}`)).toEqual([
      '0.0.0.0 143',
      ':: 143',
      '0.0.0.0 993',
      ':: 993',
    ]);
    expect(dovecot.every((e) => !e.enabled)).toBe(true);
  });
  it('ignores masked units and unix-socket-only units', async () => {
    const { entries } = await readOndemand({ root: ROOT });
    expect(entries.some((e) => e.name === 'finger' || e.name === 'syslog')).toBe(false);
  });
  it('says a FIFO at /etc/inetd.conf at once instead of waiting on it, and reads a masked service as empty', {
    timeout: 10_000,
  }, async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-ondemand-'));
    try {
      cpSync(ROOT, root, { recursive: true, verbatimSymlinks: true });
      rmSync(path.join(root, 'etc/inetd.conf'), { force: true });
      makeFifo(path.join(root, 'etc/inetd.conf'));
      symlinkSync('/dev/null', path.join(root, 'etc/systemd/system/ssh.service'));
      const t0 = Date.now();
      const { entries, problems } = await readOndemand({ root });
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(problems).toEqual(['Cannot read /etc/inetd.conf: not a regular file']);
      expect(entries.filter((e) => e.name === 'ssh').map((e) => e.server)).toEqual([null]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it('parses listen values of every TCP/UDP form and rejects unix paths', () => {
    expect(parseListenValue('22')).toEqual({ addr: null, port: 22 });
    expect(parseListenValue('[::1]:8080')).toEqual({ addr: '::1', port: 8080 });
    expect(parseListenValue('127.0.0.1:25')).toEqual({ addr: '127.0.0.1', port: 25 });
    expect(parseListenValue('/run/foo.sock')).toBeNull();
    expect(parseListenValue('@abstract')).toBeNull();
  });
  it('joins backslash continuations and ignores ; comments', () => {
    const u = parseUnitFile('[Service]\n; comment\nExecStart=/usr/bin/x \\\n  --flag\n');
    expect(u.get('Service.ExecStart')).toEqual(['/usr/bin/x  --flag']);
  });
});

describe('matching definitions to services', () => {
  const telnet: OndemandEntry = {
    kind: 'xinetd',
    name: 'telnet',
    protocol: 'tcp',
    port: 23,
    addr: null,
    server: '/usr/sbin/in.telnetd',
    enabled: true,
    source: '/etc/xinetd.d/telnet',
    line: 4,
  };
  it('matches by name, by program among the processes, or by TCP port', () => {
    expect(entryMatches(telnet, { name: 'telnet', processes: [], ports: [] })).toBe(true);
    expect(entryMatches(telnet, { name: 'x', processes: ['in.telnetd'], ports: [] })).toBe(true);
    expect(entryMatches(telnet, { name: 'x', processes: [], ports: [23] })).toBe(true);
    expect(entryMatches(telnet, { name: 'x', processes: ['telnetd'], ports: [2323] })).toBe(false);
  });
});

describe('on-demand definitions under --root', () => {
  it("reads units linked by absolute paths inside the tree (systemctl enable's links), never the auditing machine's", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-ondemand-links-'));
    try {
      cpSync(ROOT, root, { recursive: true, verbatimSymlinks: true });
      // The tree's own socket unit, in a vendor directory the auditing machine does not have, linked by its
      // absolute path on the server; its inetd.conf likewise.
      mkdirSync(path.join(root, 'usr/lib/tenken-vendor'), { recursive: true });
      writeFileSync(
        path.join(root, 'usr/lib/tenken-vendor/rsyncd.socket'),
        '[Socket]\nListenStream=873\nAccept=yes\n',
      );
      symlinkSync(
        '/usr/lib/tenken-vendor/rsyncd.socket',
        path.join(root, 'etc/systemd/system/rsyncd.socket'),
      );
      writeFileSync(
        path.join(root, 'etc/inetd.conf.tenken-real'),
        'ftp stream tcp nowait root /usr/sbin/tcpd in.ftpd\n',
      );
      rmSync(path.join(root, 'etc/inetd.conf'));
      symlinkSync('/etc/inetd.conf.tenken-real', path.join(root, 'etc/inetd.conf'));
      const { entries, problems } = await readOndemand({ root });
      expect(problems).toEqual([]);
      expect(entries.filter((e) => e.name === 'rsyncd').map((e) => e.port)).toEqual([873]);
      expect(entries.filter((e) => e.kind === 'inetd').map((e) => e.name)).toEqual(['ftp']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
