import type { Loaded } from '../cli/app.ts';
import { version } from '../core/package.ts';
import { TenkenError } from '../core/errors.ts';
import { hostZoneChoice, makeZone, zoneNotice } from '../core/tz.ts';
import {
  REPORT_VERSION,
  type CheckReport,
  type CheckResult,
  type Evidence,
  type Report,
} from '../core/report.ts';
import { rank, type Status, worst } from '../core/status.ts';
import type { StateStore } from '../state/store.ts';
import { type CheckKindName, checkKinds } from './registry.ts';
import type { CheckKind, RunOptions } from './types.ts';

/** State a check asked to commit; the caller commits it only after the report was delivered. */
export interface PendingState {
  kind: string;
  state: unknown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A one-line tally of results: `2 critical, 1 warning` or `all OK`. */
export function tally(statuses: Status[]): string {
  const crit = statuses.filter((s) => s === 'CRITICAL').length;
  const unk = statuses.filter((s) => s === 'UNKNOWN').length;
  const warn = statuses.filter((s) => s === 'WARNING').length;
  const parts = [crit && `${crit} critical`, unk && `${unk} unknown`, warn && plural(warn, 'warning')].filter(
    Boolean,
  );
  return parts.length ? parts.join(', ') : 'all OK';
}

/**
 * The report's tally: each service (a result group: `host` and `tenken` too) counted once, by its worst
 * result, and named, as the text report groups them: `4 critical (host, httpd, mgetty, sshd), 1 warning
 * (sendmail)` or `all OK`. Counting results instead read as services ("5 critical" for 4 services).
 */
export function serviceTally(results: readonly { service: string; status: Status }[]): string {
  const byService = new Map<string, Status>();
  for (const r of results) byService.set(r.service, worst([byService.get(r.service) ?? 'OK', r.status]));
  const named = (status: Status, word: string) => {
    const names = [...byService].flatMap(([name, s]) => (s === status ? [name] : [])).sort();
    if (names.length === 0) return [];
    const shown = names.length > 6 ? [...names.slice(0, 5), `+${names.length - 5} more`] : names;
    return [
      `${word === 'warning' ? plural(names.length, word) : `${names.length} ${word}`} (${shown.join(', ')})`,
    ];
  };
  const parts = [
    ...named('CRITICAL', 'critical'),
    ...named('UNKNOWN', 'unknown'),
    ...named('WARNING', 'warning'),
  ];
  return parts.length ? parts.join(', ') : 'all OK';
}

/**
 * An evidence `line` is 1-based (the schema's minimum 1): an entry of a source without line numbers (a
 * journal entry read for the logins check's reconciliation came as `line: 0`) has none, so that no report
 * says `journal:0:` or breaks its schema.
 */
function lineOrNone(e: Evidence): void {
  if (e.line !== undefined && !(Number.isInteger(e.line) && e.line >= 1)) delete e.line;
}

/** Runs one kind, turning a throw into an UNKNOWN result so the other kinds still run. */
async function runOne(
  name: string,
  kind: CheckKind,
  loaded: Loaded,
  store: StateStore,
  options: RunOptions,
  signal: AbortSignal,
  kinds: readonly string[],
): Promise<{ report: CheckReport; pending?: PendingState }> {
  const started = performance.now();
  try {
    let state = options.all ? undefined : store.read(name);
    if (state !== undefined && kind.readsState && !kind.readsState(state)) {
      store.reject(name, 'not a state this version of tenken writes (ignored)');
      state = undefined;
    }
    const out = await kind.run({
      ...loaded,
      stateDir: store.dir,
      state,
      options,
      signal,
      kinds,
    });
    for (const r of out.results) for (const f of r.findings) for (const e of f.evidence) lineOrNone(e);
    const results = [...out.results].sort(
      (a, b) => rank(b.status) - rank(a.status) || a.service.localeCompare(b.service),
    );
    const status = worst(results.map((r) => r.status));
    const report: CheckReport = {
      kind: name,
      status,
      summary: `${plural(results.length, 'result')}: ${tally(results.map((r) => r.status))}`,
      durationMs: Math.round(performance.now() - started),
      results,
    };
    return out.state === undefined || options.all
      ? { report }
      : { report, pending: { kind: name, state: out.state } };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const result: CheckResult = {
      service: 'tenken',
      status: 'UNKNOWN',
      summary: `The ${name} check failed: ${message}`,
      findings: [
        {
          kind: 'check-error',
          status: 'UNKNOWN',
          service: 'tenken',
          summary: `The ${name} check failed: ${message}`,
          // A stack trace is for whoever fixes the bug, not for the report: only with TENKEN_DEBUG set.
          evidence:
            err instanceof Error && err.stack && loaded.host.env.TENKEN_DEBUG
              ? [{ source: 'tenken', text: err.stack.split('\n').slice(0, 4).join(' | ') }]
              : [],
          data: { check: name, error: message },
        },
      ],
    };
    return {
      report: {
        kind: name,
        status: 'UNKNOWN',
        summary: result.summary,
        durationMs: Math.round(performance.now() - started),
        results: [result],
      },
    };
  }
}

/** Which kinds run: all registered, minus `disable`, narrowed by `--only`. Unknown names are errors. */
export function selectKinds(only: string[] | undefined, disable: string[]): CheckKindName[] {
  const names = Object.keys(checkKinds) as CheckKindName[];
  for (const n of [...(only ?? []), ...disable]) {
    if (!names.includes(n as CheckKindName))
      throw new Error(`unknown check kind "${n}" (known: ${names.join(', ')})`);
  }
  return names.filter((n) => !disable.includes(n) && (!only || only.includes(n)));
}

/**
 * Runs the selected check kinds concurrently and assembles the Report. Pure data out: nothing is printed
 * and no state is written here (delivery first, then commit: see commitPending).
 */
export async function runChecks(
  loaded: Loaded,
  store: StateStore,
  opts: {
    kinds: readonly string[];
    options: RunOptions;
    timeoutMs?: number;
    registry?: Record<string, CheckKind>;
  },
): Promise<{ report: Report; pending: PendingState[] }> {
  const started = performance.now();
  const registry: Record<string, CheckKind> = opts.registry ?? checkKinds;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 10 * 60_000);
  const outs = await Promise.all(
    opts.kinds.map((name) => {
      const kind = registry[name];
      if (!kind) throw new Error(`unknown check kind ${name}`);
      return runOne(name, kind, loaded, store, opts.options, signal, opts.kinds);
    }),
  );
  const checks = outs.map((o) => o.report);
  for (const p of store.problems) {
    // One text for the check, its result and its finding: the text report then says it once.
    const said = p.kept
      ? `State file ${p.file}: ${p.reason}; this run reads as if it were the first and leaves the file as it is`
      : `State file ${p.file}: ${p.reason}; this run starts afresh for it`;
    checks.push({
      kind: 'state',
      status: 'WARNING',
      summary: said,
      durationMs: 0,
      results: [
        {
          service: 'tenken',
          status: 'WARNING',
          summary: said,
          findings: [
            {
              kind: 'not-checked',
              status: 'WARNING',
              service: 'tenken',
              summary: said,
              evidence: [],
              data: { what: 'state', path: p.file, reason: p.reason },
            },
          ],
        },
      ],
    });
  }
  const zone = hostZoneChoice(loaded.host, loaded.config.timeZone);
  const zoneSaid = zoneNotice(zone);
  if (zoneSaid !== null) {
    // Said once, as the state problems are: every check that reads local times took this zone.
    checks.push({
      kind: 'zone',
      status: 'INFO',
      summary: zoneSaid,
      durationMs: 0,
      results: [
        {
          service: 'tenken',
          status: 'INFO',
          summary: zoneSaid,
          findings: [
            {
              kind: 'not-checked',
              status: 'INFO',
              service: 'tenken',
              summary: zoneSaid,
              evidence: [],
              data: { what: 'zone', path: zone.path ?? '/etc/localtime', reason: zone.unknown ?? '' },
            },
          ],
        },
      ],
    });
  }
  const status = worst(checks.map((c) => c.status));
  const report: Report = {
    version: REPORT_VERSION,
    tool: { name: 'tenken', version: version() },
    host: loaded.host.name,
    root: loaded.host.root === '/' ? null : loaded.host.root,
    time: loaded.host.now.toISOString(),
    timeZone: makeZone(zone.name).name,
    durationMs: Math.round(performance.now() - started),
    status,
    summary: `${plural(loaded.plan.services.length, 'service')} inspected by ${plural(checks.length, 'check')}: ${serviceTally(checks.flatMap((c) => c.results))}`,
    services: loaded.plan.services.map((s) => ({ service: s.name, profile: s.profile, reasons: s.reasons })),
    checks,
  };
  return { report, pending: outs.flatMap((o) => (o.pending ? [o.pending] : [])) };
}

/**
 * Commits each kind's pending state (call only after the report was delivered). One kind's file that cannot
 * be written (a directory or FIFO in its place) does not keep the others from being saved: every kind is
 * tried, then the failures are thrown as one error.
 */
export function commitPending(store: StateStore, pending: readonly PendingState[]): void {
  const errors: TenkenError[] = [];
  for (const p of pending) {
    try {
      store.commit(p.kind, p.state);
    } catch (err) {
      if (!(err instanceof TenkenError)) throw err; // a bug: said as one at once
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0] as TenkenError;
  if (errors.length > 1) throw new TenkenError(errors.map((e) => e.message).join('; '));
}
