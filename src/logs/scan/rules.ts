import type { LogsConfig } from '../config.ts';
import type { KernelKeyword } from './kernel.ts';
import { enableLinearEngine } from './linear.ts';
import { RUNBOOK_CATEGORIES, RUNBOOK_PACK, RUNBOOK_TITLES } from './pack.ts';
import { tagMatches } from '../syslog.ts';

/**
 * Compiled rules: what the scanner runs. Lines are latin1-decoded bytes (one char per byte), so keyword
 * bytes are compared as bytes; ASCII letters fold case like `LC_ALL=C grep -i`, other bytes match exactly.
 */

/** One category, compiled. */
export interface CompiledCategory {
  id: string;
  /** What the category means (the config's `title`, else the runbook's words), or null. */
  title: string | null;
  /** Bit of this category in a line's mask. */
  bit: number;
  /** Keyword test over a latin1 line, or null when the category has no keywords. */
  keywords: RegExp | null;
  /** User regexes over the line text (ASCII patterns on latin1, others on UTF-8 text). */
  regexes: LineRegex[];
}

/** A user regex and the text it runs on. */
export interface LineRegex {
  /** On V8's backtracking engine: for text up to SHORT_TEXT characters. */
  re: RegExp;
  /** The same pattern on V8's linear-time engine (`l`), for longer text; null for built-in keyword rules. */
  linear: RegExp | null;
  /** True when the pattern is pure ASCII and can run on latin1 bytes without decoding. */
  ascii: boolean;
}

/**
 * Text up to this length runs on the backtracking engine, which is ~100x faster per test than the linear
 * one on ordinary lines; its worst case on text this short is bounded (a quadratic pattern costs some tens
 * of microseconds). Longer text, where a crafted line would cost minutes, runs in linear time.
 */
const SHORT_TEXT = 256;

/** One ignore rule, compiled. */
export interface CompiledIgnore {
  test: LineRegex;
  /** Categories it clears (bit mask); all bits when the rule names none. */
  mask: number;
  /** Only lines of these programs (syslog tags), or null: any line. */
  programs: readonly string[] | null;
}

/** Everything the scanner and the dispatcher need. */
export interface RuleSet {
  categories: CompiledCategory[];
  /** Global, case-insensitive alternation of every keyword (a superset finder over whole chunks). */
  finder: RegExp | null;
  /** True when some category has regexes: then every line must be visited, not only keyword hits. */
  perLine: boolean;
  /**
   * Every keyword (latin1 bytes, case as written) with the bits of the categories that list it: what the
   * SIMD kernel (kernel.ts) searches. Optional so hand-made rule sets keep working (regex path).
   */
  keywordList?: readonly KernelKeyword[];
  /** Longest keyword in bytes (overlap needed when a line is scanned in pieces). */
  maxKeyword: number;
  /** Ignore rules by service name (`*` for all). */
  ignore: Map<string, CompiledIgnore[]>;
  /** The categories any ignore rule can clear: a line in none of them is not looked at by the rules. */
  ignoreBits: number;
  /** What it was compiled from (plain data), so a worker thread can compile the same rules. */
  origin?: RulesOrigin;
}

/** The arguments of compileRules, as plain data. */
export interface RulesOrigin {
  config: LogsConfig;
  only?: string[];
}

const SPECIAL = /[\\^$.*+?()[\]{}|/-]/;

/** Keyword (text) → latin1 string of its UTF-8 bytes, the form lines are matched in. */
export function keywordBytes(k: string): string {
  return Buffer.from(k, 'utf8').toString('latin1');
}

function escapeChar(c: string, foldClasses: boolean): string {
  if (foldClasses && /[a-z]/i.test(c)) return `[${c.toLowerCase()}${c.toUpperCase()}]`;
  if (SPECIAL.test(c)) return `\\${c}`;
  const code = c.charCodeAt(0);
  if (code < 0x20 || code > 0x7e) return `\\x${code.toString(16).padStart(2, '0')}`;
  return c;
}

/**
 * A regex source matching any of `words` (latin1 strings), factored as a trie: V8 runs a factored
 * alternation ~1.4x faster than a flat one. `foldClasses` spells ASCII case folding as `[aA]` classes for
 * patterns compiled without `i` (used when a keyword has non-ASCII bytes, which `i` would fold too).
 */
export function trieSource(words: readonly string[], foldClasses = false): string {
  interface Node {
    end: boolean;
    next: Map<string, Node>;
  }
  const root: Node = { end: false, next: new Map() };
  for (const w of words) {
    let n = root;
    for (const ch of foldClasses ? w : w.toLowerCase()) {
      const key = foldClasses && /[a-z]/i.test(ch) ? ch.toLowerCase() : ch;
      let child = n.next.get(key);
      if (!child) n.next.set(key, (child = { end: false, next: new Map() }));
      n = child;
    }
    n.end = true;
  }
  const emit = (n: Node): string => {
    if (n.end) return ''; // a shorter keyword already matches: longer continuations add nothing
    const alts = [...n.next].map(([c, child]) => escapeChar(c, foldClasses) + emit(child));
    return alts.length === 1 ? (alts[0] as string) : `(?:${alts.join('|')})`;
  };
  return emit(root);
}

function keywordRegex(words: string[], global: boolean): RegExp {
  const nonAscii = words.some((w) => /[^\x00-\x7f]/.test(w));
  const src = trieSource(words, nonAscii);
  return new RegExp(src, `${nonAscii ? '' : 'i'}${global ? 'g' : ''}`);
}

/**
 * A user regex, compiled case-sensitively (see config.ts: `i` would defeat the linear-time fallback), on
 * both engines. Long text goes to V8's linear-time engine (`l`; config.ts accepts only patterns it can
 * run), not the backtracking engine with its fallback: the fallback triggers on excessive backtracking only,
 * and a `.*` giving back characters (`user .* failed` over a line of `user user ...`) never counts as that,
 * so such a line took quadratic time.
 */
function lineRegex(src: string): LineRegex {
  return { re: new RegExp(src), linear: new RegExp(src, 'l'), ascii: !/[^\x00-\x7f]/.test(src) };
}

/** Compiles the config's rules; `only` keeps just these category ids (for `scan --category`). */
export function compileRules(cfg: LogsConfig, only?: ReadonlySet<string>): RuleSet {
  enableLinearEngine();
  const spec = new Map<string, { title: string | null; keywords: string[]; regex: string[] }>();
  if (cfg.runbook)
    for (const id of RUNBOOK_CATEGORIES)
      spec.set(id, { title: RUNBOOK_TITLES[id], keywords: [...RUNBOOK_PACK[id]], regex: [] });
  for (const [id, r] of Object.entries(cfg.categories)) {
    const s = spec.get(id) ?? { title: null, keywords: [], regex: [] };
    if (r.title !== undefined && r.title.trim() !== '') s.title = r.title.trim();
    s.keywords.push(...r.keywords);
    s.regex.push(...r.regex);
    spec.set(id, s);
  }
  const categories: CompiledCategory[] = [];
  const allWords: string[] = [];
  const keywordBits = new Map<string, number>();
  for (const [id, s] of spec) {
    if (only && !only.has(id)) continue;
    const words = s.keywords.map(keywordBytes);
    allWords.push(...words);
    const bit = 1 << categories.length;
    for (const w of words) {
      const folded = w.replace(/[A-Z]/g, (c) => c.toLowerCase()); // the kernel folds ASCII only
      keywordBits.set(folded, (keywordBits.get(folded) ?? 0) | bit);
    }
    categories.push({
      id,
      title: s.title,
      bit,
      keywords: words.length ? keywordRegex(words, false) : null,
      regexes: s.regex.map(lineRegex),
    });
  }
  const ignore = new Map<string, CompiledIgnore[]>();
  for (const [svc, rules] of Object.entries(cfg.ignore)) {
    ignore.set(
      svc,
      rules.map((r) => {
        const cats = typeof r === 'string' ? undefined : r.categories;
        const mask = cats ? categories.filter((c) => cats.includes(c.id)).reduce((m, c) => m | c.bit, 0) : -1;
        const regex = typeof r === 'string' ? r : r.regex;
        const test: LineRegex =
          regex !== undefined
            ? lineRegex(regex)
            : {
                re: keywordRegex([keywordBytes((r as { keyword: string }).keyword)], false),
                linear: null,
                ascii: true,
              };
        const programs = typeof r === 'string' ? null : (r.programs ?? null);
        return { test, mask, programs };
      }),
    );
  }
  let ignoreBits = 0;
  for (const list of ignore.values()) for (const r of list) ignoreBits |= r.mask;
  const finderWords = minimalWords(allWords);
  return {
    categories,
    finder: finderWords.length ? new RegExp(trieSource(finderWords), 'gi') : null,
    perLine: categories.some((c) => c.regexes.length > 0),
    keywordList: [...keywordBits].map(([bytes, mask]) => ({ bytes, mask })),
    maxKeyword: Math.max(1, ...allWords.map((w) => w.length)),
    ignore,
    ignoreBits,
    origin: { config: cfg, ...(only ? { only: [...only] } : {}) },
  };
}

/** Drops words containing another word (case-insensitively): the finder only needs the shortest. */
function minimalWords(words: string[]): string[] {
  const lower = [...new Set(words.map((w) => w.toLowerCase()))];
  return lower.filter((w) => !lower.some((o) => o !== w && w.includes(o)));
}

/** Strips one trailing CR (CRLF logs), so end-anchored rules see the line as written. */
export function stripCR(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

/** latin1 line → UTF-8 text (invalid sequences become U+FFFD), for non-ASCII regexes and display. */
export function utf8Text(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

function regexTest(r: LineRegex, line: string, text: () => string): boolean {
  const s = r.ascii ? line : text();
  const re = r.linear !== null && s.length > SHORT_TEXT ? r.linear : r.re;
  re.lastIndex = 0;
  return re.test(s);
}

/** The categories a line belongs to, as a bit mask. `line` is latin1, without its newline. */
export function lineMask(rules: RuleSet, line: string): number {
  let mask = 0;
  let stripped: string | undefined;
  let decoded: string | undefined;
  const text = () => (decoded ??= utf8Text((stripped ??= stripCR(line))));
  for (const c of rules.categories) {
    if (c.keywords?.test(line)) mask |= c.bit;
    else if (c.regexes.length) {
      stripped ??= stripCR(line);
      for (const r of c.regexes)
        if (regexTest(r, stripped, text)) {
          mask |= c.bit;
          break;
        }
    }
  }
  return mask;
}

/** Keyword categories found in one piece of a long line (regexes run on the line's head instead). */
export function keywordMask(rules: RuleSet, piece: string): number {
  let mask = 0;
  for (const c of rules.categories) if (c.keywords?.test(piece)) mask |= c.bit;
  return mask;
}

/** Whether an ignore rule applies to a line of `program` (null: none known). */
function forProgram(r: CompiledIgnore, program: string | null): boolean {
  return r.programs === null || (program !== null && r.programs.some((t) => tagMatches(program, t)));
}

/** The mask bits `service`'s ignore rules (and the `*` rules) can clear on a line of `program`. */
export function ignorableMask(rules: RuleSet, service: string, program: string | null): number {
  let bits = 0;
  for (const key of [service, '*'])
    for (const r of rules.ignore.get(key) ?? []) if (forProgram(r, program)) bits |= r.mask;
  return bits;
}

/**
 * The mask bits that `service`'s ignore rules (and the `*` rules) clear for this message (latin1) of a
 * line of `program` (null: none known; rules limited to programs then do not apply).
 */
export function ignoredMask(
  rules: RuleSet,
  service: string,
  message: string,
  program: string | null = null,
): number {
  let cleared = 0;
  let decoded: string | undefined;
  const stripped = stripCR(message);
  const text = () => (decoded ??= utf8Text(stripped));
  for (const key of [service, '*']) {
    for (const r of rules.ignore.get(key) ?? [])
      if (forProgram(r, program) && regexTest(r.test, stripped, text)) cleared |= r.mask;
  }
  return cleared;
}

/** Category ids of a mask, in rule order. */
export function maskIds(rules: RuleSet, mask: number): string[] {
  const ids: string[] = [];
  for (const c of rules.categories) if (mask & c.bit) ids.push(c.id);
  return ids;
}
