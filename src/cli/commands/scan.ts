import type { Command } from 'commander';
import { AttackDecorator } from '../../attacks/scan.ts';
import { TenkenError } from '../../core/errors.ts';
import { argPath, displayPath, hostPath } from '../../core/host.ts';
import { clip, lineText, terminalSafe } from '../../core/sanitize.ts';
import { parseSince } from '../../core/time.ts';
import { inspectedZone } from '../../core/tz.ts';
import { peakOf, topOf } from '../../logs/aggregate.ts';
import {
  type EngineResult,
  HOST_SERVICE,
  type LineEvent,
  type LogSource,
  oneSourcePerFile,
  planSources,
  runEngine,
} from '../../logs/engine.ts';
import { withBuiltinIgnores } from '../../logs/config.ts';
import { compileRules, type RuleSet } from '../../logs/scan/rules.ts';
import { type App, assertFormat, type Loaded } from '../app.ts';
import { clipWidth, padEndWidth } from '../../core/width.ts';

/**
 * One ndjson record. JSON allows U+2028, U+2029 and U+0085 raw, but line splitters that treat them as line
 * ends (Python's splitlines, some editors) would break a record in two: log text can hold them, so they are
 * escaped.
 */
export function ndjsonLine(rec: unknown): string {
  return JSON.stringify(rec).replace(
    /[\u0085\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * `tenken scan [FILE...]`: the runbook's `grep -i sendmail /var/log/syslog | grep -i err`, for every
 * category at once, without touching saved state. Given files are read whole (`.gz` decompressed); with
 * none, the configured logs (live files; `--all` adds rotated ones from the start).
 */

/** Options of `tenken scan`. */
export interface ScanOptions {
  app?: string;
  category: string[];
  all: boolean;
  since?: string;
  /** commander's `--no-ignore` sets ignore=false. */
  ignore: boolean;
}

/**
 * One matching line in `--format ndjson`. The first six fields are fixed; the optional ones are reserved
 * for detectors that count lines (issue 4 adds host/user/service/detector to the lines they count).
 */
export interface ScanRecord {
  path: string;
  /** 1-based line number, or null when unknown. */
  line: number | null;
  /** ISO time, or null when the line has none. */
  time: string | null;
  program: string | null;
  categories: string[];
  /** The line, UTF-8 decoded where valid (U+FFFD elsewhere), trailing CR removed. */
  text: string;
  service?: string;
  host?: string;
  user?: string;
  detector?: string;
}

/** Functions that add fields to a line's record (detectors register here); each may return nothing. */
export const recordDecorators: ((ev: LineEvent) => Partial<ScanRecord> | undefined)[] = [];

/** The ndjson record of a line. */
export function toRecord(ev: LineEvent): ScanRecord {
  const rec: ScanRecord = {
    path: ev.path,
    line: ev.line > 0 ? ev.line : null,
    time: ev.time === null ? null : new Date(ev.time).toISOString(),
    program: ev.program,
    categories: ev.categories,
    text: lineText(Buffer.from(ev.text, 'latin1'), 1_000_000),
  };
  for (const d of recordDecorators) Object.assign(rec, d(ev));
  return rec;
}

/** Registers `tenken scan`. */
export function register(program: Command, app: App): void {
  program
    .command('scan')
    .description(
      'scan log files (or the configured logs) for the keyword categories, without touching saved state',
    )
    .argument('[file...]', 'log files to scan (default: the configured logs)')
    .option('--app <name>', "only this service's lines (its own logs and its syslog tags)")
    .option(
      '--category <id>',
      'only this category (repeatable)',
      (v: string, acc: string[]) => [...acc, ...v.split(',')],
      [] as string[],
    )
    .option('--all', 'read rotated logs too (.1, .gz, dateext), from the start')
    .option(
      '--since <when>',
      "only lines at or after this time (24h, 7d, or an ISO date) (a date or time without offset is the host's local time)",
    )
    .option('--no-ignore', 'count lines that ignore rules would drop')
    .addHelpText(
      'after',
      '\nFormats: text (default), json (summary), ndjson (one object per matching line).\n' +
        'A big file is read in parts on worker threads, one per core up to 4 (TENKEN_THREADS=1: one thread).\n' +
        'Exit status: 0, or 3 when a named file cannot be read.',
    )
    .action(async (files: string[], opts: ScanOptions, cmd: Command) => {
      await scanAction(app, cmd, files, opts);
    });
}

/** The command's action, callable in-process (tests). */
export async function scanAction(app: App, cmd: Command, files: string[], opts: ScanOptions): Promise<void> {
  const g = app.globals(cmd);
  assertFormat(g, 'scan', ['text', 'json', 'ndjson']);
  const loaded = await app.load(cmd);
  const code = await runScan(loaded, files, opts, g.format, app);
  app.exit(code);
}

function compileFor(loaded: Loaded, opts: ScanOptions): RuleSet {
  const cfg = withBuiltinIgnores(loaded.config.checks.logs, loaded.plan);
  const wanted = opts.category.filter((c) => c !== '');
  if (wanted.length === 0) return compileRules(cfg);
  const known = compileRules(cfg).categories.map((c) => c.id);
  const unknown = wanted.filter((c) => !known.includes(c));
  if (unknown.length)
    throw new TenkenError(`Unknown category ${unknown.join(', ')}: known are ${known.join(', ')}`);
  return compileRules(cfg, new Set(wanted));
}

/** Scans and writes the output; returns the exit code (3 when a given file could not be read). */
export async function runScan(
  loaded: Loaded,
  files: string[],
  opts: ScanOptions,
  format: 'text' | 'json' | 'ndjson',
  app: Pick<App, 'io'>,
): Promise<number> {
  const { host, plan } = loaded;
  const config = { ...loaded.config.checks.logs, unmatched: 'host' as const };
  // `host` (lines of no service), as the summaries name it, is one too.
  const known = [...plan.services.map((s) => s.name), HOST_SERVICE];
  if (opts.app !== undefined && !known.includes(opts.app))
    throw new TenkenError(`Unknown service ${opts.app}: known are ${known.join(', ')}`);
  const now = app.io.now?.() ?? host.now;
  const since =
    opts.since !== undefined
      ? parseSince(opts.since, now, { zone: inspectedZone(host, loaded.config.timeZone) }).getTime()
      : undefined;

  let sources: LogSource[];
  if (files.length > 0) {
    // A file named twice (or under two names) is read once.
    sources = await oneSourcePerFile(
      host.root,
      files.map((f) => {
        const local = argPath(host, app.io.cwd, f);
        const shown = displayPath(host, local);
        const owners = plan.services
          .filter((s) => s.logs.some((l) => hostPath(host, l) === local))
          .map((s) => s.name);
        return { path: shown, local, shared: owners.length === 0, owners, configuredBy: owners };
      }),
    );
  } else sources = await planSources(host, plan);

  // ndjson: the attack detectors see every line they may count (their needles are a hidden category) and
  // add host/user/service/detector to the lines they count. Per-run state, so not a global recordDecorator.
  const attacks =
    format === 'ndjson'
      ? new AttackDecorator(
          plan,
          host,
          sources,
          files.length > 0,
          loaded.config.timeZone,
          loaded.config.checks.attacks.openproxy.allow,
        )
      : undefined;
  const rules = compileFor(
    attacks && opts.category.every((c) => c === '')
      ? {
          ...loaded,
          config: {
            ...loaded.config,
            checks: { ...loaded.config.checks, logs: attacks.logsConfig(loaded.config.checks.logs) },
          },
        }
      : loaded,
    opts,
  );

  // ndjson lines are written while files are read (bounded memory), in ordered 64 KiB writes; the
  // engine's callback is synchronous, so writes are chained and awaited at the end.
  let out = '';
  let writing: Promise<void> = Promise.resolve();
  const enqueue = (force: boolean) => {
    if (out.length === 0 || (!force && out.length < 1 << 16)) return;
    const chunk = out;
    out = '';
    writing = writing.then(() => app.io.write(chunk));
  };
  const onLine = (ev: LineEvent) => {
    const rec = toRecord(ev);
    if (attacks) {
      const d = attacks.decorate(ev);
      rec.categories = d.categories;
      if (d.attack) Object.assign(rec, d.attack);
      else if (d.categories.length === 0) return; // only the hidden needles matched, and nothing counted
    }
    out += `${ndjsonLine(rec)}\n`;
    enqueue(false);
  };
  const result = await runEngine({
    host,
    plan,
    config,
    timeZone: loaded.config.timeZone,
    rules,
    sources,
    mode:
      since !== undefined
        ? { kind: 'since', since }
        : opts.all
          ? { kind: 'all' }
          : { kind: 'resume', state: undefined },
    wholeFiles: files.length > 0,
    journal: files.length > 0 ? 'off' : plan.journal,
    countLines: true,
    consumeTrailing: true,
    noIgnore: !opts.ignore,
    ...(opts.app !== undefined ? { onlyService: opts.app } : {}),
    // Summaries come from the counters (then a big file is read on several threads); ndjson needs each line.
    ...(format === 'ndjson' ? { onLine } : {}),
  });
  const totals = totalsOf(result.stats, rules);
  // Profiles list many candidate paths per service: in plan mode a missing candidate is normal (the logs
  // check reports a service none of whose files exist); a file named on the command line must exist.
  const problems =
    files.length > 0 ? result.problems : result.problems.filter((p) => p.problem !== 'missing');
  for (const p of problems)
    app.io.error(
      `tenken: ${p.problem === 'reset' ? `${p.display} was replaced or truncated` : `Cannot read ${p.display}`}: ${p.reason}`,
    );
  if (format === 'json')
    out += `${JSON.stringify(summaryJson(result, rules, totals, config.top), null, 2)}\n`;
  if (format === 'text') out += summaryText(result, rules, totals, config.top);
  enqueue(true);
  await writing;
  const failed = problems.some(
    (p) =>
      p.problem === 'missing' ||
      p.problem === 'unreadable' ||
      p.problem === 'untrusted' ||
      p.problem === 'journal',
  );
  return failed ? 3 : 0;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** Per category: lines (each once, whatever services counted it) and first/last time, from the counters. */
export function totalsOf(
  stats: EngineResult['stats'],
  rules: RuleSet,
): Map<string, { count: number; first: number | null; last: number | null }> {
  const totals = new Map<string, { count: number; first: number | null; last: number | null }>();
  const of = (id: string) => {
    let t = totals.get(id);
    if (!t) totals.set(id, (t = { count: 0, first: null, last: null }));
    return t;
  };
  // A line is counted once per program, under the union of its services' categories.
  for (const counts of stats.programs.values()) for (const [id, n] of counts) of(id).count += n;
  for (const cats of stats.services.values())
    for (const [id, s] of cats) {
      const t = of(id);
      if (s.first !== null && (t.first === null || s.first < t.first)) t.first = s.first;
      if (s.last !== null && (t.last === null || s.last > t.last)) t.last = s.last;
    }
  // Rule order, as the summaries list them.
  return new Map(rules.categories.filter((c) => totals.has(c.id)).map((c) => [c.id, of(c.id)]));
}

/** The `--format json` document: totals per category, per program, per service. */
export function summaryJson(
  result: EngineResult,
  rules: RuleSet,
  totals: Map<string, { count: number; first: number | null; last: number | null }>,
  top: number,
): unknown {
  const categories = Object.fromEntries(
    rules.categories.map((c) => {
      const t = totals.get(c.id);
      const times = { first: iso(t?.first ?? null), last: iso(t?.last ?? null) };
      return [c.id, { title: c.title, count: t?.count ?? 0, ...times }];
    }),
  );
  const programs = Object.fromEntries(
    [...result.stats.programs]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([p, m]) => [p, Object.fromEntries(m)]),
  );
  const services = Object.fromEntries(
    [...result.stats.services].map(([svc, cats]) => [
      svc,
      Object.fromEntries(
        rules.categories
          .filter((c) => cats.has(c.id))
          .map((c) => {
            const s = cats.get(c.id) as NonNullable<ReturnType<typeof cats.get>>;
            return [
              c.id,
              {
                count: s.count,
                first: iso(s.first),
                last: iso(s.last),
                peakPerHour: peakOf(s),
                top: topOf(s, top),
                samples: s.samples,
                sources: [...s.sources].sort(),
              },
            ];
          }),
      ),
    ]),
  );
  return {
    bytes: result.bytes,
    categories,
    programs,
    services,
    problems: result.problems.map((p) => ({ path: p.display, problem: p.problem, reason: p.reason })),
  };
}

/** The text summary: a category table, then per-service details with the top messages. */
export function summaryText(
  result: EngineResult,
  rules: RuleSet,
  totals: Map<string, { count: number; first: number | null; last: number | null }>,
  top: number,
): string {
  const lines: string[] = [];
  const when = (t: number | null) =>
    t === null ? '-' : new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  lines.push(`${(result.bytes / 1e6).toFixed(1)} MB scanned`);
  lines.push('');
  // As wide as the longest category id (a user's `disk-quota-exceeded` pushed its row out of line).
  const width = Math.max(12, ...rules.categories.map((c) => c.id.length + 1));
  lines.push(
    `${'category'.padEnd(width)} ${'lines'.padStart(9)}  ${'first (UTC)'.padEnd(16)}  ${'last (UTC)'.padEnd(16)}  meaning`,
  );
  for (const c of rules.categories) {
    const t = totals.get(c.id);
    const row = `${c.id.padEnd(width)} ${String(t?.count ?? 0).padStart(9)}  ${when(t?.first ?? null).padEnd(16)}  ${when(t?.last ?? null).padEnd(16)}  ${terminalSafe(clip(c.title ?? '', 60))}`;
    lines.push(row.trimEnd());
  }
  const programs = [...result.stats.programs].sort((a, b) => sum(b[1]) - sum(a[1])).slice(0, 20);
  if (programs.length) {
    lines.push('', 'by program:');
    for (const [p, m] of programs)
      lines.push(
        `  ${padEndWidth(clipWidth(terminalSafe(p), 24), 24)} ${[...m].map(([c, n]) => `${c} ${n}`).join(', ')}`,
      );
  }
  for (const [svc, cats] of result.stats.services) {
    lines.push('', `${terminalSafe(svc)}:`);
    for (const c of rules.categories) {
      const s = cats.get(c.id);
      if (!s) continue;
      lines.push(`  ${c.id}: ${s.count} line${s.count === 1 ? '' : 's'}, ${peakOf(s)} in the busiest hour`);
      for (const t of topOf(s, top))
        lines.push(`    ${String(t.count).padStart(6)} × ${clip(terminalSafe(t.message), 120)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function sum(m: Map<string, number>): number {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
}
