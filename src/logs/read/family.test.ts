import { lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { familyOf, liveNameOf, orderFamily } from './family.ts';

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

describe('the family of a log that is a symbolic link', () => {
  it.runIf(process.geteuid?.() === 0)(
    "takes in the target's rotated siblings only for a trusted link (needs root: lchown to another user)",
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-family-link-'));
      try {
        mkdirSync(path.join(dir, 'log'));
        mkdirSync(path.join(dir, 'secret'));
        writeFileSync(path.join(dir, 'secret/history'), 'root:Hunter2\n', { mode: 0o600 });
        writeFileSync(path.join(dir, 'secret/history.1'), 'older\n', { mode: 0o600 });
        const link = path.join(dir, 'log/access.log');
        symlinkSync(path.join(dir, 'secret/history'), link);
        const names = async () => (await familyOf(link, '/')).map((m) => path.relative(dir, m.path));
        // An admin's link (root's): the target is rotated where it lives.
        expect(await names()).toEqual(['secret/history.1', 'log/access.log']);
        // Planted by a daemon (nobody) to a file it does not own: its directory is not looked into.
        lchownSync(link, 65534, 65534);
        expect(await names()).toEqual(['log/access.log']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
