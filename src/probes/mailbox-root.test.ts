/*
 * The round trip's mailbox work as root, against a mailbox owner who swaps directories for links, plants links,
 * hard links, FIFOs and devices, or files of another user. The races are won deterministically: the attacker
 * acts inside the first unlink() the probe makes of a message (node:fs/promises is wrapped), the very moment a
 * real attacker aims at, between the probe's look at the message and its removal.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  chmod,
  chown,
  lchown,
  link,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Daemon, Ports } from '../../test/services/daemons.ts';
import { need, privateDaemon } from '../../test/services/index.ts';
import { roundtripMessage } from './smtp.ts';
import { lines, probe } from './testing.ts';

/** What the mailbox's owner does just before the probe's next unlink() of a Maildir message (once). */
const attacker = vi.hoisted(() => ({
  beforeUnlink: null as null | ((file: string) => Promise<void>),
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const unlink = async (file: Parameters<typeof real.unlink>[0]): Promise<void> => {
    const act = attacker.beforeUnlink;
    if (act !== null && /^\d+\./.test(path.basename(String(file)))) {
      attacker.beforeUnlink = null;
      await act(String(file));
    }
    return real.unlink(file);
  };
  return { ...real, unlink, default: { ...real, unlink } };
});

const HOUR = 3_600_000;
const probeFrom = 'tenken@tenken.invalid';
const NOBODY = 65534;
const idOf = (flag: string): number => Number(execFileSync('id', [flag, 'mail'], { encoding: 'utf8' }));
const MAIL = { uid: idOf('-u'), gid: idOf('-g') };

/** An earlier run's test mail, 11 h old: what the sweep removes. */
const oldTestMail = (to: string): string =>
  roundtripMessage({
    from: probeFrom,
    to,
    token: `tenken-${randomUUID()}`,
    date: new Date(Date.now() - 11 * HOUR),
    helo: 'tenken.invalid',
  });

/** The victim: root's file that the mailbox owner wants removed or read. */
const VICTIM = 'root:$y$j9T$secret:19000:0:99999:7:::\n';

// Tests run as root here, as tenken does from cron: the probe's mistakes would really remove root's files.
describe.runIf(process.geteuid?.() === 0)(
  'the round trip in a Maildir or mbox owned by a user, as root',
  () => {
    let daemon: Daemon;
    let ports: Ports;
    let maildir: string;
    let ca: string;
    let to: string;
    let etc: string;
    beforeAll(async () => {
      const s = need('postfix', 'dovecot');
      ca = s.certs.ca;
      to = `${s.fixture.mailUser}@${s.fixture.mailDomain}`;
      let mailDir: string;
      ({ daemon, ports, mailDir } = await privateDaemon('mail', { mailPenalty: false }));
      maildir = path.join(mailDir, s.fixture.mailUser);
    });
    afterAll(async () => {
      await daemon?.stop();
    });
    beforeEach(async () => {
      attacker.beforeUnlink = null;
      // A fresh Maildir of the `mail` user (postfix delivers as it), and root's directory of victims. A test
      // whose probe refused the box leaves its test mail in postfix's queue: delivered while this removes the
      // box, it makes rmdir fail (ENOTEMPTY), so the removal is tried again.
      await rm(maildir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      for (const d of ['', 'new', 'cur', 'tmp']) {
        await mkdir(path.join(maildir, d), { recursive: true, mode: 0o700 });
        await chown(path.join(maildir, d), MAIL.uid, MAIL.gid);
      }
      etc = await mkdtemp(path.join(os.tmpdir(), 'tenken-etc-'));
      await chmod(etc, 0o755);
    });
    afterEach(async () => {
      await rm(etc, { recursive: true, force: true });
    });

    const run = (roundtrip: Record<string, unknown>, timeout = 10) =>
      probe({
        url: `smtp://127.0.0.1:${ports.smtp}`,
        ca,
        timeout,
        roundtrip: { to, from: probeFrom, ...roundtrip },
      });

    /** Swaps `dir` of the Maildir for a link (owned by the mailbox's owner) to root's directory. */
    const swap = async (dir: string): Promise<void> => {
      await rename(dir, `${dir}.real`);
      await symlink(etc, dir);
      await lchown(dir, MAIL.uid, MAIL.gid);
    };

    /** A file of the mailbox owner. */
    const userFile = async (file: string, text: string, uid = MAIL.uid): Promise<void> => {
      await writeFile(file, text);
      await chown(file, uid, MAIL.gid);
    };

    it("removes an earlier test mail from the cur/ it read, though cur/ became a link to root's directory just before", async () => {
      const name = '1000000000.M1P1.old';
      await userFile(path.join(maildir, 'cur', name), oldTestMail(to));
      await writeFile(path.join(etc, name), VICTIM);
      attacker.beforeUnlink = () => swap(path.join(maildir, 'cur'));
      const r = await run({ maildir });
      const why = `${r.summary}\n${lines(r).join('\n')}`;
      expect(readFileSync(path.join(etc, name), 'latin1'), why).toBe(VICTIM);
      // The test mail is gone from the directory that was read; the link is refused at the next look.
      expect(await readdir(path.join(maildir, 'cur.real'))).toEqual([]);
      expect(r.details.earlierTestMailsRemoved, why).toBe(1);
      expect(r.status, why).toBe('CRITICAL');
      expect(r.summary).toContain(
        `Cannot read ${maildir}/cur: a symbolic link (never followed inside a mailbox)`,
      );
    });

    it("removes its own test mail from the new/ it read, though new/ became a link to root's directory just before", async () => {
      let victim = '';
      attacker.beforeUnlink = async (file) => {
        // The owner renamed the test mail to a name of root's directory, then swapped new/ for a link to it.
        victim = path.join(etc, path.basename(file));
        await writeFile(victim, VICTIM);
        await swap(path.join(maildir, 'new'));
      };
      const r = await run({ maildir });
      const why = `${r.summary}\n${lines(r).join('\n')}`;
      expect(victim, why).not.toBe('');
      expect(readFileSync(victim, 'latin1'), why).toBe(VICTIM);
      // Only its own test mail is asked about: under load, postfix may deliver a late mail of an earlier
      // test's round trip into this box.
      expect(await readdir(path.join(maildir, 'new.real')), why).not.toContain(path.basename(victim));
      expect(r.status, why).toBe('OK');
      expect(r.summary).toMatch(/round trip delivered in \d+ ms/);
    });

    it('refuses a Maildir whose new/ is a link, before sending the test mail', async () => {
      await rm(path.join(maildir, 'new'), { recursive: true });
      await symlink(etc, path.join(maildir, 'new'));
      await lchown(path.join(maildir, 'new'), MAIL.uid, MAIL.gid);
      const r = await run({ maildir }, 3);
      expect([r.status, r.summary]).toEqual([
        'CRITICAL',
        `Cannot watch the mailbox ${maildir}/new: a symbolic link (never followed inside a mailbox)`,
      ]);
      expect(lines(r).join('\n')).not.toContain('MAIL FROM');
    });

    it('refuses a Maildir whose new/ belongs to another user', async () => {
      await chown(path.join(maildir, 'new'), NOBODY, NOBODY);
      const r = await run({ maildir }, 3);
      expect([r.status, r.summary]).toEqual([
        'CRITICAL',
        `Cannot watch the mailbox ${maildir}/new: owned by nobody (uid ${NOBODY}), not by mail (uid ${MAIL.uid}) who owns ${maildir}`,
      ]);
    });

    it("leaves alone and names a file of cur/ that is a link to root's file", async () => {
      const victim = path.join(etc, 'shadow');
      await writeFile(victim, VICTIM);
      const name = '1000000000.M2P2.link';
      await symlink(victim, path.join(maildir, 'cur', name));
      await lchown(path.join(maildir, 'cur', name), MAIL.uid, MAIL.gid);
      const r = await run({ maildir });
      expect(r.status, r.summary).toBe('WARNING');
      expect(r.summary).toMatch(
        new RegExp(
          `^1 entry of the mailbox left alone \\(not a message file of its owner\\): ${maildir}/cur/${name}: a symbolic link \\(never followed inside a mailbox\\); banner in \\d+ ms, STARTTLS, round trip delivered in \\d+ ms`,
        ),
      );
      expect(readFileSync(victim, 'latin1')).toBe(VICTIM);
      expect(existsSync(path.join(maildir, 'cur', name))).toBe(true);
    });

    it("neither reads nor removes a hard link in cur/ to root's file, even one that looks like a test mail", async () => {
      // root's own old test mail (from its own mailbox), linked into the user's cur/.
      const victim = path.join(etc, 'root-mail');
      await writeFile(victim, oldTestMail(to));
      const name = '1000000000.M3P3.hard';
      await link(victim, path.join(maildir, 'cur', name));
      const r = await run({ maildir });
      expect(r.status, r.summary).toBe('WARNING');
      expect(r.summary).toContain(
        `${maildir}/cur/${name}: owned by root (uid 0), not by mail (uid ${MAIL.uid}) who owns ${maildir}/cur`,
      );
      expect(r.details.earlierTestMailsRemoved).toBeUndefined();
      expect(existsSync(path.join(maildir, 'cur', name))).toBe(true);
    });

    it("leaves another user's test mail in the Maildir alone", async () => {
      const name = '1000000000.M4P4.other';
      await userFile(path.join(maildir, 'cur', name), oldTestMail(to), NOBODY);
      const r = await run({ maildir });
      expect(r.status, r.summary).toBe('WARNING');
      expect(r.summary).toContain(
        `${maildir}/cur/${name}: owned by nobody (uid ${NOBODY}), not by mail (uid ${MAIL.uid}) who owns ${maildir}/cur`,
      );
      expect(r.details.earlierTestMailsRemoved).toBeUndefined();
      expect(existsSync(path.join(maildir, 'cur', name))).toBe(true);
    });

    it('never opens a device among the messages', async () => {
      const name = '1000000000.M5P5.dev';
      execFileSync('mknod', [path.join(maildir, 'new', name), 'c', '1', '3']);
      await chown(path.join(maildir, 'new', name), MAIL.uid, MAIL.gid);
      const r = await run({ maildir });
      expect(r.status, r.summary).toBe('WARNING');
      expect(r.summary).toContain(`${maildir}/new/${name}: a device (not a regular file)`);
      expect(r.summary).toMatch(/round trip delivered in \d+ ms/);
    });

    describe('an mbox', () => {
      let home: string;
      beforeEach(async () => {
        home = path.join(etc, 'home');
        await mkdir(home);
        await chown(home, NOBODY, NOBODY);
      });

      it("refuses an mbox that is a link to root's file, before sending the test mail", async () => {
        const victim = path.join(etc, 'shadow');
        await writeFile(victim, VICTIM);
        await symlink(victim, path.join(home, 'mbox'));
        await lchown(path.join(home, 'mbox'), NOBODY, NOBODY);
        const r = await run({ mbox: path.join(home, 'mbox') }, 3);
        expect([r.status, r.summary]).toEqual([
          'CRITICAL',
          `Cannot watch the mailbox ${home}/mbox: a symbolic link (never followed inside a mailbox)`,
        ]);
        expect(readFileSync(victim, 'latin1')).toBe(VICTIM);
      });

      it("refuses an mbox that is a hard link to root's file", async () => {
        const victim = path.join(etc, 'shadow');
        await writeFile(victim, VICTIM);
        await link(victim, path.join(home, 'mbox'));
        const r = await run({ mbox: path.join(home, 'mbox') }, 3);
        expect([r.status, r.summary]).toEqual([
          'CRITICAL',
          `Cannot watch the mailbox ${home}/mbox: owned by root (uid 0), not by nobody (uid ${NOBODY}) who owns ${home}`,
        ]);
      });

      it('refuses an mbox that is a FIFO at once', async () => {
        execFileSync('mkfifo', [path.join(home, 'mbox')]);
        await chown(path.join(home, 'mbox'), NOBODY, NOBODY);
        const r = await run({ mbox: path.join(home, 'mbox') }, 3);
        expect([r.status, r.summary]).toEqual([
          'CRITICAL',
          `Cannot watch the mailbox ${home}/mbox: a FIFO (not a regular file)`,
        ]);
      });
    });
  },
);
