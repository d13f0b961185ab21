/**
 * Folds a message so that lines differing only in numbers and ids count as one: every word-like token
 * containing a digit (pids, ports, IPs, queue ids like `j4P1a2b3c`, hex) becomes `#`.
 */
// The lookbehind starts a match only at a token's start, so a long word is not rescanned at every offset.
const TOKEN = /(?<![0-9A-Za-z_.:-])[A-Za-z_.:-]*\d[0-9A-Za-z_.:-]*/g;

/** The folded form of a message (clipped to 300 characters first). */
export function foldMessage(message: string): string {
  const m = message.length > 300 ? message.slice(0, 300) : message;
  return m.replace(TOKEN, '#').trim();
}
