/**
 * Worker-thread entry (bundled as dist/scan-worker.js): reads one part of a big plain log through the
 * same scanner, router and counters as the engine, and posts the counts back (see parallel.ts).
 */
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { reason } from '../../core/errors.ts';
import { LogStats } from '../aggregate.ts';
import { makeRouter } from '../route.ts';
import { copyHash } from '../same-line.ts';
import { LineScanner } from '../scan/lines.ts';
import { compileRules } from '../scan/rules.ts';
import { bytesBefore } from './content.ts';
import type { ScanPartOutcome, ScanPartTask } from './parallel.ts';

const task = workerData as ScanPartTask;
const rules = compileRules(task.rules.config, task.rules.only ? new Set(task.rules.only) : undefined);
const stats = new LogStats(
  task.samples,
  rules.categories.map((c) => c.id),
);
const router = makeRouter(task.route, rules, stats);
// The hashes of the lines counted, for the engine's SameLines (this part's lines all count: see parallel.ts).
let hashes = new Float64Array(task.record ? 1 << 12 : 0);
let counted = 0;
const record = (text: string, key: string): boolean => {
  if (counted === hashes.length) {
    const more = new Float64Array(hashes.length * 2);
    more.set(hashes);
    hashes = more;
  }
  hashes[counted++] = copyHash(text, key);
  return true;
};
const ctx = router.file(task.where, task.mtimeMs, task.record ? record : undefined);
const scanner = new LineScanner(rules, (hit) => router.fileHit(hit, ctx), {
  startOffset: task.from,
  startLine: 0,
  countLines: task.countLines,
  tailBytes: task.tailBytes,
  ...(task.chunk !== undefined ? { chunk: task.chunk } : {}),
  // Lines without a time of their own at the part's start look back before it, as one thread would.
  lookback: true,
  before: () => bytesBefore(task.fd, task.from),
});
let pos = task.from;
let error: string | undefined;
try {
  // Synchronous positional reads: this thread has nothing else to do, and the descriptor is shared.
  while (pos < task.to) {
    const got = readSync(task.fd, scanner.buf, scanner.len, Math.min(scanner.free, task.to - pos), pos);
    if (got === 0) break; // the file shrank while being read
    pos += got;
    scanner.wrote(got);
  }
  scanner.finish(task.consumeTrailing);
} catch (err) {
  error = reason(err);
}
const outcome: ScanPartOutcome = {
  offset: scanner.offset,
  end: pos,
  lines: scanner.lineCount,
  tail: scanner.tailContent,
  bytes: pos - task.from,
  inLine: scanner.inLine,
  stats: stats.toPart(),
};
if (error !== undefined) outcome.error = error;
if (task.record) outcome.hashes = hashes.slice(0, counted);
parentPort?.postMessage(outcome, outcome.hashes ? [outcome.hashes.buffer as ArrayBuffer] : []);
