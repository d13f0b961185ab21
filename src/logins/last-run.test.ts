import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { register } from '../cli/commands/last.ts';
import { runCommand } from './testing.ts';
import { encodeRecords, type UtmpRecordInput } from './utmp.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-last-run-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const last = { register };
const T = 1_700_000_000;
const history: UtmpRecordInput[] = [
  { type: 2, line: '~', user: 'reboot', host: '6.1.0', sec: T },
  {
    type: 7,
    pid: 10,
    line: 'pts/0',
    user: 'alice',
    host: '192.0.2.1',
    addr: [0xc0000201, 0, 0, 0],
    sec: T + 60,
  },
  { type: 7, pid: 11, line: 'pts/1', user: 'bob', host: 'bastion', sec: T + 120 },
  { type: 8, pid: 10, line: 'pts/0', sec: T + 3600 },
  {
    type: 7,
    pid: 12,
    line: 'pts/0',
    user: 'alice',
    host: '192.0.2.1',
    addr: [0xc0000201, 0, 0, 0],
    sec: T + 7200,
  },
  { type: 8, pid: 11, line: 'pts/1', sec: T + 9000 },
];
const write = (name: string, data: Uint8Array): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
};
const now = new Date((T + 100_000) * 1000);

describe('tenken last', () => {
  it('reads a .gz backup cut short or with a bad CRC as zcat prints it, and says so in one line', async () => {
    const demo = fs.readFileSync(new URL('../../examples/demo-root/var/log/wtmp.1', import.meta.url));
    const packed = zlib.gzipSync(demo);
    const cut = write('wtmp.2.gz', packed.subarray(0, Math.floor((packed.length * 3) / 4)));
    // What zcat prints of it (zlib told to flush what it has instead of failing).
    const zcat = zlib.gunzipSync(packed.subarray(0, Math.floor((packed.length * 3) / 4)), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    const readable = Math.floor(zcat.length / 384);
    const plain = write('wtmp.2', zcat.subarray(0, readable * 384));
    const run = await runCommand([last], ['last', '-f', cut], { now });
    expect(run.code).toBe(0);
    expect(run.stdout.replace('wtmp.2.gz begins', 'wtmp.2 begins')).toBe(
      (await runCommand([last], ['last', '-f', plain], { now })).stdout,
    );
    expect(run.stderr).toContain(
      `tenken last: ${cut} is cut short or corrupt (unexpected end of file): read the ${readable} records before that point, as zcat does; any after it are lost\n`,
    );
    const badCrc = Buffer.from(packed);
    badCrc.writeUInt32LE(badCrc.readUInt32LE(badCrc.length - 8) ^ 1, badCrc.length - 8);
    const crc = write('wtmp.3.gz', badCrc);
    const full = write('wtmp.3', demo);
    const bad = await runCommand([last], ['last', '-f', crc], { now });
    expect(bad.code).toBe(0);
    expect(bad.stdout.replace('wtmp.3.gz begins', 'wtmp.3 begins')).toBe(
      (await runCommand([last], ['last', '-f', full], { now })).stdout,
    );
    expect(bad.stderr).toBe(
      `tenken last: ${crc} is corrupt (incorrect data check): all of it inflates but does not match its gzip checksum; its ${demo.length / 384} records were read as they are, as zcat prints them\n`,
    );
  });

  it('merges a gzip backup and the live file into one history, pairing sessions across the rotation', async () => {
    const whole = write('wtmp-whole', encodeRecords(history));
    const backup = write('wtmp-20231115.gz', zlib.gzipSync(encodeRecords(history.slice(0, 3))));
    const live = write('wtmp', encodeRecords(history.slice(3)));
    const merged = await runCommand([last], ['last', '-f', live, '-f', backup], { now });
    const single = await runCommand([last], ['last', '-f', whole], { now });
    expect(merged.stdout).toBe(single.stdout.replace('wtmp-whole begins', 'wtmp-20231115.gz begins'));
    expect(merged.stdout).toContain(
      'bob      pts/1        bastion          Tue Nov 14 22:15 - 00:43  (02:28)\n',
    );
  });

  it('reads every whole record of a file with stray bytes appended, and says so', async () => {
    const file = write('wtmp-tail', Buffer.concat([encodeRecords(history), Buffer.from('7 bytes')]));
    const run = await runCommand([last], ['last', '-f', file], { now });
    expect(run.stderr).toBe(
      `tenken last: ${file}: 7 stray bytes after the last whole record (offset 2304) ignored\n`,
    );
    expect(run.stdout.split('\n')).toHaveLength(4 + 3);
    if (fs.existsSync('/usr/bin/last')) {
      // util-linux reads backwards from the end: the shifted records print nothing (or garbage).
      const real = spawnSync('/usr/bin/last', ['-f', file], {
        env: { LANG: 'C', TZ: 'GMT' },
        encoding: 'latin1',
      });
      expect(real.stdout).not.toContain('alice');
    }
  });

  it('prints sessions as JSON with --format json', async () => {
    const file = write('wtmp-json', encodeRecords(history));
    // On the live host a 2023 session without logout predates the boot: gone, as util-linux says.
    const run = await runCommand([last], ['last', '-f', file, '-x', 'alice'], { now, format: 'json' });
    const out = JSON.parse(run.stdout) as { files: unknown[]; entries: Record<string, unknown>[] };
    expect(out.files).toEqual([
      { path: file, layout: 'glibc-384', records: 6, compressed: false, strayTail: null },
    ]);
    expect(out.entries).toEqual([
      {
        kind: 'login',
        user: 'alice',
        tty: 'pts/0',
        host: '192.0.2.1',
        address: '192.0.2.1',
        pid: 12,
        login: '2023-11-15T00:13:20Z',
        logout: null,
        end: 'gone',
        seconds: null,
        file,
        record: 5,
      },
      {
        kind: 'login',
        user: 'alice',
        tty: 'pts/0',
        host: '192.0.2.1',
        address: '192.0.2.1',
        pid: 10,
        login: '2023-11-14T22:14:20Z',
        logout: '2023-11-14T23:13:20Z',
        end: 'logout',
        seconds: 3540,
        file,
        record: 2,
      },
    ]);
  });

  it('limits with -n N and -N', async () => {
    const file = write('wtmp-n', encodeRecords(history));
    for (const args of [['-n', '2'], ['-2']]) {
      const run = await runCommand([last], ['last', '-f', file, ...args, '-R'], { now });
      expect(run.stdout.split('\n').filter((l) => l.startsWith('alice') || l.startsWith('bob'))).toHaveLength(
        2,
      );
    }
  });

  it('rejects bad options and times with one-line errors', async () => {
    const file = write('wtmp-err', encodeRecords(history));
    const cases: [string[], RegExp][] = [
      [
        ['-s', 'next tuesday'],
        /^tenken: Cannot run tenken last: invalid time value "next tuesday" for --since\n$/,
      ],
      [['-F', '--time-format', 'iso'], /mutually exclusive/],
      [['-d'], /unknown option '-d'/],
      [['-n', 'many'], /failed to parse number/],
    ];
    for (const [args, message] of cases) {
      const run = await runCommand([last], ['last', '-f', file, ...args], { now });
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.code).toBe(3);
    }
    const html = await runCommand([last], ['last', '-f', file], { now, format: 'html' });
    expect(html.stderr).toMatch(/--format html is not supported here/);
  });

  it("under --root without TZ, prints and reads times in the tree's zone (its config's, else /etc/localtime)", async () => {
    const root = path.join(dir, 'root-ny');
    fs.mkdirSync(path.join(root, 'var/log'), { recursive: true });
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.symlinkSync('/usr/share/zoneinfo/America/New_York', path.join(root, 'etc/localtime'));
    fs.writeFileSync(path.join(root, 'var/log/wtmp'), encodeRecords(history));
    const env = { LANG: 'C', TZ: undefined };
    const bob = (run: { stdout: string }) => run.stdout.split('\n').find((l) => l.startsWith('bob')) ?? '';
    // bob logged in at 22:15 UTC on Nov 14, 2023: 17:15 in New York (EST), 07:15 on the 15th in Tokyo.
    const ny = await runCommand([last], ['last'], { now, root, env });
    expect(bob(ny)).toBe('bob      pts/1        bastion          Tue Nov 14 17:15 - 19:43  (02:28)');
    // -s is read in the same zone: 17:15 New York time is bob's login, 17:16 is after it.
    expect(bob(await runCommand([last], ['last', '-s', '2023-11-14 17:15'], { now, root, env }))).not.toBe(
      '',
    );
    expect(bob(await runCommand([last], ['last', '-s', '2023-11-14 17:16'], { now, root, env }))).toBe('');
    // The config's timeZone wins over /etc/localtime, TZ over both (util-linux parity).
    fs.mkdirSync(path.join(root, 'etc/tenken'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/tenken/tenken.yaml'), 'timeZone: Asia/Tokyo\n');
    expect(bob(await runCommand([last], ['last'], { now, root, env }))).toMatch(/Wed Nov 15 07:15 - 09:43/);
    const utc = await runCommand([last], ['last'], { now, root, env: { ...env, TZ: 'UTC' } });
    expect(bob(utc)).toMatch(/Tue Nov 14 22:15 - 00:43/);
  });

  it('reads /var/log/btmp under --root for lastb', async () => {
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'var/log'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'var/log/btmp'),
      encodeRecords([{ type: 6, line: 'ssh:notty', user: 'admin', host: '203.0.113.9', sec: T }]),
    );
    const run = await runCommand([last], ['lastb'], { now, root });
    expect(run.stdout).toBe(
      'admin    ssh:notty    203.0.113.9      Tue Nov 14 22:13 - 22:13  (00:00)\n\nbtmp begins Tue Nov 14 22:13:20 2023\n',
    );
  });
});
