import { tenkenCommand } from '../core/command.ts';
import { z } from 'zod';
import type { CheckContext, CheckKind, CheckOutcome } from '../checks/types.ts';
import type { Plan } from '../config/plan.ts';
import { displayPath } from '../core/host.ts';
import { capFindings, MAX_LISTED } from '../core/cap.ts';
import type { CheckResult, Finding, Omitted } from '../core/report.ts';
import { type Status, worst } from '../core/status.ts';
import { applyFail2banBans, bansMatter, readFail2banBans } from './fail2ban.ts';
import { cursorSchema, type ReadMode } from '../logs/cursor.ts';
import { planSources } from '../logs/engine.ts';
import {
  JournalPartialError,
  type JournalRunner,
  type JournalStart,
  journalAt,
  spawnJournalctl,
} from '../logs/read/journal.ts';
import { hostZoneName, makeZone } from '../core/tz.ts';
import { tagMatches } from '../logs/syslog.ts';
import type { AttacksConfig } from './config.ts';
import { type AttackReport, AttackDetectors, type SourcedEvent } from './detect.ts';
import { familyOf, SERVICE_FAMILY } from './extract/registry.ts';
import { BasicAuthLogins } from './extract/web.ts';
import { sourceKey } from './host.ts';
import { type AttackFinding, attackWeight } from './findings.ts';
import { type BtmpMode, btmpMarkSchema, readBtmp, readLogins } from './logins.ts';
import {
  type AccountReadOptions,
  accountBasicAuthLogins,
  accountJournal,
  accountLog,
  selfNames,
  accountNames,
  hostAddresses,
  squidRoleOf,
  isSquidLog,
  sourceHints,
} from './read.ts';
import { SameLineFilter } from './same-line.ts';

/**
 * The `attacks` check: the logs check's sources (same reader, same rotation-safe cursors, kept in this
 * check's own state) plus btmp, through the attack extractors, into the detectors; wtmp tells whether an
 * attacking source then logged in. Each run counts only new lines and records; the detectors' windows
 * continue across runs through a bounded tail in the state.
 */

const tailSchema = z.object({
  fail: z.record(z.string(), z.array(z.number())),
  scan: z.record(z.string(), z.array(z.object({ t: z.number(), key: z.string() }))),
  attackers: z.record(
    z.string(),
    z.object({ first: z.number(), last: z.number(), count: z.number(), users: z.array(z.string()) }),
  ),
  /** The distributed brute-force window (absent in states of earlier versions: an empty window). */
  dist: z
    .array(
      z.object({
        t: z.number(),
        n: z.number(),
        sources: z.record(z.string(), z.number()),
        hosts: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/** Saved state of the attacks check. */
export const attacksStateSchema = z.object({
  version: z.literal(1),
  /** Reader cursors by host path of the configured log (the logs check's shape, kept separately). */
  sources: z.record(z.string(), z.object({ cursors: z.array(cursorSchema) })),
  journal: z.object({ cursor: z.string() }).optional(),
  btmp: btmpMarkSchema.optional(),
  /** Time (ms) of the newest wtmp login already weighed against earlier failures: never reported twice. */
  loginsSeen: z.number().optional(),
  tail: tailSchema,
  /** Basic-auth areas (web.ts BasicAuthLogins) of the sources the tail carries: their login may come later. */
  basicAuth: z.record(z.string(), z.array(z.string())).optional(),
});

/** Saved state of the attacks check. */
export type AttacksState = z.output<typeof attacksStateSchema>;

/** A saved state, or undefined when absent or of another version (then reading starts afresh). */
export function parseAttacksState(state: unknown): AttacksState | undefined {
  const r = attacksStateSchema.safeParse(state);
  return r.success ? r.data : undefined;
}

/** Maps an event's service (a daemon family or pam service) to the plan's service of that daemon, or `host`. */
export function planServiceName(plan: Plan): (service: string) => string {
  const byFamily = new Map<string, string>();
  const web = new Set<string>(['web', 'apache', 'nginx']);
  for (const s of plan.services) {
    const fams = new Set<string>();
    const own = SERVICE_FAMILY[s.profile ?? s.name] ?? SERVICE_FAMILY[s.name];
    if (own) fams.add(own);
    for (const tag of s.syslog) {
      const f = familyOf(tag.replace(/\/\*$/, ''));
      if (f) fams.add(f);
    }
    for (const f of fams) {
      if (web.has(f)) for (const w of web) if (!byFamily.has(w)) byFamily.set(w, s.name);
      if (!byFamily.has(f)) byFamily.set(f, s.name);
    }
  }
  const names = new Set(plan.services.map((s) => s.name));
  return (service) => {
    if (names.has(service)) return service;
    const direct = byFamily.get(service);
    if (direct) return direct;
    const fam = familyOf(service);
    const viaFamily = fam ? byFamily.get(fam) : undefined;
    if (viaFamily) return viaFamily;
    const tagged = plan.services.find((s) => s.syslog.some((t) => tagMatches(service, t)));
    return tagged?.name ?? 'host';
  };
}

/** Injection points for tests: the journal reader. */
export interface AttacksCheckDeps {
  journalRunner?: JournalRunner;
}

/** Builds the check kind (tests pass a fake journal). */
export function makeAttacksCheck(deps: AttacksCheckDeps = {}): CheckKind {
  return {
    description:
      'Finds dictionary attacks, port scans, web probes and password-file reads in new log lines and btmp, per attacking host',
    run: (ctx) => runAttacks(ctx, deps),
    readsState: (raw) => parseAttacksState(raw) !== undefined,
  };
}

/** The `attacks` check kind. */
export const attacksCheck: CheckKind = makeAttacksCheck();

/** What to read in one pass. */
export interface GatherInput {
  host: CheckContext['host'];
  plan: Plan;
  cfg: AttacksConfig;
  /** The config's `timeZone` (else the host's, hostZoneName): year-less and offset-less stamps are read in it. */
  timeZone?: string | undefined;
  /**
   * `resume`: from the saved state (first run: live files from their start); `all`: every rotated member
   * from its start; `since`: members written since then, events at or after it.
   */
  mode:
    | { kind: 'resume'; saved: AttacksState | undefined }
    | { kind: 'all' }
    | { kind: 'since'; since: number };
  signal?: AbortSignal;
  journalRunner?: JournalRunner;
  /**
   * Content bytes read per log file at most (`checks.logs.maxReadPerRun`, the reader's; absent or 0: no
   * limit): for runs whose state is saved, so that the next run reads the rest.
   */
  limit?: number;
}

/** What one pass found, and the state to commit (meaningful in resume mode). */
export interface Gathered {
  report: AttackReport;
  problems: Finding[];
  state: AttacksState;
  bytes: number;
  /** Host paths of the logs read (at least one member found). */
  files: string[];
}

/** Reads the plan's logs, the journal, btmp and wtmp through the detectors (shared by the check and the CLI). */
export async function gatherAttacks(input: GatherInput): Promise<Gathered> {
  const { host, plan, cfg } = input;
  const zone = makeZone(hostZoneName(host, input.timeZone));
  const self = selfNames(host);
  const addresses = hostAddresses(host);
  const squid = squidRoleOf(host);
  const accelerated = squid.accelerated;
  const saved = input.mode.kind === 'resume' ? input.mode.saved : undefined;
  const since = input.mode.kind === 'since' ? input.mode.since : undefined;
  const det = new AttackDetectors(cfg, {
    ...(saved ? { history: saved.tail } : {}),
    serviceName: planServiceName(plan),
    accounts: accountNames(host),
  });
  const same = new SameLineFilter();
  const basicAuth = new BasicAuthLogins(saved?.basicAuth);
  /** Events of the log configured as `path` (copies of a line another log already gave are dropped). */
  const eventsOf = (path: string) => (e: SourcedEvent) => {
    if (since !== undefined && e.event.time !== null && e.event.time < since) return;
    if (!same.admit(path, e.text)) return;
    det.add(e);
  };
  const state: AttacksState = { version: 1, sources: {}, tail: { fail: {}, scan: {}, attackers: {} } };
  const problems: Finding[] = [];
  const files: string[] = [];
  let bytes = 0;
  let anySharedFile = false;
  const signal = input.signal ? { signal: input.signal } : {};

  /** The reads of this run, for the second read of the web logs (accountBasicAuthLogins). */
  const reads: [string, AccountReadOptions][] = [];
  for (const src of await planSources(host, plan)) {
    const prev = saved?.sources[src.path];
    const mode: ReadMode =
      input.mode.kind === 'all'
        ? { kind: 'all' }
        : since !== undefined
          ? { kind: 'since', since }
          : prev
            ? { kind: 'resume', cursors: prev.cursors }
            : { kind: 'first' };
    const squidLog = isSquidLog(
      src.local,
      sourceHints(plan, src),
      src.owners.map((n) => plan.services.find((s) => s.name === n)?.profile ?? n),
    );
    const reverseProxy = accelerated && squidLog;
    const readOpts: AccountReadOptions = {
      mode,
      now: host.now,
      zone,
      hints: sourceHints(plan, src),
      self,
      allow: cfg.openproxy.allow,
      addresses,
      reverseProxy,
      display: (p) => displayPath(host, p),
      root: host.root,
      ...(input.limit ? { limit: input.limit } : {}),
      ...signal,
      basicAuth,
      onEvent: eventsOf(src.path),
    };
    reads.push([src.local, readOpts]);
    const r = await accountLog(src.local, readOpts);
    bytes += r.bytes;
    if (r.files.length > 0) files.push(src.path);
    if (reverseProxy && r.files.length > 0) problems.push(reverseProxyNote(src.path));
    if (squidLog && squid.unread !== null && r.files.length > 0)
      problems.push(squidUnreadNote(src.path, squid.unread));
    if (src.shared && r.files.length > 0) anySharedFile = true;
    state.sources[src.path] = { cursors: r.cursors };
    for (const p of r.problems) {
      // Missing logs (a dangling link too), and logs replaced or rotated away since the last run, are the
      // logs check's to report.
      if (['missing', 'dangling', 'reset', 'rotated'].includes(p.problem)) continue;
      if (p.problem === 'limited') {
        problems.push(notRead(displayPath(host, p.path), p.reason));
        continue;
      }
      problems.push(
        notChecked(
          displayPath(host, p.path),
          p.reason,
          p.problem === 'corrupt' || p.problem === 'untrusted' ? 'WARNING' : 'UNKNOWN',
        ),
      );
    }
  }

  for (const [local, readOpts] of reads) await accountBasicAuthLogins(local, readOpts);

  const journal = journalAt(host);
  const journalWanted =
    (plan.journal === 'on' || (plan.journal === 'auto' && !anySharedFile)) && journal !== null;
  if (journalWanted) {
    const start: JournalStart =
      input.mode.kind === 'all'
        ? { all: true }
        : since !== undefined
          ? { since }
          : saved?.journal
            ? { after: saved.journal.cursor }
            : { boot: true };
    try {
      const r = await accountJournal({
        runner: input.journalRunner ?? spawnJournalctl,
        ...journal,
        start,
        now: host.now,
        zone,
        ...signal,
        onEvent: eventsOf('journal'),
      });
      files.push('journal');
      // journalctl refused the saved cursor: this boot was read instead (the logs check reports it), and
      // the refused cursor is not kept (kept, every later run was UNKNOWN on it).
      const cursor = r.cursor ?? (r.cursorLost === undefined ? saved?.journal?.cursor : undefined);
      if (cursor) state.journal = { cursor };
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      // The entries read before journalctl failed were counted: the next run starts after them.
      const kept = err instanceof JournalPartialError ? { cursor: err.cursor } : saved?.journal;
      if (kept) state.journal = kept;
      // `auto` reads it only as the system log: unreadable, no attack in it could be seen.
      problems.push(notChecked('journal', (err as Error).message, 'UNKNOWN'));
    }
  } else if (saved?.journal) state.journal = saved.journal;

  const btmpMode: BtmpMode =
    input.mode.kind === 'all'
      ? { kind: 'all' }
      : since !== undefined
        ? { kind: 'since', since }
        : { kind: 'resume', mark: saved?.btmp };
  const btmp = await readBtmp(host, btmpMode, (r) => det.addFailedLogin(r));
  if (btmp.mark) state.btmp = btmp.mark;
  if (btmp.problem) problems.push(notChecked(btmp.problem.path, btmp.problem.reason, 'INFO'));

  // A login already weighed by an earlier run is not weighed again, or every run would repeat its finding.
  const seen = input.mode.kind === 'resume' ? saved?.loginsSeen : undefined;
  const newest = await readLogins(
    host,
    seen === undefined ? det.earliestFailure() : Math.max(det.earliestFailure(), seen + 1),
    (h) => det.knows(h),
    (r) => det.addLogin(r),
    // A terminal login from a remote host is sshd's where sshd is inspected (the auth log's `Accepted` says
    // so too); without one, login's (telnetd).
    plan.services.some((s) => s.name === 'sshd' || s.profile === 'sshd') ? 'sshd' : 'login',
  );
  const loginsSeen = Math.max(newest ?? Number.NEGATIVE_INFINITY, seen ?? Number.NEGATIVE_INFINITY);
  if (Number.isFinite(loginsSeen)) state.loginsSeen = loginsSeen;

  const report = det.finish();
  // A brute force fail2ban banned is said as INFO, not mailed every hour (src/attacks/fail2ban.ts).
  if (bansMatter(report.findings))
    report.findings = applyFail2banBans(
      report.findings,
      await readFail2banBans(host.root, zone),
      cfg.bruteforce.findtime,
    );
  state.tail = det.tail();
  const carried = new Set([...Object.keys(state.tail.fail), ...Object.keys(state.tail.attackers)]);
  const areas = basicAuth.kept((h) => carried.has(sourceKey(h)));
  if (Object.keys(areas).length > 0) state.basicAuth = areas;
  return { report, problems, state, bytes, files };
}

async function runAttacks(ctx: CheckContext, deps: AttacksCheckDeps): Promise<CheckOutcome> {
  const mode: GatherInput['mode'] = ctx.options.all
    ? { kind: 'all' }
    : ctx.options.since
      ? { kind: 'since', since: ctx.options.since.getTime() }
      : { kind: 'resume', saved: parseAttacksState(ctx.state) };
  const g = await gatherAttacks({
    host: ctx.host,
    plan: ctx.plan,
    cfg: ctx.config.checks.attacks,
    timeZone: ctx.config.timeZone,
    mode,
    signal: ctx.signal,
    // Only a run that saves its cursors stops early: the next one goes on from there.
    ...(mode.kind === 'resume' ? { limit: ctx.config.checks.logs.maxReadPerRun } : {}),
    ...(deps.journalRunner ? { journalRunner: deps.journalRunner } : {}),
  });
  const results = buildResults(g.report.findings, g.problems, g.bytes, ctx.invocation);
  // --all and --since look without moving the saved offsets.
  return mode.kind === 'resume' ? { results, state: g.state } : { results };
}

function notChecked(path: string, why: string, status: Status): Finding {
  return {
    kind: 'not-checked',
    status,
    service: 'host',
    summary: `Cannot look for attacks in ${path}: ${why}`,
    evidence: [],
    data: { what: 'attack detection', path, reason: why },
  };
}

/**
 * Squid is a reverse proxy (every `http_port`/`https_port` of its configuration an accelerator): the absolute
 * URLs of its log are its visitors' requests for the sites it fronts, read as requests of this host, and
 * none is an open-proxy relay. Said as INFO, so that a forward port added later is not missed unknowingly.
 */
function reverseProxyNote(path: string): Finding {
  const reason = 'Squid is a reverse proxy (every http_port of squid.conf is an accelerator): no relays';
  return {
    kind: 'not-checked',
    status: 'INFO',
    service: 'host',
    summary: `${path}: not read for open-proxy relays: ${reason}`,
    evidence: [],
    data: { what: 'open proxy', path, reason },
  };
}

/**
 * Squid's configuration was not read whole, and the part read has only accelerator ports: it is not known to
 * be a reverse proxy, so its log is read for relays as a forward proxy's (failing towards reporting). Said
 * as INFO, so that a CRITICAL open proxy that follows is understood (and the limit or the unreadable file
 * can be looked at).
 */
export function squidUnreadNote(path: string, unread: string): Finding {
  const reason = `Squid's configuration was not read whole (${unread}), and the part read is a reverse proxy's`;
  return {
    kind: 'not-checked',
    status: 'INFO',
    service: 'host',
    summary: `${path}: read for open-proxy relays as a forward proxy's: ${reason}`,
    evidence: [],
    data: { what: 'squid configuration', path, reason },
  };
}

/** Content the per-run limit left for the next run (WARNING: attacks in it are seen a run later). */
function notRead(path: string, why: string): Finding {
  return {
    kind: 'not-checked',
    status: 'WARNING',
    service: 'host',
    summary: `${path}: ${why}`,
    evidence: [],
    data: { what: 'attack detection', path, reason: why },
  };
}

/** Most attack findings a check result lists (per service): the shared cap of src/core/cap.ts. */
export { MAX_LISTED };

/** Results per service (findings grouped by their service), `host` first when it has any. */
export function buildResults(
  findings: AttackFinding[],
  problems: Finding[],
  bytes: number,
  invocation: readonly string[] = [],
): CheckResult[] {
  const by = new Map<string, Finding[]>();
  for (const f of [...problems, ...(findings as Finding[])]) {
    const list = by.get(f.service) ?? [];
    list.push(f);
    by.set(f.service, list);
  }
  if (by.size === 0)
    return [
      {
        service: 'host',
        status: 'OK',
        summary: `no attacks found in ${bytes < 1e6 ? `${Math.ceil(bytes / 1e3)} kB` : `${(bytes / 1e6).toFixed(1)} MB`} of new log lines`,
        findings: [],
      },
    ];
  const results: CheckResult[] = [];
  for (const [service, list] of by) {
    const attacks = list.filter((f) => f.kind.startsWith('attack-'));
    // An open-proxy finding names a proxy, not a source.
    const hosts = new Set(attacks.flatMap((f) => (f.host === undefined ? [] : [f.host])));
    let summary =
      attacks.length === 0
        ? (list[0]?.summary ?? '')
        : `${attacks.length} finding${attacks.length === 1 ? '' : 's'}${hosts.size === 0 ? '' : ` from ${hosts.size} source${hosts.size === 1 ? '' : 's'}`}: ${[...new Set(attacks.map((f) => f.kind.replace('attack-', '')))].join(', ')}`;
    let findings = list;
    let omitted: Omitted | undefined;
    // A botnet's thousands of sources must not make a report no mailbox takes: the most serious are listed,
    // the rest counted, in the summary and in `omitted` (`tenken attacks` lists every finding).
    const capped = capFindings(attacks, MAX_LISTED, (f) => attackWeight(f as AttackFinding));
    if (capped.omitted) {
      const shownHosts = new Set(capped.listed.map((f) => f.host));
      summary += `; the ${MAX_LISTED} most serious listed, ${capped.omitted.count} more from ${[...hosts].filter((h) => !shownHosts.has(h)).length} more sources (${tenkenCommand(invocation, 'attacks')} lists them all)`;
      findings = [...list.filter((f) => !f.kind.startsWith('attack-')), ...capped.listed];
      omitted = capped.omitted;
    }
    results.push({
      service,
      status: worst(list.map((f) => f.status)),
      summary,
      findings,
      ...(omitted ? { omitted } : {}),
    });
  }
  return results.sort((a, b) => (a.service === 'host' ? -1 : b.service === 'host' ? 1 : 0));
}
