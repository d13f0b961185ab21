import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, errnoCode } from '../core/errors.ts';
import { hostPath } from '../core/host.ts';
import { openRegular } from '../core/open.ts';
import { imapTake } from './imap.ts';
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
}

/**
 * The first `max` bytes from `from` of a regular file. A mailbox belongs to its user, who can put a FIFO or a
 * link to another's file there: openRegular never blocks, refuses what is not a regular file (ENOTREG) and
 * links it does not trust (EUNTRUSTEDLINK).
 */
async function readHead(file: string, from = 0, max = HEAD_BYTES): Promise<string> {
  const { handle: fh } = await openRegular(file);
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, from);
    return buf.subarray(0, bytesRead).toString('latin1');
  } finally {
    await fh.close();
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

/** A Maildir file name's delivery time (its leading seconds), for picking the newest; -1 when it has none. */
const deliverySeconds = (name: string): number => {
  const m = /^(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
};

/** Removes `file` when it is an earlier run's test mail; says whether it was one (and is gone). */
async function sweepFile(sweep: Sweep, file: string, text: string, token: string | null): Promise<boolean> {
  const v = sweep.judge(text, token);
  if (v === null || v === 'own') return false;
  let delivered: Date | null = null;
  try {
    delivered = (await stat(file)).mtime;
    await unlink(file);
  } catch {
    return false; // gone meanwhile (read by a mail client) or not ours to remove: left as it is
  }
  sweep.removed(v, delivered);
  return true;
}

/**
 * Maildir: a new file in new/ or cur/ holding the token; deleted unless `keep`. Earlier runs' test mails are
 * removed as they are met: among the newest SWEEP_NEWEST files of new/ and cur/ when the probe starts (their
 * first 8 KiB read), and among the files that arrive while it waits.
 */
async function maildir(p: ProbeRun, rt: Roundtrip, dir: string, sweep: Sweep): Promise<Look> {
  const local = hostPath({ root: p.root }, dir);
  const seen = new Set<string>();
  for (const sub of ['new', 'cur']) {
    const names = await listDir(path.join(local, sub));
    for (const f of names) seen.add(`${sub}/${f}`);
    if (rt.keep) continue;
    const newest = names
      .map((f) => ({ f, t: deliverySeconds(f) }))
      .sort((a, b) => b.t - a.t)
      .slice(0, SWEEP_NEWEST);
    for (const { f } of newest) {
      const file = path.join(local, sub, f);
      let head: string;
      try {
        head = await readHead(file, 0, SWEEP_HEAD_BYTES);
      } catch {
        continue; // moved, or not a readable file: not ours to judge
      }
      await sweepFile(sweep, file, head, null);
    }
  }
  return async (token) => {
    for (const sub of ['new', 'cur']) {
      for (const f of await listDir(path.join(local, sub))) {
        const rel = `${sub}/${f}`;
        if (seen.has(rel)) continue;
        const file = path.join(local, rel);
        let head: string;
        try {
          head = await readHead(file);
        } catch (err) {
          if (errnoCode(err) === 'ENOENT') continue; // moved from new/ to cur/ meanwhile
          const code = errnoCode(err);
          if (code === 'ENOTREG' || code === 'EUNTRUSTEDLINK') {
            seen.add(rel); // not a message delivery writes: never ours
            continue;
          }
          throw err;
        }
        if (!head.includes(token)) {
          if (!(await sweepFile(sweep, file, head, token))) seen.add(rel);
          continue;
        }
        if (!rt.keep) await unlink(file).catch(() => undefined);
        return `${dir}/${rel}`;
      }
    }
    return null;
  };
}

/** mbox: the token in what was appended since the probe started (never deleted: no safe locking here). */
async function mbox(p: ProbeRun, file: string): Promise<Look> {
  const local = hostPath({ root: p.root }, file);
  const sizeOf = async (): Promise<number> => {
    try {
      return (await stat(local)).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return 0;
      throw err;
    }
  };
  let from = await sizeOf();
  return async (token) => {
    const size = await sizeOf();
    if (size < from) from = 0; // emptied by a mail reader meanwhile
    if (size === from) return null;
    const text = await readHead(local, from, Math.min(size - from, 4 * 1024 * 1024));
    return text.includes(token) ? file : null;
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
  ): Promise<{ wait(token: string): Promise<string>; removed(): RemovedTestMail[] }> {
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
      throw new ProbeFailure('protocol', describe('Cannot watch the mailbox', err));
    }
    return {
      removed: () => [...sweep.removedMails.values()],
      async wait(token) {
        const limit = Math.min(p.deadline, performance.now() + (rt.wait ?? p.timeoutSeconds) * 1000);
        let delay = 50;
        for (;;) {
          const found = await look(token).catch((err: unknown) => {
            if (err instanceof ProbeFailure) throw err;
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
