import { open, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, errnoCode } from '../core/errors.ts';
import { hostPath } from '../core/host.ts';
import { imapTake } from './imap.ts';
import { pop3Take } from './pop3.ts';
import type { ProbeSpec } from './spec.ts';
import { type ProbeRun, ProbeFailure } from './types.ts';

type Roundtrip = NonNullable<ProbeSpec['roundtrip']>;

/** Looks once for the message carrying `token`; returns where it was found, or null. */
type Look = (token: string) => Promise<string | null>;

/** Bytes of a message file searched for the token (it is in the headers and the first body lines). */
const HEAD_BYTES = 64 * 1024;

async function readHead(file: string, from = 0, max = HEAD_BYTES): Promise<string> {
  const fh = await open(file, 'r');
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

/** Maildir: a new file in new/ or cur/ holding the token; deleted unless `keep`. */
async function maildir(p: ProbeRun, rt: Roundtrip, dir: string): Promise<Look> {
  const local = hostPath({ root: p.root }, dir);
  const seen = new Set<string>();
  for (const sub of ['new', 'cur'])
    for (const f of await listDir(path.join(local, sub))) seen.add(`${sub}/${f}`);
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
          throw err;
        }
        if (!head.includes(token)) {
          seen.add(rel);
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
  async prepare(p: ProbeRun, rt: Roundtrip): Promise<{ wait(token: string): Promise<string> }> {
    let look: Look;
    let where: string;
    try {
      if (rt.maildir !== undefined) {
        where = rt.maildir;
        look = await maildir(p, rt, rt.maildir);
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
        look = async (token) => {
          try {
            return (await take(fetchRun, url, token, rt.keep)) ? where : null;
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
