import { makeFifo } from '../../../test/helpers/fifo.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { logsConfig } from '../config.ts';
import { compileRules } from '../scan/rules.ts';
import { gunzipFrom, openLog, readLog } from './content.ts';

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
