import fs from 'node:fs';
import { z } from 'zod';
import { errnoCode, reason } from '../core/errors.ts';
import { displayPath, type Host, hostPath } from '../core/host.ts';
import { decodeRecord, fieldText, UT, type UtmpRecord } from '../logins/utmp.ts';
import { openWtmp, recordsBackward } from '../logins/wtmp-file.ts';
import type { FailedLoginRecord, LoginRecord } from './detect.ts';
import { normHost } from './host.ts';

/**
 * Thin I/O over src/logins's readers: failed logins from btmp (resumed from a saved record offset, across
 * monthly rotation to btmp.1) and successful logins from wtmp (read backwards only as far as the earliest
 * failure that matters), for the brute-force detector.
 */

/** Where btmp was read up to: the file's identity and the whole records consumed. */
export const btmpMarkSchema = z.object({
  dev: z.number(),
  ino: z.number(),
  records: z.number().int().min(0),
});

/** Where btmp was read up to. */
export type BtmpMark = z.output<typeof btmpMarkSchema>;

/** How to read btmp. */
export type BtmpMode =
  | { kind: 'resume'; mark: BtmpMark | undefined }
  | { kind: 'all' }
  | { kind: 'since'; since: number };

const CHUNK = 1024;

/** The service of a btmp/wtmp record, from its tty (`ssh:notty` → sshd). */
function serviceOfLine(line: string): string {
  if (line.startsWith('ssh')) return 'sshd';
  if (/^ftp/.test(line)) return 'ftp';
  return 'login';
}

function recordHost(r: UtmpRecord): string {
  const h = normHost(fieldText(r.host));
  return h === '' ? 'local' : h;
}

/** Reads records [from, end) of one utmp-format file. */
async function readFrom(
  local: string,
  shown: string,
  from: number,
  onRecord: (r: FailedLoginRecord) => void,
  since: number,
): Promise<number> {
  const f = await openWtmp(local, { display: shown });
  try {
    const size = f.layout.size;
    const into = Buffer.allocUnsafe(CHUNK * size);
    let at = from;
    for (; at < f.records; ) {
      const buf = f.read(at, CHUNK, into);
      const n = buf.length / size;
      if (n === 0) break;
      for (let i = 0; i < n; i++) {
        const r = decodeRecord(buf, i * size, f.layout, at + i);
        const time = r.sec * 1000 + Math.floor(r.usec / 1000);
        if (r.sec <= 0 || time < since) continue;
        const user = fieldText(r.user);
        const host = recordHost(r);
        onRecord({
          host,
          user: user === '' ? null : user,
          time,
          source: shown,
          record: r.index + 1,
          text: `${user} ${fieldText(r.line)} ${host} ${new Date(time).toISOString()}`,
          service: serviceOfLine(r.line),
        });
      }
      at += n;
    }
    return at;
  } finally {
    f.close();
  }
}

/** The outcome of reading btmp: the new mark, and a problem worth a finding. */
export interface BtmpResult {
  mark: BtmpMark | undefined;
  problem?: { path: string; reason: string };
  records: number;
}

/**
 * Reads the failed logins btmp holds beyond `mode`'s start. In resume mode a rotated-away btmp (the saved
 * inode is now btmp.1) is finished first, then the new file is read from its start; a btmp shorter than the
 * mark was truncated and is read from its start. Never double-counts a record across runs.
 */
export async function readBtmp(
  host: Host,
  mode: BtmpMode,
  onRecord: (r: FailedLoginRecord) => void,
): Promise<BtmpResult> {
  const live = hostPath(host, '/var/log/btmp');
  const rotated = hostPath(host, '/var/log/btmp.1');
  const shown = displayPath(host, live);
  let records = 0;
  const count = (r: FailedLoginRecord) => {
    records++;
    onRecord(r);
  };
  let st: fs.Stats;
  try {
    st = fs.statSync(live);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { mark: undefined, records };
    return {
      mark: mode.kind === 'resume' ? mode.mark : undefined,
      problem: { path: shown, reason: reason(err) },
      records,
    };
  }
  const since = mode.kind === 'since' ? mode.since : Number.NEGATIVE_INFINITY;
  try {
    let start = 0;
    if (mode.kind === 'resume' && mode.mark) {
      const mark = mode.mark;
      if (mark.ino === st.ino && mark.dev === st.dev) {
        start = mark.records;
      } else {
        // Rotated since the last run: finish the old file where it now lives.
        const old = statOrNull(rotated);
        if (old && old.ino === mark.ino && old.dev === mark.dev)
          await readFrom(rotated, displayPath(host, rotated), mark.records, count, since);
      }
    } else if (mode.kind !== 'resume') {
      if (statOrNull(rotated)) await readFrom(rotated, displayPath(host, rotated), 0, count, since);
    }
    if (st.size === 0) return { mark: { dev: st.dev, ino: st.ino, records: 0 }, records };
    const f = await openWtmp(live, { display: shown });
    const total = f.records;
    f.close();
    if (start > total) start = 0; // truncated and regrown
    const end = await readFrom(live, shown, start, count, since);
    return { mark: { dev: st.dev, ino: st.ino, records: end }, records };
  } catch (err) {
    return {
      mark: mode.kind === 'resume' ? mode.mark : undefined,
      problem: {
        path: shown,
        reason: err instanceof Error ? err.message.replace(/^Cannot read [^:]*: /, '') : String(err),
      },
      records,
    };
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/**
 * Successful logins from wtmp at or after `from` (ms), newest first, for the sources `wanted` says matter.
 * Returns the time of the newest login record in wtmp (whatever its source), so the caller can remember how
 * far it looked. Missing or unreadable wtmp yields none (the logins check reports it).
 */
export async function readLogins(
  host: Host,
  from: number,
  wanted: (host: string) => boolean,
  onLogin: (r: LoginRecord) => void,
): Promise<number | undefined> {
  let newest: number | undefined;
  if (!Number.isFinite(from)) return newest;
  const live = hostPath(host, '/var/log/wtmp');
  let f: Awaited<ReturnType<typeof openWtmp>>;
  try {
    f = await openWtmp(live, { display: displayPath(host, live) });
  } catch {
    return newest;
  }
  try {
    for (const r of recordsBackward(f)) {
      const time = r.sec * 1000 + Math.floor(r.usec / 1000);
      if (time < from) break;
      if (r.type !== UT.USER_PROCESS || r.user === '') continue;
      newest ??= time;
      if (r.host === '') continue;
      const h = recordHost(r);
      if (!wanted(h)) continue;
      onLogin({ host: h, user: fieldText(r.user), time, service: serviceOfLine(r.line) });
    }
  } finally {
    f.close();
  }
  return newest;
}
