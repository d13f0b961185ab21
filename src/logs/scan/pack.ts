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

/**
 * What a built-in category means, in the runbook's words (its keyword table's right column): shown beside
 * the id in reports, so that "access" or "invalid" needs no manual. A user category's `title` overrides.
 */
export const RUNBOOK_TITLES = {
  error: 'errors in general, e.g. a mistake in a config file',
  network: 'network trouble, server overload',
  access: 'access-control mistakes, or some unauthorised access',
  invalid: 'parameter mistakes, wrong password entered',
  cgi: 'CGI abuse',
  portscan: 'port scan',
  bruteforce: 'dictionary attack',
  passwd: 'unauthorised access to the password file',
} as const satisfies Record<RunbookCategory, string>;
