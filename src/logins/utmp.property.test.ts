/**
 * Property tests: whatever bytes a wtmp/btmp holds (an attacker writes btmp), the reader either refuses the file
 * with a one-line TenkenError or reads every whole record and reports the rest; `last` over it ends. Small runs:
 * the machine is shared.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { TenkenError } from '../core/errors.ts';
import { formatEntry } from './last-format.ts';
import { batches, lastEntries } from './sessions.ts';
import { zoneFromTZ } from '../core/tz.ts';
import { encodeRecords, LAYOUTS } from './utmp.ts';
import { openWtmp, recordsBackward, recordsForward, scanAnomalies } from './wtmp-file.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-utmp-prop-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

const zone = zoneFromTZ('Asia/Tokyo');
const format = {
  timeFormat: 'short' as const,
  showHost: true,
  hostLast: false,
  useIp: true,
  fullNames: false,
  now: 1_800_000_000,
  zone,
};

/** Reads a file the way `tenken last` does; returns what happened instead of throwing for bad input. */
async function readAll(
  bytes: Uint8Array,
): Promise<{ refused: string } | { records: number; tail: number; lines: number }> {
  const file = path.join(dir, `f${n++}`);
  fs.writeFileSync(file, bytes);
  try {
    const f = await openWtmp(file, { display: '/var/log/btmp' });
    try {
      const forward = [...recordsForward(f, 7)];
      const backward = [...recordsBackward(f, 5)];
      expect(backward.map((r) => r.index)).toEqual(forward.map((r) => r.index).reverse());
      scanAnomalies(f);
      let lines = 0;
      for (const e of lastEntries(batches(backward), {
        now: format.now,
        extended: true,
        pidAlive: () => false,
      })) {
        const text = formatEntry(e, format);
        expect(text.endsWith('\n')).toBe(true);
        // One line per entry, whatever the bytes: no raw control character survives.
        expect(text.slice(0, -1)).not.toMatch(/[\n\r\x07\x00]/);
        lines++;
      }
      return { records: f.records, tail: f.tail?.length ?? 0, lines };
    } finally {
      f.close();
    }
  } catch (err) {
    if (err instanceof TenkenError) return { refused: err.message };
    throw err;
  } finally {
    fs.rmSync(file);
  }
}

describe('the utmp reader on hostile input', () => {
  it('never crashes on random bytes: it refuses the file or reads every whole record', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
        const r = await readAll(bytes);
        if ('refused' in r) expect(r.refused).toMatch(/^Cannot read \/var\/log\/btmp: [^\n]+$/);
        else
          expect(r.records * 384 + r.tail === bytes.length || r.records * 400 + r.tail === bytes.length).toBe(
            true,
          );
      }),
      { numRuns: 150 },
    );
  });

  it('reads every whole record of a truncated or padded file and reports the stray tail', async () => {
    const record = fc.record({
      type: fc.integer({ min: 0, max: 9 }),
      pid: fc.integer({ min: 0, max: 2 ** 22 }),
      line: fc.constantFrom('pts/0', 'pts/1', 'tty1', '~', ''),
      user: fc.constantFrom('root', 'alice', 'reboot', 'shutdown', 'runlevel', 'LOGIN', ''),
      host: fc.string({ maxLength: 40 }),
      sec: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 383 }),
        async (recs, cut) => {
          const full = encodeRecords(recs, LAYOUTS['glibc-384']);
          // Chop `cut` bytes off the end, or append `cut` stray bytes (what makes util-linux last show nothing).
          const chopped = full.subarray(0, full.length - cut);
          const padded = Buffer.concat([full, Buffer.alloc(cut, 0x41)]);
          const a = await readAll(chopped);
          const b = await readAll(padded);
          expect(a).toMatchObject({
            records: cut ? recs.length - 1 : recs.length,
            tail: cut ? 384 - cut : 0,
          });
          expect(b).toMatchObject({ records: recs.length, tail: cut });
        },
      ),
      { numRuns: 60 },
    );
  });
});
