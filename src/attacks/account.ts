import { extractors, FAMILIES, type Family, familyOf } from './extract/registry.ts';
import { Joiner } from './join.ts';
import { splitLine } from './line.ts';
import type { AttackEvent, Extracted, Extractor, ParsedLine } from './types.ts';

/**
 * Attack accounting for one log stream: prefilter, split, dispatch to the family's extractor, join.
 * The prefilter is one RegExp over the families' needles; a line holding none of them is never split, so a
 * quiet syslog costs one regex scan. `scanText` runs that scan over a whole chunk and finds line bounds only
 * around hits (per-line splitting, not matching, is what costs in Node).
 */

/** Options of one stream's accounting. */
export interface AccountOptions {
  /** Inspection time (year of year-less syslog dates). */
  now: Date;
  /**
   * Families that read lines without a known syslog tag (a service's own log: `['web', 'apache', 'nginx']`
   * for a web server's logs). Empty for syslog files, where the tag decides.
   */
  hints?: readonly Family[];
}

/** An event with where it was found. */
export interface LocatedEvent {
  event: AttackEvent;
  /** 1-based line number in the stream. */
  line: number;
  /** The line's text (latin1-decoded bytes: untrusted, render with sanitize). */
  text: string;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const SYSLOG_FAMILIES = FAMILIES.filter((f) => f !== 'web' && f !== 'xferlog');

function prefilterFor(hints: readonly Family[]): RegExp {
  const fams = new Set<Family>([...SYSLOG_FAMILIES, ...hints]);
  const needles = new Set<string>();
  for (const f of fams) for (const n of (extractors[f] as Extractor).needles) needles.add(n);
  // Web needles are matched without case (`/PHPMyAdmin/`); the others are daemons' fixed text.
  const flags = hints.includes('web') ? 'gi' : 'g';
  return new RegExp([...needles].map(escape).join('|'), flags);
}

/** Accounting state for one stream (one file, or one journal): feed lines in order. */
export class Accountant {
  private readonly joiner = new Joiner();
  private readonly hints: readonly Family[];
  private readonly pre: RegExp;
  private readonly now: Date;

  constructor(opts: AccountOptions) {
    this.hints = opts.hints ?? [];
    this.now = opts.now;
    this.pre = prefilterFor(this.hints);
  }

  /** Whether a line can hold anything a detector counts (the cheap prefilter). */
  mayCount(raw: string): boolean {
    this.pre.lastIndex = 0;
    return this.pre.test(raw);
  }

  /** One line (without newline) to the event a detector counts, or null. */
  line(raw: string): AttackEvent | null {
    if (!this.mayCount(raw)) return null;
    return this.parsed(splitLine(raw, { now: this.now }));
  }

  /** An already split line (from src/logs's parser) to an event, or null. */
  parsed(line: ParsedLine): AttackEvent | null {
    const fam = familyOf(line.program);
    let got: Extracted = null;
    let from: Family | null = null;
    if (fam !== null) {
      got = extractors[fam].extract(line);
      from = fam;
    }
    if (got === null && fam === null) {
      const own = line.message === line.text ? line : { ...line, message: line.text };
      for (const h of this.hints) {
        got = extractors[h].extract(own);
        if (got !== null) {
          from = h;
          break;
        }
      }
    }
    if (
      got === null &&
      fam !== 'pam' &&
      /authentication failure|FAILED (?:LOGIN|SU)|LOGIN FAILURES|login failures/.test(line.message)
    ) {
      got = extractors.pam.extract(line);
      from = 'pam';
    }
    if (got === null) return null;
    return this.joiner.push(got, from === 'sshd' ? `sshd:${line.pid ?? '?'}` : null);
  }

  /**
   * Scans a chunk of whole lines (latin1-decoded, so offsets are byte offsets) and calls `onEvent` for each
   * counted line with its 1-based number (`firstLine` is the number of the chunk's first line).
   */
  scanText(text: string, firstLine: number, onEvent: (e: LocatedEvent) => void): void {
    if (this.hints.length > 0) {
      this.scanByNeedles(text, firstLine, onEvent);
      return;
    }
    // Syslog: the tag decides. Peeking at it costs a few character reads per line, less than one pass of the
    // needle RegExp, and a line whose program no family reads is dropped without being split.
    let lineNo = firstLine;
    const n = text.length;
    for (let pos = 0; pos < n; lineNo++) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = n;
      if (this.wanted(text, pos, end)) {
        const raw = text.slice(pos, end);
        const ev = this.parsed(splitLine(raw, { now: this.now }));
        if (ev) onEvent({ event: ev, line: lineNo, text: raw });
      }
      pos = end + 1;
    }
  }

  /** Syslog-mode filter: a classic `Mmm dd hh:mm:ss host prog[pid]: ` line is wanted when a family reads
   * `prog` or the message opens like a pam/login/su failure; other shapes go through the needle RegExp. */
  private wanted(text: string, pos: number, end: number): boolean {
    const first = text.charCodeAt(pos + 16);
    if (
      end - pos > 20 &&
      first !== 60 /* <fac.pri> */ &&
      first !== 91 /* [prog] */ &&
      text.charCodeAt(pos + 3) === 32 &&
      text.charCodeAt(pos + 6) === 32 &&
      text.charCodeAt(pos + 15) === 32
    ) {
      const h = text.indexOf(' ', pos + 16);
      if (h > 0 && h < end) {
        let tagStart = pos + 16;
        let c = text.charCodeAt(h - 1);
        // `host prog[pid]:` unless the first token is itself the tag (`prog[pid]:` / `prog:`).
        if (c !== 58 /* : */ && c !== 93 /* ] */) {
          tagStart = h + 1;
        }
        let i = tagStart;
        for (; i < end; i++) {
          c = text.charCodeAt(i);
          if (c === 91 /* [ */ || c === 58 /* : */ || c === 32 || c === 40 /* ( */) break;
        }
        const program = text.slice(tagStart, i);
        if (program.length > 0 && familyOf(program) !== null) return true;
        const sp = text.indexOf(' ', i);
        const m = sp < 0 || sp >= end ? end : sp + 1;
        return (
          text.startsWith('pam_unix', m) ||
          text.startsWith('(pam_unix)', m) ||
          text.startsWith('authentication failure', m) ||
          text.startsWith('FAILED ', m) ||
          text.startsWith('REPEATED login', m) ||
          (c === 40 && text.startsWith('(pam_unix)', i)) ||
          (text.charCodeAt(m) >= 48 &&
            text.charCodeAt(m) <= 57 &&
            text.indexOf(' LOGIN FAILURES ', m) > 0 &&
            text.indexOf(' LOGIN FAILURES ', m) < end)
        );
      }
    }
    this.pre.lastIndex = pos;
    const m = this.pre.exec(text);
    return m !== null && m.index < end;
  }

  private scanByNeedles(text: string, firstLine: number, onEvent: (e: LocatedEvent) => void): void {
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
      const ev = this.parsed(splitLine(raw, { now: this.now }));
      if (ev) onEvent({ event: ev, line: lineNo, text: raw });
      re.lastIndex = end + 1;
      if (end >= text.length) break;
    }
  }
}
