import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Plan, ServicePlan } from '../config/plan.ts';
import { displayPath, type Host, hostPath } from '../core/host.ts';
import { reason } from '../core/errors.ts';
import { makeZone, type YearContext } from '../core/tz.ts';
import { LogStats } from './aggregate.ts';
import type { LogsConfig } from './config.ts';
import { cursorSchema, DEFAULT_IDENTITY, type IdentityOptions, type ReadMode } from './cursor.ts';
import { orderFamily } from './read/family.ts';
import { isGlob } from '../core/glob.ts';
import { expandGlob } from './read/glob.ts';
import { type JournalRunner, type JournalStart, readJournal, spawnJournalctl } from './read/journal.ts';
import { readSource, readWholeFile, type SourceProblem } from './read/source.ts';
import type { LineHit } from './scan/lines.ts';
import { ignoredMask, maskIds, type RuleSet } from './scan/rules.ts';
import { type ClassicPrefix, parseClassic, parsePrefix, tagMatches } from './syslog.ts';

/**
 * One pass over a host's logs: which files belong to which service, reading each file once, and sending
 * every matching line to the services it belongs to (own files: all lines; syslog files and the journal:
 * lines whose program is one of the service's syslog tags — the runbook's `grep sendmail`, on the tag).
 */

/** The service lines of no service go to (syslog lines of unknown programs). */
export const HOST_SERVICE = 'host';

/** Saved state of the logs check. */
export const logsStateSchema = z.object({
  version: z.literal(1),
  /** Cursors by host path of the configured (live) log. */
  sources: z.record(z.string(), z.object({ cursors: z.array(cursorSchema) })),
  journal: z.object({ cursor: z.string() }).optional(),
});

/** Saved state of the logs check. */
export type LogsState = z.output<typeof logsStateSchema>;

/** Reads a saved state, or undefined when absent or from another version (then logs start afresh). */
export function parseState(state: unknown): LogsState | undefined {
  const r = logsStateSchema.safeParse(state);
  return r.success ? r.data : undefined;
}

/** One file (and its rotated siblings) to read. */
export interface LogSource {
  /** Host path (`/var/log/syslog`). */
  path: string;
  /** Local path under the host root. */
  local: string;
  /** A system log shared by many daemons: lines go to services by program tag. */
  shared: boolean;
  /** Services whose own log this is (not shared). */
  owners: string[];
  /** Services that configured it (for findings about the file). */
  configuredBy: string[];
}

/** A matching line after dispatch: what `scan --format ndjson` prints and observers receive. */
export interface LineEvent {
  /** Host path of the file (or `journal`). */
  path: string;
  /** 1-based line number, or 0 when unknown. */
  line: number;
  time: number | null;
  host: string | null;
  program: string | null;
  /** Category ids over all the services the line went to. */
  categories: string[];
  /** Services that counted the line, with their categories (after their ignore rules). */
  services: { service: string; categories: string[] }[];
  /** The line as latin1 (bytes) and where its message starts. */
  text: string;
  messageStart: number;
  truncated: boolean;
}

/** What to read and how. */
export interface EngineInput {
  host: Host;
  plan: Plan;
  config: LogsConfig;
  rules: RuleSet;
  sources: LogSource[];
  /** Where each configured source starts (cursors), or policy for all. */
  mode: { kind: 'resume'; state: LogsState | undefined } | { kind: 'all' } | { kind: 'since'; since: number };
  /** Whole files given on the command line instead of families (read from the start, no state). */
  wholeFiles?: boolean;
  journal: 'on' | 'off' | 'auto';
  journalRunner?: JournalRunner;
  countLines: boolean;
  consumeTrailing: boolean;
  noIgnore: boolean;
  /** Only lines of this service. */
  onlyService?: string;
  identity?: IdentityOptions;
  chunk?: number;
  signal?: AbortSignal;
  onLine?: (ev: LineEvent) => void;
}

/** A source problem with the services it concerns. */
export interface EngineProblem extends SourceProblem {
  /** Host path. */
  display: string;
  services: string[];
  shared: boolean;
}

/** The result of a pass. */
export interface EngineResult {
  stats: LogStats;
  problems: EngineProblem[];
  /** New state (meaningful in resume mode). */
  state: LogsState;
  bytes: number;
  /** Whether the journal was read. */
  journalRead: boolean;
  /** Each source, the services that configured it, and whether any file of it was found. */
  sources: { path: string; services: string[]; shared: boolean; found: boolean }[];
}

/** The sources of a plan: every service's own logs and the system logs, globs expanded, each file once. */
export async function planSources(host: Host, plan: Plan): Promise<LogSource[]> {
  const shared = new Set(plan.syslogFiles);
  const byLocal = new Map<string, LogSource>();
  const add = async (pattern: string, svc: ServicePlan | null) => {
    const isShared = svc === null || shared.has(pattern);
    const locals = await expandGlob(hostPath(host, pattern));
    if (locals.length === 0 && svc) {
      // A glob that matches nothing: reported like a missing file.
      locals.push(hostPath(host, pattern));
    }
    for (const local of locals) {
      const shown = isGlob(pattern) && !isGlob(local) ? displayPath(host, local) : pattern;
      let src = byLocal.get(local);
      if (!src)
        byLocal.set(local, (src = { path: shown, local, shared: isShared, owners: [], configuredBy: [] }));
      if (svc && !src.configuredBy.includes(svc.name)) src.configuredBy.push(svc.name);
      if (svc && !isShared && !src.owners.includes(svc.name)) src.owners.push(svc.name);
      if (isShared) src.shared = true;
    }
  };
  for (const p of plan.syslogFiles) await add(p, null);
  for (const s of plan.services) for (const p of s.logs) await add(p, s);
  // A glob that caught rotated siblings of another source: they are read as part of its family.
  const all = [...byLocal.values()];
  return all.filter((src) => {
    const dir = path.dirname(src.local);
    return !all.some(
      (o) =>
        o !== src &&
        path.dirname(o.local) === dir &&
        isSiblingOf(path.basename(o.local), path.basename(src.local)),
    );
  });
}

function isSiblingOf(liveName: string, name: string): boolean {
  return orderFamily(liveName, [name]).some((m) => m.rotated);
}

/** Services whose syslog tags claim a program; a service listing a shared file without tags uses its name. */
function tagIndex(plan: Plan, sources: LogSource[]): (program: string | null) => string[] {
  const tags: { tag: string; service: string }[] = [];
  for (const s of plan.services) {
    for (const t of s.syslog) tags.push({ tag: t, service: s.name });
    if (s.syslog.length === 0 && sources.some((src) => src.shared && src.configuredBy.includes(s.name)))
      tags.push({ tag: s.name, service: s.name });
  }
  const cache = new Map<string, string[]>();
  return (program) => {
    if (program === null) return [];
    let hit = cache.get(program);
    if (!hit) {
      hit = [...new Set(tags.filter((t) => tagMatches(program, t.tag)).map((t) => t.service))];
      if (cache.size < 10_000) cache.set(program, hit);
    }
    return hit;
  };
}

/** A program name with what the engine needs per line of it, looked up once per distinct program. */
interface ProgramEntry {
  name: string | null;
  /** Services a shared file's line of this program goes to (after `unmatched` and `--app`). */
  targets: readonly string[];
  stats: ReturnType<LogStats['program']>;
  /** Next entry with the same hash (interning table). */
  next: ProgramEntry | null;
}

/** Distinct programs kept in the interning table (a hostile log cannot grow it without bound). */
const PROGRAM_CAP = 10_000;

/** Reads every source once and aggregates matching lines per service and category. */
export async function runEngine(input: EngineInput): Promise<EngineResult> {
  const { host, plan, config, rules } = input;
  const identity = input.identity ?? DEFAULT_IDENTITY;
  const stats = new LogStats(
    config.samples,
    rules.categories.map((c) => c.id),
  );
  const problems: EngineProblem[] = [];
  const state: LogsState = { version: 1, sources: {} };
  const zone = makeZone(host.env.TZ);
  const servicesOf = tagIndex(plan, input.sources);
  const since = input.mode.kind === 'since' ? input.mode.since : null;
  const onLine = input.onLine;
  const only = input.onlyService;
  let bytes = 0;

  // Per-line work is kept to counter updates: programs are interned (no substring per line), category id
  // lists and single-service lists are made once per mask, a message is cut out only for ignore rules.
  const restrict = (targets: readonly string[]): readonly string[] =>
    only === undefined ? targets : targets.filter((t) => t === only);
  const sharedTargets = (program: string | null): readonly string[] => {
    const targets = servicesOf(program);
    return restrict(targets.length === 0 && config.unmatched === 'host' ? [HOST_SERVICE] : targets);
  };
  const newProgram = (name: string | null, next: ProgramEntry | null): ProgramEntry => ({
    name,
    targets: sharedTargets(name),
    stats: stats.program(name),
    next,
  });
  const noProgram = newProgram(null, null);
  const programTable = new Map<number, ProgramEntry>();
  let programCount = 0;
  /** The entry of the program at `line[start, end)`. */
  const internProgram = (line: string, start: number, end: number): ProgramEntry => {
    let h = 0;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + line.charCodeAt(i)) | 0;
    const head = programTable.get(h) ?? null;
    const len = end - start;
    for (let e = head; e !== null; e = e.next)
      if ((e.name as string).length === len && line.startsWith(e.name as string, start)) return e;
    const entry = newProgram(line.slice(start, end), head);
    if (programCount < PROGRAM_CAP) {
      programCount++;
      programTable.set(h, entry);
    }
    return entry;
  };
  const byName = new Map<string, ProgramEntry>();
  const programNamed = (name: string | null): ProgramEntry => {
    if (name === null) return noProgram;
    let e = byName.get(name);
    if (!e) {
      e = newProgram(name, null);
      if (byName.size < PROGRAM_CAP) byName.set(name, e);
    }
    return e;
  };
  const idsByMask = new Map<number, string[]>();
  const idsOf = (mask: number): string[] => {
    let ids = idsByMask.get(mask);
    if (!ids) idsByMask.set(mask, (ids = Object.freeze(maskIds(rules, mask)) as string[]));
    return ids;
  };
  const singleByKey = new Map<string, Map<number, LineEvent['services']>>();
  const singleService = (service: string, mask: number): LineEvent['services'] => {
    let bySvc = singleByKey.get(service);
    if (!bySvc) singleByKey.set(service, (bySvc = new Map<number, LineEvent['services']>()));
    let list = bySvc.get(mask);
    if (!list)
      bySvc.set(
        mask,
        (list = Object.freeze([
          Object.freeze({ service, categories: idsOf(mask) }),
        ]) as LineEvent['services']),
      );
    return list;
  };
  const ignoring = new Map<string, boolean>();
  const hasIgnore = (service: string): boolean => {
    let v = ignoring.get(service);
    if (v === undefined)
      ignoring.set(
        service,
        (v = (rules.ignore.get(service)?.length ?? 0) > 0 || (rules.ignore.get('*')?.length ?? 0) > 0),
      );
    return v;
  };

  const dispatch = (
    hit: { line: number; text: string; mask: number; truncated: boolean },
    where: { path: string; targets: readonly string[]; shared: boolean },
    time: number | null,
    lineHost: string | null,
    program: ProgramEntry,
    messageStart: number,
  ) => {
    if (since !== null && time !== null && time < since) return;
    const targets = where.shared ? program.targets : where.targets;
    if (targets.length === 0) return;
    let union = 0;
    let services: LineEvent['services'] | undefined;
    if (targets.length === 1) {
      const svc = targets[0] as string;
      let mask = hit.mask;
      if (!input.noIgnore && hasIgnore(svc)) mask &= ~ignoredMask(rules, svc, hit.text.slice(messageStart));
      if (!mask) return;
      stats.addLine(svc, mask, where.path, hit.line, time, hit.text, messageStart);
      union = mask;
      if (onLine) services = singleService(svc, mask);
    } else {
      const list: { service: string; categories: string[] }[] = [];
      let message: string | undefined;
      for (const svc of targets) {
        let mask = hit.mask;
        if (!input.noIgnore && hasIgnore(svc))
          mask &= ~ignoredMask(rules, svc, (message ??= hit.text.slice(messageStart)));
        if (!mask) continue;
        union |= mask;
        list.push({ service: svc, categories: idsOf(mask) });
        stats.addLine(svc, mask, where.path, hit.line, time, hit.text, messageStart);
      }
      if (!union) return;
      services = list;
    }
    stats.addProgram(program.stats, union);
    onLine?.({
      path: where.path,
      line: hit.line,
      time,
      host: lineHost,
      program: program.name,
      categories: idsOf(union),
      services: services as LineEvent['services'],
      text: hit.text,
      messageStart,
      truncated: hit.truncated,
    });
  };

  const saved = input.mode.kind === 'resume' ? input.mode.state : undefined;
  let anySharedFile = false;
  const sourceList: EngineResult['sources'] = [];
  const classic: ClassicPrefix = {
    time: 0,
    hostStart: -1,
    hostEnd: -1,
    programStart: -1,
    programEnd: -1,
    messageStart: 0,
  };
  let lastHost = '';
  for (const src of input.sources) {
    // Per-file context, built once per file rather than per line.
    let current:
      | {
          path: string;
          years: YearContext;
          where: { path: string; targets: readonly string[]; shared: boolean };
        }
      | undefined;
    const ownTargets = restrict(src.owners);
    const onHit = (hit: LineHit, file: { path: string; mtimeMs: number }) => {
      if (current?.path !== file.path) {
        current = {
          path: file.path,
          years: { reference: file.mtimeMs, zone, year: zone.yearOf(file.mtimeMs) },
          where: { path: displayPath(host, file.path), targets: ownTargets, shared: src.shared },
        };
      }
      const text = hit.text;
      if (parseClassic(text, current.years, classic)) {
        let lineHost: string | null = null;
        if (onLine && classic.hostStart >= 0) {
          const { hostStart, hostEnd } = classic;
          if (hostEnd - hostStart !== lastHost.length || !text.startsWith(lastHost, hostStart))
            lastHost = text.slice(hostStart, hostEnd);
          lineHost = lastHost;
        }
        const program =
          classic.programStart < 0
            ? noProgram
            : internProgram(text, classic.programStart, classic.programEnd);
        dispatch(hit, current.where, classic.time, lineHost, program, classic.messageStart);
      } else {
        const p = parsePrefix(text, current.years);
        dispatch(hit, current.where, p.time, p.host, programNamed(p.program), p.messageStart);
      }
    };
    const common = {
      rules,
      identity,
      countLines: input.countLines,
      consumeTrailing: input.consumeTrailing,
      display: (p: string) => displayPath(host, p),
      ...(input.chunk !== undefined ? { chunk: input.chunk } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    };
    let mode: ReadMode;
    if (input.mode.kind === 'all') mode = { kind: 'all' };
    else if (input.mode.kind === 'since') mode = { kind: 'since', since: input.mode.since };
    else {
      const prev = saved?.sources[src.path];
      mode = prev ? { kind: 'resume', cursors: prev.cursors } : { kind: 'first' };
    }
    const r = input.wholeFiles
      ? await readWholeFile(src.local, common, onHit)
      : await readSource(src.local, { ...common, mode }, onHit);
    bytes += r.bytes;
    sourceList.push({
      path: src.path,
      services: src.configuredBy,
      shared: src.shared && src.owners.length === 0,
      found: r.files.length > 0 || r.problems.some((p) => p.problem !== 'missing'),
    });
    if (src.shared && r.files.length > 0) anySharedFile = true;
    state.sources[src.path] = { cursors: r.cursors };
    for (const p of r.problems)
      problems.push({
        ...p,
        display: displayPath(host, p.path),
        services: src.configuredBy,
        shared: src.shared && src.owners.length === 0,
      });
  }

  let journalRead = false;
  const journalDir = host.live ? undefined : hostPath(host, '/var/log/journal');
  const journalWanted =
    !input.wholeFiles &&
    (input.journal === 'on' || (input.journal === 'auto' && !anySharedFile)) &&
    (host.live || (journalDir !== undefined && existsSync(journalDir)));
  if (journalWanted) {
    const journalWhere = { path: 'journal', targets: [], shared: true };
    const start: JournalStart =
      input.mode.kind === 'all'
        ? { all: true }
        : input.mode.kind === 'since'
          ? { since: input.mode.since }
          : saved?.journal
            ? { after: saved.journal.cursor }
            : { boot: true };
    const read = (s: JournalStart) =>
      readJournal({
        runner: input.journalRunner ?? spawnJournalctl,
        ...(journalDir ? { directory: journalDir } : {}),
        start: s,
        rules,
        ...(input.signal ? { signal: input.signal } : {}),
        onHit: (e, mask) =>
          dispatch(
            { line: 0, text: e.text, mask, truncated: false },
            journalWhere,
            e.time,
            e.host,
            programNamed(e.program),
            0,
          ),
      });
    try {
      let r: Awaited<ReturnType<typeof read>>;
      try {
        r = await read(start);
      } catch (err) {
        if (!('after' in start)) throw err;
        // The saved cursor is gone (journal vacuumed or rotated away): report, then read this boot.
        problems.push({
          path: 'journal',
          display: 'journal',
          problem: 'reset',
          reason: `saved cursor not usable: ${reason(err)}`,
          services: [],
          shared: true,
        });
        r = await read({ boot: true });
      }
      journalRead = true;
      const cursor = r.cursor ?? saved?.journal?.cursor;
      if (cursor) state.journal = { cursor };
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      problems.push({
        path: 'journal',
        display: 'journal',
        problem: 'journal',
        reason: reason(err),
        services: [],
        shared: true,
      });
      if (saved?.journal) state.journal = saved.journal;
    }
  } else if (saved?.journal) state.journal = saved.journal;

  return { stats, problems, state, bytes, journalRead, sources: sourceList };
}
