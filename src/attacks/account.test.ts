import { describe, expect, it } from 'vitest';
import { readerNeedles, SYSLOG_ANCHORS, SYSLOG_FAMILIES } from './account.ts';
import { extractors } from './extract/registry.ts';

describe('reader needles', () => {
  it('cover every needle of every syslog family (each contains an anchor, ignoring case)', () => {
    for (const f of SYSLOG_FAMILIES) {
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
    expect(readerNeedles(['proxy'])).toEqual(expect.arrayContaining([...extractors.proxy.needles]));
    expect(readerNeedles([])).not.toContain('/phf');
  });
});
