import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeLastlog, encodeLastlog, readLastlog } from './lastlog.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-lastlog-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('lastlog', () => {
  it('reads the entries of given uids from a sparse file without scanning it', () => {
    const file = path.join(dir, 'lastlog');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(
      fd,
      encodeLastlog({ time: 1_700_000_000, line: 'pts/0', host: '192.0.2.9' }),
      0,
      292,
      1000 * 292,
    );
    // uid 4294967294 (nobody on some systems) would put the apparent size past 1 TB: still only one read.
    fs.closeSync(fd);
    const got = readLastlog(file, [0, 1000, 1001, 4294967294]);
    expect([...got.values()]).toEqual([{ uid: 1000, time: 1_700_000_000, line: 'pts/0', host: '192.0.2.9' }]);
  });

  it('decodes the 64-bit time layout too', () => {
    const buf = encodeLastlog({ time: 4_102_444_800, line: 'tty1', host: '' }, 296);
    expect(buf.length).toBe(296);
    expect(decodeLastlog(buf, 0, 7, 296)).toEqual({ uid: 7, time: 4_102_444_800, line: 'tty1', host: '' });
  });

  it('says why it cannot read the file', () => {
    expect(() => readLastlog(path.join(dir, 'none'), [0], { display: '/var/log/lastlog' })).toThrow(
      'Cannot read /var/log/lastlog: no such file or directory',
    );
  });
});
