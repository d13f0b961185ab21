/**
 * The runbook's keyword table as a rule pack: category id → keywords, matched case-insensitively as
 * substrings of a line. Kept exactly as the runbook lists them so that, with ignore rules off, a
 * category's count equals `grep -ciF -e KW1 -e KW2 ...` on the same bytes.
 */
export const RUNBOOK_PACK = {
  /** Errors in general, e.g. mistakes in a config file. */
  error: ['warning', 'err', 'abort'],
  /** Network trouble, server overload. */
  network: ['timeout', 'timed out'],
  /** Access-control mistakes, or some unauthorised access. */
  access: ['refused', 'reject', 'not permitted', 'denied'],
  /** Parameter mistakes, wrong password entered. */
  invalid: ['fail', 'incorrect', 'invalid'],
  /** CGI abuse. */
  cgi: ['/phf', '/php', '/test-cgi'],
  /** Port scans. */
  portscan: ['null connection', 'eof received'],
  /** Dictionary attacks. */
  bruteforce: ['authentication failed', 'repeated login failures', 'login incorrect'],
  /** Unauthorised access to the password file. */
  passwd: ['passwd'],
} as const satisfies Record<string, readonly string[]>;

/** A built-in category id. */
export type RunbookCategory = keyof typeof RUNBOOK_PACK;

/** The built-in category ids in the runbook's order. */
export const RUNBOOK_CATEGORIES = Object.keys(RUNBOOK_PACK) as RunbookCategory[];
