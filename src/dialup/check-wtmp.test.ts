/**
 * The dial-up check reads wtmp in chunks, keeping only the records the correlation looks at. The old path
 * (each file read whole, a `.gz` inflated whole, every record decoded) is kept here as the oracle: on
 * generated wtmps, damaged ones included, the new reader keeps exactly the old records the correlation
 * needs, says the same problems, and reaches back as far.
 */
import { lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { reason, errnoCode } from '../core/errors.ts';
import { argPath, displayPath, type Host, hostPath, makeHost } from '../core/host.ts';
import { type OpenOptions, openRegular } from '../core/open.ts';
import { wtmpFamily } from '../logins/history.ts';
import { openWtmp } from '../logins/wtmp-file.ts';
import {
  decodeRecord,
  detectLayout,
  encodeRecords,
  fieldText,
  LAYOUTS,
  type UtmpRecordInput,
} from '../logins/utmp.ts';
import { type DialupInputs, readWtmpFiles } from './check.ts';
import { type DialupConfig, dialupConfig } from './config.ts';
import { type LoginRecord, recordNeeded, type UtType } from './correlate.ts';
import { utTypeName } from './logins-source.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function root(): string {
  const r = mkdtempSync(path.join(tmpdir(), 'tenken-dialup-wtmp-'));
  roots.push(r);
  mkdirSync(path.join(r, 'var/log'), { recursive: true });
  return r;
}

function put(r: string, p: string, content: Uint8Array): void {
  const file = path.join(r, p);
  writeFileSync(file, content);
  utimesSync(file, new Date('2026-06-01T00:00:00Z'), new Date('2026-06-01T00:00:00Z'));
}

const NOW = new Date('2026-06-02T00:00:00Z');

// ---- The old path, as it was before wtmp was read in chunks (the oracle). ----

// The old bound for a .gz, kept so the oracle is the old path; no generated file comes near it, and the bound
// is now the logins check's (tested below).
const OLD_MAX_WTMP_BYTES = 512 * 1024 * 1024;
const oldGunzip = promisify(gunzip);

async function oldReadBytes(local: string, opts: OpenOptions): Promise<{ bytes: Buffer; mtime: Date }> {
  const { handle, stat: st } = await openRegular(local, opts);
  try {
    return { bytes: await handle.readFile(), mtime: st.mtime };
  } finally {
    await handle.close();
  }
}

function oldDecodeWtmp(
  bytes: Uint8Array,
  source: string,
): { ok: true; records: LoginRecord[] } | { ok: false; reason: string } {
  const detection = detectLayout(bytes.subarray(0, 64 * 400), bytes.length);
  if (!detection.ok) return { ok: false, reason: detection.message };
  const { layout } = detection;
  const records: LoginRecord[] = [];
  const whole = Math.floor(bytes.length / layout.size);
  for (let i = 0; i < whole; i++) {
    const r = decodeRecord(bytes, i * layout.size, layout, i);
    records.push({
      type: utTypeName(r.type),
      pid: r.pid,
      line: fieldText(r.line),
      user: fieldText(r.user),
      host: fieldText(r.host),
      time: new Date(r.sec * 1000 + Math.floor(r.usec / 1000)),
      source,
      index: i + 1,
    });
  }
  return { ok: true, records };
}

interface Outcome {
  records: LoginRecord[];
  wtmpRead: string[];
  wtmpStart: number | undefined;
  problems: string[];
}

async function oldReadWtmpFiles(host: Host, config: DialupConfig, inputs: DialupInputs): Promise<Outcome> {
  const problems: string[] = [];
  const newest = (mtime: Date): Date => (mtime > host.now ? host.now : mtime);
  const records: LoginRecord[] = [];
  const wtmpRead: string[] = [];
  const wtmpSources = inputs.wtmp?.length
    ? inputs.wtmp.map((p) => ({
        local: argPath(host, inputs.cwd ?? process.cwd(), p),
        shown: p,
        optional: false,
      }))
    : [
        ...new Map(
          config.wtmp.flatMap((configured, i) =>
            wtmpFamily(host, configured).map((p) => [
              p,
              {
                local: hostPath(host, p),
                shown: displayPath(host, hostPath(host, p)),
                optional: p !== configured || i > 0,
              },
            ]),
          ),
        ).values(),
      ];
  let wtmpStart: number | undefined;
  for (const s of wtmpSources) {
    let bytes: Buffer;
    let mtime: Date;
    try {
      ({ bytes, mtime } = await oldReadBytes(s.local, inputs.wtmp?.length ? { follow: true } : {}));
      if (s.local.endsWith('.gz')) bytes = await oldGunzip(bytes, { maxOutputLength: OLD_MAX_WTMP_BYTES });
    } catch (err) {
      if (s.optional && errnoCode(err) === 'ENOENT') continue;
      problems.push(`${s.shown}: ${reason(err)}: logins on dial-up lines not compared with calls`);
      continue;
    }
    const decoded = oldDecodeWtmp(bytes, s.shown);
    if (!decoded.ok) {
      problems.push(`${s.shown}: ${decoded.reason}`);
      continue;
    }
    records.push(...decoded.records);
    wtmpRead.push(s.shown);
    let oldest = Number.POSITIVE_INFINITY;
    for (const r of decoded.records)
      if (r.type !== 'EMPTY' && r.time.getTime() > 0) oldest = Math.min(oldest, r.time.getTime());
    if (!Number.isFinite(oldest)) oldest = newest(mtime).getTime();
    wtmpStart = Math.min(wtmpStart ?? oldest, oldest);
  }
  return { records, wtmpRead, wtmpStart, problems };
}

// ---- The comparison. ----

async function newReadWtmpFiles(
  host: Host,
  config: DialupConfig,
  inputs: DialupInputs,
  keep: (type: UtType, line: string) => boolean,
): Promise<Outcome> {
  const problems: string[] = [];
  const got = await readWtmpFiles(host, config, inputs, keep, (err, shown, consequence) =>
    problems.push(`${shown}: ${reason(err)}${consequence}`),
  );
  return { ...got, problems };
}

/** The new reader's outcome and the oracle's, its records cut down to those `lines` need. */
async function both(
  r: string,
  lines: readonly string[],
  config: DialupConfig = dialupConfig.parse({}),
  inputs: DialupInputs = {},
): Promise<{ got: Outcome; want: Outcome }> {
  const host = makeHost({ root: r, name: 'h', now: NOW });
  const wanted = new Set(lines);
  const keep = (type: UtType, line: string): boolean => recordNeeded(type, line, wanted);
  const got = await newReadWtmpFiles(host, config, inputs, keep);
  const old = await oldReadWtmpFiles(host, config, inputs);
  return { got, want: { ...old, records: old.records.filter((x) => keep(x.type, x.line)) } };
}

const LINES = ['ttyS0', 'ttyS1', '/dev/ttyS1', 'ttyUSB0', 'ttyACM0', 'pts/0', 'tty1', '~', ''];

const record = fc.record<UtmpRecordInput>({
  type: fc.constantFrom(0, 1, 2, 5, 6, 7, 8, 9, 42),
  pid: fc.integer({ min: 0, max: 70000 }),
  line: fc.constantFrom(...LINES),
  user: fc.constantFrom('yanagi', 'reboot', 'dialout', '', 'ユーザ'),
  host: fc.constantFrom('', '10.0.0.1', 'modem'),
  sec: fc.oneof(fc.constant(0), fc.integer({ min: 1_700_000_000, max: 1_800_000_000 })),
  usec: fc.integer({ min: 0, max: 999_999 }),
});

/** How a generated file is spoilt, if at all. */
const damage = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('tail' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 399 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 60 }),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 3000 }) }),
  fc.constant({ kind: 'empty' as const }),
);

/** How a `.gz` member is spoilt, if at all. */
const gzDamage = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('trailing' as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 30 }),
  }),
  fc.constant({ kind: 'plain' as const }),
  fc.constant({ kind: 'empty' as const }),
);

const member = fc.record({
  records: fc.array(record, { maxLength: 40 }),
  layout: fc.constantFrom('glibc-384' as const, 'glibc-400' as const),
  damage,
});

function image(m: Member): Buffer {
  const bytes = Buffer.from(encodeRecords(m.records, LAYOUTS[m.layout]));
  const d = m.damage;
  if (d.kind === 'tail') return Buffer.concat([bytes, d.bytes]);
  if (d.kind === 'insert') {
    const at = bytes.length ? d.at % bytes.length : 0;
    return Buffer.concat([bytes.subarray(0, at), d.bytes, bytes.subarray(at)]);
  }
  if (d.kind === 'cut') return bytes.subarray(0, bytes.length ? d.at % bytes.length : 0);
  if (d.kind === 'garbage') return Buffer.from(d.bytes);
  if (d.kind === 'empty') return Buffer.alloc(0);
  return bytes;
}

type Member = {
  records: UtmpRecordInput[];
  layout: 'glibc-384' | 'glibc-400';
  damage:
    | { kind: 'none' | 'empty' }
    | { kind: 'tail' | 'garbage'; bytes: Uint8Array }
    | { kind: 'insert'; at: number; bytes: Uint8Array }
    | { kind: 'cut'; at: number };
};

function gz(
  m: Member,
  d:
    | { kind: 'none' | 'plain' | 'empty' }
    | { kind: 'cut'; at: number }
    | {
        kind: 'trailing';
        bytes: Uint8Array;
      },
): Buffer {
  const plain = image(m);
  if (d.kind === 'plain') return plain; // named .gz, not gzip
  if (d.kind === 'empty') return Buffer.alloc(0);
  const packed = gzipSync(plain);
  if (d.kind === 'cut') return packed.subarray(0, d.at % packed.length);
  if (d.kind === 'trailing') return Buffer.concat([packed, d.bytes]);
  return packed;
}

describe('reading wtmp for the dial-up check, in chunks', () => {
  it('keeps the records the old whole-file reader gave that the lines need, damaged files too (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(member, { nil: undefined }),
        fc.option(member, { nil: undefined }),
        fc.option(fc.tuple(member, gzDamage), { nil: undefined }),
        fc.option(fc.tuple(member, gzDamage), { nil: undefined }),
        fc.subarray(['ttyS0', 'ttyS1', 'ttyUSB0', 'ttyACM0', 'pts/0']),
        async (live, one, two, dated, lines) => {
          const r = root();
          if (live) put(r, 'var/log/wtmp', image(live));
          if (one) put(r, 'var/log/wtmp.1', image(one));
          if (two) put(r, 'var/log/wtmp.2.gz', gz(...two));
          if (dated) put(r, 'var/log/wtmp-20260501.gz', gz(...dated));
          const { got, want } = await both(r, lines);
          expect(got).toEqual(want);
          rmSync(r, { recursive: true, force: true });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads records across its chunks and a misaligned tail as the old reader did', async () => {
    const r = root();
    // 5000 records: 384-byte records straddle the reader's chunks; 12 bytes inserted in record 4000.
    const recs = Array.from({ length: 5000 }, (_, i) => ({
      type: i % 50 === 0 ? 7 : 8,
      pid: 600 + (i % 7),
      line: i % 3 === 0 ? 'ttyS1' : 'pts/3',
      user: 'yanagi',
      sec: 1_779_000_000 + i,
    }));
    const bytes = Buffer.from(encodeRecords(recs));
    put(
      r,
      'var/log/wtmp',
      Buffer.concat([
        bytes.subarray(0, 4000 * 384 + 100),
        Buffer.alloc(12, 7),
        bytes.subarray(4000 * 384 + 100),
      ]),
    );
    put(r, 'var/log/wtmp.1', bytes);
    const { got, want } = await both(r, ['ttyS1']);
    expect(got.records.length).toBeGreaterThan(3000);
    expect(got).toEqual(want);
  });

  it('inflates a .gz past what it keeps in memory a second time, with the same records', {
    timeout: 60_000,
  }, async () => {
    const r = root();
    // 50,000 records: 19 MB inflated, more than the 16 MiB kept from the first inflating.
    const recs = Array.from({ length: 50_000 }, (_, i) => ({
      type: 7,
      pid: 700 + (i % 100),
      line: i % 1000 === 0 ? 'ttyS0' : 'pts/0',
      user: 'kato',
      sec: 1_779_000_000 + i,
    }));
    put(r, 'var/log/wtmp.2.gz', gzipSync(encodeRecords(recs)));
    put(r, 'var/log/wtmp', new Uint8Array(0));
    const { got, want } = await both(r, ['ttyS0']);
    expect(got.records).toHaveLength(50);
    expect(got).toEqual(want);
  });

  it('reaches back to the file time when its only record has a time no Date holds (64-bit times)', async () => {
    const r = root();
    // EMPTY records (with times, which do not count) make the layout plain.
    const empty = { type: 0, line: 'ttyS0', sec: 1_779_000_000 };
    const far = { type: 7, pid: 5, line: 'ttyS0', user: 'u', sec: 2 ** 50 };
    put(
      r,
      'var/log/wtmp',
      encodeRecords([empty, empty, empty, empty, empty, empty, far], LAYOUTS['glibc-400']),
    );
    const { got, want } = await both(r, ['ttyS0']);
    expect(got.problems).toEqual([]);
    expect(got.wtmpStart).toBe(Date.parse('2026-06-01T00:00:00Z'));
    expect(got).toEqual(want);
  });

  it("refuses a .gz backup past the logins check's bound (a gzip bomb) in its words, and reads the others", {
    timeout: 30_000,
  }, async () => {
    const r = root();
    // 65 MiB of zeros (EMPTY records): about 65 kB compressed, past the 64 MiB floor and 500 times its size.
    // The old bound (512 MiB, the most it held in memory) let it through.
    put(r, 'var/log/wtmp.2.gz', gzipSync(Buffer.alloc(65 * 1024 * 1024)));
    put(
      r,
      'var/log/wtmp',
      encodeRecords([{ type: 7, pid: 1, line: 'ttyS0', user: 'u', sec: 1_779_000_000 }]),
    );
    const host = makeHost({ root: r, name: 'h', now: NOW });
    const keep = (type: UtType, line: string): boolean => recordNeeded(type, line, new Set(['ttyS0']));
    const got = await newReadWtmpFiles(host, dialupConfig.parse({}), {}, keep);
    const logins = await openWtmp(path.join(r, 'var/log/wtmp.2.gz'), { display: '/var/log/wtmp.2.gz' }).then(
      () => 'read',
      (err: Error) => err.message,
    );
    expect(logins).toMatch(
      /^Cannot read \/var\/log\/wtmp\.2\.gz: decompresses to more than \d+ bytes, .*gzip bomb/,
    );
    expect(got.problems.map((p) => `Cannot read ${p}`)).toEqual([
      `${logins}: logins on dial-up lines not compared with calls`,
    ]);
    expect(got.wtmpRead).toEqual(['/var/log/wtmp']);
    expect(got.records).toHaveLength(1);
  });

  it('refuses an untrusted symbolic link at wtmp as before, and follows one named on the command line', async () => {
    const r = root();
    put(
      r,
      'var/log/wtmp.real',
      encodeRecords([{ type: 7, pid: 1, line: 'ttyS0', user: 'u', sec: 1_779_000_000 }]),
    );
    symlinkSync('wtmp.real', path.join(r, 'var/log/wtmp'));
    lchownSync(path.join(r, 'var/log/wtmp'), 4321, 4321);
    symlinkSync('wtmp.real', path.join(r, 'var/log/wtmp.1'));
    lchownSync(path.join(r, 'var/log/wtmp.1'), 4321, 4321);
    const host = await both(r, ['ttyS0']);
    // Backups first, the live file last (oldest first).
    expect(host.got.problems).toEqual([
      '/var/log/wtmp.1: a symbolic link owned by uid 4321 to a file it does not own (refusing to follow it): logins on dial-up lines not compared with calls',
      '/var/log/wtmp: a symbolic link owned by uid 4321 to a file it does not own (refusing to follow it): logins on dial-up lines not compared with calls',
    ]);
    expect(host.got).toEqual(host.want);
    const named = await both(r, ['ttyS0'], dialupConfig.parse({}), {
      wtmp: ['/var/log/wtmp'],
    });
    expect(named.got.records).toHaveLength(1);
    expect(named.got).toEqual(named.want);
  });
});
