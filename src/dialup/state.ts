/**
 * What the dial-up check keeps between runs: per serial line, how far the last delivered run judged it, so a
 * cron job reports a login without a call, a failed call or a modem warning once, not every hour until the
 * logs rotate. Times, not file offsets: the check reads every member of the logs and wtmp anyway (a login is
 * judged against the calls before it, a call against the logins after it), and rotation moves lines and
 * records between files without changing their times.
 */
import { z } from 'zod';
import type { LineMark } from './correlate.ts';
import type { ModemMark } from './mgetty.ts';

const lineState = z.object({
  /** The tty (`ttyS0`), or `unknown` for modem trouble logged without one. */
  line: z.string(),
  /** Calls whose login window had closed by this time (ms) were judged. */
  callsTo: z.number().optional(),
  /** The newest login record on the line when it was judged (ms), or null when it had none. */
  loginsTo: z.number().nullable().optional(),
  /** The newest modem-trouble line counted (ms) and how many trouble lines had that time. */
  modem: z.object({ time: z.number(), count: z.number().int().nonnegative() }).optional(),
});

/** Saved state of the dial-up check (an array of lines: tty names come from logs, never object keys). */
export const dialupStateSchema = z.object({
  version: z.literal(1),
  lines: z.array(lineState),
});

/** Saved state of the dial-up check. */
export type DialupState = z.output<typeof dialupStateSchema>;

/** A saved state, or undefined when absent or of another shape (the runner then says it starts afresh). */
export function parseDialupState(raw: unknown): DialupState | undefined {
  const r = dialupStateSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

/** The marks a saved state holds, per line: the calls' and logins', and the modem's. */
export function marksOf(state: DialupState | undefined): {
  lines: Map<string, LineMark>;
  modem: Map<string, ModemMark>;
} {
  const lines = new Map<string, LineMark>();
  const modem = new Map<string, ModemMark>();
  for (const l of state?.lines ?? []) {
    if (l.callsTo !== undefined) lines.set(l.line, { callsTo: l.callsTo, loginsTo: l.loginsTo ?? null });
    if (l.modem) modem.set(l.line, l.modem);
  }
  return { lines, modem };
}

/**
 * The next state: this run's marks over the saved ones. A line this run did not judge (its log unreadable
 * this time) keeps its saved marks, so nothing of it is lost.
 */
export function nextState(
  saved: DialupState | undefined,
  lines: ReadonlyMap<string, LineMark>,
  modem: ReadonlyMap<string, ModemMark>,
): DialupState {
  const old = marksOf(saved);
  const merged = new Map<string, DialupState['lines'][number]>();
  const entry = (line: string): DialupState['lines'][number] => {
    let e = merged.get(line);
    if (!e) {
      e = { line };
      merged.set(line, e);
    }
    return e;
  };
  for (const [line, m] of [...old.lines, ...lines]) Object.assign(entry(line), m);
  for (const [line, m] of [...old.modem, ...modem]) entry(line).modem = m;
  return {
    version: 1,
    lines: [...merged.values()].sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0)),
  };
}

/**
 * The saved state without the lines whose marks are later than `now`: the clock went back since the last
 * run (NTP stepping a fast clock back), or was ahead then (a dead CMOS battery before NTP synced). Trusted,
 * such a mark hid every call and login until the clock caught up with it, a year for a clock a year ahead.
 * Those lines are judged afresh (a finding of the last run may come once more) and named in `ahead`.
 */
export function withoutFutureMarks(
  state: DialupState | undefined,
  now: Date,
): { state: DialupState | undefined; ahead: { line: string; mark: number }[] } {
  if (!state) return { state, ahead: [] };
  const t = now.getTime();
  const ahead: { line: string; mark: number }[] = [];
  const lines = state.lines.filter((l) => {
    const mark = Math.max(l.callsTo ?? 0, l.loginsTo ?? 0, l.modem?.time ?? 0);
    if (mark <= t) return true;
    ahead.push({ line: l.line, mark });
    return false;
  });
  return { state: ahead.length ? { ...state, lines } : state, ahead };
}
