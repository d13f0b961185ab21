import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logsConfig } from '../config.ts';
import { DEFAULT_IDENTITY } from '../cursor.ts';
import { readWholeFile } from '../read/source.ts';
import { RUNBOOK_CATEGORIES, RUNBOOK_PACK } from './pack.ts';
import { compileRules } from './rules.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-grep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A seeded generator (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYWORDS = Object.values(RUNBOOK_PACK).flat();
const NOISE = [
  'Accepted publickey for bob',
  'session opened',
  'query: example.com IN A',
  'STARTTLS=client',
  'e r r',
  'fai',
  'passw',
];
const ODD = [
  Buffer.from([0xff, 0xfe, 0x00, 0x80]), // invalid UTF-8 and a NUL
  Buffer.from([0x83, 0x65, 0x83, 0x58, 0x83, 0x67]), // Shift_JIS テスト
  Buffer.from([0xa5, 0xc6, 0xa5, 0xb9, 0xa5, 0xc8]), // EUC-JP テスト
  Buffer.from('\u00e9RR\u00c9'), // UTF-8 é around an uppercase keyword
  Buffer.from([0x00, 0x00]),
];

function mixCase(s: string, r: () => number): string {
  return [...s].map((c) => (r() < 0.5 ? c.toUpperCase() : c)).join('');
}

/** Generated log bytes: keywords in any case, CRLF, invalid UTF-8, NULs, a 10 MB line, no final newline. */
function generate(seed: number, lines: number, bigLine: boolean): Buffer {
  const r = rng(seed);
  const parts: Buffer[] = [];
  for (let i = 0; i < lines; i++) {
    const bits: Buffer[] = [
      Buffer.from(`Nov 24 10:${String(i % 60).padStart(2, '0')}:00 host prog${i % 7}[${i}]: `),
    ];
    const n = Math.floor(r() * 4);
    for (let k = 0; k < n; k++) {
      const roll = r();
      if (roll < 0.35)
        bits.push(Buffer.from(mixCase(KEYWORDS[Math.floor(r() * KEYWORDS.length)] as string, r)));
      else if (roll < 0.75) bits.push(Buffer.from(NOISE[Math.floor(r() * NOISE.length)] as string));
      else bits.push(ODD[Math.floor(r() * ODD.length)] as Buffer);
      bits.push(Buffer.from(' '));
    }
    bits.push(Buffer.from(r() < 0.2 ? '\r\n' : '\n'));
    if (bigLine && i === Math.floor(lines / 2)) {
      // 10 MB of filler with keywords at the start, straddling 64 KiB and 1 MiB boundaries, and at the end.
      const big = Buffer.alloc(10 * 1024 * 1024, 'x');
      big.write('TimeD OuT', 3);
      big.write('authentication failed', (1 << 16) - 7);
      big.write('/TEST-cgi', (1 << 20) - 4);
      big.write('PASSWD', big.length - 6);
      parts.push(Buffer.from('Nov 24 11:00:00 host big: '), big, Buffer.from('\n'));
    }
    parts.push(...bits);
  }
  parts.push(Buffer.from('Nov 24 12:00:00 host last: final line ERR without newline'));
  return Buffer.concat(parts);
}

function grepCount(file: string, keywords: readonly string[]): number {
  // -a: treat NULs as text (a binary file may otherwise be split at NULs); C locale: bytes, ASCII case folding.
  const args = ['-aciF', ...keywords.flatMap((k) => ['-e', k]), file];
  try {
    return Number(
      execFileSync('grep', args, { env: { ...process.env, LC_ALL: 'C' } })
        .toString()
        .trim(),
    );
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString().trim();
    if (out === '0') return 0;
    throw err;
  }
}

async function tenkenCounts(file: string, chunk: number): Promise<Record<string, number>> {
  const rules = compileRules(logsConfig.parse({}));
  const counts: Record<string, number> = Object.fromEntries(RUNBOOK_CATEGORIES.map((c) => [c, 0]));
  const r = await readWholeFile(
    file,
    {
      rules,
      identity: DEFAULT_IDENTITY,
      countLines: true,
      consumeTrailing: true,
      chunk,
      display: (p) => p,
      root: '/',
    },
    (hit) => {
      for (const c of rules.categories) if (hit.mask & c.bit) counts[c.id] = (counts[c.id] ?? 0) + 1;
    },
  );
  expect(r.problems).toEqual([]);
  return counts;
}

describe('per-category counts equal grep -ciF per category', () => {
  it('on a log with CRLF, invalid UTF-8, NULs, a 10 MB line and no final newline', async () => {
    const file = path.join(dir, 'mixed.log');
    writeFileSync(file, generate(1, 20_000, true));
    const expected = Object.fromEntries(RUNBOOK_CATEGORIES.map((c) => [c, grepCount(file, RUNBOOK_PACK[c])]));
    expect(Object.values(expected).every((n) => n > 0)).toBe(true);
    expect(await tenkenCounts(file, 1 << 20)).toEqual(expected);
    expect(await tenkenCounts(file, 1 << 16)).toEqual(expected);
  });

  it('whatever the buffer size, down to lines longer than the buffer everywhere', async () => {
    const file = path.join(dir, 'small.log');
    writeFileSync(file, generate(7, 400, false));
    const expected = Object.fromEntries(RUNBOOK_CATEGORIES.map((c) => [c, grepCount(file, RUNBOOK_PACK[c])]));
    for (const chunk of [48, 61, 97, 300, 4096]) expect(await tenkenCounts(file, chunk)).toEqual(expected);
  });
});
