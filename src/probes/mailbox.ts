import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe } from '../core/errors.ts';
import { hostPath } from '../core/host.ts';
import { clip, terminalSafe } from '../core/sanitize.ts';
import { imapTake } from './imap.ts';
import { isEntry, MailboxRefusal, MailDirectory, type MailEntry, type Skipped } from './mailfs.ts';
import { pop3Take } from './pop3.ts';
import type { ProbeSpec } from './spec.ts';
import { EARLIER_MIN_AGE_MS, type RemovedTestMail, type TestMail, testMailOf } from './testmail.ts';
import { type ProbeRun, ProbeFailure } from './types.ts';

type Roundtrip = NonNullable<ProbeSpec['roundtrip']>;

/** Looks once for the message carrying `token`; returns where it was found, or null. */
type Look = (token: string) => Promise<string | null>;

/** Bytes of a message file searched for the token (it is in the headers and the first body lines). */
const HEAD_BYTES = 64 * 1024;

/** Bytes of an older Maildir message read to tell whether it is an earlier run's test mail. */
const SWEEP_HEAD_BYTES = 8 * 1024;

/** Newest messages of new/ and of cur/ looked at for earlier runs' test mails (a mailbox may hold 100k). */
export const SWEEP_NEWEST = 500;

/** How many entries left alone are named in the warning (the rest are counted). */
const LEFT_NAMED = 3;

/** Who the test mails are from and to: only those are ever taken for tenken's own. */
export interface Owner {
  from: string;
  to: string;
}

/** What the looks of one round trip share: the judge of a message, and the earlier test mails removed. */
class Sweep {
  readonly removedMails = new Map<string, RemovedTestMail>();
  readonly #p: ProbeRun;
  readonly #owner: Owner;
  readonly #keep: boolean;
  constructor(p: ProbeRun, owner: Owner, keep: boolean) {
    this.#p = p;
    this.#owner = owner;
    this.#keep = keep;
  }

  /** `own` for the message holding `token`, an earlier run's test mail old enough to be over, or null. */
  judge(text: string, token: string | null): 'own' | TestMail | null {
    if (token !== null && text.includes(token)) return 'own';
    if (this.#keep) return null;
    const mail = testMailOf(text, this.#owner);
    if (mail === null || mail.token === token) return null;
    return this.#p.now().getTime() - mail.sent.getTime() > EARLIER_MIN_AGE_MS ? mail : null;
  }

  removed(mail: TestMail, delivered: Date | null): void {
    this.removedMails.set(mail.token, { ...mail, delivered });
  }

  /** Entries of the mailbox left alone (host path → why), in the order met. */
  readonly #left = new Map<string, string>();

  /** Notes an entry of `dir` that is not a message file of its owner: left alone, and said. */
  left(dir: MailDirectory, s: Skipped): void {
    const at = `${dir.shown}/${s.name}`;
    if (!this.#left.has(at)) this.#left.set(at, s.why);
  }

  /**
   * One line about the entries left alone, or null: `2 entries of the mailbox left alone (not message files
   * of its owner): /srv/mail/box/cur/x: a symbolic link (...); ...`, the first LEFT_NAMED named. Their names
   * are the mailbox owner's text: control characters escaped, long names clipped.
   */
  leftText(): string | null {
    const n = this.#left.size;
    if (n === 0) return null;
    const named = [...this.#left]
      .slice(0, LEFT_NAMED)
      .map(([at, why]) => `${terminalSafe(clip(at, 160))}: ${why}`);
    if (n > LEFT_NAMED) named.push(`${n - LEFT_NAMED} more`);
    const what = n === 1 ? '1 entry of the mailbox' : `${n} entries of the mailbox`;
    return `${what} left alone (not ${n === 1 ? 'a message file' : 'message files'} of its owner): ${named.join('; ')}`;
  }
}

/**
 * The mailbox's directories for one look: the Maildir (or the mbox's directory) opened once, then each of
 * `subs` through its descriptor (mailfs.ts says why that is safe as root). Null when the mailbox does not
 * exist yet; a missing subdirectory is left out.
 */
async function openLook(
  local: string,
  shown: string,
  subs: readonly string[],
): Promise<{ top: MailDirectory; subs: [string, MailDirectory][]; close(): Promise<void> } | null> {
  const top = await MailDirectory.open(local, shown);
  if (top === null) return null;
  const opened: [string, MailDirectory][] = [];
  const close = async (): Promise<void> => {
    for (const [, d] of opened) await d.close();
    await top.close();
  };
  try {
    for (const sub of subs) {
      const d = await top.sub(sub);
      if (d !== null) opened.push([sub, d]);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { top, subs: opened, close };
}

/** A Maildir file name's delivery time (its leading seconds), for picking the newest; -1 when it has none. */
const deliverySeconds = (name: string): number => {
  const m = /^(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
};

/** Removes the entry when it is an earlier run's test mail; says whether it was one (and is gone). */
async function sweepFile(
  sweep: Sweep,
  dir: MailDirectory,
  e: MailEntry,
  text: string,
  token: string | null,
): Promise<boolean> {
  const v = sweep.judge(text, token);
  if (v === null || v === 'own') return false;
  try {
    if (!(await dir.remove(e))) return false;
  } catch {
    return false; // not ours to remove (tenken not root): left as it is
  }
  sweep.removed(v, e.stat.mtime);
  return true;
}

/**
 * Maildir: a new file in new/ or cur/ holding the token; deleted unless `keep`. Earlier runs' test mails are
 * removed as they are met: among the newest SWEEP_NEWEST files of new/ and cur/ when the probe starts (their
 * first 8 KiB read), and among the files that arrive while it waits. Every look goes through directory
 * descriptors and touches only regular files of the Maildir's owner (mailfs.ts); anything else met there (a
 * link, a FIFO, a device, a file of another user) is left alone and said.
 */
async function maildir(p: ProbeRun, rt: Roundtrip, dir: string, sweep: Sweep): Promise<Look> {
  const local = hostPath({ root: p.root }, dir);
  const seen = new Set<string>();
  const first = await openLook(local, dir, ['new', 'cur']);
  if (first !== null) {
    try {
      for (const [sub, d] of first.subs) {
        const names = await d.list();
        for (const f of names) seen.add(`${sub}/${f}`);
        if (rt.keep) continue;
        const newest = names
          .map((f) => ({ f, t: deliverySeconds(f) }))
          .sort((a, b) => b.t - a.t)
          .slice(0, SWEEP_NEWEST);
        for (const { f } of newest) {
          const e = await d.entry(f).catch(() => null);
          if (e === null) continue; // moved meanwhile
          if (!isEntry(e)) {
            sweep.left(d, e);
            continue;
          }
          const head = await d.read(e, 0, SWEEP_HEAD_BYTES).catch(() => null);
          if (head === null) continue; // moved, or not readable: not ours to judge
          if (typeof head !== 'string') {
            sweep.left(d, head);
            continue;
          }
          await sweepFile(sweep, d, e, head, null);
        }
      }
    } finally {
      await first.close();
    }
  }
  return async (token) => {
    const look = await openLook(local, dir, ['new', 'cur']);
    if (look === null) return null;
    try {
      for (const [sub, d] of look.subs) {
        for (const f of await d.list()) {
          const rel = `${sub}/${f}`;
          if (seen.has(rel)) continue;
          const e = await d.entry(f);
          if (e === null) continue; // moved from new/ to cur/ meanwhile
          if (!isEntry(e)) {
            seen.add(rel); // not a message delivery writes: never ours
            sweep.left(d, e);
            continue;
          }
          const head = await d.read(e, 0, HEAD_BYTES);
          if (head === null) continue;
          if (typeof head !== 'string') {
            seen.add(rel);
            sweep.left(d, head);
            continue;
          }
          if (!head.includes(token)) {
            if (!(await sweepFile(sweep, d, e, head, token))) seen.add(rel);
            continue;
          }
          if (!rt.keep) await d.remove(e).catch(() => undefined);
          return `${dir}/${rel}`;
        }
      }
      return null;
    } finally {
      await look.close();
    }
  };
}

/**
 * mbox: the token in what was appended since the probe started (never deleted: no safe locking here). The
 * file is reached through its directory's descriptor and must be a regular file of the directory's owner
 * (mailfs.ts); a link, FIFO or another user's file at its name is refused before the test mail is sent.
 */
async function mbox(p: ProbeRun, file: string): Promise<Look> {
  const local = hostPath({ root: p.root }, file);
  const dirShown = path.dirname(file);
  const name = path.basename(local);
  /**
   * The mbox's size, and the text appended since `from` (read from the start when it shrank: emptied by a
   * mail reader) when `from` is given; size 0 when it is missing.
   */
  const at = async (from: number | null): Promise<{ size: number; text: string | null }> => {
    const d = await MailDirectory.open(path.dirname(local), dirShown);
    if (d === null) return { size: 0, text: null };
    try {
      const e = await d.entry(name);
      if (e === null) return { size: 0, text: null };
      if (!isEntry(e)) throw new MailboxRefusal(file, e.why);
      const size = e.stat.size;
      const start = from === null || size < from ? 0 : from;
      if (from === null || size === start) return { size, text: null };
      const text = await d.read(e, start, Math.min(size - start, 4 * 1024 * 1024));
      if (text !== null && typeof text !== 'string') throw new MailboxRefusal(file, text.why);
      return { size, text };
    } finally {
      await d.close();
    }
  };
  let from = (await at(null)).size;
  return async (token) => {
    const { size, text } = await at(from);
    if (size < from) from = 0;
    return text?.includes(token) ? file : null;
  };
}

/**
 * Watches where a round-trip mail should arrive. `prepare` runs before sending (to note what is already
 * there); `wait` polls until the token shows up or the probe's deadline (or `wait` seconds) passes.
 */
export const waitForMail = {
  async prepare(
    p: ProbeRun,
    rt: Roundtrip,
    owner: Owner,
  ): Promise<{
    wait(token: string): Promise<string>;
    removed(): RemovedTestMail[];
    /** The line about entries of the mailbox left alone (a link, a FIFO, another user's file), or null. */
    left(): string | null;
  }> {
    const sweep = new Sweep(p, owner, rt.keep);
    let look: Look;
    let where: string;
    try {
      if (rt.maildir !== undefined) {
        where = rt.maildir;
        look = await maildir(p, rt, rt.maildir, sweep);
      } else if (rt.mbox !== undefined) {
        where = rt.mbox;
        look = await mbox(p, rt.mbox);
      } else {
        const url = new URL(rt.fetch ?? '');
        const safe = new URL(url.href);
        safe.password = '';
        where = safe.href;
        const take = url.protocol.startsWith('imap') ? imapTake : pop3Take;
        // The mailbox server's TLS is its own: its certificate must not land in the SMTP probe's details,
        // and what is wrong with it is said as the mailbox's (a self-signed dovecot was "postfix's STARTTLS").
        const shown = where;
        const fetchRun: ProbeRun = {
          ...p,
          details: {},
          issue: (status, failure, text) => p.issue(status, failure, `mailbox ${shown}: ${text}`),
        };
        const seen = new Set<string>();
        look = async (token) => {
          try {
            const found = await take(fetchRun, url, {
              token,
              keep: rt.keep,
              judge: (text) => sweep.judge(text, token),
              seen,
              removed: (mail, delivered) => sweep.removed(mail, delivered),
            });
            return found ? where : null;
          } catch (err) {
            if (err instanceof ProbeFailure && !err.message.startsWith('mailbox '))
              throw new ProbeFailure(err.failure, `mailbox ${shown}: ${err.message}`);
            throw err;
          }
        };
      }
    } catch (err) {
      if (err instanceof ProbeFailure) throw err;
      // Refused before the test mail is sent: a mailbox tenken will not use as root is not a round trip.
      if (err instanceof MailboxRefusal)
        throw new ProbeFailure('protocol', `Cannot watch the mailbox ${err.what}: ${err.message}`);
      const shown = rt.maildir ?? rt.mbox;
      throw new ProbeFailure(
        'protocol',
        describe(shown === undefined ? 'Cannot watch the mailbox' : `Cannot watch the mailbox ${shown}`, err),
      );
    }
    return {
      removed: () => [...sweep.removedMails.values()],
      left: () => sweep.leftText(),
      async wait(token) {
        const limit = Math.min(p.deadline, performance.now() + (rt.wait ?? p.timeoutSeconds) * 1000);
        let delay = 50;
        for (;;) {
          const found = await look(token).catch((err: unknown) => {
            if (err instanceof ProbeFailure) throw err;
            if (err instanceof MailboxRefusal)
              throw new ProbeFailure('protocol', `Cannot read ${err.what}: ${err.message}`);
            throw new ProbeFailure('protocol', describe(`Cannot read ${where}`, err));
          });
          if (found !== null) return found;
          const left = limit - performance.now();
          if (left <= 0 || p.signal.aborted) {
            const s = Math.min(rt.wait ?? p.timeoutSeconds, p.timeoutSeconds);
            throw new ProbeFailure('timeout', `test mail ${token} not delivered to ${where} within ${s} s`);
          }
          await sleep(Math.min(delay, left), undefined, { signal: p.signal }).catch(() => undefined);
          delay = Math.min(delay * 2, 500);
        }
      },
    };
  },
};
