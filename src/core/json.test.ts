import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSyntaxError, jsonSyntaxProblem } from './json.ts';

/** Every message jsonSyntaxProblem gives: fixed texts, none with a piece of the file in it. */
const MESSAGES = new Set([
  'empty file',
  'the text ends where a value is expected',
  'a value is missing',
  'a byte order mark (save the file without it)',
  'unexpected bare word where a value is expected (strings are quoted)',
  'strings are quoted with " (not \')',
  'unexpected character where a value is expected',
  'a string must end with a "',
  'control character in a string (write it as an escape)',
  'invalid \\u escape in a string',
  'invalid escape in a string',
  'invalid number',
  'an object must end with a }',
  'an array must end with a ]',
  'a comma before the } (remove it)',
  'a comma before the ] (remove it)',
  'expected , or }',
  'expected , or ]',
  'expected a quoted key',
  'expected : after the key',
  'unexpected text after the end of the JSON value',
]);

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON texts and near-JSON: valid documents with a character inserted, removed or replaced. */
const jsonish = fc.oneof(
  fc.json(),
  fc
    .tuple(
      fc.json(),
      fc.nat(),
      fc.constantFrom(...',:[]{}"\\ \n-.0e+tfnux\'/\u0001\uFEFF'.split('')),
      fc.nat(2),
    )
    .map(([text, at, c, how]) => {
      const i = at % (text.length + 1);
      if (how === 0) return text.slice(0, i) + c + text.slice(i);
      if (how === 1) return text.slice(0, i) + text.slice(i + 1);
      return text.slice(0, i) + c + text.slice(i + 1);
    }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom(...'[]{}:," \n0123-+.eEtrufalsn\\/bu'.split('')), maxLength: 30 }),
);

describe('jsonSyntaxProblem', () => {
  it('finds a problem exactly where JSON.parse refuses the text, in one of its fixed messages', () => {
    fc.assert(
      fc.property(jsonish, (text) => {
        const p = jsonSyntaxProblem(text);
        expect(p === null).toBe(parses(text));
        if (p) {
          expect(MESSAGES.has(p.message)).toBe(true);
          expect(p.line).toBeGreaterThanOrEqual(1);
          expect(p.col).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('gives line and column of the first mistake, and what JSON expected there', () => {
    const cases: [string, string][] = [
      [
        '{\n  "version": 1,\n  "host": tru\n}',
        '3:11 unexpected bare word where a value is expected (strings are quoted)',
      ],
      ['{"version": 1, "host": }', '1:24 a value is missing'],
      ['{\n  "processes": [1,,2]\n}', '2:19 a value is missing'],
      ['{"version": 1', '1:14 an object must end with a }'],
      ['{"a": 1,}', '1:9 a comma before the } (remove it)'],
      ['{"a" 1}', '1:6 expected : after the key'],
      ['{a: 1}', '1:2 expected a quoted key'],
      ['[1 2]', '1:4 expected , or ]'],
      ['{"a": "x\ty"}', '1:9 control character in a string (write it as an escape)'],
      ['{"a": "\\q"}', '1:8 invalid escape in a string'],
      ['[01]', '1:2 invalid number'],
      ['{} {}', '1:4 unexpected text after the end of the JSON value'],
      ['\uFEFF{}', '1:1 a byte order mark (save the file without it)'],
      ['["ä", x]', '1:7 unexpected bare word where a value is expected (strings are quoted)'],
    ];
    for (const [text, want] of cases) {
      const p = jsonSyntaxProblem(text);
      expect(p && `${p.line}:${p.col} ${p.message}`, text).toBe(want);
    }
  });

  it('copes with deep nesting without overflowing the stack', () => {
    expect(jsonSyntaxProblem('['.repeat(200_000))?.message).toBe('an array must end with a ]');
    expect(jsonSyntaxProblem(`${'['.repeat(200_000)}${']'.repeat(200_000)}`)).toBeNull();
  });
});

describe('jsonSyntaxError', () => {
  it('never quotes the file: a shadow line at the baseline path is a position and a kind of mistake', () => {
    const shadow = 'root:$6$Zx9.secrethash$Qw:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n';
    const msg = jsonSyntaxError(shadow, '/var/lib/tenken/baseline.json');
    expect(msg).toBe(
      '/var/lib/tenken/baseline.json:1:1: not valid JSON: unexpected bare word where a value is expected (strings are quoted)',
    );
    expect(msg).not.toMatch(/root|secret|20228/);
    expect(jsonSyntaxError(' \n', '/f')).toBe('/f: empty file');
  });
});
