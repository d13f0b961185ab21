/**
 * Copies among a log's rotated members. logrotate leaves two members holding the same lines for a while: a
 * `copytruncate` caught between its copy and its truncate (`mgetty.ttyS0.1` and `mgetty.ttyS0` alike), a
 * `.1` beside the `.1.gz` gzip is still writing, a file kept under two names. Read as two members, every call
 * and modem warning in them counted twice (DSR off 4 → 8 → 12 over a few runs).
 *
 * The rule is src/logs/cursor.ts's (`decide`, step 3) for the keyword scan: a member whose content is a
 * prefix of another member's is a copy and is not read. The dial-up check holds whole texts rather than
 * open files and cursors, so the test is made on the texts. Pure.
 */
import path from 'node:path';
import { liveNameOf } from '../logs/read/family.ts';

/**
 * The family a log file belongs to: its live name (`/var/log/mgetty.ttyS0` for `mgetty.ttyS0.2.gz`), as
 * src/logs names families, or the name without a bare `.gz`.
 */
export function familyKey(file: string): string {
  const base = path.posix.basename(file);
  return path.posix.join(path.posix.dirname(file), liveNameOf(base) ?? base.replace(/\.gz$/, ''));
}

/**
 * Indexes (into `texts`, one family's members) of the members that are copies: non-empty, and a prefix of
 * another member's text. Of two equal members the later one (newer, by the caller's oldest-first order) is
 * kept, so exactly one of a set of equal members is read, and every copy is a prefix of a member kept.
 */
export function copyMembers(texts: readonly string[]): Set<number> {
  const copies = new Set<number>();
  texts.forEach((t, i) => {
    if (t === '') return;
    const copied = texts.some((u, j) => j !== i && u.startsWith(t) && (u.length > t.length || j > i));
    if (copied) copies.add(i);
  });
  return copies;
}
