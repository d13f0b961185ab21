import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** systemd's converter from the journal export format to journal files (Debian: systemd-journal-remote). */
export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

/** A boot id for the entries written here (journalctl needs one per entry). */
const BOOT = '0123456789abcdef0123456789abcdef';

/** A field value: text (or a number) as `FIELD=value`, bytes in the binary form. */
export type ExportValue = string | number | Buffer;

/**
 * Entries in the journal export format, as `journalctl -o export` prints them and systemd-journal-remote
 * reads them: `FIELD=text` lines, or `FIELD`, a 64-bit little-endian length and the bytes; an empty line
 * after each entry.
 */
export function exportFormat(entries: readonly Record<string, ExportValue>[]): Buffer {
  const field = (k: string, v: ExportValue): Buffer => {
    if (!Buffer.isBuffer(v)) return Buffer.from(`${k}=${v}\n`);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(v.length));
    return Buffer.concat([Buffer.from(`${k}\n`), size, v, Buffer.from('\n')]);
  };
  return Buffer.concat(
    entries.flatMap((e) => [...Object.entries(e).map(([k, v]) => field(k, v)), Buffer.from('\n')]),
  );
}

/**
 * Writes `entries` (fields; `at` in epoch ms becomes __REALTIME_TIMESTAMP) as a real journal file under
 * `dir` (named `file`, which must end in `.journal`), so that the real journalctl reads them with
 * `-D dir`. Throws with the converter's message when it fails (`.ci/services.sh` installs it).
 */
export function writeJournal(
  dir: string,
  entries: readonly ({ at: number } & Record<string, ExportValue>)[],
  file = 'remote.journal',
): void {
  fs.mkdirSync(dir, { recursive: true });
  const body = exportFormat(
    entries.map(({ at, ...fields }) => ({
      __REALTIME_TIMESTAMP: at * 1000,
      // One boot whose monotonic clock follows the wall clock: files written later sort after earlier ones.
      __MONOTONIC_TIMESTAMP: at * 1000,
      _BOOT_ID: BOOT,
      ...fields,
    })),
  );
  const r = spawnSync(JOURNAL_REMOTE, ['-o', path.join(dir, file), '-'], { input: body });
  if (r.error || r.status !== 0)
    throw new Error(
      `Cannot write a journal with ${JOURNAL_REMOTE}: ${r.error?.message ?? r.stderr.toString().trim()}`,
    );
}
