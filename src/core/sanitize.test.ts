import { describe, expect, it } from 'vitest';
import { clip, htmlEscape, lineText, terminalSafe, truncate } from './sanitize.ts';

describe('terminalSafe', () => {
  it('neutralises escape sequences an attacker put in a log line', () => {
    expect(terminalSafe('user \u001b]0;pwned\u0007 \u001b[2J')).toBe('user \\x1b]0;pwned\\x07 \\x1b[2J');
    expect(terminalSafe('a\rb\nc\u009bd')).toBe('a\\x0db\\x0ac\\x9bd');
    expect(terminalSafe('tab\there')).toBe('tab here');
    expect(terminalSafe('rtl \u202e evil')).toBe('rtl \\u{202e} evil');
  });
  it('keeps ordinary and Japanese text', () => {
    expect(terminalSafe('点検 OK')).toBe('点検 OK');
  });
});

describe('htmlEscape', () => {
  it('escapes markup and controls', () => {
    expect(htmlEscape('<script>alert("x")</script>&\u001b')).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;\\x1b',
    );
  });
});

describe('lineText', () => {
  it('drops a trailing CR and replaces invalid UTF-8', () => {
    expect(lineText(Buffer.from('abc\r'))).toBe('abc');
    expect(lineText(Buffer.from([0x61, 0xa4, 0xa2, 0x62]))).toBe('a\ufffd\ufffdb');
  });
  it('clips very long lines', () => {
    expect(lineText(Buffer.alloc(10_000_000, 0x61), 100)).toHaveLength(100);
  });
});

describe('cutting text', () => {
  const wellFormed = (s: string): boolean =>
    !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
  it('never splits a surrogate pair (a lone surrogate makes the JSON report unparseable)', () => {
    // 𠮷 is U+20BB7, two UTF-16 units.
    expect(clip('𠮷'.repeat(10), 4)).toBe('𠮷…');
    expect(clip('a𠮷'.repeat(10), 4)).toBe('a𠮷…');
    expect(truncate('𠮷𠮷', 3)).toBe('𠮷');
    expect(truncate('𠮷𠮷', 1)).toBe('');
    for (let max = 1; max < 12; max++) expect(wellFormed(clip('x𠮷'.repeat(10), max))).toBe(true);
    const line = lineText(Buffer.from(`error ${'𠮷'.repeat(3000)}`, 'utf8'));
    expect(wellFormed(line)).toBe(true);
    expect(line.length).toBeLessThanOrEqual(2000);
  });
});
