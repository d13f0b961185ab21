import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHost } from '../core/host.ts';
import { encodeRecords } from '../logins/utmp.ts';
import { inspectDialup } from './check.ts';
import { dialupConfig } from './config.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const NOW = new Date('2026-06-02T00:00:00Z');
const plan = { services: [], syslogFiles: [], journal: 'off' as const, skipped: [] };
const sec = (iso: string): number => Date.parse(iso) / 1000;

const CALL = [
  '--',
  '05/20 10:00:00 yS1  mgetty: interim release 1.2.1',
  '05/20 10:00:00 yS1  user id: 0, pid: 612, parent pid: 1',
  "05/20 10:01:44 yS1  waiting for ``CONNECT'' ** found **",
  "05/20 10:01:58 ##### data dev=ttyS1, pid=612, caller='none', conn='', name='', cmd='/bin/login', user='yanagi'",
  '',
].join('\n');

/** A host root with wtmp holding yanagi's login on ttyS1 at 10:02:10. */
function root(): string {
  const r = mkdtempSync(path.join(tmpdir(), 'tenken-dialup-memory-'));
  roots.push(r);
  mkdirSync(path.join(r, 'var/log/mgetty'), { recursive: true });
  writeFileSync(
    path.join(r, 'var/log/wtmp'),
    encodeRecords([{ type: 7, pid: 612, line: 'ttyS1', user: 'yanagi', sec: sec('2026-05-20T10:02:10Z') }]),
  );
  return r;
}

function touch(file: string): void {
  utimesSync(file, new Date('2026-06-01T00:00:00Z'), new Date('2026-06-01T00:00:00Z'));
}

/**
 * The most the JS heap and the buffers outside it grew over `run`, sampled every few milliseconds (vitest's
 * workers have no gc: the peak while it runs, not what it keeps after).
 */
async function peakGrowth<T>(run: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = used();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, used());
  }, 2);
  try {
    const result = await run();
    peak = Math.max(peak, used());
    return { result, growth: peak - base };
  } finally {
    clearInterval(timer);
  }
}

describe('reading wtmp in bounded memory', () => {
  it('keeps only the dial-up lines of a 500,000-record wtmp: memory does not grow with the file', {
    timeout: 60_000,
  }, async () => {
    const r = root();
    const log = path.join(r, 'var/log/mgetty/mg_ttyS1.log');
    writeFileSync(log, CALL);
    touch(log);
    // 500,000 ssh logins on pts/0 (192 MB), the dial-up login on ttyS1 among them.
    const n = 500_000;
    const one = Buffer.from(
      encodeRecords([{ type: 7, pid: 700, line: 'pts/0', user: 'kato', host: '10.0.0.1', sec: 0 }]),
    );
    const size = one.length;
    const bytes = Buffer.allocUnsafe(size * (n + 1));
    const start = sec('2026-05-20T00:00:00Z');
    for (let i = 0; i < n; i++) {
      one.copy(bytes, i * size);
      bytes.writeInt32LE(start + i / 10, i * size + 340);
    }
    Buffer.from(
      encodeRecords([{ type: 7, pid: 612, line: 'ttyS1', user: 'yanagi', sec: sec('2026-05-20T10:02:10Z') }]),
    ).copy(bytes, n * size);
    writeFileSync(path.join(r, 'var/log/wtmp'), bytes);
    const { result: insp, growth } = await peakGrowth(() =>
      inspectDialup(makeHost({ root: r, name: 'h', now: NOW }), dialupConfig.parse({}), plan),
    );
    expect(insp.problems).toEqual([]);
    const line = insp.lines.find((l) => l.line === 'ttyS1');
    expect(line?.matches.map((m) => [m.login.user, m.login.index])).toEqual([['yanagi', n + 1]]);
    // Read whole, the file's 192 MB and its 500,000 decoded records were held at once.
    expect(growth).toBeLessThan(bytes.length / 4);
  });
});

describe('reading mgetty logs in bounded memory', () => {
  it('finds the calls after 600 MB of padding (read whole, the text overflowed a string and the log went unread)', {
    timeout: 30_000,
  }, async () => {
    const r = root();
    const log = path.join(r, 'var/log/mgetty/mg_ttyS1.log');
    const fd = openSync(log, 'w');
    // A sparse file: 600 MB of NULs on one line, then the call.
    writeSync(fd, `\n${CALL}`, 600 * 1024 * 1024);
    closeSync(fd);
    touch(log);
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan,
    );
    expect(insp.problems).toEqual([]);
    const line = insp.lines.find((l) => l.line === 'ttyS1');
    expect(line?.calls.length).toBe(1);
    expect(line?.matches.length).toBe(1);
    // Line numbers count the padding's line.
    expect(line?.calls[0]?.evidence.map((e) => e.line)).toEqual([5, 6]);
  });

  it('refuses a rotated .gz that inflates past its bound (a gzip bomb), and says so', {
    timeout: 30_000,
  }, async () => {
    const r = root();
    const log = path.join(r, 'var/log/mgetty/mg_ttyS1.log');
    writeFileSync(log, CALL);
    touch(log);
    // 65 MiB of zeros: about 65 kB compressed, past the 64 MiB floor and 500 times its size.
    const bomb = path.join(r, 'var/log/mgetty/mg_ttyS1.log.2.gz');
    writeFileSync(bomb, gzipSync(Buffer.alloc(65 * 1024 * 1024)));
    touch(bomb);
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan,
    );
    expect(insp.problems.map((p) => p.summary)).toEqual([
      `Cannot read /var/log/mgetty/mg_ttyS1.log.2.gz: decompresses to more than ${64 * 1024 * 1024} bytes, more than 500 times its size: no mgetty log compresses that well (a gzip bomb?)`,
    ]);
    expect(insp.lines.find((l) => l.line === 'ttyS1')?.calls.length).toBe(1);
  });

  it('reads a rotated .gz as before: its calls, numbered by their line in the file', async () => {
    const r = root();
    const gz = path.join(r, 'var/log/mgetty/mg_ttyS1.log.1.gz');
    writeFileSync(gz, gzipSync(`noise\n\n${CALL}`));
    touch(gz);
    const log = path.join(r, 'var/log/mgetty/mg_ttyS1.log');
    writeFileSync(log, '');
    touch(log);
    const insp = await inspectDialup(
      makeHost({ root: r, name: 'h', now: NOW }),
      dialupConfig.parse({}),
      plan,
    );
    expect(insp.problems).toEqual([]);
    const line = insp.lines.find((l) => l.line === 'ttyS1');
    expect(line?.matches.length).toBe(1);
    expect(line?.calls[0]?.evidence.map((e) => e.line)).toEqual([6, 7]);
  });
});
