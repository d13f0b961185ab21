import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Plan, ServicePlan } from '../config/plan.ts';
import { displayPath, type Host, hostPath } from '../core/host.ts';
import { inTree } from '../core/inroot.ts';
import { hostZoneName } from '../core/tz.ts';
import { reason } from '../core/errors.ts';
import { LogStats } from './aggregate.ts';
import type { LogsConfig } from './config.ts';
import { cursorSchema, DEFAULT_IDENTITY, type IdentityOptions, type ReadMode } from './cursor.ts';
import { familyOf, liveNameOf, orderFamily } from './read/family.ts';
import { isGlob, segmentRegExp } from '../core/glob.ts';
import { expandGlob, unlistableDir } from './read/glob.ts';
import {
  type JournalGap,
  journalGapReason,
  type JournalRunner,
  type JournalStart,
  journalAt,
  JournalPartialError,
  readJournal,
  spawnJournalctl,
} from './read/journal.ts';
import { defaultThreads, MIN_PART, scanSplit } from './read/parallel.ts';
import { type HitFile, readSource, readWholeFile, type SourceProblem } from './read/source.ts';
import type { LineHit } from './scan/lines.ts';
import type { RuleSet } from './scan/rules.ts';
import { type AttackLines, type FileContext, type LineEvent, makeRouter, type RouteSpec } from './route.ts';
import { copyHash, SameLines } from './same-line.ts';

/**
 * One pass over a host's logs: which files belong to which service, reading each file once, and sending
 * every matching line to the services it belongs to (own files: all lines; syslog files and the journal:
 * lines whose program is one of the service's syslog tags — the runbook's `grep sendmail`, on the tag).
 */

export { HOST_SERVICE, type LineEvent } from './route.ts';

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
  /**
   * Content bytes read per file at most (`checks.logs.maxReadPerRun`; 0 or absent: no limit): for runs
   * whose cursors are saved, so that the next run reads the rest.
   */
  limit?: number;
  noIgnore: boolean;
  /** Only lines of this service. */
  onlyService?: string;
  identity?: IdentityOptions;
  chunk?: number;
  signal?: AbortSignal;
  onLine?: (ev: LineEvent) => void;
  /** The config's `timeZone`, else the host's (hostZoneName): year-less and offset-less stamps are read in it. */
  timeZone?: string | undefined;
  /** Threads for reading a big plain file in parts (default: the cores, at most 4; 1 = this one only). */
  threads?: number;
  /** Fewest bytes per part of such a read (default MIN_PART). */
  minPart?: number;
  /** Cut such a read at these content offsets instead of equal shares (SplitOptions.at: tests). */
  splitAt?: readonly number[];
  /**
   * The attacks check's reading of lines, when it runs in the same check run: the lines it counts are also
   * counted apart (CategoryStats.attack). A source it reads is read on this thread (the workers cannot take it).
   */
  attackLines?: AttackLines;
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
    const locals = await expandGlob(hostPath(host, pattern), host.root);
    if (locals.length === 0 && svc) {
      // A glob that matches nothing: reported like a missing file, or as the directory it could not list.
      locals.push((await unlistableDir(hostPath(host, pattern), host.root)) ?? hostPath(host, pattern));
    }
    const last = isGlob(pattern) ? segmentRegExp(path.basename(pattern)) : null;
    for (const match of locals) {
      // A rotated name a glob caught (`mg_ttyS1.log.1`) is read as part of its live name's family, the
      // live file there or not (a rotation's gap, a retired tty): alone it would be a new log, read afresh.
      const liveName = last && !isGlob(match) ? liveNameOf(path.basename(match)) : null;
      const local =
        liveName !== null && last?.test(liveName) ? path.join(path.dirname(match), liveName) : match;
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
  return oneSourcePerFile(
    host.root,
    all.filter((src) => {
      const dir = path.dirname(src.local);
      return !all.some(
        (o) =>
          o !== src &&
          path.dirname(o.local) === dir &&
          isSiblingOf(path.basename(o.local), path.basename(src.local)),
      );
    }),
  );
}

/**
 * Sources whose live files are one file under two names (`/var/log/messages` a symbolic or hard link to
 * `syslog`, both in the default system logs) become the first of them, with the others' services: read
 * twice, every line would count twice. Sources that do not exist (yet) stay as they are. (`root`: the
 * host's, under which links resolve inside the tree.)
 */
export async function oneSourcePerFile(root: string, sources: LogSource[]): Promise<LogSource[]> {
  const ids = await Promise.all(
    sources.map((src) =>
      Promise.resolve(src.local)
        .then((local) => stat(inTree(root, local)))
        .then(
          (st) => (st.isFile() ? `${st.dev}:${st.ino}` : null),
          () => null,
        ),
    ),
  );
  const first = new Map<string, LogSource>();
  const out: LogSource[] = [];
  sources.forEach((src, i) => {
    const id = ids[i];
    const kept = id ? first.get(id) : undefined;
    if (id && kept === undefined) first.set(id, src);
    if (kept === undefined) {
      out.push(src);
      return;
    }
    for (const o of src.owners) if (!kept.owners.includes(o)) kept.owners.push(o);
    for (const c of src.configuredBy) if (!kept.configuredBy.includes(c)) kept.configuredBy.push(c);
    if (src.shared) kept.shared = true;
  });
  return out;
}

/** Whether a configured source has a file to read now (any member of its family). */
function hasFiles(root: string, src: LogSource): Promise<boolean> {
  return familyOf(src.local, root).then(
    (members) => members.length > 0,
    () => false,
  );
}

function isSiblingOf(liveName: string, name: string): boolean {
  return orderFamily(liveName, [name]).some((m) => m.rotated);
}

/** Syslog tags and their services; a service listing a shared file without tags uses its name. */
function routeTags(plan: Plan, sources: LogSource[]): RouteSpec['tags'] {
  const tags: RouteSpec['tags'] = [];
  for (const s of plan.services) {
    for (const t of s.syslog) tags.push({ tag: t, service: s.name });
    if (s.syslog.length === 0 && sources.some((src) => src.shared && src.configuredBy.includes(s.name)))
      tags.push({ tag: s.name, service: s.name });
  }
  return tags;
}

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
  const route: RouteSpec = {
    tags: routeTags(plan, input.sources),
    unmatched: config.unmatched,
    noIgnore: input.noIgnore,
    since: input.mode.kind === 'since' ? input.mode.since : null,
    zone: hostZoneName(host, input.timeZone),
    now: host.now.getTime(),
    ...(input.onlyService !== undefined ? { only: input.onlyService } : {}),
  };
  const router = makeRouter(route, rules, stats, input.onLine, input.attackLines);
  const threads = input.threads ?? defaultThreads();
  let bytes = 0;

  const saved = input.mode.kind === 'resume' ? input.mode.state : undefined;
  let anySharedFile = false;
  const sourceList: EngineResult['sources'] = [];
  // A line rsyslog wrote to two files (syslog and mail.log, kern.log, cron.log) counts once for the services
  // it goes to: see same-line.ts. Files named on the command line count as grep counts them. Sources are
  // numbered in reading order, a source's rotated members sharing its number.
  // (Whole files are never looked for copies: no stat or listing for them.)
  const present =
    !input.wholeFiles && input.sources.length > 1
      ? await Promise.all(input.sources.map((src) => hasFiles(host.root, src)))
      : [];
  const same = present.filter(Boolean).length > 1 ? new SameLines() : undefined;
  for (const [index, src] of input.sources.entries()) {
    // Lines are kept for the sources read after this one; the last has only to look them up.
    const store = present.some((p, i) => p && i > index);
    const admit = same && ((text: string, key: string) => same.admit(index, copyHash(text, key), store));
    // Per-file context, built once per file rather than per line.
    let current: { path: string; ctx: FileContext } | undefined;
    const contextOf = (file: { path: string; mtimeMs: number }): FileContext =>
      router.file(
        { path: displayPath(host, file.path), targets: src.owners, shared: src.shared },
        file.mtimeMs,
        admit,
      );
    const onHit = (hit: LineHit, file: { path: string; mtimeMs: number }) => {
      if (current?.path !== file.path) current = { path: file.path, ctx: contextOf(file) };
      router.fileHit(hit, current.ctx);
    };
    // Lines seen one by one (`scan --format ndjson`) must come in order: then one thread. A part read on
    // another thread counts all its lines: so only while no earlier source gave lines (its lines may be
    // copies, found only in order), its lines' hashes taken back for the later sources.
    // A source the attacks check reads is tested line by line here (a function cannot go to a worker).
    const tested =
      input.attackLines?.file({ path: src.path, targets: src.owners, shared: src.shared }) !== undefined;
    const split =
      input.onLine || threads < 2 || tested
        ? undefined
        : (file: HitFile) =>
            same?.earlier(index)
              ? undefined
              : scanSplit({
                  rules,
                  route,
                  samples: config.samples,
                  where: { path: displayPath(host, file.path), targets: src.owners, shared: src.shared },
                  mtimeMs: file.mtimeMs,
                  stats,
                  threads,
                  minPart: input.minPart ?? MIN_PART,
                  ...(input.splitAt !== undefined ? { at: input.splitAt } : {}),
                  ...(input.signal ? { signal: input.signal } : {}),
                  ...(same && store
                    ? { record: (hashes: Float64Array) => hashes.forEach((h) => same.admit(index, h)) }
                    : {}),
                });
    const common = {
      rules,
      identity,
      countLines: input.countLines,
      consumeTrailing: input.consumeTrailing,
      ...(input.limit ? { limit: input.limit } : {}),
      display: (p: string) => displayPath(host, p),
      root: host.root,
      ...(split ? { split } : {}),
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
      found:
        r.files.length > 0 || r.problems.some((p) => p.problem !== 'missing' && p.problem !== 'dangling'),
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
  const journal = journalAt(host);
  const journalWanted =
    !input.wholeFiles &&
    (input.journal === 'on' || (input.journal === 'auto' && !anySharedFile)) &&
    journal !== null;
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
    try {
      const r = await readJournal({
        runner: input.journalRunner ?? spawnJournalctl,
        ...journal,
        start,
        rules,
        ...(input.signal ? { signal: input.signal } : {}),
        onHit: (e, mask) => router.entryHit(e.text, mask, journalWhere, e.time, e.host, e.program, e.pid),
      });
      // journalctl refused the saved cursor: this boot was read instead.
      if (r.cursorLost !== undefined)
        problems.push({
          path: 'journal',
          display: 'journal',
          problem: 'reset',
          reason: `saved cursor not usable: ${r.cursorLost}`,
          services: [],
          shared: true,
        });
      if (r.gap) problems.push(journalGap(r.gap));
      journalRead = true;
      // A refused cursor is not kept: with nothing read, the next run starts from its boot, as a first run.
      const cursor = r.cursor ?? (r.cursorLost === undefined ? saved?.journal?.cursor : undefined);
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
      // The entries read before journalctl failed were counted: the next run starts after them, and what
      // the journal had lost before them is said now (the next run would not see it).
      if (err instanceof JournalPartialError && err.gap) problems.push(journalGap(err.gap));
      const kept = err instanceof JournalPartialError ? { cursor: err.cursor } : saved?.journal;
      if (kept) state.journal = kept;
    }
  } else if (saved?.journal) state.journal = saved.journal;

  return { stats, problems, state, bytes, journalRead, sources: sourceList };
}

/**
 * The journal no longer held the saved cursor's entry: said as the file reader says a log rotated where it
 * is not followed (problem `rotated`), with the times between which entries were lost.
 */
function journalGap(gap: JournalGap): EngineProblem {
  return {
    path: 'journal',
    display: 'journal',
    problem: 'rotated',
    reason: journalGapReason(gap),
    services: [],
    shared: true,
  };
}
