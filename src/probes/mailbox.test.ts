import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon, Ports } from '../../test/services/daemons.ts';
import { need, privateDaemon } from '../../test/services/index.ts';
import { roundtripMessage } from './smtp.ts';
import { lines, probe } from './testing.ts';

/** Hands `message` to the SMTP server as plain SMTP (loopback is in postfix's mynetworks). */
async function send(port: number, from: string, to: string, message: string): Promise<void> {
  const sock = net.connect(port, '127.0.0.1');
  let got = '';
  sock.on('data', (d: Buffer) => {
    got += d.toString('latin1');
  });
  const reply = async (code: string): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const m = new RegExp(`(^|\\n)${code} [^\\n]*\\n`).exec(got);
      if (m) {
        got = '';
        return;
      }
      await sleep(20);
    }
    throw new Error(`no ${code} from postfix: ${got}`);
  };
  try {
    await reply('220');
    for (const [cmd, code] of [
      ['EHLO tenken.invalid', '250'],
      [`MAIL FROM:<${from}>`, '250'],
      [`RCPT TO:<${to}>`, '250'],
      ['DATA', '354'],
      [`${message.replace(/\r?\n/g, '\r\n')}.`, '250'],
    ] as const) {
      sock.write(`${cmd}\r\n`);
      await reply(code);
    }
    sock.write('QUIT\r\n');
  } finally {
    sock.destroy();
  }
}

const HOUR = 3_600_000;
const probeFrom = 'tenken@tenken.invalid';
const token = (): string => `tenken-${randomUUID()}`;

/**
 * What the mailbox holds before the probe: two test mails of earlier runs, sent 11 h and 10 h ago and
 * delivered only now (a queue that was stuck), one of them in the words of an older version; and what must
 * survive: a person's mail that quotes a test mail, the header in a mail from someone else, and a test mail
 * sent a moment ago (another probe of this run may still be waiting for it).
 */
async function fill(smtpPort: number, to: string): Promise<{ survivors: string[] }> {
  const now = Date.now();
  const old = token();
  const oldVersion = roundtripMessage({
    from: probeFrom,
    to,
    token: old,
    date: new Date(now - 11 * HOUR),
    helo: 'tenken.invalid',
  }).replace(
    /\r\n\r\n[\s\S]*$/,
    `\r\n\r\ntenken sent this message to check that mail is delivered; it is deleted once found.\r\n${old}\r\n`,
  );
  await send(smtpPort, probeFrom, to, oldVersion);
  const t2 = token();
  await send(
    smtpPort,
    probeFrom,
    to,
    roundtripMessage({
      from: probeFrom,
      to,
      token: t2,
      date: new Date(now - 10 * HOUR),
      helo: 'tenken.invalid',
    }),
  );
  const quoted = token();
  await send(
    smtpPort,
    'alice@tenken.test',
    to,
    [
      'From: <alice@tenken.test>',
      `To: <${to}>`,
      'Subject: what are these mails?',
      `Date: ${new Date(now - 12 * HOUR).toUTCString()}`,
      '',
      'I keep getting this one:',
      '',
      roundtripMessage({ from: probeFrom, to, token: quoted, date: new Date(now - 12 * HOUR), helo: 'h' }),
    ].join('\r\n'),
  );
  const foreign = token();
  await send(
    smtpPort,
    'alice@tenken.test',
    to,
    roundtripMessage({
      from: 'alice@tenken.test',
      to,
      token: foreign,
      date: new Date(now - 12 * HOUR),
      helo: 'h',
    }),
  );
  const fresh = token();
  await send(
    smtpPort,
    probeFrom,
    to,
    roundtripMessage({
      from: probeFrom,
      to,
      token: fresh,
      date: new Date(now - 20_000),
      helo: 'tenken.invalid',
    }),
  );
  return { survivors: [quoted, foreign, fresh] };
}

async function files(maildir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['new', 'cur'])
    for (const f of await readdir(path.join(maildir, sub)).catch(() => []))
      out.push(path.join(maildir, sub, f));
  return out;
}

async function delivered(maildir: string, n: number): Promise<void> {
  for (let i = 0; i < 300 && (await files(maildir)).length < n; i++) await sleep(50);
  expect((await files(maildir)).length).toBe(n);
}

async function contents(maildir: string): Promise<string> {
  return (await Promise.all((await files(maildir)).map((f) => readFile(f, 'latin1')))).join('\n----\n');
}

// A private postfix + dovecot: the shared mailbox gets other tests' test mails meanwhile.
describe("the SMTP round trip removes earlier runs' test mails, and nothing else", () => {
  let daemon: Daemon;
  let ports: Ports;
  let maildir: string;
  let ca: string;
  let user: string;
  let password: string;
  let to: string;
  beforeAll(async () => {
    const s = need('postfix', 'dovecot');
    ca = s.certs.ca;
    user = s.fixture.mailUser;
    password = s.fixture.mailPassword;
    to = `${user}@${s.fixture.mailDomain}`;
    let mailDir: string;
    ({ daemon, ports, mailDir } = await privateDaemon('mail', { mailPenalty: false }));
    maildir = path.join(mailDir, user);
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  const cases: [string, () => Record<string, unknown>, RegExp][] = [
    [
      'Maildir',
      () => ({ maildir }),
      /^2 test mails of earlier runs arrived late \(the oldest sent \d{4}-\d\d-\d\d \d\d:\d\d UTC, 11 h ago; delivered up to 11 h after sending\): delivery was delayed; removed; /,
    ],
    [
      'IMAP',
      () => ({ fetch: `imap://${user}:${password}@127.0.0.1:${ports.imap}` }),
      /^2 test mails of earlier runs arrived late \(the oldest sent .*, 11 h ago; delivered up to 11 h after sending\): delivery was delayed; removed; /,
    ],
    [
      'POP3',
      () => ({ fetch: `pop3://${user}:${password}@127.0.0.1:${ports.pop3}` }),
      /, 2 test mails of earlier runs removed from the mailbox \(the oldest sent .*, 11 h ago\)/,
    ],
  ];
  for (const [name, where, said] of cases) {
    it(`over ${name}: says the late ones once and removes them with its own`, async () => {
      for (const f of await files(maildir)) await rm(f);
      const { survivors } = await fill(ports.smtp, to);
      await delivered(maildir, 5);
      const r = await probe({
        url: `smtp://127.0.0.1:${ports.smtp}`,
        ca,
        timeout: 20,
        roundtrip: { to, from: probeFrom, ...where() },
      });
      const why = `${r.summary}\n${lines(r).join('\n')}`;
      expect(r.summary, why).toMatch(said);
      expect(r.status, why).toBe(name === 'POP3' ? 'OK' : 'WARNING');
      expect(r.details.earlierTestMailsRemoved).toBe(2);
      // Left: the person's mail quoting a test mail, the header in someone else's mail, the fresh one.
      const left = await contents(maildir);
      expect((await files(maildir)).length, left).toBe(3);
      for (const t of survivors) expect(left).toContain(t);
      expect(left).not.toContain(String(r.details.token));
      // The next run has nothing more to say.
      const again = await probe({
        url: `smtp://127.0.0.1:${ports.smtp}`,
        ca,
        timeout: 20,
        roundtrip: { to, from: probeFrom, ...where() },
      });
      expect([again.status, again.summary]).toEqual([
        'OK',
        expect.stringMatching(/^banner in \d+ ms, STARTTLS, round trip delivered in \d+ ms, certificate/),
      ]);
      expect((await files(maildir)).length).toBe(3);
    });
  }

  it("over IMAP: expunges only the test mails, not the messages a person's client marked deleted", async () => {
    for (const f of await files(maildir)) await rm(f);
    await send(
      ports.smtp,
      'alice@tenken.test',
      to,
      'From: <alice@tenken.test>\r\nSubject: keep me\r\n\r\nhi\r\n',
    );
    await delivered(maildir, 1);
    // A mail client that marks messages deleted and expunges them later (or never: "undo").
    const c = net.connect(ports.imap, '127.0.0.1');
    let got = '';
    c.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    const cmd = async (tag: string, text: string): Promise<void> => {
      c.write(`${tag} ${text}\r\n`);
      for (let i = 0; i < 200 && !new RegExp(`^${tag} OK`, 'm').test(got); i++) await sleep(20);
      expect(got).toMatch(new RegExp(`^${tag} OK`, 'm'));
    };
    await cmd('a1', `LOGIN ${user} ${password}`);
    await cmd('a2', 'SELECT INBOX');
    await cmd('a3', 'STORE 1 +FLAGS (\\Deleted)');
    await cmd('a4', 'LOGOUT');
    c.destroy();
    const r = await probe({
      url: `smtp://127.0.0.1:${ports.smtp}`,
      ca,
      timeout: 20,
      roundtrip: { to, from: probeFrom, fetch: `imap://${user}:${password}@127.0.0.1:${ports.imap}` },
    });
    expect(r.status, r.summary).toBe('OK');
    expect(await contents(maildir)).toContain('Subject: keep me');
  });

  it('is not held up by a FIFO that the mailbox owner put among the messages, and names it', async () => {
    for (const f of await files(maildir)) await rm(f);
    const fifo = path.join(maildir, 'new', '9999999999.M1P1.fifo');
    await mkdir(path.dirname(fifo), { recursive: true });
    execFileSync('mkfifo', [fifo]);
    try {
      const r = await probe({
        url: `smtp://127.0.0.1:${ports.smtp}`,
        ca,
        timeout: 5,
        roundtrip: { to, from: probeFrom, maildir },
      });
      expect(r.status, r.summary).toBe('WARNING');
      expect(r.summary).toMatch(
        new RegExp(
          `^1 entry of the mailbox left alone \\(not a message file of its owner\\): ${fifo}: a FIFO \\(not a regular file\\); banner in \\d+ ms, STARTTLS, round trip delivered in \\d+ ms`,
        ),
      );
    } finally {
      // A reader blocked on it (the old code) is let go, so the test's process can end.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no reader: nothing blocked
      }
      await rm(fifo);
    }
  });

  it('keeps every test mail when told to keep them, and says so in the mail', async () => {
    for (const f of await files(maildir)) await rm(f);
    await fill(ports.smtp, to);
    await delivered(maildir, 5);
    const r = await probe({
      url: `smtp://127.0.0.1:${ports.smtp}`,
      ca,
      timeout: 20,
      roundtrip: { to, from: probeFrom, maildir, keep: true },
    });
    expect(r.status, r.summary).toBe('OK');
    expect((await files(maildir)).length).toBe(6);
    expect(await contents(maildir)).toContain(
      'The probe is set to keep its test mails (roundtrip keep: true)',
    );
  });
});
