import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_ROOT } from '../../test/helpers/cli.ts';
import { buildPlan, detect } from './build-plan.ts';
import { gatherFacts, inittabPrograms } from './facts.ts';
import { hostName } from './load.ts';
import { builtinProfiles } from './profile.ts';
import { configSchema } from './schema.ts';

describe('profiles', () => {
  it("cover the runbook table and today's equivalents", () => {
    const names = [...builtinProfiles().keys()];
    for (const n of [
      'sendmail',
      'httpd',
      'delegate',
      'wu-ftpd',
      'samba',
      'mgetty',
      'postfix',
      'exim4',
      'nginx',
      'apache2',
      'vsftpd',
      'proftpd',
      'squid',
      'tinyproxy',
      'sshd',
      'dovecot',
      'cron',
      'kernel',
      'journal',
    ]) {
      expect(names).toContain(n);
    }
  });
});

describe('buildPlan on the demo tree', () => {
  const profiles = builtinProfiles();
  const facts = gatherFacts(DEMO_ROOT);

  it('detects services by process, listener and log, and says why', () => {
    const plan = buildPlan(configSchema.parse({}), profiles, facts, DEMO_ROOT);
    const why = Object.fromEntries(plan.services.map((s) => [s.name, s.reasons]));
    expect(why.sendmail).toContain('process sendmail');
    expect(why.samba).toEqual(
      expect.arrayContaining(['process smbd', 'process nmbd', 'log /usr/local/samba/var/log.smb']),
    );
    expect(why.httpd).toContain('log /usr/local/var/apache/log/access.log');
    expect(why.delegate).toContain('process delegated');
    expect(why.kernel).toEqual(['always inspected']);
    expect(why['wu-ftpd']).toEqual(['log /var/log/xferlog']);
    expect(plan.skipped).toContain('postfix');
  });

  it('lets the config force, disable and define services', () => {
    const config = configSchema.parse({
      detect: false,
      services: {
        postfix: { enabled: true },
        sendmail: { enabled: false },
        intranet: { profile: 'nginx', title: 'Intranet' },
      },
    });
    const plan = buildPlan(config, profiles, facts, DEMO_ROOT);
    expect(plan.services.map((s) => s.name)).toEqual(['intranet', 'postfix']);
    expect(plan.services[0]).toMatchObject({ profile: 'nginx', title: 'Intranet', processes: ['nginx'] });
    // The profile's known-benign log lines come along (the logs check applies them before the config's).
    expect(plan.services[0]?.ignore).toEqual(profiles.get('nginx')?.ignore);
    expect(plan.services[0]?.ignore.length).toBeGreaterThan(0);
  });

  it('rejects a service naming a profile that does not exist', () => {
    const config = configSchema.parse({ services: { x: { profile: 'nosuch' } } });
    expect(() => buildPlan(config, profiles, facts, DEMO_ROOT)).toThrow(/no built-in profile "nosuch"/);
  });

  it("does not take a zombie's name for a running daemon", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-zombie-'));
    for (const [pid, comm, state] of [
      [700, 'vsftpd', 'Z'],
      [701, 'nginx', 'S'],
    ] as const) {
      mkdirSync(path.join(root, 'proc', String(pid)), { recursive: true });
      writeFileSync(path.join(root, 'proc', String(pid), 'comm'), `${comm}\n`);
      writeFileSync(
        path.join(root, 'proc', String(pid), 'stat'),
        `${pid} (${comm}) ${state} 1 ${pid} ${pid} 0 -1 0`,
      );
    }
    expect([...gatherFacts(root).processes]).toEqual(['nginx']);
  });

  it('reads listening ports from /proc/net/tcp', () => {
    expect(facts.ports.has(31337)).toBe(true);
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-facts-'));
    mkdirSync(path.join(root, 'proc', 'net'), { recursive: true });
    writeFileSync(
      path.join(root, 'proc', 'net', 'tcp'),
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
        '   0: 0100007F:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 101 1\n' +
        '   1: 0100007F:0050 0200007F:1234 01 00000000:00000000 00:00000000 00000000     0        0 102 1\n',
    );
    expect([...gatherFacts(root).ports]).toEqual([25]);
    expect(detect(profiles.get('sshd')!, facts, DEMO_ROOT)).toEqual(['process sshd']);
  });

  it('expects the journal only where systemd runs as init, not wherever journalctl is installed', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    mkdirSync(path.join(root, 'usr', 'bin'), { recursive: true });
    writeFileSync(path.join(root, 'usr', 'bin', 'journalctl'), '');
    const journal = profiles.get('journal')!;
    expect(detect(journal, gatherFacts(root), root)).toEqual([]);
    mkdirSync(path.join(root, 'run', 'systemd', 'system'), { recursive: true });
    expect(detect(journal, gatherFacts(root), root)).toEqual(['file /run/systemd/system']);
  });

  it("takes xferlog for wu-ftpd's only while no vsftpd or ProFTPD is found (RHEL's vsftpd writes it)", () => {
    const tree = (files: string[]) => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-xferlog-'));
      for (const f of ['var/log/xferlog', ...files]) {
        mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        writeFileSync(path.join(root, f), '');
      }
      const plan = buildPlan(configSchema.parse({}), profiles, gatherFacts(root), root);
      return plan.services.filter((s) => /ftp/.test(s.name)).map((s) => [s.name, s.reasons]);
    };
    expect(tree([])).toEqual([['wu-ftpd', ['log /var/log/xferlog']]]);
    expect(tree(['usr/sbin/vsftpd'])).toEqual([['vsftpd', ['file /usr/sbin/vsftpd']]]);
    expect(tree(['usr/sbin/vsftpd', 'usr/sbin/in.ftpd'])).toEqual([
      ['vsftpd', ['file /usr/sbin/vsftpd']],
      ['wu-ftpd', ['file /usr/sbin/in.ftpd', 'log /var/log/xferlog']],
    ]);
  });

  it('expects the syslog daemon wherever init starts it (dead, it silences every log check)', () => {
    const tree = (files: string[]) => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-syslogd-'));
      for (const f of ['usr/sbin/rsyslogd', 'proc/1/comm', ...files]) {
        mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        writeFileSync(path.join(root, f), f === 'proc/1/comm' ? 'systemd\n' : '');
      }
      const plan = buildPlan(configSchema.parse({}), profiles, gatherFacts(root), root);
      const svc = plan.services.find((s) => s.name === 'syslog');
      return svc && { reasons: svc.reasons, dormant: svc.dormant ?? null };
    };
    expect(tree(['etc/systemd/system/multi-user.target.wants/rsyslog.service'])).toEqual({
      reasons: ['file /usr/sbin/rsyslogd'],
      dormant: null,
    });
    expect(tree(['etc/systemd/system/multi-user.target.wants/ssh.service'])?.dormant).toMatch(
      /^installed, but not running/,
    );
  });

  it('reads the programs /etc/inittab runs in a multi-user runlevel', () => {
    const inittab = [
      '# mgetty on the modem line',
      'id:2:initdefault:',
      'si::sysinit:/etc/init.d/rcS',
      'S0:2345:respawn:/sbin/mgetty -x0 -s 57600 ttyS0',
      'S1:1:respawn:/sbin/agetty ttyS1',
      'ca:12345:ctrlaltdel:/sbin/shutdown -t1 -a -r now',
      'T1:23:respawn:+/sbin/getty -L ttyS2 9600 vt100',
      'x1:345:once:exec /usr/local/bin/modemd --port=a:b',
      'broken line',
    ].join('\n');
    expect(inittabPrograms(inittab)).toEqual(['rcS', 'mgetty', 'getty', 'modemd']);
  });

  it('takes an installed mgetty nothing starts as only installed (inittab or a systemd instance starts it)', () => {
    const tree = (files: Record<string, string>) => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-mgetty-'));
      for (const [f, text] of Object.entries({ 'sbin/mgetty': '', ...files })) {
        mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        writeFileSync(path.join(root, f), text);
      }
      const plan = buildPlan(configSchema.parse({}), profiles, gatherFacts(root), root);
      const svc = plan.services.find((s) => s.name === 'mgetty');
      return svc && (svc.dormant ?? null);
    };
    const systemd = {
      'proc/1/comm': 'systemd\n',
      'etc/systemd/system/multi-user.target.wants/ssh.service': '',
    };
    // Debian's package enables nothing: installed only, not a CRITICAL "not running".
    expect(tree(systemd)).toBe('installed, but not running and not enabled at boot (mgetty)');
    expect(
      tree({ ...systemd, 'etc/systemd/system/multi-user.target.wants/mgetty@ttyS0.service': '' }),
    ).toBeNull();
    const sysv = { 'proc/1/comm': 'init\n', 'etc/rc2.d/S01cron': '' };
    expect(tree({ ...sysv, 'etc/inittab': 'S0:2345:respawn:/sbin/mgetty ttyS0\n' })).toBeNull();
    expect(tree({ ...sysv, 'etc/inittab': '#S0:2345:respawn:/sbin/mgetty ttyS0\n' })).toBe(
      'installed, but not running and not enabled at boot (mgetty)',
    );
    // An inittab alone is enough to judge by.
    expect(tree({ 'proc/1/comm': 'init\n', 'etc/inittab': 'id:2:initdefault:\n' })).toBe(
      'installed, but not running and not enabled at boot (mgetty)',
    );
    expect(tree({ ...systemd, 'proc/7/comm': 'mgetty\n' })).toBeNull(); // running
  });

  it('marks a service only installed: not running, no boot unit enabled, or no init system as PID 1', () => {
    const tree = (files: Record<string, string>, config: unknown = {}) => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-dormant-'));
      for (const [f, text] of Object.entries({ 'usr/sbin/postfix': '', ...files })) {
        mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
        writeFileSync(path.join(root, f), text);
      }
      const plan = buildPlan(configSchema.parse(config), profiles, gatherFacts(root), root);
      return plan.services.find((s) => s.name === 'postfix')?.dormant;
    };
    const systemd = {
      'proc/1/comm': 'systemd\n',
      'etc/systemd/system/multi-user.target.wants/ssh.service': '',
    };
    expect(tree(systemd)).toBe('installed, but not running and not enabled at boot (postfix)');
    expect(
      tree({ ...systemd, 'etc/systemd/system/multi-user.target.wants/postfix.service': '' }),
    ).toBeUndefined();
    expect(tree({ 'proc/1/comm': 'init\n', 'etc/rc2.d/S01postfix': '' })).toBeUndefined();
    expect(tree({ 'proc/1/comm': 'init\n', 'etc/rc2.d/K01postfix': '' })).toBe(
      'installed, but not running and not enabled at boot (postfix)',
    );
    expect(tree({ 'proc/1/comm': 'bash\n', 'etc/rc2.d/S01postfix': '' })).toBe(
      'installed, but not running, and PID 1 (bash) is no init system that would start it',
    );
    expect(tree({ ...systemd, 'proc/42/comm': 'master\n' })).toBeUndefined(); // running
    expect(tree({ 'proc/1/comm': 'init\n' })).toBeUndefined(); // no init links to judge by
    // Said in the config to run here (processes, ports, probes): expected, whatever init says.
    expect(tree(systemd, { services: { postfix: { ports: [25] } } })).toBeUndefined();
    expect(tree(systemd, { services: { postfix: { processes: ['master'] } } })).toBeUndefined();
    // Named without saying so (the starter config's `enabled: auto`, a title): still only installed.
    expect(tree(systemd, { services: { postfix: { enabled: 'auto' } } })).toBe(
      'installed, but not running and not enabled at boot (postfix)',
    );
    expect(tree(systemd, { services: { postfix: { title: 'Mail' } } })).toBe(
      'installed, but not running and not enabled at boot (postfix)',
    );
  });
});

describe('detection under --root', () => {
  it("resolves a binary's absolute link inside the tree (an alternatives link), never on the auditing machine", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-facts-links-'));
    mkdirSync(path.join(root, 'usr/sbin'), { recursive: true });
    mkdirSync(path.join(root, 'etc/alternatives'), { recursive: true });
    mkdirSync(path.join(root, 'usr/lib/squid'), { recursive: true });
    writeFileSync(path.join(root, 'usr/lib/squid/squid-tenken'), '');
    symlinkSync('/etc/alternatives/squid', path.join(root, 'usr/sbin/squid'));
    symlinkSync('/usr/lib/squid/squid-tenken', path.join(root, 'etc/alternatives/squid'));
    // A link to a file the auditing machine has (its own node) and the tree has not.
    symlinkSync(process.execPath, path.join(root, 'usr/sbin/node-tenken'));
    const facts = gatherFacts(root);
    expect(facts.exists('/usr/sbin/squid')).toBe(true);
    expect(facts.exists('/usr/sbin/node-tenken')).toBe(false);
    // Links that loop are no file.
    symlinkSync('/usr/sbin/loop-b', path.join(root, 'usr/sbin/loop-a'));
    symlinkSync('/usr/sbin/loop-a', path.join(root, 'usr/sbin/loop-b'));
    expect(facts.exists('/usr/sbin/loop-a')).toBe(false);
  });

  it("reads what the tree's init starts through absolute links inside the tree (rc3.d, inittab)", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-boot-links-'));
    mkdirSync(path.join(root, 'etc/rc.d/rc3.d'), { recursive: true });
    writeFileSync(path.join(root, 'etc/rc.d/rc3.d/S55tenkend'), '');
    symlinkSync('/etc/rc.d/rc3.d', path.join(root, 'etc/rc3.d'));
    writeFileSync(path.join(root, 'etc/inittab.tenken-real'), 'S0:2345:respawn:/sbin/mgetty ttyS0\n');
    symlinkSync('/etc/inittab.tenken-real', path.join(root, 'etc/inittab'));
    expect([...(gatherFacts(root).bootUnits ?? [])].sort()).toEqual(['mgetty', 'tenkend']);
  });

  it("names the host from the tree's /etc/hostname through an absolute link inside the tree", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-hostname-'));
    mkdirSync(path.join(root, 'etc'));
    writeFileSync(path.join(root, 'etc/hostname.tenken-real'), 'gauntlet\n');
    symlinkSync('/etc/hostname.tenken-real', path.join(root, 'etc/hostname'));
    expect(hostName(root, configSchema.parse({}))).toBe('gauntlet');
  });
});
