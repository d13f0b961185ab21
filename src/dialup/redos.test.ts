import { describe, expect, it } from 'vitest';
import { parseMgettyLog, type ParseOptions } from './mgetty.ts';

const OPTS: ParseOptions = {
  source: '/var/log/mgetty/mg_ttyS0.log',
  mtime: new Date(Date.UTC(2026, 10, 26)),
  timeZone: 'UTC',
};

/**
 * Crafted mgetty lines (a caller's input is logged as typed) that took quadratic time: a guard against the
 * hang, with the real result; the timeout is far from both the old minute and the new milliseconds.
 */
describe('crafted long mgetty lines', () => {
  it('a line of `waiting for ``` without a closing quote parses in linear time', { timeout: 10_000 }, () => {
    const text = `11/25 10:00:00 yS0  ${'waiting for ``'.repeat(70_000)}\n`;
    const entries = parseMgettyLog(text, OPTS);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.event.type).toBe('other');
  });

  it('a line of `found action string: ``` and a CR mid-line parse in linear time', {
    timeout: 10_000,
  }, () => {
    const text = `11/25 10:00:00 yS0 ${' '.repeat(300_000)}x\r${'found action string: ``'.repeat(30_000)}\n`;
    const entries = parseMgettyLog(text, OPTS);
    expect(entries.map((e) => e.event.type)).toEqual(['other']);
  });

  it('reads only the first 64 KiB of a line over 1 MiB, as src/logs does', { timeout: 10_000 }, () => {
    const text = `11/25 10:00:00 yS0  waiting for \`\`${'x'.repeat(2 << 20)}''\n`;
    const entries = parseMgettyLog(text, OPTS);
    expect(entries.map((e) => e.event.type)).toEqual(['other']);
  });
});
