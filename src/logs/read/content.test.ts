import { makeFifo } from '../../../test/helpers/fifo.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { logsConfig } from '../config.ts';
import { compileRules } from '../scan/rules.ts';
import { contentLength, gunzipFrom, openLog, readLog } from './content.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-content-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading log content', () => {
  it('refuses a FIFO at once as not a regular file (open would wait for a writer)', {
    timeout: 5000,
  }, async () => {
    const fifo = path.join(dir, 'syslog-fifo');
    makeFifo(fifo);
    await expect(openLog(fifo, false, 1024)).rejects.toThrow('not a regular file');
  });

  it('reads a .gz of several members as one stream, a line split across members included', async () => {
    const file = path.join(dir, 'multi.gz');
    writeFileSync(file, Buffer.concat([gzipSync('a error\nb fa'), gzipSync('il here\nc ok\n')]));
    const f = await openLog(file, true, 1024);
    const hits: [number, string][] = [];
    const rules = compileRules(logsConfig.parse({}));
    const r = await readLog(
      f,
      rules,
      { start: 0, startLine: 0, consumeTrailing: false, countLines: true, tailBytes: 64 },
      (h) => hits.push([h.line, h.text]),
    );
    await f.handle.close();
    expect(hits).toEqual([
      [1, 'a error'],
      [2, 'b fail here'],
    ]);
    expect([r.offset, r.line, r.eof]).toEqual([25, 3, true]);
  });

  it('leaves a final line without newline unconsumed unless asked', async () => {
    const file = path.join(dir, 'partial.log');
    writeFileSync(file, 'x error\ny err');
    const rules = compileRules(logsConfig.parse({}));
    for (const [consume, offset, n] of [
      [false, 8, 1],
      [true, 13, 2],
    ] as const) {
      const f = await openLog(file, false, 1024);
      let count = 0;
      const r = await readLog(
        f,
        rules,
        { start: 0, startLine: 0, consumeTrailing: consume, countLines: true, tailBytes: 64 },
        () => count++,
      );
      await f.handle.close();
      expect([r.offset, count]).toEqual([offset, n]);
    }
  });

  it('stops at the read limit at a line end, not at the end even when a line ends right there', async () => {
    const file = path.join(dir, 'limited.log');
    writeFileSync(file, 'x error\n'.repeat(200)); // 1600 bytes; a line ends at every multiple of 8
    const rules = compileRules(logsConfig.parse({}));
    const f = await openLog(file, false, 64);
    let count = 0;
    const opts = { startLine: 0, consumeTrailing: true, countLines: true, tailBytes: 64, chunk: 64 };
    const r = await readLog(f, rules, { ...opts, start: 0, limit: 800 }, () => count++);
    expect([r.offset, r.bytes, count, r.eof, r.limited]).toEqual([800, 800, 100, false, { left: 800 }]);
    // A rotated member (consumeTrailing) stopped by the limit keeps its unread rest for the next read.
    const rest = await readLog(f, rules, { ...opts, start: 800, startLine: 100, limit: 800 }, () => count++);
    await f.handle.close();
    expect([rest.offset, count, rest.eof, rest.limited]).toEqual([1600, 200, true, undefined]);
  });

  it('stops a .gz at the read limit, and a later read goes on from there', async () => {
    const file = path.join(dir, 'limited.gz');
    writeFileSync(file, gzipSync('x error\n'.repeat(200)));
    const rules = compileRules(logsConfig.parse({}));
    const opts = { startLine: 0, consumeTrailing: true, countLines: true, tailBytes: 64, chunk: 64 };
    const lines: number[] = [];
    const f = await openLog(file, true, 64);
    const r = await readLog(f, rules, { ...opts, start: 0, limit: 500 }, (h) => lines.push(h.line));
    expect([r.offset, r.bytes, r.eof, r.limited]).toEqual([496, 500, false, { left: null }]);
    const rest = await readLog(f, rules, { ...opts, start: r.offset, startLine: r.line, limit: 2000 }, (h) =>
      lines.push(h.line),
    );
    await f.handle.close();
    expect([rest.offset, rest.eof, rest.limited]).toEqual([1600, true, undefined]);
    expect(lines).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('inflates a .gz bomb no further than gzipLimit, and takes it as read', async () => {
    const file = path.join(dir, 'bomb.log.1.gz');
    // 70 MiB of lines in a few tens of kB: more than the 64 MiB always allowed, and 500 times its size.
    const line = Buffer.from('x error\n');
    const mib = Buffer.alloc(1 << 20);
    for (let i = 0; i < mib.length; i += line.length) line.copy(mib, i);
    writeFileSync(file, gzipSync(Buffer.concat(Array.from({ length: 70 }, () => mib))));
    const rules = compileRules(logsConfig.parse({}));
    const f = await openLog(file, true, 64);
    const r = await readLog(
      f,
      rules,
      { start: 0, startLine: 0, consumeTrailing: true, countLines: false, tailBytes: 64 },
      () => {},
    );
    // Its length, as the copy detection asks for it, is no longer than what is read of it.
    const length = await contentLength(f);
    await f.handle.close();
    expect([r.offset, r.bytes, r.eof, length]).toEqual([64 << 20, 64 << 20, true, 64 << 20]);
    expect(r.inflated).toBe(
      `decompresses to more than ${64 << 20} bytes, more than 500 times its size: no log compresses that well (a gzip bomb?); read up to there`,
    );
  });
});

/** Reads `bytes` as a file through gunzipFrom: the text, the chunk count, or the error. */
async function inflate(bytes: Buffer, stopAfter = Number.POSITIVE_INFINITY) {
  const file = path.join(dir, `f${Math.random()}.gz`);
  writeFileSync(file, bytes);
  const handle = await open(file, 'r');
  const parts: Buffer[] = [];
  try {
    for await (const c of gunzipFrom(handle)) {
      parts.push(c);
      if (parts.length >= stopAfter) break;
    }
    return { text: Buffer.concat(parts).toString(), chunks: parts.length, err: null };
  } catch (err) {
    return {
      text: Buffer.concat(parts).toString(),
      chunks: parts.length,
      err: err as Error & { code?: string },
    };
  } finally {
    await handle.close();
  }
}

describe('gunzipFrom', () => {
  const big = 'hello\n'.repeat(100_000);

  it('inflates every member, in chunks, as gunzipSync does', async () => {
    const got = await inflate(Buffer.concat([gzipSync(big), gzipSync('world\n')]));
    expect(got.err).toBeNull();
    expect(got.text).toBe(`${big}world\n`);
    expect(got.chunks).toBeGreaterThan(1);
  });

  it('gives what decompressed of a file cut short, then Z_BUF_ERROR', async () => {
    const gz = gzipSync(big);
    const got = await inflate(gz.subarray(0, gz.length - 20));
    expect(got.err?.code).toBe('Z_BUF_ERROR');
    expect(big.startsWith(got.text)).toBe(true);
    expect(got.text.length).toBeGreaterThan(0);
  });

  it('gives what decompressed of a file with a bad CRC, then Z_DATA_ERROR', async () => {
    const gz = Buffer.from(gzipSync(big));
    gz[gz.length - 8] = (gz[gz.length - 8] as number) ^ 0xff;
    const got = await inflate(gz);
    expect(got.err?.code).toBe('Z_DATA_ERROR');
    expect(got.err?.message).toMatch(/incorrect data check/);
    expect(big.startsWith(got.text)).toBe(true);
    expect(got.text.length).toBeGreaterThan(0);
  });

  it('throws zlib’s error for a file that is no gzip', async () => {
    const got = await inflate(Buffer.from('not gzip at all'));
    expect(got.err?.message).toMatch(/incorrect header check/);
    expect(got.text).toBe('');
  });

  it('stops reading when the caller stops early, and can run again', async () => {
    expect((await inflate(gzipSync(big), 1)).chunks).toBe(1);
    expect((await inflate(gzipSync('a\n'))).text).toBe('a\n');
  });
});
