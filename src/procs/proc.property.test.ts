/**
 * Property tests: whatever bytes a /proc file holds (a damaged image, a forged tree under --root), the /proc
 * parsers return data or null and never throw; what they return has no NaN and no Invalid Date in it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootTime } from '../logins/live.ts';
import {
  parseBtime,
  parseCmdline,
  parseComm,
  parseExeTarget,
  parseLoginuid,
  parseStat,
  parseStatus,
  processFromTexts,
} from './proc.ts';
import { decodeAddress, NET_TABLES, parseNetTable, socketInode } from './sockets.ts';

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** Any bytes, read both ways the readers read them. */
const anyText = fc
  .uint8Array({ maxLength: 400 })
  .chain((b) => fc.constantFrom(latin1.decode(b), utf8.decode(b)));

const STAT =
  '87 (sendmail) S 1 87 87 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 1234 3526656 287 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0';
const STATUS = 'Name:\tsendmail\nState:\tS (sleeping)\nPPid:\t1\nUid:\t0\t0\t0\t0\nVmRSS:\t  1148 kB\n';
const TCP =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 00000000:0019 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1133 1 0 100 0 0 10 0\n';

/** A real text with one whitespace-separated word replaced by anything (the field a parser trusted). */
function mutated(text: string): fc.Arbitrary<string> {
  const words = text.split(/( +|\t|\n)/);
  return fc
    .tuple(fc.nat(words.length - 1), fc.oneof(anyText, fc.bigInt().map(String), fc.string()))
    .map(([i, w]) => words.map((x, j) => (j === i ? w : x)).join(''));
}

/** Whether a value holds a NaN or an infinite number anywhere (JSON would write null for it). */
function hasBadNumber(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(hasBadNumber);
  if (v && typeof v === 'object') return Object.values(v).some(hasBadNumber);
  return false;
}

const runs = { numRuns: 500 };

describe('the /proc parsers on any bytes', () => {
  it('stat, status, cmdline, comm, exe and loginuid: data or null, never a throw, never NaN', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, mutated(STAT)), fc.oneof(anyText, mutated(STATUS)), (stat, status) => {
        for (const v of [parseStat(stat), parseStatus(status), parseLoginuid(stat), parseExeTarget(stat)])
          expect(hasBadNumber(v)).toBe(false);
        parseComm(stat);
        parseCmdline(new TextEncoder().encode(stat));
      }),
      runs,
    );
  });

  it('a process from damaged texts has a valid ISO start time or none', () => {
    fc.assert(
      fc.property(
        mutated(STAT),
        mutated(STATUS),
        fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
        (stat, status, btime) => {
          const p = processFromTexts(
            { stat, status, cmdline: new Uint8Array(), comm: null, exe: null, loginuid: null },
            { users: new Map(), btime },
          );
          if (p === null) return;
          expect(hasBadNumber(p)).toBe(false);
          if (p.start !== null) expect(new Date(p.start).toISOString()).toBe(p.start);
        },
      ),
      runs,
    );
  });

  it('/proc/stat btime and /proc/uptime: a safe number or null, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, mutated('cpu 1 2 3\nbtime 1764000000\nprocesses 9\n')), (text) => {
        const b = parseBtime(text);
        expect(b === null || Number.isSafeInteger(b)).toBe(true);
        expect(Number.isFinite(bootTime(text, 1_800_000_000_000))).toBe(true);
      }),
      runs,
    );
  });

  it('net tables: rows with real ports, uids and inodes, or none; never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyText, mutated(TCP)),
        fc.constantFrom(...NET_TABLES),
        fc.boolean(),
        (text, proto, le) => {
          for (const row of parseNetTable(text, proto, le)) {
            expect(hasBadNumber(row)).toBe(false);
            expect(row.localPort).toBeLessThanOrEqual(65535);
            expect(row.remotePort).toBeLessThanOrEqual(65535);
          }
          const a = decodeAddress(text, le);
          expect(a === null || (a[1] >= 0 && a[1] <= 65535)).toBe(true);
          socketInode(text);
        },
      ),
      runs,
    );
  });
});
