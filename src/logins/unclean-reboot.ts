/**
 * Unclean reboots (a crash, a power loss, a reset, a VPS host killing the VM): a boot with an earlier boot
 * before it and no shutdown between the two, as `last` sees it (the sessions open then end in `crash`).
 * A clean stop leaves a shutdown record (systemd-update-utmp's `shutdown`, SysV's run level 0 or 6; in a
 * wtmpdb the boot row's Logout, written by `wtmpdb shutdown`); nothing else tells an admin that the server
 * went down uncleanly. Pure: the history pass feeds CrashTracker in record order, the check builds the
 * findings (`unclean-reboot`) from what it kept.
 */
import type { Evidence } from '../core/report.ts';
import type { Zone } from '../core/tz.ts';
import type { LoginsFinding } from './audit-findings.ts';
import { fromText, localText, sessionEvidence } from './audit.ts';
import type { Session } from './history.ts';
import { iso } from './tamper.ts';
import { fieldText, recordNumber, UT, type UtmpRecord } from './utmp.ts';

/** Where a record is: its file in the history and 0-based record number, or (a wtmpdb) its row ID. */
export interface CrashWhere {
  file: number;
  index: number;
  /** The wtmpdb row's ID (a wtmpdb only). */
  row?: number;
}

/** A record as the last sign of life before a boot. */
export interface LastSign {
  sec: number;
  /** What it was (`logout on pts/0`, `login of alice on pts/1`): untrusted text from wtmp. */
  text: string;
  where: CrashWhere;
}

/** A boot with no shutdown since the boot before it. */
export interface UncleanBoot {
  sec: number;
  where: CrashWhere;
  /** The boot before it (seconds). */
  previousBoot: number;
  /** The last record before the boot (at least the previous boot's own). */
  last: LastSign;
}

/** Unclean boots kept by one pass: the newest `max`, and how many there were in all. */
export interface UncleanBoots {
  boots: UncleanBoot[];
  count: number;
}

/** Unclean boots a pass keeps (a forged wtmp of a million boot records stays small). */
export const MAX_KEPT_CRASHES = 100;

/**
 * Follows boots and shutdowns in record order (oldest first) and keeps each boot that follows another boot
 * with no shutdown between them, with the last record before it.
 */
export class CrashTracker {
  private prevBoot: number | null = null;
  private clean = false;
  private last: LastSign | null = null;
  private readonly kept: UncleanBoot[] = [];
  private count = 0;

  constructor(private readonly max = MAX_KEPT_CRASHES) {}

  /** A boot record. */
  boot(sec: number, where: CrashWhere): void {
    if (this.prevBoot !== null && !this.clean && this.last) {
      this.count++;
      this.kept.push({ sec, where, previousBoot: this.prevBoot, last: this.last });
      if (this.kept.length > this.max) this.kept.shift();
    }
    this.prevBoot = sec;
    this.clean = false;
    this.last = { sec, text: 'system boot', where };
  }

  /** A shutdown record (or, in a wtmpdb, a boot row's Logout). */
  shutdown(sec: number, where: CrashWhere): void {
    this.clean = true;
    this.last = { sec, text: 'shutdown', where };
  }

  /** Any other record: a sign of life. */
  activity(sec: number, text: string, where: CrashWhere): void {
    this.last = { sec, text, where };
  }

  /** The unclean boots kept, oldest first, and their count. */
  result(): UncleanBoots {
    return { boots: [...this.kept], count: this.count };
  }
}

/** A wtmp record (not a boot nor a shutdown) as a sign of life: `login of alice on pts/0 from host`. */
export function recordText(r: UtmpRecord): string {
  const line = fieldText(r.line);
  switch (r.type) {
    case UT.USER_PROCESS:
      return `login of ${fieldText(r.user)} on ${line}${r.host ? ` from ${fieldText(r.host)}` : ''}`;
    case UT.DEAD_PROCESS:
      return `logout on ${line}`;
    case UT.RUN_LVL: {
      const level = r.pid & 255;
      return level >= 0x20 && level < 0x7f ? `run level ${String.fromCharCode(level)}` : 'run level change';
    }
    case UT.NEW_TIME:
    case UT.OLD_TIME:
      return 'clock change';
    case UT.LOGIN_PROCESS:
      return `getty on ${line}`;
    case UT.INIT_PROCESS:
      return `init process on ${line}`;
    default:
      return `record of type ${r.type}`;
  }
}

/** What the check decides about the unclean boots of its history. */
export interface UncleanInput {
  found: UncleanBoots;
  /** Whether the boot's record is new since the last run's mark. */
  isNew: (b: UncleanBoot) => boolean;
  /**
   * No mark yet (a first run): every record counts as new, and only the newest unclean boot is said (a long
   * history's crashes of years past are no news).
   */
  firstRun: boolean;
  /** `--since`: only boots at or after it are said (seconds). */
  since?: number | undefined;
  sessions: readonly Session[];
  files: readonly string[];
  zone: Zone;
  service: string;
}

/** Unclean boots said by one run at most (the newest); the rest are counted in the newest one's finding. */
export const MAX_SAID_CRASHES = 10;

/** Sessions listed per unclean boot. */
const MAX_CUT = 20;

function whereEvidence(where: CrashWhere, files: readonly string[], sec: number, text: string): Evidence {
  const source = files[where.file] ?? (where.row === undefined ? 'wtmp' : 'wtmpdb');
  return where.row !== undefined
    ? { source, line: where.row, time: iso(sec), text: `${text} (wtmpdb row ${where.row})` }
    : { source, line: recordNumber(where.index), time: iso(sec), text };
}

/**
 * One WARNING per unclean boot new since the last run (the newest MAX_SAID_CRASHES; a first run: the newest
 * only), saying when the boot was, the last record before it and the sessions it cut.
 */
export function uncleanRebootFindings(input: UncleanInput): LoginsFinding[] {
  const { found, zone, files } = input;
  const at = (sec: number): string => `${localText(sec, zone)} ${zone.name}`;
  const fresh = found.boots.filter(
    (b) => input.isNew(b) && (input.since === undefined || b.sec >= input.since),
  );
  // Boots dropped by the pass (past MAX_KEPT_CRASHES) are older than every one kept: new too when the
  // oldest kept is.
  const dropped = found.count - found.boots.length;
  const oldestFresh = fresh.length > 0 && fresh[0] === found.boots[0];
  const freshCount = fresh.length + (oldestFresh && input.since === undefined ? dropped : 0);
  const limit = input.firstRun ? 1 : MAX_SAID_CRASHES;
  const said = fresh.slice(-limit);
  const notListed = freshCount - said.length;
  if (said.length === 0) return [];
  const cutBy = new Map<number, Session[]>();
  const ends = new Set(said.map((b) => b.sec));
  for (const s of input.sessions) {
    if (s.endKind !== 'crash' || s.end === null || !ends.has(s.end)) continue;
    const list = cutBy.get(s.end) ?? [];
    list.push(s);
    cutBy.set(s.end, list);
  }
  const out: LoginsFinding[] = [];
  for (const b of said) {
    const cut = cutBy.get(b.sec) ?? [];
    const newest = b === said[said.length - 1];
    const more = newest && notListed > 0 ? notListed : 0;
    const cutText = cut.length
      ? `; sessions cut (as \`last\` shows \`crash\`): ${cut
          .slice(0, 10)
          .map((s) => `${s.user} on ${s.tty}${fromText(s)}`)
          .join(', ')}${cut.length > 10 ? `, and ${cut.length - 10} more` : ''}`
      : '; no session was open';
    const moreText = more
      ? `; ${more} earlier unclean reboot${more === 1 ? '' : 's'} ${input.firstRun ? 'in the history' : 'since the last run'} not listed`
      : '';
    out.push({
      status: 'WARNING',
      service: input.service,
      summary: `Unclean reboot: the system booted at ${at(b.sec)} with no shutdown since the boot at ${at(b.previousBoot)} (a crash, power loss, reset or killed VM); last record before it: ${b.last.text} at ${at(b.last.sec)}${cutText}${moreText}`,
      evidence: [
        whereEvidence(b.where, files, b.sec, 'BOOT_TIME reboot ~ (system boot)'),
        whereEvidence(b.last.where, files, b.last.sec, `last record before it: ${b.last.text}`),
        ...cut.slice(0, 8).map((s) => sessionEvidence(s, files)),
      ],
      first: iso(b.last.sec),
      last: iso(b.sec),
      kind: 'unclean-reboot',
      data: {
        time: iso(b.sec),
        previousBoot: iso(b.previousBoot),
        lastRecord: { time: iso(b.last.sec), text: b.last.text },
        sessions: cut
          .slice(0, MAX_CUT)
          .map((s) => ({ user: s.user, tty: s.tty, host: s.host || null, start: iso(s.start) })),
        sessionCount: cut.length,
        notListed: more,
      },
    });
  }
  return out;
}
