import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { need } from '../../test/services/index.ts';
import { runLogins } from './fixtures-audit/cli.ts';
import { emlName, needsSmtpUtf8, sendFailure, smtpOptions, smtpTransport } from './mail.ts';
import { lockLine, stateDirFor } from '../state/store.ts';
import { boot, login, loginNamed, logout, makeTree, PASSWD, t } from './fixtures-audit/tree.ts';

// test/services (real postfix/exim + dovecot started by a globalSetup) is not there yet: sending is tested
// end to end through --dry-run (nodemailer's own composer), and against a small in-process listener only for
// the failure cases (refused connection, a server that never answers).

const EVIL_HOST = '<b>x</b>\u001b[2J';
const root = makeTree({
  wtmp: [
    boot('2026-11-01T08:00'),
    loginNamed('alice', 'pts/0', '2026-11-02T09:00', 'pc5.example.org', '10.0.0.5', 10),
    logout('pts/0', '2026-11-02T10:30', 10),
    login('alice', 'pts/1', '2026-11-02T11:00', EVIL_HOST, 12),
    logout('pts/1', '2026-11-02T11:10', 12),
    login('bob', 'tty1', '2026-11-03T09:00', '', 11),
    login('root', 'tty2', '2026-11-03T09:30', '', 13),
  ],
});
/** A fresh state directory (a run that mails moves the users' marks). */
const tmpState = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
const now = new Date('2026-11-04T00:00:00Z');

/** Decodes quoted-printable bodies (enough for these messages). */
function unqp(s: string): string {
  return Buffer.from(
    s
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
}

describe('tenken logins mail --dry-run', () => {
  it('writes one message per user with a text part and an HTML alternative, minus the skip list', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    const r = await runLogins(['logins', 'mail', '--dry-run', dir], {
      root,
      now,
      state: tmpState(),
      logins: {
        mail: {
          skip: ['root'],
          addresses: { alice: 'alice@example.org' },
          from: 'audit@example.org',
        },
      },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `skipped root: in the skip list\nwrote alice <alice@example.org>: ${dir}/alice.eml\nwrote bob <bob@localhost>: ${dir}/bob.eml\n`,
    );
    expect(fs.readdirSync(dir).sort()).toEqual(['alice.eml', 'bob.eml']);
    const eml = fs.readFileSync(path.join(dir, 'alice.eml'), 'utf8');
    expect(eml).toMatch(/^From: audit@example\.org$/m);
    expect(eml).toMatch(/^To: alice@example\.org$/m);
    expect(eml).toMatch(/^Subject: Your logins on testhost: 2 logins to confirm$/m);
    expect(eml).toMatch(/^Content-Type: multipart\/alternative;/m);
    const [, text = '', html = ''] = eml.split(/^----_NmP-[^\n]*\n/m);
    expect(text).toMatch(/^Content-Type: text\/plain; charset=utf-8/);
    expect(html).toMatch(/^Content-Type: text\/html; charset=utf-8/);
    const textBody = unqp(text);
    expect(textBody).toContain('Mon 2026-11-02 09:00  pts/0  pc5.example.org (10.0.0.5) **  1h 30m');
    expect(textBody).toContain('<b>x</b>\\x1b[2J');
    expect(textBody).not.toContain('\u001b');
    const htmlBody = unqp(html);
    expect(htmlBody).toContain('&lt;b&gt;x&lt;/b&gt;\\x1b[2J');
    expect(htmlBody).not.toContain('<b>');
  });
});

describe('tenken -q logins mail (a monthly cron job)', () => {
  it('prints nothing when every message went out, and still writes them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    const r = await runLogins(['-q', 'logins', 'mail', '--dry-run', dir], { root, now, state: tmpState() });
    expect(r).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(fs.readdirSync(dir).sort()).toEqual(['alice.eml', 'bob.eml']);
  });
});

describe('tenken logins mail: a long history', () => {
  it('lists the latest mail.maxSessions logins and counts the others by where they came from', async () => {
    const tree = makeTree({
      wtmp: [
        boot('2026-11-01T08:00'),
        ...[0, 1, 2, 3, 4].map((i) =>
          login('alice', `pts/${i}`, `2026-11-02T0${i}:00`, `h${i % 2}.example`, 40 + i),
        ),
      ],
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    const r = await runLogins(['logins', 'mail', '--dry-run', dir], {
      root: tree,
      now,
      state: tmpState(),
      logins: { mail: { maxSessions: 2 } },
    });
    expect(r.code).toBe(0);
    const eml = fs.readFileSync(path.join(dir, 'alice.eml'), 'utf8');
    expect(eml).toMatch(/^Subject: Your logins on testhost: 5 logins to confirm$/m);
    const [, text = ''] = eml.split(/^----_NmP-[^\n]*\n/m);
    const body = unqp(text);
    expect(body).toContain('5 logins in the period, by where they came from:');
    expect(body).toMatch(
      /^h0\.example \*\s+3\s+pts\/0, pts\/2, pts\/4\s+Mon 2026-11-02 00:00\s+Mon 2026-11-02 04:00$/m,
    );
    expect(body).toContain('The latest 2:');
    expect(body).toMatch(/^Mon 2026-11-02 03:00 {2}pts\/3 {2}h1\.example/m);
    expect(body).not.toMatch(/^Mon 2026-11-02 02:00 {2}pts\/2/m);
    expect(body).toContain('… and 3 more, earlier (counted above).');
  });
});

describe('tenken logins mail: who gets a report', () => {
  it('skips names without an account, root and system accounts, saying why, unless addresses maps them', async () => {
    const tree = makeTree({
      wtmp: [
        boot('2026-11-01T08:00'),
        login('alice', 'pts/0', '2026-11-02T09:00', '10.0.0.5', 30),
        login('Uhonsha', 'ttyS0', '2026-11-02T09:10', '', 31),
        login('gone', 'pts/1', '2026-11-02T09:20', '10.0.0.6', 32),
        login('root', 'tty1', '2026-11-02T09:30', '', 33),
        login('www-data', 'pts/2', '2026-11-02T09:40', '10.0.0.7', 34),
        login('daemon', 'pts/3', '2026-11-02T09:50', '10.0.0.8', 35),
        // uid 500 with a home under /home and a shell: a person of the old UID_MIN era.
        login('olduser', 'pts/4', '2026-11-02T10:00', '10.0.0.9', 36),
        login('ghost', 'pts/5', '2026-11-02T10:10', '10.0.0.10', 37),
      ],
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    const r = await runLogins(['logins', 'mail', '--dry-run', dir], {
      root: tree,
      now,
      state: tmpState(),
      logins: { mail: { addresses: { ghost: 'ghost@example.org' } } },
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'skipped daemon: a system account (shell /usr/sbin/nologin); set checks.logins.mail.addresses for it to mail it',
      'skipped gone: no account in /etc/passwd (a deleted user, or not a user at all); set checks.logins.mail.addresses for it to mail it',
      "skipped root: uid 0: root's logins are the administrators' own (set checks.logins.mail.addresses for it to mail them)",
      'skipped Uhonsha: no account in /etc/passwd (a deleted user, or not a user at all); set checks.logins.mail.addresses for it to mail it',
      'skipped www-data: a system account (uid 33, below 1000); set checks.logins.mail.addresses for it to mail it',
      `wrote alice <alice@localhost>: ${dir}/alice.eml`,
      `wrote ghost <ghost@example.org>: ${dir}/ghost.eml`,
      `wrote olduser <olduser@localhost>: ${dir}/olduser.eml`,
      '',
    ]);
    expect(fs.readdirSync(dir).sort()).toEqual(['alice.eml', 'ghost.eml', 'olduser.eml']);
  });

  it('does not say there were no logins when there were, all skipped', async () => {
    const tree = makeTree({
      wtmp: [boot('2026-11-01T08:00'), login('Uhonsha', 'ttyS0', '2026-11-02T09:10', '', 31)],
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    const r = await runLogins(['logins', 'mail', '--dry-run', dir], { root: tree, now, state: tmpState() });
    expect(r.stdout).toBe(
      'skipped Uhonsha: no account in /etc/passwd (a deleted user, or not a user at all); set checks.logins.mail.addresses for it to mail it\n',
    );
  });

  it('mails root when addresses maps it, and names without an account when requireAccount is off', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    const tree = makeTree({
      wtmp: [
        boot('2026-11-01T08:00'),
        login('root', 'tty1', '2026-11-02T09:30', '', 33),
        login('ldapuser', 'pts/1', '2026-11-02T09:40', '10.0.0.6', 34),
      ],
    });
    const r = await runLogins(['logins', 'mail', '--dry-run', dir], {
      root: tree,
      now,
      state: tmpState(),
      logins: { mail: { addresses: { root: 'admins@example.org' }, requireAccount: false } },
    });
    expect(r.stdout).toBe(
      `wrote ldapuser <ldapuser@localhost>: ${dir}/ldapuser.eml\nwrote root <admins@example.org>: ${dir}/root.eml\n`,
    );
  });
});

describe('tenken logins mail --dry-run file names', () => {
  it('gives users whose names differ only in punctuation files of their own', async () => {
    const tree = makeTree({
      wtmp: [
        boot('2026-11-01T08:00'),
        login('.x', 'pts/0', '2026-11-02T09:00', 'dot.example', 20),
        login('_x', 'pts/1', '2026-11-02T10:00', 'under.example', 21),
      ],
      passwd: `${PASSWD}.x:x:1010:1010::/home/.x:/bin/bash\n_x:x:1011:1011::/home/_x:/bin/bash\n`,
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    const r = await runLogins(['logins', 'mail', '--dry-run', dir], { root: tree, now, state: tmpState() });
    expect(r.stdout).toBe(
      `wrote _x <_x@localhost>: ${dir}/_x.eml\nwrote .x <.x@localhost>: ${dir}/%2Ex.eml\n`,
    );
    expect(fs.readdirSync(dir).sort()).toEqual(['%2Ex.eml', '_x.eml']);
    expect(fs.readFileSync(path.join(dir, '%2Ex.eml'), 'utf8')).toMatch(/^Logins of \.x on /m);
    expect(fs.readFileSync(path.join(dir, '_x.eml'), 'utf8')).toMatch(/^Logins of _x on /m);
  });

  it('names files injectively: kept characters, %XX for the rest', () => {
    expect(['joe', 'j.doe', '.x', '_x', '%2Ex', 'jürgen', 'a/b', '..'].map(emlName)).toEqual([
      'joe',
      'j.doe',
      '%2Ex',
      '_x',
      '%252Ex',
      'j%C3%BCrgen',
      'a%2Fb',
      '%2E.',
    ]);
  });
});

describe('tenken logins mail --dry-run refusals', () => {
  it('refuses to write through a symlink planted at USER.eml and leaves its target alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    const victim = path.join(dir, 'precious');
    fs.writeFileSync(victim, 'precious');
    fs.symlinkSync(victim, path.join(dir, 'bob.eml'));
    const r = await runLogins(['logins', 'mail', '--user', 'bob', '--dry-run', dir], {
      root,
      now,
      state: tmpState(),
    });
    expect(r.stderr).toBe(
      `tenken: Cannot write ${dir}/bob.eml: it is a symbolic link (refusing to follow it)\n`,
    );
    expect(r.code).toBe(3);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious');
    expect(fs.lstatSync(path.join(dir, 'bob.eml')).isSymbolicLink()).toBe(true);
  });

  it('says in one line that the disk is full, and leaves no partial file', async () => {
    // A 64 KiB tmpfs filled up (the tests run as root, as CI does; mounting needs it).
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    try {
      try {
        fs.writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(1 << 20));
      } catch {
        // ENOSPC once full
      }
      const r = await runLogins(['logins', 'mail', '--user', 'bob', '--dry-run', mnt], {
        root,
        now,
        state: tmpState(),
      });
      expect(r.stderr).toBe(`tenken: Cannot write ${mnt}/bob.eml: no space left on device\n`);
      expect(r.code).toBe(3);
      expect(fs.readdirSync(mnt)).toEqual(['filler']);
    } finally {
      execFileSync('umount', [mnt]);
      fs.rmSync(mnt, { recursive: true, force: true });
    }
  });
});

describe('tenken logins mail failures', () => {
  const servers: net.Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });

  async function listen(onConnection: (sock: net.Socket) => void): Promise<number> {
    const server = net.createServer(onConnection);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  }

  it('says in one line that the server refused the connection, and sends nothing more', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await runLogins(['logins', 'mail'], {
      root,
      now,
      state: tmpState(),
      logins: {
        mail: { transport: `smtp://127.0.0.1:${port}`, timeoutSeconds: 5 },
      },
    });
    expect(r.code).toBe(3);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `tenken: Cannot send the login report of alice to alice@localhost via smtp://127.0.0.1:${port}: connection refused`,
    );
    expect(lines.slice(1)).toEqual([
      `tenken: Cannot send the login report of bob to bob@localhost via smtp://127.0.0.1:${port}: not sent: connection refused`,
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("masks the transport's password in the failure lines", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await runLogins(['logins', 'mail', '--user', 'bob'], {
      root,
      now,
      state: tmpState(),
      logins: {
        mail: { transport: `smtp://mailer:S3cretPass@127.0.0.1:${port}`, timeoutSeconds: 5 },
      },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `tenken: Cannot send the login report of bob to bob@localhost via smtp://mailer:***@127.0.0.1:${port}: connection refused\n`,
    );
    expect(r.stderr + r.stdout).not.toContain('S3cretPass');
  });

  it('gives up on a server that never greets, at the deadline', async () => {
    const held: net.Socket[] = [];
    const port = await listen((sock) => {
      held.push(sock);
    });
    const started = Date.now();
    const r = await runLogins(['logins', 'mail', '--user', 'bob'], {
      root,
      now,
      state: tmpState(),
      logins: {
        mail: { transport: `smtp://127.0.0.1:${port}`, timeoutSeconds: 1 },
      },
    });
    for (const s of held) s.destroy();
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `tenken: Cannot send the login report of bob to bob@localhost via smtp://127.0.0.1:${port}: timed out\n`,
    );
  });
});

describe('tenken logins mail through a sendmail binary', () => {
  /** Whether a process is gone (or a zombie waiting for whoever inherited it to reap it). */
  function gone(pid: number): boolean {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    } catch {
      return true;
    }
  }

  it('hands the message to the binary with -i -f FROM TO on its stdin', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-sendmail-'));
    const bin = path.join(dir, 'sendmail');
    fs.writeFileSync(bin, `#!/bin/sh\necho "$@" > ${dir}/args\ncat > ${dir}/message\n`, { mode: 0o755 });
    const r = await runLogins(['logins', 'mail', '--user', 'bob'], {
      root,
      now,
      state: tmpState(),
      logins: { mail: { transport: bin, from: 'audit@example.org', timeoutSeconds: 5 } },
    });
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', 'sent bob <bob@localhost>\n']);
    expect(fs.readFileSync(path.join(dir, 'args'), 'utf8')).toBe('-i -f audit@example.org bob@localhost\n');
    expect(fs.readFileSync(path.join(dir, 'message'), 'utf8')).toMatch(
      /^Subject: Your logins on testhost: /m,
    );
  });

  it('says the first line of what a failing binary wrote on stderr', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-sendmail-'));
    const bin = path.join(dir, 'sendmail');
    fs.writeFileSync(
      bin,
      '#!/bin/sh\ncat >/dev/null\necho >&2\necho "sendmail: fatal: bob@localhost: no such user" >&2\necho "second line" >&2\nexit 67\n',
      { mode: 0o755 },
    );
    const r = await runLogins(['logins', 'mail', '--user', 'bob'], {
      root,
      now,
      state: tmpState(),
      logins: { mail: { transport: bin, timeoutSeconds: 5 } },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `tenken: Cannot send the login report of bob to bob@localhost via ${bin}: exited with code 67: sendmail: fatal: bob@localhost: no such user\n`,
    );
  });

  it('kills the binary and everything it started at the deadline, and says it timed out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-sendmail-'));
    const bin = path.join(dir, 'sendmail');
    const pids = path.join(dir, 'pids');
    // Reads the message, then hangs in a child of its own (as a stuck queue runner would).
    fs.writeFileSync(bin, `#!/bin/sh\ncat >/dev/null\nsleep 1000 &\necho $$ $! > ${pids}\nwait\n`, {
      mode: 0o755,
    });
    const started = Date.now();
    const r = await runLogins(['logins', 'mail', '--user', 'bob'], {
      root,
      now,
      state: tmpState(),
      logins: { mail: { transport: bin, timeoutSeconds: 1 } },
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `tenken: Cannot send the login report of bob to bob@localhost via ${bin}: timed out\n`,
    );
    const [shell, sleeper] = fs.readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    for (let i = 0; i < 100 && !(gone(shell as number) && gone(sleeper as number)); i++)
      await new Promise((res) => setTimeout(res, 10));
    expect([gone(shell as number), gone(sleeper as number)]).toEqual([true, true]);
  });
});

// The real MTA of test/services (postfix delivering into a Maildir), started by the globalSetup in
// vitest.config.ts for every run that selects this file.
describe('tenken logins mail through a real postfix', () => {
  it('delivers the report with its text and HTML parts', async () => {
    // Fails with the daemon's reason when postfix is not up: never skipped.
    const info = need('postfix');
    const to = `${info.fixture.mailUser}@${info.fixture.mailDomain}`;
    const r = await runLogins(['logins', 'mail', '--user', 'alice'], {
      root,
      now,
      state: tmpState(),
      logins: {
        mail: {
          transport: `smtp://127.0.0.1:${info.ports.smtp}`,
          addresses: { alice: to },
          timeoutSeconds: 10,
        },
      },
    });
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', `sent alice <${to}>\n`]);
    const box = path.join(info.mailDir, info.fixture.mailUser, 'new');
    let found = '';
    for (let i = 0; i < 100 && !found; i++) {
      for (const f of fs.existsSync(box) ? fs.readdirSync(box) : []) {
        const text = fs.readFileSync(path.join(box, f), 'utf8');
        if (text.includes('Subject: Your logins on testhost: 2 logins to confirm')) found = text;
      }
      if (!found) await new Promise((res) => setTimeout(res, 100));
    }
    expect(found).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(unqp(found)).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});

describe('SMTP credentials and TLS', () => {
  const base = { timeoutSeconds: 5, allowCleartextAuth: false };

  it('requires STARTTLS when the URL has a password and the server is not this machine', () => {
    const opts = (transport: string, more: Partial<typeof base> = {}) =>
      smtpOptions({ ...base, ...more, transport });
    expect(opts('smtp://mailer:S3cret@mx.example.org:587').requireTLS).toBe(true);
    expect(opts('smtp://mailer:S3cret@192.0.2.7').requireTLS).toBe(true);
    // This machine: a loopback link cannot be overheard.
    expect(opts('smtp://mailer:S3cret@127.0.0.1:25').requireTLS).toBe(false);
    expect(opts('smtp://mailer:S3cret@[::1]:25').requireTLS).toBe(false);
    expect(opts('smtp://mailer:S3cret@LOCALHOST:25').requireTLS).toBe(false);
    // No password to protect; TLS from the start; clear text allowed explicitly.
    expect(opts('smtp://mx.example.org').requireTLS).toBe(false);
    expect(opts('smtps://mailer:S3cret@mx.example.org').requireTLS).toBe(false);
    expect(opts('smtp://mailer:S3cret@mx.example.org', { allowCleartextAuth: true }).requireTLS).toBe(false);
  });

  it('sends to a non-ASCII local part with SMTPUTF8 when offered, and refuses it in one line when not', async () => {
    expect(['山田@例え.jp', 'yamada@例え.jp', 'yamada@example.jp'].map(needsSmtpUtf8)).toEqual([
      true,
      false,
      false,
    ]);
    /** A fake SMTP server: EHLO lists SMTPUTF8 when `utf8`; the commands it got (UTF-8). */
    async function fake(utf8: boolean): Promise<{ port: number; lines: string[]; close: () => void }> {
      const lines: string[] = [];
      const server = net.createServer((sock) => {
        sock.write('220 fake ESMTP\r\n');
        let buf = Buffer.alloc(0);
        let data = false;
        sock.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk]);
          for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
            const line = buf.subarray(0, i).toString('utf8');
            buf = buf.subarray(i + 2);
            if (data) {
              if (line === '.') {
                data = false;
                sock.write('250 queued\r\n');
              }
              continue;
            }
            lines.push(line);
            if (/^EHLO/i.test(line))
              sock.write(`250-fake\r\n${utf8 ? '250-SMTPUTF8\r\n' : ''}250 8BITMIME\r\n`);
            else if (/^DATA/i.test(line)) {
              data = true;
              sock.write('354 go\r\n');
            } else if (/^QUIT/i.test(line)) sock.end('221 bye\r\n');
            else sock.write('250 ok\r\n');
          }
        });
        sock.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { port: (server.address() as net.AddressInfo).port, lines, close: () => server.close() };
    }
    const mail = { from: 'tenken@example.jp', to: '山田@例え.jp', subject: 's', text: 't', html: '<p>t</p>' };
    for (const utf8 of [true, false]) {
      const srv = await fake(utf8);
      const transport = smtpTransport(smtpOptions({ ...base, transport: `smtp://127.0.0.1:${srv.port}` }));
      try {
        const err = await transport.sendMail(mail).then(
          () => null,
          (e: unknown) => e,
        );
        if (utf8) {
          expect(err).toBeNull();
          expect(srv.lines.find((l) => l.startsWith('MAIL FROM'))).toMatch(/ SMTPUTF8\b/);
          expect(srv.lines).toContain('RCPT TO:<山田@例え.jp>');
        } else {
          expect(sendFailure(err)).toBe(
            'the server does not offer SMTPUTF8, which the address 山田@例え.jp needs (a non-ASCII local part): not sent',
          );
          expect(srv.lines.some((l) => /^(MAIL|RCPT)/.test(l))).toBe(false);
        }
      } finally {
        transport.close();
        srv.close();
      }
    }
  });

  it('sends no password to a server that offers no STARTTLS, and says why in one line', async () => {
    const commands: string[] = [];
    const server = net.createServer((sock) => {
      sock.write('220 fake ESMTP\r\n');
      let buf = '';
      sock.on('data', (chunk) => {
        buf += chunk.toString('latin1');
        for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          commands.push(line.split(' ')[0]?.toUpperCase() ?? '');
          if (/^EHLO/i.test(line)) sock.write('250-fake\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n');
          else if (/^STARTTLS/i.test(line)) sock.write('502 5.5.1 STARTTLS not implemented\r\n');
          else if (/^AUTH/i.test(line)) sock.write('235 2.7.0 ok\r\n');
          else if (/^QUIT/i.test(line)) sock.end('221 bye\r\n');
          else sock.write('250 ok\r\n');
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      // The options of a remote server, pointed at the listener here.
      const opts = smtpOptions({ ...base, transport: 'smtp://mailer:S3cret@mx.example.org:25' });
      const transport = nodemailer.createTransport({ ...opts, host: '127.0.0.1', port });
      const err = await transport
        .sendMail({ from: 'a@example.org', to: 'b@example.org', subject: 's', text: 't' })
        .then(
          () => null,
          (e: unknown) => e,
        );
      transport.close();
      expect(err).not.toBeNull();
      expect(sendFailure(err)).toBe(
        "the server offers no STARTTLS (502 5.5.1 STARTTLS not implemented), and the transport's password is not sent in clear (checks.logins.mail.allowCleartextAuth: true would send it)",
      );
      expect(commands).not.toContain('AUTH');
    } finally {
      server.close();
    }
  });
});

describe('tenken logins mail is incremental', () => {
  /** A sendmail that keeps each message as DIR/<recipient>.<n>.eml, and refuses recipients matching `refuse`. */
  function recorder(refuse = '^$'): { bin: string; got: () => Record<string, string[]> } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-sendmail-'));
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const bin = path.join(dir, 'sendmail');
    fs.writeFileSync(
      bin,
      [
        '#!/bin/sh',
        'for a; do to=$a; done',
        `if echo "$to" | grep -Eq '${refuse}'; then cat >/dev/null; echo "$to: mailbox unavailable" >&2; exit 75; fi`,
        `n=$(ls ${out} | wc -l)`,
        `cat > ${out}/$to.$n.eml`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    return {
      bin,
      got() {
        const by: Record<string, string[]> = {};
        for (const f of fs
          .readdirSync(out)
          .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]))) {
          const user = f.split('@')[0] as string;
          const [, text = ''] = fs.readFileSync(path.join(out, f), 'utf8').split(/^----_NmP-[^\n]*\n/m);
          (by[user] ??= []).push(
            ...unqp(text)
              .split('\n')
              .filter((l) => /^\w{3} \d{4}-\d\d-\d\d \d\d:\d\d {2}/.test(l))
              .map((l) => l.slice(4, 20)),
          );
        }
        return by;
      },
    };
  }

  const tree = makeTree({
    wtmp: [
      boot('2026-09-01T08:00'),
      login('alice', 'pts/0', '2026-09-10T09:00', '10.0.0.5', 50),
      // Between the first run (Oct 1 00:00) and the 30 days before the second (Nov 1 00:00 - 30d = Oct 2):
      // a monthly run with a fixed 30-day period never mailed it.
      login('alice', 'pts/1', '2026-10-01T12:00', '10.0.0.5', 51),
      login('bob', 'pts/2', '2026-10-20T12:00', '10.0.0.6', 52),
      login('alice', 'pts/3', '2026-10-25T12:00', '10.0.0.5', 53),
    ],
  });
  const at = (iso: string): Date => new Date(`${iso}Z`);

  it('starts each user where their last accepted mail ended: the 31st day is mailed once', async () => {
    const rec = recorder();
    const st = tmpState();
    const run = (when: string) =>
      runLogins(['logins', 'mail'], {
        root: tree,
        now: at(when),
        state: st,
        logins: { mail: { transport: rec.bin, timeoutSeconds: 5 } },
      });
    expect((await run('2026-10-01T00:00')).stdout).toBe('sent alice <alice@localhost>\n');
    expect(rec.got()).toEqual({ alice: ['2026-09-10 09:00'] });
    const second = await run('2026-11-01T00:00');
    expect([second.code, second.stdout]).toEqual([
      0,
      'sent alice <alice@localhost>\nsent bob <bob@localhost>\n',
    ]);
    expect(rec.got()).toEqual({
      alice: ['2026-09-10 09:00', '2026-10-01 12:00', '2026-10-25 12:00'],
      bob: ['2026-10-20 12:00'],
    });
    // A run a week later (cron weekly) sends nothing again.
    const third = await run('2026-11-08T00:00');
    expect(third.stdout).toBe('no logins to report in the period\n');
    const saved = JSON.parse(fs.readFileSync(path.join(stateDirFor(st, tree), 'logins-mail.json'), 'utf8'));
    expect(saved).toEqual({ v: 1, marks: { alice: t('2026-11-01T00:00'), bob: t('2026-11-01T00:00') } });
  });

  it('moves only the marks of accepted mails: a run that failed for one user resends to that user alone', async () => {
    const rec = recorder('^bob@');
    const st = tmpState();
    const opts = { root: tree, state: st, logins: { mail: { transport: rec.bin, timeoutSeconds: 5 } } };
    const first = await runLogins(['logins', 'mail'], { ...opts, now: at('2026-11-01T00:00') });
    expect(first.code).toBe(3);
    expect(first.stderr).toBe(
      `tenken: Cannot send the login report of bob to bob@localhost via ${rec.bin}: exited with code 75: bob@localhost: mailbox unavailable\n`,
    );
    // bob's mailbox is back: the next run mails bob his period, and alice nothing again.
    fs.writeFileSync(
      rec.bin,
      fs.readFileSync(rec.bin, 'utf8').replace("'^bob@'", () => "'^$'"),
    );
    const second = await runLogins(['logins', 'mail'], { ...opts, now: at('2026-11-01T06:00') });
    expect([second.code, second.stdout, second.stderr]).toEqual([0, 'sent bob <bob@localhost>\n', '']);
    expect(rec.got()).toEqual({ alice: ['2026-10-25 12:00'], bob: ['2026-10-20 12:00'] });
  });

  it('moves no mark on --dry-run or --since', async () => {
    const rec = recorder();
    const st = tmpState();
    const opts = { root: tree, state: st, logins: { mail: { transport: rec.bin, timeoutSeconds: 5 } } };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    await runLogins(['logins', 'mail', '--dry-run', dir], { ...opts, now: at('2026-11-01T00:00') });
    const since = await runLogins(['logins', 'mail', '--since', '2026-10-24', '--user', 'alice'], {
      ...opts,
      now: at('2026-11-01T00:00'),
    });
    expect(since.stdout).toBe('sent alice <alice@localhost>\n');
    expect(fs.existsSync(path.join(stateDirFor(st, tree), 'logins-mail.json'))).toBe(false);
    // The regular run still mails the whole period (reportSince: 30 days).
    await runLogins(['logins', 'mail'], { ...opts, now: at('2026-11-01T00:00') });
    expect(rec.got()).toEqual({ alice: ['2026-10-25 12:00', '2026-10-25 12:00'], bob: ['2026-10-20 12:00'] });
  });

  it('takes the run lock, as check does (a dry run needs none)', async () => {
    const st = tmpState();
    const dir = stateDirFor(st, tree);
    fs.mkdirSync(dir, { recursive: true });
    // Held by a live process: this one.
    fs.writeFileSync(path.join(dir, 'lock'), `${lockLine(process.pid)}\n`);
    const rec = recorder();
    const opts = {
      root: tree,
      state: st,
      now: at('2026-11-01T00:00'),
      logins: { mail: { transport: rec.bin } },
    };
    const r = await runLogins(['logins', 'mail', '--wait', '0'], opts);
    expect([r.code, r.stdout]).toEqual([3, '']);
    expect(r.stderr).toBe(
      `tenken: Another tenken run holds ${dir}/lock: pid ${process.pid} is still running\n`,
    );
    expect(rec.got()).toEqual({});
    const eml = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    expect((await runLogins(['logins', 'mail', '--dry-run', eml], opts)).code).toBe(0);
  });
});

describe('tenken logins mail marks that cannot be used', () => {
  const tree = makeTree({
    wtmp: [
      boot('2026-10-01T08:00'),
      login('alice', 'pts/1', '2026-10-20T12:00', '10.0.0.5', 51),
      login('bob', 'pts/2', '2026-10-21T12:00', '10.0.0.6', 52),
    ],
  });
  const now = new Date('2026-11-01T00:00:00Z');

  it('stops sending when a mark cannot be saved, and says the period will be mailed again', async () => {
    const st = tmpState();
    const file = path.join(stateDirFor(st, tree), 'logins-mail.json');
    fs.mkdirSync(file, { recursive: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-sendmail-'));
    const bin = path.join(dir, 'sendmail');
    fs.writeFileSync(bin, '#!/bin/sh\ncat >/dev/null\n', { mode: 0o755 });
    const r = await runLogins(['logins', 'mail'], {
      root: tree,
      now,
      state: st,
      logins: { mail: { transport: bin, timeoutSeconds: 5 } },
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('sent alice <alice@localhost>\n');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^tenken: State file ${file}: unreadable: .*; mailing from checks\\.logins\\.reportSince$`),
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^tenken: Cannot send the login report of bob to bob@localhost via ${bin}: not sent: Cannot write ${file}: `,
      ),
    );
    expect(lines[2]).toMatch(
      new RegExp(
        `^tenken: Cannot save where the mail of alice ended: Cannot write ${file}: .*; the next run mails that period again$`,
      ),
    );
    expect(lines).toHaveLength(3);
  });

  it('does not trust a mark after now (the clock went back): that user is mailed from reportSince', async () => {
    const st = tmpState();
    const dir = stateDirFor(st, tree);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'logins-mail.json'),
      JSON.stringify({ v: 1, marks: { alice: t('2026-12-01T00:00') } }),
    );
    const eml = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-eml-'));
    const r = await runLogins(['logins', 'mail', '--dry-run', eml, '--user', 'alice'], {
      root: tree,
      now,
      state: st,
    });
    expect(r.stderr).toBe(
      'tenken: the last mail of alice ended at 2026-12-01T00:00:00.000Z, after now (the clock went back?): mailing from checks.logins.reportSince\n',
    );
    expect(r.stdout).toBe(`wrote alice <alice@localhost>: ${eml}/alice.eml\n`);
  });
});
