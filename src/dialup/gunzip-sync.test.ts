import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipChunksSync } from './gunzip-sync.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tenken-gunzip-sync-'));

/** Reads `bytes` as a file through gunzipChunksSync: the text, the chunk count, or the error. */
function inflate(bytes: Buffer, stopAfter = Number.POSITIVE_INFINITY) {
  const file = path.join(dir, `f${Math.random()}.gz`);
  writeFileSync(file, bytes);
  const fd = openSync(file, 'r');
  const parts: Buffer[] = [];
  try {
    for (const c of gunzipChunksSync(fd)) {
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
    closeSync(fd);
  }
}

describe('gunzipChunksSync', () => {
  const big = 'hello\n'.repeat(100_000);

  it('inflates every member, in chunks, as gunzipSync does', () => {
    const got = inflate(Buffer.concat([gzipSync(big), gzipSync('world\n')]));
    expect(got.err).toBeNull();
    expect(got.text).toBe(`${big}world\n`);
    expect(got.chunks).toBeGreaterThan(1);
  });

  it('gives what decompressed of a file cut short, then Z_BUF_ERROR', () => {
    const gz = gzipSync(big);
    const got = inflate(gz.subarray(0, gz.length - 20));
    expect(got.err?.code).toBe('Z_BUF_ERROR');
    expect(big.startsWith(got.text)).toBe(true);
    expect(got.text.length).toBeGreaterThan(0);
  });

  it('throws zlib’s error for a file that is no gzip', () => {
    const got = inflate(Buffer.from('not gzip at all'));
    expect(got.err?.message).toMatch(/incorrect header check/);
    expect(got.text).toBe('');
  });

  it('stops the worker when the caller stops early, and can run again', () => {
    expect(inflate(gzipSync(big), 1).chunks).toBe(1);
    expect(inflate(gzipSync('a\n')).text).toBe('a\n');
  });
});
