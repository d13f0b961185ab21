import { makeZone, type YearContext, type Zone } from '../logs/syslog.ts';
import { extractors, FAMILIES, type Family, familyOf } from './extract/registry.ts';
import { Joiner } from './join.ts';
import { LineSplitter } from './line.ts';
import type { AttackEvent, Extracted, Extractor, ParsedLine } from './types.ts';

/**
 * Attack accounting for one log stream: prefilter, split, dispatch to the family's extractor, join.
 * The prefilter is the families' needles: a line holding none of them is never split. Files are read by
 * src/logs's reader with those needles as its one keyword category (`attackRules`), so only lines around a
 * needle are ever cut out of a chunk; `scanText` does the same over an in-memory chunk.
 */

/** Options of one stream's accounting. */
export interface AccountOptions {
  /** Inspection time: the year reference for year-less dates when no file context is given. */
  now: Date;
  /** Zone of the log's wall-clock times (default: the process's local zone). */
  zone?: Zone;
  /**
   * Families that read lines without a known syslog tag (a service's own log: `['web']` for a web
   * server's access logs). Empty for syslog files, where the tag decides.
   */
  hints?: readonly Family[];
}

/** An event with where it was found. */
export interface LocatedEvent {
  event: AttackEvent;
  /** 1-based line number in the stream (0 when unknown). */
  line: number;
  /** The line's text (latin1-decoded bytes: untrusted, render with sanitize). */
  text: string;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const SYSLOG_FAMILIES = FAMILIES.filter((f) => f !== 'web' && f !== 'xferlog');

/**
 * The needles of every family a stream can route to: the syslog families plus its hints. Every line an
 * extractor can count (or a joiner needs) holds one of them, case-sensitively.
 */
export function needlesFor(hints: readonly Family[]): string[] {
  const needles = new Set<string>();
  for (const f of new Set<Family>([...SYSLOG_FAMILIES, ...hints]))
    for (const n of (extractors[f] as Extractor).needles) needles.add(n);
  return [...needles];
}

/**
 * What the file reader searches for in syslog streams: a short cover of the syslog families' needles (each
 * needle contains one of these, ignoring case; `account.test.ts` checks it). Fewer, shorter keywords keep
 * src/logs's SIMD keyword filter fast: `fail` alone stands for fifteen daemons' failure texts. Narrow where
 * a wider word would hit ordinary lines (postfix's `disconnect from`, `connect from unknown[...]`). The
 * filter looks at each keyword's first three bytes, so anchors start inside a word (`nnection `, not
 * `connection `): rarer triples, fewer candidates to compare (54 → 40 ms on the benchmark's 21 MB).
 */
export const SYSLOG_ANCHORS: readonly string[] = [
  'fail',
  'nvalid',
  'llegal u',
  'uthentica',
  'efuse',
  'not allowed b',
  'eceived disconnect',
  'isconnected from',
  'isconnecting',
  'nnection ',
  'oo many',
  'ccepted ',
  'id not ',
  'ad protocol',
  'nable to negotiate',
  'imeout before',
  'not known to the',
  'ok login',
  'ftp command',
  'o such user',
  'ecurity violation',
  'aximum',
  'ogin successful',
  'ogged in',
  'ossible smtp',
  'uleset=check_',
  'eject',
  're-greeting',
  'regreet',
  'ser unknown',
  'nknown user',
  'nrcpts=0',
  'mproper command',
  'angup after',
  'imit from',
  'smtp protocol error',
  'drop',
  'ynchronization error',
  'plaintext auth',
  'isallowed',
  'assword mismatch',
  'rror,relay=',
  'nt_status_',
  '[client ',
  '[remote ',
  ', client: ',
  'locked',
  'ttackalert',
  ', tos ',
  ' ports ',
  'src=',
];

/** The reader's keywords (matched without case) for a stream with these hints: the anchors plus the hinted own-log families' needles. */
export function readerNeedles(hints: readonly Family[]): string[] {
  const own = hints.filter((h) => !(SYSLOG_FAMILIES as readonly Family[]).includes(h));
  return [...new Set([...SYSLOG_ANCHORS, ...own.flatMap((h) => (extractors[h] as Extractor).needles)])];
}

function prefilterFor(hints: readonly Family[]): RegExp {
  // Web needles are matched without case (`/PHPMyAdmin/`); the others are daemons' fixed text.
  const flags = hints.includes('web') ? 'gi' : 'g';
  return new RegExp(needlesFor(hints).map(escape).join('|'), flags);
}

const PAM_ANYWHERE = /authentication failure|FAILED (?:LOGIN|SU)|LOGIN FAILURES|login failures/;

/** Accounting state for one stream (one log and its rotated members, or one journal): feed lines in order. */
export class Accountant {
  private readonly joiner = new Joiner();
  private readonly hints: readonly Family[];
  private readonly pre: RegExp;
  private readonly zone: Zone;
  private splitter: LineSplitter;
  private reference = Number.NaN;

  constructor(opts: AccountOptions) {
    this.hints = opts.hints ?? [];
    this.pre = prefilterFor(this.hints);
    this.zone = opts.zone ?? makeZone(undefined);
    this.splitter = this.splitterFor(opts.now.getTime());
  }

  private splitterFor(reference: number): LineSplitter {
    this.reference = reference;
    const years: YearContext = { reference, zone: this.zone, year: this.zone.yearOf(reference) };
    return new LineSplitter(years);
  }

  /**
   * The file the next lines come from was last written at `mtimeMs`: year-less dates get the year that
   * does not put them after it (rotated members of one stream differ). The pid joins carry over.
   */
  useFile(mtimeMs: number): void {
    if (mtimeMs !== this.reference) this.splitter = this.splitterFor(mtimeMs);
  }

  /** Whether a line can hold anything a detector counts (the cheap prefilter). */
  mayCount(raw: string): boolean {
    this.pre.lastIndex = 0;
    return this.pre.test(raw);
  }

  /** One line (without newline) to the event a detector counts, or null. */
  line(raw: string): AttackEvent | null {
    if (!this.mayCount(raw)) return null;
    return this.parsed(this.splitter.split(raw));
  }

  /** A line the reader already found a needle in (case-insensitively): split and dispatch. */
  hit(raw: string): AttackEvent | null {
    return this.parsed(this.splitter.split(raw));
  }

  /** An already split line to an event, or null. */
  parsed(line: ParsedLine): AttackEvent | null {
    const fam = familyOf(line.program);
    let got: Extracted = null;
    let from: Family | null = null;
    if (fam !== null) {
      got = extractors[fam].extract(line);
      from = fam;
    } else if (this.hints.length > 0) {
      const own = line.message === line.text ? line : { ...line, message: line.text };
      for (const h of this.hints) {
        got = extractors[h].extract(own);
        if (got !== null) {
          from = h;
          break;
        }
      }
    }
    if (got === null && fam !== 'pam' && PAM_ANYWHERE.test(line.message)) {
      got = extractors.pam.extract(line);
      from = 'pam';
    }
    if (got === null) return null;
    return this.joiner.push(got, from === 'sshd' ? (line.pid ?? -1) : null);
  }

  /**
   * Scans a chunk of whole lines (latin1-decoded, so offsets are byte offsets) and calls `onEvent` for each
   * counted line with its 1-based number (`firstLine` is the number of the chunk's first line). Only lines
   * around a needle are cut out; the rest costs one RegExp scan.
   */
  scanText(text: string, firstLine: number, onEvent: (e: LocatedEvent) => void): void {
    const re = this.pre;
    re.lastIndex = 0;
    let lineNo = firstLine;
    let counted = 0; // offset up to which newlines were counted
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const start = text.lastIndexOf('\n', m.index) + 1;
      let end = text.indexOf('\n', m.index);
      if (end < 0) end = text.length;
      for (let i = text.indexOf('\n', counted); i >= 0 && i < start; i = text.indexOf('\n', i + 1)) lineNo++;
      counted = start;
      const raw = text.slice(start, end);
      const ev = this.hit(raw);
      if (ev) onEvent({ event: ev, line: lineNo, text: raw });
      re.lastIndex = end + 1;
      if (end >= text.length) break;
    }
  }
}
