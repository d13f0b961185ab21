import { makeZone, type YearContext } from '../core/tz.ts';
import type { LogStats } from './aggregate.ts';
import type { LogsConfig } from './config.ts';
import type { LineFolder } from './fold.ts';
import { type LineHit, LOOKBACK } from './scan/lines.ts';
import { ignorableMask, ignoredMask, maskIds, type RuleSet } from './scan/rules.ts';
import { stampedPrefix, parseStamped, parsePrefix, tagMatches } from './syslog.ts';

/**
 * Routing a matching line to the services it belongs to (own files: all lines; shared syslog files and the
 * journal: lines whose program is one of a service's syslog tags) and counting it there. Built from plain
 * data (RouteSpec), so a worker thread reading part of a big log routes and counts exactly as the engine.
 */

/** The service lines of no service go to (syslog lines of unknown programs). */
export const HOST_SERVICE = 'host';

/** What routing needs, as plain data (structured-clone safe). */
export interface RouteSpec {
  /** Syslog tags and the service each belongs to. */
  tags: { tag: string; service: string }[];
  unmatched: LogsConfig['unmatched'];
  /** Only lines of this service. */
  only?: string;
  noIgnore: boolean;
  /** Lines before this time (epoch ms) are skipped. */
  since: number | null;
  /** Zone name for year-less stamps (undefined: this process's zone). */
  zone: string | undefined;
  /**
   * The inspection time (epoch ms): a file's mtime past it (a copied or checked-out tree, a clock set back)
   * is taken as this, so year-less dates never land in the future. Undefined: the mtime as it is.
   */
  now?: number;
}

/** A matching line after routing: what `scan --format ndjson` prints and observers receive. */
export interface LineEvent {
  /** Host path of the file (or `journal`). */
  path: string;
  /** 1-based line number, or 0 when unknown. */
  line: number;
  time: number | null;
  host: string | null;
  program: string | null;
  /** A journal entry's pid (a file line's is in its text). */
  pid: number | null;
  /** Category ids over all the services the line went to. */
  categories: string[];
  /** Services that counted the line, with their categories (after their ignore rules). */
  services: { service: string; categories: string[] }[];
  /** The line as latin1 (bytes) and where its message starts. */
  text: string;
  messageStart: number;
  truncated: boolean;
}

/**
 * Whether a matching line is one an attack detector counts (see AttackLines): `text` is a file's whole line,
 * or a journal entry's message; `program` its syslog tag or the entry's identifier (null: none).
 */
export type AttackLineTest = (text: string, program: string | null) => boolean;

/**
 * The attacks check's reading of lines, given to the logs check when both run (src/checks/registry.ts builds
 * it from the attack extractors; src/logs does not import them). A line it tests true is still counted in
 * every category, and also as an attack line, which the category's thresholds leave to the attacks check.
 */
export interface AttackLines {
  /** The test of a file's lines, or undefined when no detector reads any of them. */
  file(where: Where): AttackLineTest | undefined;
  /** The test of journal entries, or undefined when no detector reads them. */
  journal(): AttackLineTest | undefined;
}

/** Where a file's lines go: its host path, its owners, and whether it is a shared system log. */
export interface Where {
  path: string;
  targets: readonly string[];
  shared: boolean;
}

/** A file being read: where its lines go and how its year-less stamps get a year. */
export interface FileContext {
  where: Where;
  years: YearContext;
  /** The year context of lines read for a time (see `carry`): their own, so hits' times are unchanged. */
  backYears: YearContext;
  /**
   * The last line without a time of its own, at content offset `upTo`, and the time it took: that of the
   * line at `at` (null: none within LOOKBACK). The next one walks back only as far as `upTo`.
   */
  carry: { upTo: number; time: number | null; at: number };
  /**
   * Whether a line about to be counted for the services `key` names counts (false: a copy another source
   * gave to the same services); none: all do.
   */
  admit: ((text: string, key: string) => boolean) | undefined;
  /** Whether a counted line of this file is an attack line (see AttackLines); none: no line is. */
  attack: AttackLineTest | undefined;
}

/** A program name with what routing needs per line of it, looked up once per distinct program. */
interface ProgramEntry {
  name: string | null;
  /** Services a shared file's line of this program goes to (after `unmatched` and `--app`). */
  targets: readonly string[];
  stats: ReturnType<LogStats['program']>;
  /** Next entry with the same hash (interning table). */
  next: ProgramEntry | null;
  /** Per service, the categories its ignore rules can clear on this program's lines (filled as met). */
  ignorable: Map<string, number> | undefined;
}

/** Distinct programs kept in the interning tables (a hostile log cannot grow them without bound). */
const PROGRAM_CAP = 10_000;

/** Routes and counts lines into `stats`. */
export interface Router {
  /** The context of a file with this host path, owners and modification time (`admit`: see FileContext). */
  file(where: Where, mtimeMs: number, admit?: (text: string, key: string) => boolean): FileContext;
  /** A matching line of a file (its syslog prefix is parsed here). */
  fileHit(hit: LineHit, ctx: FileContext): void;
  /** A matching journal entry (already split into time, host, program, pid and message). */
  entryHit(
    text: string,
    mask: number,
    where: Where,
    time: number | null,
    host: string | null,
    program: string | null,
    pid: number | null,
  ): void;
}

/** Services whose syslog tags claim a program. */
function tagIndex(tags: RouteSpec['tags']): (program: string | null) => string[] {
  const cache = new Map<string, string[]>();
  return (program) => {
    if (program === null) return [];
    let hit = cache.get(program);
    if (!hit) {
      hit = [...new Set(tags.filter((t) => tagMatches(program, t.tag)).map((t) => t.service))];
      if (cache.size < PROGRAM_CAP) cache.set(program, hit);
    }
    return hit;
  };
}

/**
 * A router counting into `stats`; `onLine` sees every counted line (then the host is cut out too);
 * `attackLines` marks the counted lines an attack detector counts (LogStats keeps them apart as well).
 */
export function makeRouter(
  spec: RouteSpec,
  rules: RuleSet,
  stats: LogStats,
  onLine?: (ev: LineEvent) => void,
  attackLines?: AttackLines,
): Router {
  const zone = makeZone(spec.zone);
  const servicesOf = tagIndex(spec.tags);
  const { since, only, noIgnore } = spec;

  // Per-line work is kept to counter updates: programs are interned (no substring per line), category id
  // lists and single-service lists are made once per mask, a message is cut out only for ignore rules.
  const restrict = (targets: readonly string[]): readonly string[] =>
    only === undefined ? targets : targets.filter((t) => t === only);
  const sharedTargets = (program: string | null): readonly string[] => {
    const targets = servicesOf(program);
    return restrict(targets.length === 0 && spec.unmatched === 'host' ? [HOST_SERVICE] : targets);
  };
  const newProgram = (name: string | null, next: ProgramEntry | null): ProgramEntry => ({
    name,
    targets: sharedTargets(name),
    stats: stats.program(name),
    next,
    ignorable: undefined,
  });
  const noProgram = newProgram(null, null);
  const programTable = new Map<number, ProgramEntry>();
  let programCount = 0;
  /** The entry of the program at `line[start, end)`. */
  let lastProgram: ProgramEntry = noProgram;
  const internProgram = (line: string, start: number, end: number): ProgramEntry => {
    // Runs of lines from one program are the rule (a burst, a busy daemon): compare with the last first.
    const last = lastProgram.name;
    if (last !== null && last.length === end - start && line.startsWith(last, start)) return lastProgram;
    lastProgram = internUncached(line, start, end);
    return lastProgram;
  };
  const internUncached = (line: string, start: number, end: number): ProgramEntry => {
    let h = 0;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + line.charCodeAt(i)) | 0;
    const head = programTable.get(h) ?? null;
    const len = end - start;
    for (let e = head; e !== null; e = e.next)
      if ((e.name as string).length === len && line.startsWith(e.name as string, start)) return e;
    const entry = newProgram(line.slice(start, end), head);
    if (programCount < PROGRAM_CAP) {
      programCount++;
      programTable.set(h, entry);
    }
    return entry;
  };
  const byName = new Map<string, ProgramEntry>();
  const programNamed = (name: string | null): ProgramEntry => {
    if (name === null) return noProgram;
    let e = byName.get(name);
    if (!e) {
      e = newProgram(name, null);
      if (byName.size < PROGRAM_CAP) byName.set(name, e);
    }
    return e;
  };
  const idsByMask = new Map<number, string[]>();
  const idsOf = (mask: number): string[] => {
    let ids = idsByMask.get(mask);
    if (!ids) idsByMask.set(mask, (ids = Object.freeze(maskIds(rules, mask)) as string[]));
    return ids;
  };
  const singleByKey = new Map<string, Map<number, LineEvent['services']>>();
  const singleService = (service: string, mask: number): LineEvent['services'] => {
    let bySvc = singleByKey.get(service);
    if (!bySvc) singleByKey.set(service, (bySvc = new Map<number, LineEvent['services']>()));
    let list = bySvc.get(mask);
    if (!list)
      bySvc.set(
        mask,
        (list = Object.freeze([
          Object.freeze({ service, categories: idsOf(mask) }),
        ]) as LineEvent['services']),
      );
    return list;
  };
  // Most lines are in no category an ignore rule clears (the built-in rules clear only `passwd`): then no
  // per-line lookup at all. Else the categories the service's rules can clear on the program's lines.
  const ignoreBits = noIgnore ? 0 : rules.ignoreBits;
  const ignorable = (service: string, program: ProgramEntry): number => {
    let bySvc = program.ignorable;
    if (bySvc === undefined) program.ignorable = bySvc = new Map<string, number>();
    let bits = bySvc.get(service);
    if (bits === undefined) bySvc.set(service, (bits = ignorableMask(rules, service, program.name)));
    return bits;
  };

  const dispatch = (
    hit: { line: number; text: string; mask: number; truncated: boolean; folder?: LineFolder | undefined },
    where: Where,
    time: number | null,
    lineHost: string | null,
    program: ProgramEntry,
    messageStart: number,
    pid: number | null = null,
    admit?: (text: string, key: string) => boolean,
    attack?: AttackLineTest,
  ) => {
    if (since !== null && time !== null && time < since) return;
    const targets = where.shared ? program.targets : where.targets;
    if (targets.length === 0) return;
    let union = 0;
    let services: LineEvent['services'] | undefined;
    // A line that goes nowhere (ignored, no service) is not kept by `admit`: a later copy of it may count.
    if (targets.length === 1) {
      const svc = targets[0] as string;
      let mask = hit.mask;
      if ((mask & ignoreBits) !== 0 && (mask & ignorable(svc, program)) !== 0)
        mask &= ~ignoredMask(rules, svc, hit.text.slice(messageStart), program.name);
      if (!mask) return;
      if (admit !== undefined && !admit(hit.text, svc)) return;
      // Only a line that counts is tested: the keyword scan already left out every other.
      const isAttack = attack !== undefined && attack(hit.text, program.name);
      stats.addLine(svc, mask, where.path, hit.line, time, hit.text, messageStart, hit.folder, isAttack);
      union = mask;
      if (onLine) services = singleService(svc, mask);
    } else {
      const list: { service: string; categories: string[] }[] = [];
      const masks: number[] = [];
      let message: string | undefined;
      for (const svc of targets) {
        let mask = hit.mask;
        if ((mask & ignoreBits) !== 0 && (mask & ignorable(svc, program)) !== 0)
          mask &= ~ignoredMask(rules, svc, (message ??= hit.text.slice(messageStart)), program.name);
        if (!mask) continue;
        union |= mask;
        list.push({ service: svc, categories: idsOf(mask) });
        masks.push(mask);
      }
      if (!union) return;
      if (admit !== undefined && !admit(hit.text, list.map((l) => l.service).join(','))) return;
      const isAttack = attack !== undefined && attack(hit.text, program.name);
      list.forEach(({ service }, i) =>
        stats.addLine(
          service,
          masks[i] as number,
          where.path,
          hit.line,
          time,
          hit.text,
          messageStart,
          hit.folder,
          isAttack,
        ),
      );
      services = list;
    }
    stats.addProgram(program.stats, union);
    onLine?.({
      path: where.path,
      line: hit.line,
      time,
      host: lineHost,
      program: program.name,
      pid,
      categories: idsOf(union),
      services: services as LineEvent['services'],
      text: hit.text,
      messageStart,
      truncated: hit.truncated,
    });
  };

  const classic = stampedPrefix();
  const scratch = stampedPrefix();
  /**
   * The time of a line that has none of its own (Samba's message under its `[2026/11/20 10:00:00, 0]`
   * header, a stack trace's lines): that of the nearest line before it in the file that has one, when it
   * starts at most LOOKBACK bytes before it. Lines come in file order, so each walk stops where the last
   * one started. The same whichever thread reads the part (the scanner looks before its part's start).
   */
  const inherited = (hit: LineHit, ctx: FileContext): number | null => {
    const before = hit.before;
    if (before === undefined) return null;
    const carry = ctx.carry;
    const years = ctx.backYears;
    let time: number | null = null;
    let at = -1;
    let known = false;
    before.visitBefore(hit.offset, (head, start) => {
      if (start <= carry.upTo) {
        known = true;
        return true;
      }
      delete years.last; // each on its own: no fold-back guess from an unrelated earlier line
      const t = parseStamped(head, years, scratch) ? scratch.time : parsePrefix(head, years).time;
      if (t === null) return false;
      time = t;
      at = start;
      return true;
    });
    if (time === null && known && carry.time !== null && carry.at >= hit.offset - LOOKBACK) {
      time = carry.time;
      at = carry.at;
    }
    ctx.carry = { upTo: hit.offset, time, at };
    return time;
  };
  let lastHost = '';
  let journalTest: AttackLineTest | undefined | null = null;
  return {
    file: (where, mtimeMs, admit) => {
      const reference = spec.now !== undefined && mtimeMs > spec.now ? spec.now : mtimeMs;
      return {
        where: { ...where, targets: restrict(where.targets) },
        years: { reference, zone, year: zone.yearOf(reference) },
        backYears: { reference, zone, year: zone.yearOf(reference) },
        carry: { upTo: -1, time: null, at: -1 },
        admit,
        attack: attackLines?.file(where),
      };
    },
    fileHit(hit, ctx) {
      const text = hit.text;
      if (parseStamped(text, ctx.years, classic)) {
        let lineHost: string | null = null;
        if (onLine && classic.hostStart >= 0) {
          const { hostStart, hostEnd } = classic;
          if (hostEnd - hostStart !== lastHost.length || !text.startsWith(lastHost, hostStart))
            lastHost = text.slice(hostStart, hostEnd);
          lineHost = lastHost;
        }
        const program =
          classic.programStart < 0
            ? noProgram
            : internProgram(text, classic.programStart, classic.programEnd);
        dispatch(
          hit,
          ctx.where,
          classic.time,
          lineHost,
          program,
          classic.messageStart,
          null,
          ctx.admit,
          ctx.attack,
        );
      } else {
        const p = parsePrefix(text, ctx.years);
        const time = p.time ?? inherited(hit, ctx);
        dispatch(
          hit,
          ctx.where,
          time,
          p.host,
          programNamed(p.program),
          p.messageStart,
          null,
          ctx.admit,
          ctx.attack,
        );
      }
    },
    entryHit(text, mask, where, time, host, program, pid) {
      if (journalTest === null) journalTest = attackLines?.journal();
      dispatch(
        { line: 0, text, mask, truncated: false },
        where,
        time,
        host,
        programNamed(program),
        0,
        pid,
        undefined,
        journalTest,
      );
    },
  };
}
