/**
 * Reading the auth logs for the reconciliation (reconcile.ts), from where the last saved run stopped: the
 * logs check's reader (src/logs/read/source.ts) with a cursor per file (identity + offset, surviving rotation
 * and truncation, `inLine` past an endless line, `checks.logs.maxReadPerRun` per file and run), so a run
 * reads only the bytes no earlier run read. Beside each cursor the file's covered time is kept (its first and
 * last dated line), so the coverage of the files is what a read of each whole file gives. The lines that a
 * later run must still see (inside the match window of what is not judged yet) are carried in the state as
 * events (check.ts), not read again.
 */
import { z } from 'zod';
import type { YearContext } from '../core/tz.ts';
import { truncate } from '../core/sanitize.ts';
import { logsConfig } from '../logs/config.ts';
import { cursorSchema, type Cursor, type Decision, type IdentityOptions } from '../logs/cursor.ts';
import type { LogSourceData } from '../logs/findings.ts';
import { contentBefore, type OpenFile, type ReadResult } from '../logs/read/content.ts';
import { readSource } from '../logs/read/source.ts';
import { compileRules, type RuleSet } from '../logs/scan/rules.ts';
import { parsePrefix } from '../logs/syslog.ts';
import { AUTH_KEYWORDS, type AuthEvent, lineOf, parseAuthLine } from './reconcile.ts';

/** The bytes of a file's start and end looked at for its first and last dated lines (and its identity). */
export const AUTH_EDGE = 64 * 1024;

/**
 * How far from a file's start, and back from where its read stopped, a dated line is looked for when its
 * first and last 64 KiB hold none (a long line there): past it, a line is a long line (the read buffer's
 * size), whose head the reader reports and whose rest it skips.
 */
const SEARCH = 1 << 20;

/** Identity of an auth-log file: its first 64 KiB (its first dated line), and 64 KiB before the offset. */
const IDENTITY: IdentityOptions = { fpBytes: AUTH_EDGE, tailBytes: AUTH_EDGE };

/** A file's cursor, with the time its lines cover (first and last dated line read so far; null: none). */
export const authCursorSchema = cursorSchema.extend({
  from: z.number().nullable(),
  to: z.number().nullable(),
});

/** A saved auth-log cursor. */
export type AuthCursor = z.output<typeof authCursorSchema>;

/** A problem reading an auth log, for a finding: the reader's problem kinds, with the host path. */
export interface AuthLogProblem {
  path: string;
  problem: LogSourceData['problem'];
  reason: string;
}

/** What one run read of the auth logs. */
export interface AuthLogRead {
  /** Events of the bytes read in this run, oldest file first. */
  events: AuthEvent[];
  /** The time each file present covers (also the files that had nothing new; not a copy, not an unreadable one). */
  spans: { from: number | null; to: number | null }[];
  /** The cursors to save, per live path (host path). */
  cursors: Record<string, AuthCursor[]>;
  problems: AuthLogProblem[];
  /** Content bytes read. */
  bytes: number;
}

let authRules: RuleSet | undefined;

/** The time of a line's syslog prefix, in seconds, or null. */
function timeOf(line: string, ctx: YearContext): number | null {
  const t = parsePrefix(line, ctx).time;
  return t === null ? null : Math.floor(t / 1000);
}

/**
 * The first dated line's time in a file's first bytes (`whole`: they are the whole content, so the last
 * line is not cut), or null.
 */
export function firstDated(head: Buffer, whole: boolean, ctx: YearContext): number | null {
  const lines = head.toString('latin1').split('\n');
  for (const raw of whole ? lines : lines.slice(0, -1)) {
    const line = lineOf(raw);
    if (line === '') continue;
    const t = timeOf(line, ctx);
    if (t !== null) return t;
  }
  return null;
}

/**
 * The last dated line's time in the last consumed bytes of a file (`cut`: they start inside a line, which is
 * then not looked at), or null: none whole in them (an endless line's bytes).
 */
export function lastDated(tail: Buffer, cut: boolean, ctx: YearContext): number | null {
  const lines = tail.toString('latin1').split('\n');
  for (let i = lines.length - 1; i >= (cut ? 1 : 0); i--) {
    const line = lineOf(lines[i] as string);
    if (line === '') continue;
    const t = timeOf(line, ctx);
    if (t !== null) return t;
  }
  return null;
}

const maxOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

/**
 * A member's covered time after this run: what its saved cursor said, extended by what was read. A member
 * read from its start takes its first dated line from its head; its last dated line is the last one whole
 * in the consumed bytes' tail, or (a read that ended inside an endless line) the newer of the saved one and
 * the newest event read. A copy (copytruncate) covers nothing of its own: the file it copies covers it.
 */
async function coverageOf(
  cursor: Cursor,
  member: { file: OpenFile; decision: Decision; read?: ReadResult },
  events: { oldest: number; newest: number } | undefined,
  zone: YearContext['zone'],
): Promise<AuthCursor> {
  const { file, decision, read } = member;
  const saved = (decision.action === 'read' ? decision.continues : decision.keep) as
    | Partial<AuthCursor>
    | undefined;
  const was = { from: saved?.from ?? null, to: saved?.to ?? null };
  if (decision.action === 'skip') {
    const kept = decision.why === 'copy' ? { from: null, to: null } : was;
    return { ...cursor, ...kept };
  }
  const ctx: YearContext = { reference: file.mtimeMs, zone };
  const resumed = decision.why === 'resume';
  const end = read?.offset ?? 0;
  let from = resumed ? was.from : null;
  if (from === null) {
    from = firstDated(file.head, file.head.length < IDENTITY.fpBytes, ctx);
    // A head without a dated line (64 KiB of junk first): the first MiB read.
    if (from === null && file.head.length >= IDENTITY.fpBytes && end > file.head.length) {
      const n = Math.min(end, SEARCH);
      const first = await contentBefore(file, n, n);
      if (first) from = firstDated(first, n === end, ctx);
    }
  }
  let to = read ? lastDated(read.tail, end > read.tail.length, ctx) : null;
  if (to === null && read && end > read.tail.length) {
    // The last line is longer than the tail: the MiB before the offset (an endless line's is all of it).
    const n = Math.min(end, SEARCH);
    const last = await contentBefore(file, end, n);
    if (last) to = lastDated(last, n < end, ctx);
  }
  to ??= maxOf(events?.newest ?? null, resumed ? was.to : null);
  return { ...cursor, from: from ?? events?.oldest ?? to, to };
}

/** Evidence text kept in the state for a line carried to the next run (an sshd line is far shorter). */
const CARRIED_TEXT = 2048;

/** An event as carried in the state: its evidence text cut at CARRIED_TEXT. */
export function carried(e: AuthEvent): AuthEvent {
  return e.kind === 'no-tty' || e.evidence.text.length <= CARRIED_TEXT
    ? e
    : { ...e, evidence: { ...e.evidence, text: truncate(e.evidence.text, CARRIED_TEXT) } };
}

const evidenceSchema = z.object({
  source: z.string(),
  line: z.number().optional(),
  time: z.string().optional(),
  text: z.string(),
});

/** A carried event as read back from the state (JSON). */
export const authEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('accepted'),
    daemon: z.enum(['sshd', 'login', 'dropbear']),
    user: z.string(),
    userBytes: z.string(),
    host: z.string(),
    port: z.number().nullable(),
    pid: z.number().nullable(),
    tty: z.string().nullable(),
    sec: z.number(),
    evidence: evidenceSchema,
  }),
  z.object({
    kind: z.literal('no-tty'),
    user: z.string(),
    host: z.string().nullable(),
    port: z.number().nullable(),
    sec: z.number(),
  }),
  z.object({
    kind: z.literal('tty'),
    user: z.string(),
    host: z.string(),
    port: z.number(),
    tty: z.string(),
    sec: z.number(),
    evidence: evidenceSchema,
  }),
  z.object({ kind: z.literal('boot'), sec: z.number(), evidence: evidenceSchema }),
]);

/**
 * Reads the auth logs (`logs`: live local paths, each with its rotated members) from their saved cursors
 * (`saved`, per host path of the live file; a log without saved cursors is read whole, every member, as a
 * run before cursors did), at most `limit` content bytes per file (0 or absent: no limit).
 */
export async function readAuthLogs(opts: {
  logs: readonly string[];
  saved: Readonly<Record<string, AuthCursor[]>> | undefined;
  display: (local: string) => string;
  /** The host's root: under --root, links resolve inside the tree (SourceReadOptions.root). */
  root: string;
  zone: YearContext['zone'];
  limit?: number;
  signal?: AbortSignal;
}): Promise<AuthLogRead> {
  authRules ??= compileRules(
    logsConfig.parse({ runbook: false, categories: { auth: { keywords: AUTH_KEYWORDS } } }),
  );
  const out: AuthLogRead = { events: [], spans: [], cursors: {}, problems: [], bytes: 0 };
  for (const local of opts.logs) {
    const shown = opts.display(local);
    const saved = opts.saved?.[shown];
    /** Oldest and newest event time per member (local path), for a member without dated edges. */
    const times = new Map<string, { oldest: number; newest: number }>();
    let ctx: YearContext | undefined;
    let ctxOf = '';
    const r = await readSource(
      local,
      {
        rules: authRules,
        mode: saved ? { kind: 'resume', cursors: saved } : { kind: 'all' },
        identity: IDENTITY,
        countLines: true,
        consumeTrailing: false,
        ...(opts.limit ? { limit: opts.limit } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        display: opts.display,
        root: opts.root,
        onCursor: async (cursor, member) => {
          const c = await coverageOf(cursor, member, times.get(member.file.path), opts.zone);
          out.spans.push({ from: c.from, to: c.to });
          return c;
        },
      },
      (hit, file) => {
        if (ctxOf !== file.path || ctx === undefined) {
          ctx = { reference: file.mtimeMs, zone: opts.zone };
          ctxOf = file.path;
        }
        const line = lineOf(hit.text);
        const ev = line === '' ? null : parseAuthLine(line, ctx, opts.display(file.path), hit.line);
        if (!ev) return;
        out.events.push(ev);
        const t = times.get(file.path);
        if (t) {
          t.oldest = Math.min(t.oldest, ev.sec);
          t.newest = Math.max(t.newest, ev.sec);
        } else times.set(file.path, { oldest: ev.sec, newest: ev.sec });
      },
    );
    out.bytes += r.bytes;
    const cursors = r.cursors as AuthCursor[];
    if (cursors.length > 0) out.cursors[shown] = cursors;
    for (const p of r.problems) out.problems.push({ ...p, path: opts.display(p.path) });
  }
  return out;
}
