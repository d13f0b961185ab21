import { makeFifo } from '../../test/helpers/fifo.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRecords, LAYOUTS, type UtmpRecordInput } from './utmp.ts';
import { openWtmp, recordsBackward, recordsForward, scanAnomalies } from './wtmp-file.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-wtmp-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const recs = (n: number): UtmpRecordInput[] =>
  Array.from({ length: n }, (_, i) => ({
    type: 7,
    pid: i,
    line: `pts/${i % 5}`,
    user: 'u',
    sec: 1_700_000_000 + i,
  }));

describe('openWtmp', () => {
  it('reads every whole record forwards and backwards and reports stray bytes', async () => {
    const file = path.join(dir, 'tail');
    fs.writeFileSync(file, Buffer.concat([encodeRecords(recs(10)), Buffer.from('garbage')]));
    const f = await openWtmp(file, { display: '/var/log/wtmp' });
    expect(f).toMatchObject({ records: 10, tail: { offset: 3840, length: 7 }, compressed: false });
    expect([...recordsForward(f, 3)].map((r) => r.pid)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...recordsBackward(f, 4)].map((r) => r.pid)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    f.close();
  });

  it('reads gzip backups in place, in memory or through a temporary file when large', async () => {
    const file = path.join(dir, 'wtmp-20261101.gz');
    fs.writeFileSync(file, zlib.gzipSync(encodeRecords(recs(50), LAYOUTS['glibc-400'])));
    for (const memoryLimit of [1 << 20, 1000]) {
      const f = await openWtmp(file, { memoryLimit });
      expect(f).toMatchObject({ records: 50, compressed: true, layout: { size: 400 } });
      expect([...recordsBackward(f, 16)].map((r) => r.pid)[0]).toBe(49);
      f.close();
    }
  });

  it('reads a gzip cut short up to where it ends when asked, as gzip -dc does, and says it was cut', async () => {
    const file = path.join(dir, 'wtmp.2.gz');
    // Random hosts so the compressed stream is long enough to cut in the middle.
    const many = recs(2000).map((r, i) => ({ ...r, host: `h${(i * 2654435761) % 1000003}.example` }));
    const whole = zlib.gzipSync(encodeRecords(many));
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    // What gzip -dc gets out of it (zlib told to flush what it has instead of failing).
    const prefix = zlib.gunzipSync(whole.subarray(0, Math.floor(whole.length / 2)), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    const readable = Math.floor(prefix.length / 384);
    expect(readable).toBeGreaterThan(500);
    for (const memoryLimit of [1 << 20, 1000]) {
      const f = await openWtmp(file, { display: '/var/log/wtmp.2.gz', readTruncated: true, memoryLimit });
      expect(f).toMatchObject({ records: readable, truncated: true, compressed: true });
      expect([...recordsForward(f)].map((r) => r.pid)).toEqual(Array.from({ length: readable }, (_, i) => i));
      f.close();
    }
    await expect(openWtmp(file, { display: '/var/log/wtmp.2.gz' })).rejects.toThrow(
      'Cannot read /var/log/wtmp.2.gz: unexpected end of file',
    );
    const intact = await openWtmp(path.join(dir, 'wtmp-20261101.gz'), { readTruncated: true });
    expect(intact.truncated).toBe(false);
    intact.close();
  });

  it('leaves alone a descriptor it no longer owns when it refuses a .gz (the number is reused at once)', async () => {
    // openWtmp closed the .gz it had looked at, the inflating stream got the same number, and the refusal
    // closed that number again: the stream's own close, later, then closed whatever file held it by then.
    const bomb = path.join(dir, 'bomb-fd.gz');
    fs.writeFileSync(bomb, zlib.gzipSync(Buffer.alloc(1 << 20)));
    const other = path.join(dir, 'other');
    fs.writeFileSync(other, 'x');
    for (let i = 0; i < 20; i++) {
      await expect(openWtmp(bomb, { maxSize: 1 << 16 })).rejects.toThrow(/gzip bomb/);
      const fd = fs.openSync(other, 'r');
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(() => fs.fstatSync(fd)).not.toThrow();
      fs.closeSync(fd);
    }
  });

  it('refuses a gzip bomb and a corrupt gzip with one-line errors', async () => {
    const bomb = path.join(dir, 'bomb.gz');
    fs.writeFileSync(bomb, zlib.gzipSync(Buffer.alloc(1 << 20)));
    await expect(openWtmp(bomb, { display: '/var/log/btmp.1.gz', maxSize: 1 << 16 })).rejects.toThrow(
      'Cannot read /var/log/btmp.1.gz: decompresses to more than 65536 bytes, the most tenken inflates (a gzip bomb?)',
    );
    const corrupt = path.join(dir, 'corrupt.gz');
    fs.writeFileSync(corrupt, zlib.gzipSync(encodeRecords(recs(3))).subarray(0, 40));
    await expect(openWtmp(corrupt, { display: '/x.gz' })).rejects.toThrow(/^Cannot read \/x\.gz: /);
  });

  it('refuses a gzip bomb by its ratio as soon as inflating passes it, and writes nothing to disk for it', async () => {
    const bomb = path.join(dir, 'wtmp.2.gz');
    // 96 MiB of zeros: about 100 KB compressed, far beyond 500 times that, above the 64 MiB floor.
    const packed = Buffer.from(zlib.gzipSync(Buffer.alloc(96 << 20), { level: 9 }));
    const limit = 64 << 20;
    // The trailer is the writer's word (and wraps at 4 GiB): a small one changes nothing.
    packed.writeUInt32LE(1000, packed.length - 4);
    fs.writeFileSync(bomb, packed);
    await expect(
      openWtmp(bomb, {
        display: '/var/log/wtmp.2.gz',
        memoryLimit: 1 << 20,
        tmpDir: path.join(dir, 'no-such-dir'),
      }),
    ).rejects.toThrow(
      `Cannot read /var/log/wtmp.2.gz: decompresses to more than ${limit} bytes, more than 500 times its size: no utmp file compresses that well (a gzip bomb?)`,
    );
    // A real backup far larger than its memory share still reads (through a temporary file).
    const many = recs(5000).map((r, i) => ({ ...r, host: `h${(i * 2654435761) % 1000003}.example` }));
    fs.writeFileSync(bomb, zlib.gzipSync(encodeRecords(many)));
    const f = await openWtmp(bomb, { memoryLimit: 4096, maxSize: 5000 * 384 });
    expect(f.records).toBe(5000);
    expect([...recordsBackward(f)].map((r) => r.pid)[0]).toBe(4999);
    f.close();
  });

  it('says why a path cannot be read', async () => {
    await expect(openWtmp(path.join(dir, 'missing'), { display: '/var/log/wtmp' })).rejects.toThrow(
      'Cannot read /var/log/wtmp: no such file or directory',
    );
    await expect(openWtmp(dir, { display: '/var/log' })).rejects.toThrow(
      'Cannot read /var/log: is a directory',
    );
  });

  it('refuses a FIFO at once as not a regular file (open would wait for a writer)', {
    timeout: 5000,
  }, async () => {
    const fifo = path.join(dir, 'wtmp-fifo');
    makeFifo(fifo);
    await expect(openWtmp(fifo, { display: '/var/log/wtmp' })).rejects.toThrow(
      'Cannot read /var/log/wtmp: not a regular file',
    );
  });

  it('reads a file with bytes inserted among its first records: the records before them from the start, the ones after from the end', async () => {
    const file = path.join(dir, 'inserted-early');
    const img = Buffer.from(encodeRecords(recs(200)));
    // 3 bytes inside record 4 (0-based): every later record is misaligned from the start.
    fs.writeFileSync(
      file,
      Buffer.concat([img.subarray(0, 4 * 384 + 50), Buffer.alloc(3), img.subarray(4 * 384 + 50)]),
    );
    const f = await openWtmp(file, { display: '/var/log/wtmp' });
    expect(f).toMatchObject({
      records: 200,
      tail: { offset: 4 * 384, length: 3, misaligned: true, before: 4 },
    });
    const pids = [...recordsForward(f, 7)].map((r) => r.pid);
    expect(pids.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(pids.slice(5)).toEqual(Array.from({ length: 195 }, (_, i) => i + 5));
    expect([...recordsBackward(f, 7)].map((r) => r.pid).reverse()).toEqual(pids);
    f.close();
  });

  it('counts damaged records with examples for findings', async () => {
    const file = path.join(dir, 'damaged');
    fs.writeFileSync(
      file,
      Buffer.concat([encodeRecords(recs(3)), Buffer.alloc(384), encodeRecords(recs(2)), Buffer.alloc(384)]),
    );
    const f = await openWtmp(file, { display: '/var/log/wtmp' });
    expect(scanAnomalies(f)).toEqual({
      file: '/var/log/wtmp',
      layout: 'glibc-384',
      records: 7,
      counts: { zeroed: 2 },
      examples: [
        { index: 3, offset: 1152, problem: 'zeroed' },
        { index: 6, offset: 2304, problem: 'zeroed' },
      ],
      tail: null,
    });
    f.close();
  });
});

describe('a wtmp path that is a symbolic link', () => {
  it.runIf(process.geteuid?.() === 0)(
    'refuses one another user planted to a root-only utmp file, follows an admin one (needs root: lchown)',
    async () => {
      const secret = path.join(dir, 'root-only-btmp');
      fs.writeFileSync(secret, encodeRecords(recs(3)), { mode: 0o600 });
      const link = path.join(dir, 'planted-wtmp');
      fs.symlinkSync(secret, link);
      const admin = await openWtmp(link, { display: '/var/log/wtmp' });
      expect(admin.records).toBe(3);
      admin.close();
      fs.lchownSync(link, 65534, 65534);
      await expect(openWtmp(link, { display: '/var/log/wtmp' })).rejects.toThrow(
        /^Cannot read \/var\/log\/wtmp: a symbolic link owned by (?:\S+ \()?uid 65534\)? to a file it does not own \(refusing to follow it\)$/,
      );
    },
  );
});
