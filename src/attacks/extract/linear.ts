import { enableLinearEngine } from '../../logs/scan/linear.ts';

/**
 * A pattern compiled for V8's linear-time engine (`l`), lazily and once. For the few extractor patterns a
 * crafted line made quadratic on the backtracking engine (a `.*` giving back characters, which V8's
 * fallback does not count as excessive backtracking) and that do not rewrite cleanly. The linear engine is
 * slower per character, so callers run it only on lines that already start with the pattern's fixed text.
 */
export function linear(re: RegExp): Exec {
  let compiled: RegExp | undefined;
  return {
    exec(s: string): RegExpExecArray | null {
      if (compiled === undefined) {
        enableLinearEngine();
        compiled = new RegExp(re.source, `${re.flags}l`);
      }
      return compiled.exec(s);
    },
  };
}

/** A matcher: a RegExp, or a pattern run only where it can match. */
export interface Exec {
  exec(s: string): RegExpExecArray | null;
}

/** `re` on the linear engine, run only on texts where `can` holds (a cheap test of its fixed text). */
export function linearWhere(can: (s: string) => boolean, re: RegExp): Exec {
  const l = linear(re);
  return { exec: (s) => (can(s) ? l.exec(s) : null) };
}

/** Whether a string holds a line terminator (`.` and `$` without flags never match across one). */
export function hasBreak(s: string): boolean {
  return s.includes('\r') || s.includes('\n');
}
