/**
 * Streaming gunzip for synchronous callers. Node's zlib streams only asynchronously and `gunzipSync`
 * inflates a file whole (a 13 MB gzip bomb became 6 GB of memory), so a worker thread inflates the file
 * chunk by chunk into a small shared buffer and this thread takes each chunk as it is ready (Atomics.wait):
 * memory stays one chunk per side, and the caller can stop at any point (a size limit).
 */
import { Worker } from 'node:worker_threads';

/** Bytes handed over at a time. */
const CHUNK = 1 << 16;

// ctl[0]: 0 = buffer free (the worker may fill it), 1 = full (this thread may take it), 2 = end of the
// data, 3 = failed (the buffer holds `code\nmessage`), 4 = cancelled by this thread. ctl[1]: bytes in it.
const FREE = 0;
const FULL = 1;
const END = 2;
const FAILED = 3;
const CANCELLED = 4;

/** The worker (plain CommonJS, evaluated: nothing to bundle). Every failure is reported through ctl. */
const WORKER = `
const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData.ctl);
const data = new Uint8Array(workerData.data);
function put(chunk) {
  for (let off = 0; off < chunk.length; ) {
    while (Atomics.load(ctl, 0) === ${FULL}) Atomics.wait(ctl, 0, ${FULL});
    if (Atomics.load(ctl, 0) !== ${FREE}) return false;
    const n = Math.min(chunk.length - off, data.length);
    data.set(chunk.subarray(off, off + n));
    ctl[1] = n;
    Atomics.store(ctl, 0, ${FULL});
    Atomics.notify(ctl, 0);
    off += n;
  }
  return true;
}
function finish(state, text) {
  while (Atomics.load(ctl, 0) === ${FULL}) Atomics.wait(ctl, 0, ${FULL});
  if (Atomics.load(ctl, 0) !== ${FREE}) return;
  if (text !== undefined) ctl[1] = Buffer.from(data.buffer, data.byteOffset, data.length).write(text);
  Atomics.store(ctl, 0, state);
  Atomics.notify(ctl, 0);
}
(async () => {
  const fs = require('node:fs');
  const zlib = require('node:zlib');
  const { Readable } = require('node:stream');
  let pos = 0;
  const src = new Readable({
    read() {
      try {
        const b = Buffer.allocUnsafe(${CHUNK});
        const n = fs.readSync(workerData.fd, b, 0, b.length, pos);
        pos += n;
        this.push(n ? b.subarray(0, n) : null);
      } catch (err) {
        this.destroy(err);
      }
    },
  });
  const gz = zlib.createGunzip({ chunkSize: ${CHUNK} });
  src.on('error', (err) => gz.destroy(err));
  src.pipe(gz);
  for await (const chunk of gz) {
    if (!put(chunk)) {
      src.destroy();
      gz.destroy();
      return;
    }
  }
  finish(${END});
})().catch((err) => {
  const code = err && typeof err.code === 'string' ? err.code : '';
  finish(${FAILED}, code + '\\n' + String(err && err.message !== undefined ? err.message : err));
});
`;

/** Options of gunzipSync. */
export interface GunzipSyncOptions {
  /** Give up when the worker has sent nothing for this long (it died, or the machine is stuck). */
  stallMs?: number;
}

/**
 * The decompressed chunks of the gzip file open as `fd` (all members, from its start), in order. A
 * damaged or cut file throws (with zlib's `code`, `Z_BUF_ERROR` for a file cut short) after the chunks that
 * did decompress. Stopping early (break, return, a throw in the loop) stops the worker. The fd stays the
 * caller's to close, after the loop.
 */
export function* gunzipChunksSync(fd: number, opts: GunzipSyncOptions = {}): Generator<Buffer> {
  const stallMs = opts.stallMs ?? 120_000;
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const data = new Uint8Array(new SharedArrayBuffer(CHUNK));
  const worker = new Worker(WORKER, { eval: true, workerData: { fd, ctl: ctl.buffer, data: data.buffer } });
  worker.unref();
  let done = false;
  try {
    for (;;) {
      const waited = Atomics.wait(ctl, 0, FREE, stallMs);
      const state = Atomics.load(ctl, 0);
      if (state === FREE) {
        if (waited === 'timed-out') throw new Error(`decompressing stalled for ${stallMs / 1000} s`);
        continue;
      }
      if (state === FULL) {
        const chunk = Buffer.from(data.subarray(0, ctl[1]));
        Atomics.store(ctl, 0, FREE);
        Atomics.notify(ctl, 0);
        yield chunk;
        continue;
      }
      done = true;
      if (state === END) return;
      const text = Buffer.from(data.buffer, 0, ctl[1]).toString();
      const nl = text.indexOf('\n');
      const err = new Error(text.slice(nl + 1)) as Error & { code?: string };
      if (nl > 0) err.code = text.slice(0, nl);
      throw err;
    }
  } finally {
    if (!done) {
      Atomics.store(ctl, 0, CANCELLED);
      Atomics.notify(ctl, 0);
    }
    void worker.terminate();
  }
}
