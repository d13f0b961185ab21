import { describe, expect, it } from 'vitest';
import { liveNameOf, orderFamily } from './family.ts';

describe('the live name of a rotated name', () => {
  it('is the name before a rotation suffix, the shortest one', () => {
    expect(liveNameOf('mg_ttyS1.log.1')).toBe('mg_ttyS1.log');
    expect(liveNameOf('mgetty.ttyS1.2.gz')).toBe('mgetty.ttyS1');
    expect(liveNameOf('messages-20261126')).toBe('messages');
    expect(liveNameOf('mgetty.ttyS1')).toBeNull();
    expect(liveNameOf('access.log')).toBeNull();
  });

  it("takes Samba's per-client logs by address for live names, and their rotations for rotations", () => {
    expect(liveNameOf('log.192.0.2.7')).toBeNull();
    expect(liveNameOf('log.192.0.2.7.1')).toBe('log.192.0.2.7');
    expect(liveNameOf('log.192.0.2.7.2.gz')).toBe('log.192.0.2.7');
    expect(orderFamily('log.192.0.2.7', ['log.192.0.2.7', 'log.192.0.2.7.1']).map((m) => m.name)).toEqual([
      'log.192.0.2.7.1',
      'log.192.0.2.7',
    ]);
  });
});

describe("a log's family", () => {
  it("takes in logrotate's common dateformats, ordered by date whatever the format", () => {
    const names = [
      'auth.log',
      'auth.log.1',
      'auth.log-20261127-1764236400',
      'auth.log-2026-11-26',
      'auth.log.20261125.gz',
      'auth.log_20261124',
      'auth.log-2026112809',
      'auth.log-20261123',
      'auth.log.old',
      'auth.log-backup',
      'auth.log-2026-13-01',
    ];
    expect(orderFamily('auth.log', names).map((m) => m.name)).toEqual([
      'auth.log-20261123',
      'auth.log_20261124',
      'auth.log.20261125.gz',
      'auth.log-2026-11-26',
      'auth.log-20261127-1764236400',
      'auth.log-2026112809',
      'auth.log.1',
      'auth.log.old',
      'auth.log',
    ]);
    expect(liveNameOf('auth.log-20261127-1764236400')).toBe('auth.log');
    expect(liveNameOf('auth.log.20261125.gz')).toBe('auth.log');
    // Samba's own rotation (max log size): log.smbd.old, the newest rotated copy.
    expect(liveNameOf('log.smbd.old')).toBe('log.smbd');
    expect(orderFamily('log.smbd', ['log.smbd', 'log.smbd.old', 'log.smbd.1']).map((m) => m.name)).toEqual([
      'log.smbd.1',
      'log.smbd.old',
      'log.smbd',
    ]);
  });
});
