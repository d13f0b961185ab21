import v8 from 'node:v8';

/**
 * Linear-time checking of user regexes. A user rule runs against attacker-written log lines, so a
 * backtracking pattern like `^(a+)+$` could stall a scan for minutes. V8 ships a linear-time engine
 * behind flags: with it enabled, `new RegExp(src, 'l')` throws for patterns it cannot run in linear time
 * (backreferences, lookaround), and accepted patterns that start backtracking excessively fall back to it.
 */
let enabled = false;

/** Turns on V8's experimental linear engine and its fallback; idempotent, must run before rules compile. */
export function enableLinearEngine(): void {
  if (enabled) return;
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  enabled = true;
}

/** Why `source` cannot be a rule (invalid syntax or not linear-time), or null when it is accepted. */
export function linearProblem(source: string, flags = ''): string | null {
  enableLinearEngine();
  try {
    new RegExp(source, flags);
  } catch (err) {
    return (err as Error).message.replace(/^Invalid regular expression: /, '');
  }
  try {
    new RegExp(source, `${flags}l`);
  } catch {
    // V8's linear engine also refuses repeat counts it would have to unroll beyond 16 copies (`{32}`, or
    // nested counts whose product is over 16): say that, not a backreference the pattern does not have.
    if (!/\\[1-9k]|\(\?<?[=!]/.test(source))
      return 'cannot run in linear time: repeat counts above 16 (such as {32}, or {4} inside {8}) are not supported in rules; use + or {1,} instead';
    return 'cannot run in linear time (backreferences and lookaround are not allowed in rules)';
  }
  return null;
}
