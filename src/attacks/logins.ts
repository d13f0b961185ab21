import fs from 'node:fs';
import { z } from 'zod';
import { errnoCode, reason } from '../core/errors.ts';
import { displayPath, type Host, hostPath } from '../core/host.ts';
import { inTree } from '../core/inroot.ts';
import { digest } from '../logs/read/content.ts';
import { decodeRecord, fieldText, UT, type UtmpRecord } from '../logins/utmp.ts';
import { wtmpFamily } from '../logins/history.ts';
import { openWtmp, recordsBackward } from '../logins/wtmp-file.ts';
import type { FailedLoginRecord, LoginRecord } from './detect.ts';
import { normHost } from './host.ts';

/**
 * Thin I/O over src/logins's readers: failed logins from btmp (resumed from a saved mark across logrotate's
 * rotations: `btmp.1`, dateext `btmp-20261201`, compressed members) and successful logins from wtmp (read
 * backwards only as far as the earliest failure that matters), for the brute-force detector.
 */

/** Where btmp was read up to: the file's identity (inode and first record) and the whole records consumed. */
export const btmpMarkSchema = z.object({
  dev: z.number(),
  ino: z.number(),
  records: z.number().int().min(0),
  /**
   * Fingerprint of the file's first record (absent while it was empty, and in marks of older versions): an
   * inode alone does not tell a file truncated in place (`: > btmp`) or a reused inode from the marked file.
   */
  first: z.string().optional(),
  /**
   * Time (ms) of the newest record read: where the marked file cannot be found for sure (its inode reused by
   * a new btmp, an empty btmp at its inode), every member is read and only records after it count.
   */
  last: z.number().optional(),
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

/**
 * The service of a wtmp login. sshd writes its logins on the pseudo-terminal it opened (`pts/3`), with the
 * client's address as the host, so the tty alone said `login`, where the auth log's `Accepted` line says
 * sshd. A pseudo-terminal with a remote host is a network login: `remote`'s (sshd where the host runs one;
 * telnetd's `login` writes the same record). An X display (`:0`) or a console or serial line is `login`;
 * cockpit's `web console` is cockpit.
 */
export function serviceOfLogin(line: string, host: string, remote: string): string {
  if (line === 'web console') return 'cockpit';
  if (/^pts\/\d+$/.test(line) && host !== '' && !host.startsWith(':')) return remote;
  return serviceOfLine(line);
}

function recordHost(r: UtmpRecord): string {
  const h = normHost(fieldText(r.host));
  return h === '' ? 'local' : h;
}

/** Fingerprint of a first record (the content digest src/logs and src/logins's history take). */
function fingerprint(head: Buffer | null): string | undefined {
  return head ? digest(head) : undefined;
}

/** One member of btmp's family (oldest first, the live file last). */
interface Member {
  local: string;
  shown: string;
  stat: fs.Stats;
  /** The host's root: under --root, the file's links resolve inside the tree. */
  root: string;
}

/** The records and first-record fingerprint of a member. */
async function headOf(m: Member): Promise<{ records: number; first: string | undefined }> {
  const f = await openWtmp(m.local, { display: m.shown, readTruncated: true, root: m.root });
  try {
    return { records: f.records, first: fingerprint(f.head) };
  } finally {
    f.close();
  }
}

/** Reads records [from, end) of one utmp-format file; returns the end and the first record's fingerprint. */
async function readFrom(
  m: Member,
  from: number,
  onRecord: (r: FailedLoginRecord) => void,
  since: number,
): Promise<{ end: number; first: string | undefined; last: number | undefined; damage: string | null }> {
  // A .gz backup cut short or damaged is read as far as it inflates, as zcat does: stopping at it lost the
  // failed logins of every newer member too.
  const f = await openWtmp(m.local, { display: m.shown, readTruncated: true, root: m.root });
  try {
    const size = f.layout.size;
    const into = Buffer.allocUnsafe(CHUNK * size);
    let at = from;
    let last: number | undefined;
    for (; at < f.records; ) {
      const buf = f.read(at, CHUNK, into);
      const n = buf.length / size;
      if (n === 0) break;
      for (let i = 0; i < n; i++) {
        const r = decodeRecord(buf, i * size, f.layout, at + i);
        const time = r.sec * 1000 + Math.floor(r.usec / 1000);
        if (r.sec > 0 && (last === undefined || time > last)) last = time;
        if (r.sec <= 0 || time < since) continue;
        const user = fieldText(r.user);
        const host = recordHost(r);
        onRecord({
          host,
          user: user === '' ? null : user,
          time,
          pid: r.pid,
          source: m.shown,
          record: r.index + 1,
          text: `${user} ${fieldText(r.line)} ${host} ${new Date(time).toISOString()}`,
          service: serviceOfLine(r.line),
        });
      }
      at += n;
    }
    const damage = f.truncated
      ? `cut short or corrupt (${f.damage ?? 'damaged'}): read its ${f.records} record${f.records === 1 ? '' : 's'} up to that point, as zcat does`
      : null;
    return { end: at, first: fingerprint(f.head), last, damage };
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
 * Where to resume in btmp's family (oldest first) from a mark: the member and record to read from, and
 * every later member is read from its start. The marked file is the member with its inode and first record;
 * else a copy of it (the same first record: `copytruncate`, a compressed member, its inode reused by a new
 * btmp); else, the marked file being gone or no longer telling (an empty btmp or another first record at
 * its inode), every member is read and only records after the mark's newest (`after`) count. Marks of older
 * versions (no fingerprint) keep the inode-only rules.
 */
async function resumePoint(
  members: readonly Member[],
  mark: BtmpMark,
): Promise<{ member: number; record: number; after?: number }> {
  const sameInode = (m: Member) => m.stat.ino === mark.ino && m.stat.dev === mark.dev;
  const heads = new Map<number, { records: number; first: string | undefined }>();
  const head = async (i: number) => {
    let h = heads.get(i);
    if (h === undefined) heads.set(i, (h = await headOf(members[i] as Member)));
    return h;
  };
  if (mark.first !== undefined) {
    // The marked file at its inode (cut at the end: nothing there is new), else its copy wherever it is.
    for (let i = members.length - 1; i >= 0; i--)
      if (sameInode(members[i] as Member) && (await head(i)).first === mark.first)
        return { member: i, record: Math.min(mark.records, (await head(i)).records) };
    for (let i = members.length - 1; i >= 0; i--) {
      const h = await head(i);
      if (h.first === mark.first) return { member: i, record: Math.min(mark.records, h.records) };
    }
    // Not found: emptied in place, rotated away, or its inode now another file's. What is after the mark's
    // newest record is new, wherever it is.
    if (mark.last !== undefined) return { member: 0, record: 0, after: mark.last };
    for (let i = members.length - 1; i >= 0; i--)
      if (sameInode(members[i] as Member)) return { member: i, record: 0 };
    return { member: 0, record: 0 };
  }
  for (let i = members.length - 1; i >= 0; i--) {
    if (!sameInode(members[i] as Member)) continue;
    const h = await head(i);
    // Fewer records than were read: truncated and regrown (read from the start).
    return { member: i, record: h.records < mark.records ? 0 : mark.records };
  }
  return { member: 0, record: 0 };
}

/**
 * Reads the failed logins btmp holds beyond `mode`'s start. In resume mode the file the mark names is found
 * among btmp's family (`btmp.1`, `btmp-20261201`, the live file) by its inode and first record and finished,
 * then every newer member is read from its start; a btmp truncated in place is read from its start. A btmp
 * missing at this run (logrotate's gap between moving it and creating the new one) keeps the mark on the
 * newest member there is. The first run reads the live file alone; `all` and `since` read every member.
 * Never double-counts a record across runs.
 */
export async function readBtmp(
  host: Host,
  mode: BtmpMode,
  onRecord: (r: FailedLoginRecord) => void,
): Promise<BtmpResult> {
  const liveShown = '/var/log/btmp';
  let records = 0;
  const count = (r: FailedLoginRecord) => {
    records++;
    onRecord(r);
  };
  const kept = mode.kind === 'resume' ? mode.mark : undefined;
  const members: Member[] = [];
  let liveMissing = false;
  for (const shown of wtmpFamily(host, liveShown)) {
    const local = hostPath(host, shown);
    try {
      const stat = fs.statSync(inTree(host.root, local));
      if (stat.isFile()) members.push({ local, shown: displayPath(host, local), stat, root: host.root });
    } catch (err) {
      if (shown !== liveShown) continue; // gone between the listing and now
      if (errnoCode(err) === 'ENOENT') liveMissing = true;
      else return { mark: kept, problem: { path: displayPath(host, local), reason: reason(err) }, records };
    }
  }
  if (members.length === 0) return { mark: kept, records };
  const since = mode.kind === 'since' ? mode.since : Number.NEGATIVE_INFINITY;
  let reading: Member | undefined;
  try {
    let from: { member: number; record: number; after?: number } = { member: 0, record: 0 };
    if (mode.kind === 'resume') {
      if (mode.mark) from = await resumePoint(members, mode.mark);
      // The first run starts at the live file's start (earlier failures are the logs' past, not news).
      else if (liveMissing) return { mark: undefined, records };
      else from = { member: members.length - 1, record: 0 };
    }
    let mark: BtmpMark | undefined;
    // Records at or before the mark's newest were counted by an earlier run (used where the marked file
    // could not be found for sure).
    const after = from.after === undefined ? since : Math.max(since, from.after + 1);
    let last = mode.kind === 'resume' ? mode.mark?.last : undefined;
    let problem: BtmpResult['problem'];
    for (let i = from.member; i < members.length; i++) {
      const m = members[i] as Member;
      reading = m;
      const r = await readFrom(m, i === from.member ? from.record : 0, count, after);
      if (r.damage !== null && problem === undefined) problem = { path: m.shown, reason: r.damage };
      if (r.last !== undefined && (last === undefined || r.last > last)) last = r.last;
      mark = {
        dev: m.stat.dev,
        ino: m.stat.ino,
        records: r.end,
        ...(r.first ? { first: r.first } : {}),
        ...(last !== undefined ? { last } : {}),
      };
    }
    return { mark, records, ...(problem ? { problem } : {}) };
  } catch (err) {
    return {
      mark: kept,
      problem: {
        path: reading?.shown ?? displayPath(host, hostPath(host, liveShown)),
        reason: err instanceof Error ? err.message.replace(/^Cannot read [^:]*: /, '') : String(err),
      },
      records,
    };
  }
}

/**
 * Successful logins from wtmp at or after `from` (ms), newest first, for the sources `wanted` says matter.
 * Returns the time of the newest login record in wtmp (whatever its source), so the caller can remember how
 * far it looked. Missing or unreadable wtmp yields none (the logins check reports it). `remote` names the
 * service of a login on a pseudo-terminal from a remote host (see serviceOfLogin).
 */
export async function readLogins(
  host: Host,
  from: number,
  wanted: (host: string) => boolean,
  onLogin: (r: LoginRecord) => void,
  remote = 'sshd',
): Promise<number | undefined> {
  let newest: number | undefined;
  if (!Number.isFinite(from)) return newest;
  const live = hostPath(host, '/var/log/wtmp');
  let f: Awaited<ReturnType<typeof openWtmp>>;
  try {
    f = await openWtmp(live, { display: displayPath(host, live), root: host.root });
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
      onLogin({ host: h, user: fieldText(r.user), time, service: serviceOfLogin(r.line, h, remote) });
    }
  } finally {
    f.close();
  }
  return newest;
}
