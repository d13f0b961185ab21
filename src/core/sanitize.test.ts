import { describe, expect, it } from 'vitest';
import { htmlEscape, lineText, terminalSafe } from './sanitize.ts';

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
