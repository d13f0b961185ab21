/**
 * Makes untrusted text (log lines, user names, hosts from wtmp) safe for a terminal or a one-line report.
 * Log text is attacker-controlled: escape sequences could rewrite the admin's screen (OSSEC CVE-2020-8445),
 * so every C0/C1 control character and DEL becomes a visible escape; tabs become a space.
 */
// biome-ignore lint: control characters are the point of this pattern
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Replaces control characters with `\xNN` / `\u{...}` escapes and tabs with a space. */
export function terminalSafe(text: string): string {
  return text.replace(/\t/g, ' ').replace(CONTROL, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values (after terminalSafe). */
export function htmlEscape(text: string): string {
  return terminalSafe(text).replace(/[&<>"']/g, (c) => HTML[c] as string);
}

/**
 * The first `max` UTF-16 units of a string, one fewer when the cut would split a surrogate pair: a lone
 * surrogate is not valid Unicode, and JSON with one (`"\ud842"`) is refused by jq and strict parsers.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const n = Math.max(0, max);
  const c = text.charCodeAt(n - 1);
  return text.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n);
}

/** Cuts a string to at most `max` UTF-16 units, marking the cut, never inside a surrogate pair. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${truncate(text, max - 1)}…`;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Bytes of a log line to text for a report: UTF-8 where valid, U+FFFD elsewhere (EUC-JP and Shift_JIS
 * lines stay recognisable by their ASCII parts), a trailing CR removed, and long lines clipped.
 */
export function lineText(bytes: Uint8Array, max = 2000): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  const cut = Math.min(end, max * 4);
  return clip(decoder.decode(bytes.subarray(0, cut)), max);
}

/**
 * Text that was read as latin1 (one char per byte, as the attack accounting reads logs for byte offsets and
 * speed) back as UTF-8, invalid sequences as U+FFFD: a user name たなか must not reach a report as
 * mojibake while the logs check shows the same line right. ASCII is returned as is.
 */
export function utf8FromLatin1(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for bytes above 0x7f
  return /[\x80-\xff]/.test(text) ? decoder.decode(Buffer.from(text, 'latin1')) : text;
}
