import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecords, UT } from '../../logins/utmp.ts';
import { runCli, tempDir } from '../../../test/helpers/cli.ts';

const SYSTEM_ZONEINFO = '/usr/share/zoneinfo';
const at = (iso: string): number => Date.parse(iso) / 1000;

/** A tree with one closed login of alice from 03:00 to 03:10 UTC (12:00 to 12:10 in Tokyo). */
function tree(): string {
  const root = tempDir('tenken-last-tz-');
  fs.mkdirSync(path.join(root, 'etc'));
  fs.mkdirSync(path.join(root, 'var/log'), { recursive: true });
  const login = { line: 'pts/0', id: 'ts/0', pid: 4242 };
  fs.writeFileSync(
    path.join(root, 'var/log/wtmp'),
    encodeRecords([
      { ...login, type: UT.USER_PROCESS, user: 'alice', host: '192.0.2.10', sec: at('2026-11-26T03:00:00Z') },
      { ...login, type: UT.DEAD_PROCESS, sec: at('2026-11-26T03:10:00Z') },
    ]),
  );
  return root;
}

const NOW = new Date('2026-11-26T06:00:00Z');

describe("tenken last --root: the tree's zone when TZ is unset", () => {
  it('prints local times of a tree whose /etc/localtime is a copied zone file (no /etc/timezone)', async () => {
    const root = tree();
    fs.copyFileSync(path.join(SYSTEM_ZONEINFO, 'Asia/Tokyo'), path.join(root, 'etc/localtime'));
    const r = await runCli(['--root', root, 'last'], { env: { TZ: undefined }, now: NOW });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(
      /^alice +pts\/0 +192\.0\.2\.10 +Thu Nov 26 12:00 - 12:10 +\(00:10\)$/,
    );
  });

  it('prints local times of a tree whose /etc/localtime links into zoneinfo/posix/', async () => {
    const root = tree();
    fs.symlinkSync('../usr/share/zoneinfo/posix/Asia/Tokyo', path.join(root, 'etc/localtime'));
    const r = await runCli(['--root', root, 'last'], { env: { TZ: undefined }, now: NOW });
    expect(r.stdout.split('\n')[0]).toMatch(/Thu Nov 26 12:00 - 12:10 /);
  });

  it('says on stderr, once, that the times are UTC when /etc/localtime tells no zone', async () => {
    const root = tree();
    fs.writeFileSync(path.join(root, 'etc/localtime'), 'TZif garbage');
    const r = await runCli(['--root', root, 'last'], { env: { TZ: undefined }, now: NOW });
    expect(r.stdout.split('\n')[0]).toMatch(/Thu Nov 26 03:00 - 03:10 /);
    expect(r.stderr).toBe(
      'tenken last: zone: UTC (cannot tell the zone of /etc/localtime: not a zone file (TZif), or cut short)\n',
    );
  });

  it('prints the local times /etc/timezone names (no /etc/localtime), whatever junk follows its first line', async () => {
    const root = tree();
    fs.writeFileSync(path.join(root, 'etc/timezone'), 'Asia/Tokyo\n$(id)\u001b[2J\n');
    const r = await runCli(['--root', root, 'last'], { env: { TZ: undefined }, now: NOW });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(/Thu Nov 26 12:00 - 12:10 /);
  });

  it('says on stderr that the times are UTC when /etc/timezone names no zone (no /etc/localtime)', async () => {
    const root = tree();
    fs.writeFileSync(path.join(root, 'etc/timezone'), 'Asia/Nowhere\n');
    const r = await runCli(['--root', root, 'last'], { env: { TZ: undefined }, now: NOW });
    expect(r.stdout.split('\n')[0]).toMatch(/Thu Nov 26 03:00 - 03:10 /);
    expect(r.stderr).toBe(
      'tenken last: zone: UTC (cannot tell the zone of /etc/timezone: it names "Asia/Nowhere", which is no zone this system knows)\n',
    );
  });
});
