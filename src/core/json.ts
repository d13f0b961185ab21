/**
 * Where a JSON text stops being JSON, for one-line errors about hand-edited files. The message gives the
 * position and what JSON expected there, never the file's own bytes: the file may not be the JSON it was
 * meant to be (a planted link to /etc/shadow), and its first line must not end up in a cron mail.
 */

/** A syntax error: 1-based line and column (in characters) and what was expected there. */
export interface JsonSyntaxProblem {
  line: number;
  col: number;
  message: string;
}

const WS = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z0-9_$.+-]+/y;

/** What was found where a value belongs (by kind, never the text itself). */
function notAValue(c: string | undefined): string {
  if (c === undefined) return 'the text ends where a value is expected';
  if (c === ',' || c === ']' || c === '}' || c === ':') return 'a value is missing';
  if (c === '\uFEFF') return 'a byte order mark (save the file without it)';
  if (/[A-Za-z_$]/.test(c)) return 'unexpected bare word where a value is expected (strings are quoted)';
  if (c === "'") return 'strings are quoted with " (not \')';
  return 'unexpected character where a value is expected';
}

/** One level of nesting: in an object or array, and what comes next in it. */
type Frame = { in: 'object' | 'array'; next: 'first' | 'key' | 'colon' | 'value' | 'comma' };

/**
 * The first syntax error of a JSON text (RFC 8259, as JSON.parse reads it), or null when it is valid.
 * Iterative, so deep nesting cannot overflow the stack.
 */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  let i = 0;
  const stack: Frame[] = [];
  const fail = (at: number, message: string): JsonSyntaxProblem => ({ ...positionOf(text, at), message });
  const skipWs = (): void => {
    while (i < text.length && WS.has(text[i] as string)) i++;
  };
  /** Scans a string at text[i] === '"'; returns an error or null. */
  const string = (): JsonSyntaxProblem | null => {
    i++;
    for (;;) {
      if (i >= text.length) return fail(i, 'a string must end with a "');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c < 0x20) return fail(i, 'control character in a string (write it as an escape)');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6)))
            return fail(i, 'invalid \\u escape in a string');
          i += 6;
        } else if (e !== undefined && ESCAPES.has(e)) i += 2;
        else return fail(i, 'invalid escape in a string');
      } else i++;
    }
  };
  /** Scans a value at text[i] (after whitespace); pushes a frame for { and [. */
  const value = (): JsonSyntaxProblem | null => {
    const c = text[i];
    if (c === '{') {
      stack.push({ in: 'object', next: 'first' });
      i++;
      return null;
    }
    if (c === '[') {
      stack.push({ in: 'array', next: 'first' });
      i++;
      return null;
    }
    if (c === '"') return string();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i) && !/[A-Za-z0-9_$]/.test(text[i + lit.length] ?? '')) {
        i += lit.length;
        return null;
      }
    }
    if (c !== undefined && /[-0-9]/.test(c)) {
      NUMBER.lastIndex = i;
      WORD.lastIndex = i;
      const n = NUMBER.exec(text);
      const w = WORD.exec(text);
      if (n && w && n[0].length === w[0].length) {
        i += n[0].length;
        return null;
      }
      return fail(i, 'invalid number');
    }
    return fail(i, notAValue(c));
  };

  skipWs();
  if (i >= text.length) return fail(i, 'empty file');
  let err = value();
  if (err) return err;
  for (;;) {
    const top = stack.at(-1);
    skipWs();
    if (!top) break;
    const c = text[i];
    const close = top.in === 'object' ? '}' : ']';
    if (c === undefined)
      return fail(i, `${top.in === 'object' ? 'an object' : 'an array'} must end with a ${close}`);
    if (top.next === 'first' && c === close) {
      stack.pop();
      i++;
    } else if (top.next === 'comma') {
      if (c === close) {
        stack.pop();
        i++;
      } else if (c === ',') {
        top.next = top.in === 'object' ? 'key' : 'value';
        i++;
        skipWs();
        if (text[i] === close) return fail(i, `a comma before the ${close} (remove it)`);
      } else return fail(i, `expected , or ${close}`);
    } else if (top.in === 'object' && (top.next === 'first' || top.next === 'key')) {
      if (c !== '"') return fail(i, 'expected a quoted key');
      err = string();
      if (err) return err;
      top.next = 'colon';
    } else if (top.next === 'colon') {
      if (c !== ':') return fail(i, 'expected : after the key');
      i++;
      top.next = 'value';
    } else {
      // An array's first or next element, or an object's value.
      top.next = 'comma';
      err = value();
      if (err) return err;
    }
  }
  return i < text.length ? fail(i, 'unexpected text after the end of the JSON value') : null;
}

/** 1-based line and column (counted in characters, as an editor does) of an offset. */
function positionOf(text: string, at: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let j = text.indexOf('\n'); j !== -1 && j < at; j = text.indexOf('\n', j + 1)) {
    line++;
    start = j + 1;
  }
  return { line, col: [...text.slice(start, at)].length + 1 };
}

/**
 * A one-line error for a JSON file that JSON.parse refused: `FILE:LINE:COL: not valid JSON: what was
 * expected`, or `FILE: empty file`. It quotes nothing of the file.
 */
export function jsonSyntaxError(text: string, file: string): string {
  const p = jsonSyntaxProblem(text);
  if (!p) return `${file}: not valid JSON`;
  if (p.message === 'empty file') return `${file}: empty file`;
  return `${file}:${p.line}:${p.col}: not valid JSON: ${p.message}`;
}
