/**
 * Tamper tests on wtmp (none of the usual tools does more than chkwtmp's zeroed-record test): zeroed and
 * partly zeroed records, garbage, a stray tail, time going backwards, gaps in the boot sequence (a login
 * between a shutdown and the next boot; a boot in syslog or /proc that wtmp lacks), a wtmp that shrank or was
 * rewritten since the last run (size + first-record fingerprint + digest of what was read), and lastlog newer
 * than wtmp. Pure: records and facts go in, findings come out; history.ts and check.ts do the reading.
 */
import { ttyKind } from './tty.ts';
import type { FindingBase } from '../core/report.ts';
import type { LoginsFinding, TamperCheck } from './audit-findings.ts';
import { fieldText, type RecordProblem, recordNumber, UT, type UtmpRecord } from './utmp.ts';

/** Where a record is: file number in the merged history (0 = oldest) and 0-based record number. */
export interface RecordPos {
  file: number;
  index: number;
}

/** One tamper observation before it becomes a finding. */
export interface TamperHit extends RecordPos {
  check: TamperCheck;
  /** Time of the record involved (seconds), when it has a meaningful one. */
  sec: number | null;
  detail: string;
}

/** What the record pass found, per file and overall. */
export interface RecordAudit {
  hits: TamperHit[];
  /** BOOT_TIME records (seconds), in file order. */
  boots: number[];
  /** Newest login time per user (text), for the lastlog comparison. */
  lastLogin: Map<string, number>;
  /** Oldest and newest plausible record times (seconds), or null for no record. */
  begins: number | null;
  ends: number | null;
}

/** Whether a record is a clean stop: systemd's `shutdown` record (`~`), or SysV's run level 0 or 6. */
export function isShutdown(r: UtmpRecord): boolean {
  if (r.line.startsWith('~') && r.user.startsWith('shutdown')) return true;
  if (r.type === UT.RUN_LVL) {
    const level = r.pid & 255;
    return level === 0x30 || level === 0x36;
  }
  return false;
}

/** Whether a record is a boot (BOOT_TIME, or an old writer's `~` `reboot`). */
export function isBoot(r: UtmpRecord): boolean {
  return r.type === UT.BOOT_TIME || (r.line.startsWith('~') && r.user.startsWith('reboot'));
}

function isClockChange(r: UtmpRecord): boolean {
  return (
    r.type === UT.NEW_TIME || r.type === UT.OLD_TIME || (r.user.startsWith('date') && /^[|{]/.test(r.line))
  );
}

function isLogin(r: UtmpRecord): boolean {
  return r.type === UT.USER_PROCESS && r.user !== '' && !r.line.startsWith('~');
}

const PROBLEM_CHECK: Record<RecordProblem, TamperCheck> = {
  zeroed: 'zeroed',
  'partly-zeroed': 'partly-zeroed',
  'unknown-type': 'garbage',
  'bad-usec': 'garbage',
  'bad-time': 'garbage',
  'control-characters': 'garbage',
};

const PROBLEM_TEXT: Record<RecordProblem, string> = {
  zeroed: 'all bytes zero',
  'partly-zeroed': 'type and time zero, names left',
  'unknown-type': 'unknown record type',
  'bad-usec': 'microseconds out of range',
  'bad-time': 'time before 1970 or after 2200',
  'control-characters': 'control characters in the user or tty',
};

/**
 * Stateful pass over every record of the merged history, oldest file first, in file order. Memory stays
 * bounded: at most `maxHits` observations are kept per check (the counts go on).
 */
export class WtmpAuditor {
  private readonly hits: TamperHit[] = [];
  private readonly perCheck = new Map<TamperCheck, number>();
  private readonly boots: number[] = [];
  private readonly lastLogin = new Map<string, number>();
  private prev: { sec: number; pos: RecordPos } | null = null;
  private down: { sec: number; pos: RecordPos } | null = null;
  private begins: number | null = null;
  private ends: number | null = null;
  private file = 0;

  constructor(
    private readonly toleranceSec: number,
    private readonly maxHits = 200,
  ) {}

  private hit(h: TamperHit): void {
    const n = this.perCheck.get(h.check) ?? 0;
    this.perCheck.set(h.check, n + 1);
    if (n < this.maxHits) this.hits.push(h);
  }

  /** Starts the next file (files must come oldest first). */
  startFile(file: number): void {
    this.file = file;
  }

  /** Feeds one record and what recordProblem said about its bytes. */
  record(r: UtmpRecord, problem: RecordProblem | null): void {
    const pos = { file: this.file, index: r.index };
    if (problem) {
      this.hit({ ...pos, check: PROBLEM_CHECK[problem], sec: null, detail: PROBLEM_TEXT[problem] });
      // A damaged record's fields mean nothing: it takes no part in the time and boot tests.
      return;
    }
    if (r.type === UT.EMPTY) return;
    if (this.begins === null || r.sec < this.begins) this.begins = r.sec;
    if (this.ends === null || r.sec > this.ends) this.ends = r.sec;
    if (this.prev && !isClockChange(r) && r.sec < this.prev.sec - this.toleranceSec) {
      this.hit({
        ...pos,
        check: 'time-backwards',
        sec: r.sec,
        detail: `${iso(r.sec)} after ${iso(this.prev.sec)} (record ${recordNumber(this.prev.pos.index)}${this.prev.pos.file !== pos.file ? ' of the previous file' : ''})`,
      });
    }
    this.prev = { sec: r.sec, pos };
    if (isBoot(r)) {
      this.boots.push(r.sec);
      this.down = null;
      return;
    }
    if (isShutdown(r)) {
      this.down = { sec: r.sec, pos };
      return;
    }
    if (isLogin(r)) {
      const user = fieldText(r.user);
      if ((this.lastLogin.get(user) ?? Number.NEGATIVE_INFINITY) < r.sec) this.lastLogin.set(user, r.sec);
      if (this.down) {
        this.hit({
          ...pos,
          check: 'boot-gap',
          sec: r.sec,
          detail: `login of ${user} on ${fieldText(r.line)} at ${iso(r.sec)} after the shutdown at ${iso(this.down.sec)} with no boot record between`,
        });
        this.down = null;
      }
    }
  }

  /** Observation counts per check (beyond the kept examples). */
  counts(): Map<TamperCheck, number> {
    return new Map(this.perCheck);
  }

  /** The pass's result. */
  result(): RecordAudit {
    return {
      hits: [...this.hits],
      boots: [...this.boots],
      lastLogin: new Map(this.lastLogin),
      begins: this.begins,
      ends: this.ends,
    };
  }
}

/** ISO time (UTC, seconds) of epoch seconds. */
export function iso(sec: number): string {
  const d = new Date(sec * 1000);
  return Number.isNaN(d.getTime()) ? String(sec) : d.toISOString().replace('.000Z', 'Z');
}

/** A boot seen elsewhere (syslog's kernel banner, /proc/stat btime). */
export interface BootMarker {
  sec: number;
  source: string;
  line?: number;
  text: string;
}

/**
 * Boots that wtmp does not record: markers inside wtmp's time range with no BOOT_TIME record within
 * `toleranceSec` of them (the boot record is written seconds to minutes after the kernel starts).
 */
export function missingBoots(
  boots: readonly number[],
  markers: readonly BootMarker[],
  range: { from: number; to: number },
  toleranceSec = 900,
): BootMarker[] {
  const sorted = [...boots].sort((a, b) => a - b);
  const near = (t: number): boolean => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) < t - toleranceSec) lo = mid + 1;
      else hi = mid;
    }
    return lo < sorted.length && (sorted[lo] as number) <= t + toleranceSec;
  };
  const out: BootMarker[] = [];
  const seen: number[] = [];
  for (const m of [...markers].sort((a, b) => a.sec - b.sec)) {
    if (m.sec < range.from + toleranceSec || m.sec > range.to) continue;
    // Several markers of one boot (syslog and /proc/stat) count once.
    if (seen.some((s) => Math.abs(s - m.sec) <= toleranceSec)) continue;
    seen.push(m.sec);
    if (!near(m.sec)) out.push(m);
  }
  return out;
}

/** One user's lastlog entry, decoded, with the name it belongs to. */
export interface LastlogFact {
  user: string;
  uid: number;
  sec: number;
  tty: string;
  host: string;
}

/**
 * Users whose lastlog login is later than any wtmp login of theirs (by more than `toleranceSec`), within the
 * time wtmp covers: the wtmp record of that login is gone. Only a login on a terminal counts: pam_lastlog2
 * (Debian 13's common-session) writes a row for every PAM session, sshd's with the tty `ssh` before any
 * terminal exists, so an `ssh host command` or sftp session (no wtmp record by design) was "newer than wtmp".
 */
export function lastlogNewer<F extends LastlogFact>(
  entries: readonly F[],
  lastLogin: ReadonlyMap<string, number>,
  range: { from: number; to: number },
  toleranceSec = 60,
): { fact: F; wtmpLast: number | null }[] {
  const out: { fact: F; wtmpLast: number | null }[] = [];
  for (const e of entries) {
    if (e.sec <= 0 || e.sec < range.from || e.sec > range.to + toleranceSec) continue;
    if (e.tty !== '' && ttyKind(e.tty) === 'other') continue;
    const w = lastLogin.get(e.user) ?? null;
    if (w === null || e.sec > w + toleranceSec) out.push({ fact: e, wtmpLast: w });
  }
  return out;
}

/** What the state remembers of the live wtmp, to see a shrink or a rewrite at the next run. */
export interface WtmpMark {
  /** Host path of the live file. */
  file: string;
  /** Bytes of whole records and their count. */
  size: number;
  records: number;
  /** Fingerprint of the first record, null when the file had none. */
  first: string | null;
  /** Digest of the `size` bytes. */
  digest: string;
  /** Newest record time seen (seconds): the fallback cursor when positions cannot be trusted. */
  lastSec: number;
}

/** A file of the merged history as the comparison needs it. */
export interface MarkedFile {
  display: string;
  records: number;
  size: number;
  first: string | null;
  /** Digest of the first `mark.size` bytes when the file has that many, else null. */
  prefixDigest: string | null;
}

/** Where the new records start, and what went wrong with the old ones. */
export interface MarkComparison {
  /** Records from here on (and every later file) are new; `time` means "newer than this time" instead. */
  from:
    | { kind: 'all' }
    /** `after`: records of earlier files newer than this time are new too (see compareMark's empty mark). */
    | { kind: 'position'; file: number; index: number; after?: number }
    | { kind: 'time'; sec: number };
  problems: { check: 'shrunk' | 'rewritten' | 'removed'; file: string; detail: string }[];
  /**
   * The history the last run read was rotated away whole (wtmp rotated twice with `rotate 1`): no file holds
   * it, but every record left is newer than the newest seen (`after`); the oldest left is at `before` (null:
   * none left). What the deleted file received after the last run was never audited.
   */
  rotatedAway?: { file: string; after: number; before: number | null };
}

/**
 * Compares the files with the last run's mark: same first record and an unchanged prefix means the new
 * records follow the old ones (in the same file, or after a rotation in the next); anything else is a
 * shrink (smaller, no rotated copy), a rewrite (old bytes changed) or, when the live file could not be read
 * (`live` null: deleted, or replaced by something that is no wtmp), a removal.
 * `live` is the live file's index in `files` (historyInputs keeps it last), null when it is not among them.
 *
 * One more case is no edit: beside the live file there is a rotated one, and every record of every file
 * (`oldestSec`: the oldest, null when none; left out, this case is not considered) is newer than the newest the last run saw. That is what two
 * rotations between runs leave (Debian's `rotate 1`: `logrotate -f` twice, or a check paused for over a
 * month): the file the last run read was deleted, and nothing seen before is contradicted, so no record
 * is proven removed (`rotatedAway`). A wiped live file stays a shrink or a rewrite: the rotated file beside
 * it then holds the older records, and an empty or new wtmp with no rotated file is no rotation.
 */
export function compareMark(
  mark: WtmpMark | undefined,
  files: readonly MarkedFile[],
  live: number | null = files.length - 1,
  oldestSec?: number | null,
): MarkComparison {
  if (!mark) return { from: { kind: 'all' }, problems: [] };
  const liveFile = live === null ? undefined : files[live];
  if (mark.first === null || mark.records === 0) {
    // wtmp was empty at the last run: whatever the live file holds is new, and so is whatever the file that
    // was live then received before it was rotated (a login at 06:20, cron.daily's rotation at 06:25): a
    // record of an earlier file newer than the newest the last run saw.
    return {
      from:
        live !== null && live >= 0
          ? { kind: 'position', file: live, index: 0, after: mark.lastSec }
          : { kind: 'time', sec: mark.lastSec },
      problems: [],
    };
  }
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i] as MarkedFile;
    if (f.first !== mark.first) continue;
    if (f.size < mark.size) {
      return {
        from: { kind: 'time', sec: mark.lastSec },
        problems: [
          {
            check: 'shrunk',
            file: f.display,
            detail: `${f.display} has ${f.records} records, ${mark.records} at the last run (same first record): records were cut off`,
          },
        ],
      };
    }
    if (f.prefixDigest !== mark.digest) {
      return {
        from: { kind: 'time', sec: mark.lastSec },
        problems: [
          {
            check: 'rewritten',
            file: f.display,
            detail: `the first ${mark.records} records of ${f.display} changed since the last run`,
          },
        ],
      };
    }
    return { from: { kind: 'position', file: i, index: mark.records }, problems: [] };
  }
  if (live === null) {
    const detail = `${mark.file} is gone or no longer a wtmp file; it held ${mark.records} records at the last run, and no rotated file starts with them`;
    return {
      from: { kind: 'time', sec: mark.lastSec },
      problems: [{ check: 'removed', file: mark.file, detail }],
    };
  }
  if (files.length > 1 && oldestSec !== undefined && (oldestSec === null || oldestSec > mark.lastSec)) {
    return {
      from: { kind: 'time', sec: mark.lastSec },
      problems: [],
      rotatedAway: { file: mark.file, after: mark.lastSec, before: oldestSec },
    };
  }
  const size = liveFile?.size ?? 0;
  const check = size < mark.size ? 'shrunk' : 'rewritten';
  const detail =
    check === 'shrunk'
      ? `${mark.file} has ${liveFile?.records ?? 0} records, ${mark.records} at the last run, and no rotated file holds the old ones`
      : `${mark.file} no longer starts with the record it started with at the last run, and no rotated file does`;
  return { from: { kind: 'time', sec: mark.lastSec }, problems: [{ check, file: mark.file, detail }] };
}

/** Whether a record position is new according to a comparison (`sec` for the time fallback). */
export function isNewPosition(cmp: MarkComparison, pos: RecordPos, sec: number | null): boolean {
  const f = cmp.from;
  if (f.kind === 'all') return true;
  if (f.kind === 'time') return sec === null || sec > f.sec;
  if (pos.file > f.file || (pos.file === f.file && pos.index >= f.index)) return true;
  return f.after !== undefined && sec !== null && sec > f.after;
}

const STATUS: Record<TamperCheck, 'CRITICAL' | 'WARNING'> = {
  zeroed: 'CRITICAL',
  'partly-zeroed': 'CRITICAL',
  garbage: 'WARNING',
  'stray-tail': 'WARNING',
  misaligned: 'CRITICAL',
  'time-backwards': 'WARNING',
  'boot-gap': 'WARNING',
  shrunk: 'CRITICAL',
  rewritten: 'CRITICAL',
  removed: 'CRITICAL',
  'lastlog-newer': 'WARNING',
  'rows-removed': 'CRITICAL',
  damaged: 'WARNING',
  'unreadable-rows': 'WARNING',
};

const HEADLINE: Record<TamperCheck, string> = {
  zeroed: 'zeroed record',
  'partly-zeroed': 'partly zeroed record',
  garbage: 'damaged record',
  'stray-tail': 'stray bytes after the last record',
  misaligned: 'shift of the records',
  'time-backwards': 'time going backwards',
  'boot-gap': 'gap in the boot sequence',
  shrunk: 'wtmp shrank',
  rewritten: 'wtmp rewritten',
  removed: 'wtmp removed',
  'lastlog-newer': 'lastlog newer than wtmp',
  'rows-removed': 'removal of wtmpdb rows',
  damaged: 'damaged database',
  'unreadable-rows': 'unreadable wtmpdb row',
};

/** Why each check matters, for the summary. */
const MEANING: Record<TamperCheck, string> = {
  zeroed: 'what log cleaners leave when they wipe a login',
  'partly-zeroed': 'a wiped login or a torn write',
  garbage: 'not written by a glibc writer',
  'stray-tail': 'a torn write or an edit',
  misaligned: 'records were edited',
  'time-backwards': 'an inserted or edited record, or a clock step',
  'boot-gap': 'records were removed',
  shrunk: 'records were removed',
  rewritten: 'records were edited',
  removed: 'its records were removed, and logins are no longer recorded (glibc never creates wtmp)',
  'lastlog-newer': 'the wtmp record of that login was removed',
  'rows-removed': 'login records were deleted',
  damaged: 'a cut or damaged file: rows may be missing',
  'unreadable-rows': 'a damaged page or a hand edit',
};

/** One finding per (check, file): the status, a count and up to 20 record numbers as evidence. */
export function tamperFindings(
  groups: readonly {
    check: TamperCheck;
    file: string;
    hits: readonly { index: number | null; sec: number | null; detail: string }[];
    count?: number;
  }[],
  service: string,
): LoginsFinding[] {
  const out: LoginsFinding[] = [];
  for (const g of groups) {
    if (g.hits.length === 0) continue;
    const count = g.count ?? g.hits.length;
    const records = g.hits.flatMap((h) => (h.index === null ? [] : [recordNumber(h.index)])).slice(0, 20);
    const times = g.hits.flatMap((h) => (h.sec === null ? [] : [h.sec])).sort((a, b) => a - b);
    const where = records.length
      ? ` (record${records.length === 1 ? '' : 's'} ${records.slice(0, 5).join(', ')}${records.length > 5 ? ', …' : ''})`
      : '';
    const n = count === 1 ? `a ${HEADLINE[g.check]}` : `${count} × ${HEADLINE[g.check]}`;
    const first = g.hits[0] as { detail: string };
    const base: FindingBase = {
      status: STATUS[g.check],
      service,
      summary: `${g.file}: ${n}${where}: ${count === 1 ? first.detail : MEANING[g.check]}`,
      evidence: g.hits.slice(0, 10).map((h) => ({
        source: g.file,
        ...(h.index === null ? {} : { line: recordNumber(h.index) }),
        ...(h.sec === null ? {} : { time: iso(h.sec) }),
        text: h.detail,
      })),
    };
    if (times.length) {
      base.first = iso(times[0] as number);
      base.last = iso(times[times.length - 1] as number);
    }
    out.push({
      ...base,
      kind: 'wtmp-tamper',
      data: {
        check: g.check,
        file: g.file,
        records,
        count,
        detail: `${HEADLINE[g.check]}: ${MEANING[g.check]}`,
      },
    });
  }
  return out;
}
