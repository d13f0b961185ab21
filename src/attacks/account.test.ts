import { describe, expect, it } from 'vitest';
import { readerNeedles, SYSLOG_ANCHORS } from './account.ts';
import { extractors, FAMILIES } from './extract/registry.ts';

describe('reader needles', () => {
  it('cover every needle of every syslog family (each contains an anchor, ignoring case)', () => {
    for (const f of FAMILIES) {
      if (f === 'web' || f === 'xferlog') continue;
      for (const n of extractors[f].needles) {
        const lower = n.toLowerCase();
        expect(
          SYSLOG_ANCHORS.some((a) => lower.includes(a)),
          `${f} needle ${JSON.stringify(n)} has no anchor`,
        ).toBe(true);
      }
    }
  });

  it('add the needles of hinted own-log families', () => {
    expect(readerNeedles(['web'])).toEqual(expect.arrayContaining([...extractors.web.needles]));
    expect(readerNeedles([])).not.toContain('/phf');
  });
});
