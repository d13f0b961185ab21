import { describe, expect, it } from 'vitest';
import { copyMembers, familyKey } from './copies.ts';

describe("a log family's copies", () => {
  it('groups rotated members under the live name: numbered, dated, compressed', () => {
    expect(
      [
        '/var/log/mgetty.ttyS0',
        '/var/log/mgetty.ttyS0.1',
        '/var/log/mgetty.ttyS0.2.gz',
        '/var/log/mgetty.ttyS0-20261126',
        '/var/log/mgetty.ttyS0-20261126.gz',
        '/var/log/mgetty.ttyS0.gz',
      ].map(familyKey),
    ).toEqual(new Array(6).fill('/var/log/mgetty.ttyS0'));
    // A device number is part of the name, not a rotation.
    expect(familyKey('/var/log/mgetty/mg_ttyS1.log')).toBe('/var/log/mgetty/mg_ttyS1.log');
  });

  it('keeps one of equal members (the later), and skips a member that is a prefix of another', () => {
    const a = '11/25 08:50:25 yS0  WARNING: DSR is off - modem turned off or bad cable?\n';
    const b = `${a}11/25 08:53:25 yS0  WARNING: DSR is off - modem turned off or bad cable?\n`;
    // copytruncate caught before its truncate: .1 and the live file alike.
    expect([...copyMembers([a, a])]).toEqual([0]);
    // .1, .1.gz and the live file alike: only the live one is read.
    expect([...copyMembers([a, a, a])].sort()).toEqual([0, 1]);
    // The copy, and the original that grew since (a cut last line included).
    expect([...copyMembers([a.slice(0, 40), b])]).toEqual([0]);
    expect([...copyMembers([b, a])]).toEqual([1]);
  });

  it('reads members with different content, and empty ones, as they are', () => {
    const a = '11/24 10:00:00 yS0  mgetty: interim release 1.2.1\n';
    const b = '11/25 10:00:00 yS0  mgetty: interim release 1.2.1\n';
    expect([...copyMembers([a, b])]).toEqual([]);
    expect([...copyMembers(['', b])]).toEqual([]);
  });
});
