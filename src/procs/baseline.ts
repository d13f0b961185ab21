/**
 * The healthy state of a host: which processes run (name, user, how many) and which sockets listen.
 * `record` builds it from a snapshot, `approve` merges a reviewed snapshot into it, `diffBaseline` compares
 * now with it. All pure; reading and writing the file is at the bottom.
 */
import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { yamlFlowSequence } from '../config/yaml.ts';
import { tenkenCommand } from '../core/command.ts';
import { TenkenError, describe, errnoCode } from '../core/errors.ts';
import { globLiteral } from '../core/glob.ts';
import type { Evidence, FindingBase } from '../core/report.ts';
import { jsonSyntaxError } from '../core/json.ts';
import { readRegularFile } from '../core/open.ts';
import { writeFileAtomic } from '../state/atomic.ts';
import type { ProcsFindings } from './findings.ts';
import { type ExeConcern, type ProcessInfo, commandText, exeConcerns } from './proc.ts';
import { isWildcard, type Listener, type NetProto, NET_TABLES, listenerKey } from './sockets.ts';

/** Version of baseline.json; bump on an incompatible change. */
export const BASELINE_VERSION = 1;

const baselineProcess = z
  .object({
    name: z.string().min(1),
    user: z.string().min(1),
    /** Allowed instance count range (inclusive). */
    min: z.number().int().nonnegative(),
    max: z.number().int().nonnegative(),
  })
  .strict()
  .refine((p) => p.min <= p.max, { message: 'min is above max (a hand edit?)', path: ['max'] });

const baselineListener = z
  .object({
    proto: z.enum(NET_TABLES),
    addr: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    /** Name of the process holding it when recorded, null when it could not be seen. */
    process: z.string().nullable(),
  })
  .strict();

const approvedExe = z
  .object({
    name: z.string().min(1),
    user: z.string().min(1),
    /** The exe link text as approved, including " (deleted)" (exact match). */
    exe: z.string().min(1),
  })
  .strict();

/** The baseline.json schema (validated on read: the file may have been edited by hand). */
export const baselineSchema = z
  .object({
    version: z.literal(BASELINE_VERSION),
    host: z.string(),
    recorded: z.string(),
    updated: z.string(),
    processes: z.array(baselineProcess),
    listeners: z.array(baselineListener),
    /** Processes approved although they run from a deleted binary, a memfd or a temp directory. */
    approved: z.array(approvedExe).default([]),
    /**
     * Written by a tenken whose `record` leaves people's session programs out (absent in older baselines):
     * every process entry is then a service's or the host's, judged as such even for a person's account.
     */
    sessionsLeftOut: z.literal(true).optional(),
  })
  .strict();

/** A recorded healthy state. */
export type Baseline = z.output<typeof baselineSchema>;
/** One process group of a baseline. */
export type BaselineProcess = z.output<typeof baselineProcess>;
/** One listener of a baseline. */
export type BaselineListener = z.output<typeof baselineListener>;

/** What is running now, already filtered (kernel threads, ignored names, tenken itself). */
export interface Snapshot {
  processes: ProcessInfo[];
  listeners: Listener[];
  /** Every process (unfiltered), to name listeners' holders even when their names are ignored. */
  all: ReadonlyMap<number, ProcessInfo>;
  /**
   * The programs of people's login sessions (session.ts sessionOwner), apart from `processes`: never
   * recorded or approved, reported as new once per process (DiffOptions.reported).
   */
  personal?: PersonalProcess[];
}

/** A program of a person's login session, with that person (the account of its loginuid). */
export type PersonalProcess = ProcessInfo & { session: string };

/** A process's identity across runs: its pid and start time (a reused pid has another start time). */
export function processIdentity(p: Pick<ProcessInfo, 'pid' | 'start'>): string {
  return `${p.pid}@${p.start ?? '?'}`;
}

/** What `record` and `approve` leave out as a person's own program, one per group (name and user). */
export interface LeftOut {
  name: string;
  user: string;
  /** Whose login session it belongs to. */
  session: string;
  /** `irssi (carol): a program of carol's login session`. */
  text: string;
}

/**
 * The programs of people's login sessions that `record` and `approve` leave out of the baseline, per name
 * and user: running or not is that person's business, so a baseline that expected them was CRITICAL every
 * hour after they quit.
 */
export function leftOutOf(snap: Pick<Snapshot, 'personal'>): LeftOut[] {
  const out = new Map<string, LeftOut>();
  for (const p of snap.personal ?? []) {
    const k = groupKey(p.name, p.user);
    if (!out.has(k))
      out.set(k, {
        name: p.name,
        user: p.user,
        session: p.session,
        text: `${p.name} (${p.user}): a program of ${p.session}'s login session`,
      });
  }
  return [...out.values()];
}

/** `name\0user`, the identity of a process group. */
function groupKey(name: string, user: string): string {
  return `${name}\u0000${user}`;
}

/** Processes grouped by name and user. */
export function groupProcesses(processes: readonly ProcessInfo[]): Map<string, ProcessInfo[]> {
  const groups = new Map<string, ProcessInfo[]>();
  for (const p of processes) {
    const k = groupKey(p.name, p.user);
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  return groups;
}

/**
 * The instance range recorded for `n` running instances: from half (at least 1) to twice plus two. One
 * snapshot cannot know a pool's range, and sshd or a pre-forking server changes with the load; a dead pool
 * (8 → 1) or a fork storm still falls outside. `approve` widens it; the file can be edited.
 */
export function countRange(n: number): { min: number; max: number } {
  return { min: Math.max(1, Math.floor(n / 2)), max: n * 2 + 2 };
}

/** The exe text as /proc shows it (with " (deleted)"), for approvals. */
function exeText(p: ProcessInfo): string | null {
  return p.exe ? `${p.exe.path}${p.exe.deleted ? ' (deleted)' : ''}` : null;
}

/** Processes whose program is suspicious, with the concerns. */
export function suspiciousProcesses(
  processes: readonly ProcessInfo[],
  tempDirs: readonly string[],
): { p: ProcessInfo; concerns: ExeConcern[] }[] {
  return processes
    .filter((p) => !p.kernelThread)
    .map((p) => ({ p, concerns: exeConcerns(p.exe, tempDirs) }))
    .filter((x) => x.concerns.length > 0);
}

/** How a process-exe finding words each concern (`runs from a deleted binary in a temp directory`). */
const EXE_WORDS: Record<ExeConcern, string> = {
  deleted: 'a deleted binary',
  replaced: 'a binary replaced on disk since it started (an upgrade? restart it to run the new one)',
  memfd: 'an anonymous memory file (memfd)',
  'temp-dir': 'a temp directory',
};

/**
 * The status of a program's concerns, the one judgement of `process-exe` findings: WARNING for a binary
 * replaced on disk at the same path outside temp dirs alone (what a package upgrade leaves until a restart),
 * CRITICAL for anything else (a memfd, a temp directory, a binary deleted and not replaced). `record` and
 * `approve` never take in a CRITICAL one.
 */
export function exeStatus(concerns: readonly ExeConcern[]): 'WARNING' | 'CRITICAL' {
  return concerns.length === 1 && concerns[0] === 'replaced' ? 'WARNING' : 'CRITICAL';
}

/** What a program runs from, for findings and `left out:` lines: `runs from a deleted binary in a temp directory`. */
function exeWhy(concerns: readonly ExeConcern[]): string {
  return `runs from ${concerns.map((c) => EXE_WORDS[c]).join(' in ')}`;
}

/**
 * What `record` and `approve` never take into a baseline, whatever they are asked: a program the procs
 * check judges CRITICAL on its own (exeStatus: a memfd, a temp directory, a deleted binary not replaced by
 * an upgrade), unless the baseline already approves it, and a listener held only by such programs.
 */
export interface Unapprovable {
  /** `/dev/shm/.x/kdevtmpfsi (deleted) of kdevtmpfsi (scanner): runs from a deleted binary in a temp directory; investigate it`. */
  text: string;
  /** The process name (of the listener's holder, for a listener). */
  process: string;
  user: string;
  /** The program as /proc shows it, with ` (deleted)`; null for a listener. */
  exe: string | null;
  pids: number[];
  concerns: ExeConcern[];
  /** `tcp 0.0.0.0:31337` for a listener held only by such programs, else null. */
  listener: string | null;
  /** The `approve` items that name it (ApproveChange.items): the process name, or `tcp/31337` and its table's. */
  items: string[];
}

/**
 * Sets apart what `record` and `approve` must not take in (Unapprovable) from a snapshot: the processes
 * judged CRITICAL by their program (from all of `processes`, the unfiltered list exeFindings judges), and
 * listeners all of whose holders are such; they also leave `personal`, so each is said once, with the
 * stronger reason. `approvable` are the suspicious programs that may be approved (a package upgrade's).
 */
export function setApartIntruders(
  snap: Snapshot,
  processes: readonly ProcessInfo[],
  opts: { tempDirs: readonly string[]; approved: Baseline['approved'] },
): { healthy: Snapshot; leftOut: Unapprovable[]; approvable: ProcessInfo[] } {
  const suspicious = suspiciousProcesses(processes, opts.tempDirs).filter(
    ({ p }) => !isApproved(opts.approved, p),
  );
  const intruders = suspicious.filter(({ concerns }) => exeStatus(concerns) === 'CRITICAL');
  const pids = new Set(intruders.map(({ p }) => p.pid));
  const groups = new Map<string, Unapprovable>();
  for (const { p, concerns } of intruders) {
    const exe = exeText(p) ?? '?';
    const k = `${groupKey(p.name, p.user)}\u0000${exe}`;
    const known = groups.get(k);
    if (known) known.pids.push(p.pid);
    else
      groups.set(k, {
        text: `${exe} of ${p.name} (${p.user}): ${exeWhy(concerns)}; investigate it`,
        process: p.name,
        user: p.user,
        exe,
        pids: [p.pid],
        concerns,
        listener: null,
        items: [p.name],
      });
  }
  const held = (l: Listener) => l.pids.length > 0 && l.pids.every((pid) => pids.has(pid));
  const listeners: Unapprovable[] = snap.listeners.filter(held).map((l) => {
    const holder = snap.all.get(l.pids[0] as number);
    const name = holder?.name ?? '?';
    return {
      text: `listener ${listenerKey(l)} (${name}): held only by a program left out here`,
      process: name,
      user: holder?.user ?? '?',
      exe: null,
      pids: [...l.pids],
      concerns: [],
      listener: listenerKey(l),
      items: listenerItems(l),
    };
  });
  return {
    healthy: {
      ...snap,
      processes: snap.processes.filter((p) => !pids.has(p.pid)),
      listeners: snap.listeners.filter((l) => !held(l)),
      ...(snap.personal ? { personal: snap.personal.filter((p) => !pids.has(p.pid)) } : {}),
    },
    leftOut: [...groups.values(), ...listeners],
    approvable: suspicious.filter(({ p }) => !pids.has(p.pid)).map(({ p }) => p),
  };
}

/** Name of the (first) process holding a listener, or null. */
function holderName(l: Listener, all: ReadonlyMap<number, ProcessInfo>): string | null {
  for (const pid of l.pids) {
    const p = all.get(pid);
    if (p) return p.name;
  }
  return null;
}

/** Processes older than `minAgeSeconds` (a start time unknown counts as old): short-lived ones are noise. */
export function settledProcesses(
  processes: readonly ProcessInfo[],
  now: Date,
  minAgeSeconds: number,
): ProcessInfo[] {
  const cutoff = now.getTime() - minAgeSeconds * 1000;
  return processes.filter((p) => p.start === null || Date.parse(p.start) <= cutoff);
}

/**
 * What `record` and `approve` leave out as too young, for the admin: `name (user)` per group, or null. A
 * daemon started a minute ago would otherwise be missing from the baseline without a word, and reported as
 * new two minutes later. `approve` is the command to suggest (with the run's --root, --state, --file).
 */
export function youngNote(
  processes: readonly ProcessInfo[],
  now: Date,
  minAgeSeconds: number,
  approve = 'tenken baseline approve',
): string | null {
  const settled = new Set(settledProcesses(processes, now, minAgeSeconds));
  const young = [...groupProcesses(processes.filter((p) => !settled.has(p))).values()].map(
    (g) => `${(g[0] as ProcessInfo).name} (${(g[0] as ProcessInfo).user})`,
  );
  if (young.length === 0) return null;
  const shown = young.slice(0, 10).join(', ') + (young.length > 10 ? `, +${young.length - 10} more` : '');
  return `Left out ${young.length} process group${young.length === 1 ? '' : 's'} started less than ${minAgeSeconds} s ago: ${shown}. If they belong to the healthy state, run \`${approve}\` once they have run that long.`;
}

/**
 * Builds a baseline from a snapshot. Processes younger than `minAgeSeconds` are left out (a cron job or the
 * admin's `grep` must not become "expected"); `suspicious` are the processes to approve (after review).
 */
export function recordBaseline(
  snap: Snapshot,
  opts: { host: string; now: Date; suspicious: readonly ProcessInfo[]; minAgeSeconds?: number },
): Baseline {
  const processes: BaselineProcess[] = [];
  for (const group of groupProcesses(
    settledProcesses(snap.processes, opts.now, opts.minAgeSeconds ?? 0),
  ).values()) {
    const first = group[0] as ProcessInfo;
    processes.push({ name: first.name, user: first.user, ...countRange(group.length) });
  }
  const time = opts.now.toISOString();
  return sortBaseline({
    version: BASELINE_VERSION,
    host: opts.host,
    recorded: time,
    updated: time,
    processes,
    listeners: uniqueListeners(snap.listeners.map((l) => baselineListenerOf(l, snap.all))),
    approved: uniqueApprovals(opts.suspicious.map(approvalOf).filter((a) => a !== null)),
    sessionsLeftOut: true,
  });
}

function baselineListenerOf(l: Listener, all: ReadonlyMap<number, ProcessInfo>): BaselineListener {
  return { proto: l.proto, addr: l.addr, port: l.port, process: holderName(l, all) };
}

function approvalOf(p: ProcessInfo): z.output<typeof approvedExe> | null {
  const exe = exeText(p);
  return exe === null ? null : { name: p.name, user: p.user, exe };
}

function uniqueListeners(ls: BaselineListener[]): BaselineListener[] {
  const m = new Map<string, BaselineListener>();
  for (const l of ls) if (!m.has(listenerKey(l))) m.set(listenerKey(l), l);
  return [...m.values()];
}

function uniqueApprovals(as: z.output<typeof approvedExe>[]): z.output<typeof approvedExe>[] {
  const m = new Map<string, z.output<typeof approvedExe>>();
  for (const a of as) m.set(`${a.name}\u0000${a.user}\u0000${a.exe}`, a);
  return [...m.values()];
}

function sortBaseline(b: Baseline): Baseline {
  return {
    ...b,
    processes: [...b.processes].sort((x, y) => x.name.localeCompare(y.name) || x.user.localeCompare(y.user)),
    listeners: [...b.listeners].sort(
      (x, y) => x.port - y.port || x.proto.localeCompare(y.proto) || x.addr.localeCompare(y.addr),
    ),
    approved: [...b.approved].sort((x, y) => x.name.localeCompare(y.name) || x.exe.localeCompare(y.exe)),
  };
}

/** One line per change `approve` made (or, with items, did not make), for the admin to read. */
export interface ApproveChange {
  what: 'process-added' | 'process-range' | 'listener-added' | 'exe-approved';
  text: string;
  /**
   * The command-line items that name it (`tenken baseline approve ITEM...`): a process change by the process
   * name and by `NAME:USER` (what findings suggest), a listener by `tcp/8080` (as findings and ignoreListeners write it) and by its
   * table, `tcp6/8080`. The first is the one to suggest.
   */
  items: string[];
}

/**
 * The `approve` items that name a process change: its name (every user's group of that name) and
 * `NAME:USER` (that user's only), which findings suggest: approving a name must not also take in the same
 * name running as another user (an intruder's `python3` as www-data beside the admin's own).
 */
function processItems(name: string, user: string): string[] {
  return [name, `${name}:${user}`];
}

/** The `approve` items that name a listener: `tcp/8080`, and `tcp6/8080` for one of tcp6. */
function listenerItems(l: Pick<Listener, 'proto' | 'port'>): string[] {
  const fam = family(l.proto);
  return l.proto === fam ? [`${fam}/${l.port}`] : [`${fam}/${l.port}`, `${l.proto}/${l.port}`];
}

/**
 * Merges a reviewed snapshot into a baseline: new process groups and listeners are added, ranges widened to
 * include today's counts, suspicious programs approved. Nothing is removed (use `record --force` for that).
 * The snapshot is to be without what is never approved (setApartIntruders), and `suspicious` only the
 * approvable programs. With `items` (`tcp/8080`, `nginx`), only the changes they name are made; the others
 * are returned as `skipped`, and the items that name none as `unmatched`.
 */
export function approveBaseline(
  base: Baseline,
  snap: Snapshot,
  opts: { now: Date; suspicious: readonly ProcessInfo[]; minAgeSeconds?: number; items?: readonly string[] },
): { baseline: Baseline; changes: ApproveChange[]; skipped: ApproveChange[]; unmatched: string[] } {
  const changes: ApproveChange[] = [];
  const skipped: ApproveChange[] = [];
  const named = new Set<string>();
  /** Whether a change is to be made: every one without items, else those an item names. */
  const take = (c: ApproveChange): boolean => {
    const hit = opts.items === undefined || c.items.some((i) => opts.items?.includes(i));
    for (const i of c.items) named.add(i);
    (hit ? changes : skipped).push(c);
    return hit;
  };
  const processes = base.processes.map((p) => ({ ...p }));
  const byKey = new Map(processes.map((p) => [groupKey(p.name, p.user), p]));
  for (const [k, group] of groupProcesses(
    settledProcesses(snap.processes, opts.now, opts.minAgeSeconds ?? 0),
  )) {
    const first = group[0] as ProcessInfo;
    const known = byKey.get(k);
    if (!known) {
      const added = { name: first.name, user: first.user, ...countRange(group.length) };
      if (
        take({
          what: 'process-added',
          text: `process ${first.name} (${first.user}) ×${added.min}–${added.max}`,
          items: processItems(first.name, first.user),
        })
      )
        processes.push(added);
    } else if (group.length < known.min || group.length > known.max) {
      const min = Math.min(known.min, group.length);
      const max = Math.max(known.max, group.length);
      if (
        take({
          what: 'process-range',
          text: `process ${first.name} (${first.user}) ×${known.min}–${known.max} → ×${min}–${max}`,
          items: processItems(first.name, first.user),
        })
      ) {
        known.min = min;
        known.max = max;
      }
    }
  }
  const listeners = [...base.listeners];
  const keys = new Set(listeners.map(listenerKey));
  for (const l of snap.listeners) {
    if (keys.has(listenerKey(l))) continue;
    const b = baselineListenerOf(l, snap.all);
    keys.add(listenerKey(l));
    const items = listenerItems(l);
    if (
      take({
        what: 'listener-added',
        text: `listener ${listenerKey(l)}${b.process ? ` (${b.process})` : ''}`,
        items,
      })
    )
      listeners.push(b);
  }
  const approved = [...base.approved];
  const approvedKeys = new Set(approved.map((a) => `${a.name}\u0000${a.user}\u0000${a.exe}`));
  for (const p of opts.suspicious) {
    const a = approvalOf(p);
    if (!a || approvedKeys.has(`${a.name}\u0000${a.user}\u0000${a.exe}`)) continue;
    approvedKeys.add(`${a.name}\u0000${a.user}\u0000${a.exe}`);
    if (
      take({
        what: 'exe-approved',
        text: `program ${a.exe} of ${a.name} (${a.user})`,
        items: processItems(a.name, a.user),
      })
    )
      approved.push(a);
  }
  const baseline = sortBaseline({ ...base, updated: opts.now.toISOString(), processes, listeners, approved });
  const unmatched = (opts.items ?? []).filter((i) => !named.has(i));
  return { baseline, changes, skipped, unmatched: [...new Set(unmatched)] };
}

/** A finding of the procs check (until FindingDataMap has these kinds, a local union of the same shape). */
export type ProcsFinding = {
  [K in keyof ProcsFindings]: FindingBase & { kind: K; data: ProcsFindings[K] };
}[keyof ProcsFindings];

/** Whether an approval covers a suspicious process. */
export function isApproved(approved: Baseline['approved'], p: ProcessInfo): boolean {
  const exe = exeText(p);
  return approved.some((a) => a.name === p.name && a.user === p.user && a.exe === exe);
}

/** Evidence for a process: its /proc directory and command line (untrusted text). */
export function processEvidence(p: ProcessInfo): Evidence {
  return {
    source: `/proc/${p.pid}`,
    text: `${p.user} ${p.pid} ${commandText(p)}`,
    ...(p.start ? { time: p.start } : {}),
  };
}

/** Evidence for a listener: its line of /proc/net/*. */
export function listenerEvidence(l: Listener): Evidence {
  return { source: l.source, line: l.line, text: l.raw };
}

/** What `diffBaseline` needs besides the baseline and snapshot. */
export interface DiffOptions {
  /** Where each process name belongs: a service name, or absent for `host`. */
  serviceOf: (processName: string) => string | undefined;
  /** Process names of on-demand services: their absence is normal. */
  ondemandNames: ReadonlySet<string>;
  /** Services whose own result already says none of their processes runs (not repeated per process). */
  downServices: ReadonlySet<string>;
  /** Ports (`tcp/23`) a service already reports on: skipped as "baseline listener missing". */
  servicePorts: ReadonlySet<string>;
  /** Processes that started less than this long ago are not reported as new. */
  minAgeSeconds: number;
  now: Date;
  /**
   * Names left out of the snapshot (the ignore list, services' workers): a baseline recorded before a name
   * was left out still lists it, and must not then call it missing.
   */
  ignored: (processName: string, user: string) => boolean;
  /**
   * Whose processes this run can see (all when absent): under /proc's `hidepid`, another user's expected
   * process that is not seen may run all the same, so it is neither missing nor short in number.
   */
  visible?: (user: string) => boolean;
  /**
   * Whether a user is a person's account (peopleOf in proc.ts). In a baseline recorded before people's login
   * sessions were left out (no `sessionsLeftOut`), an entry of one (`irssi carol`) missing is INFO, not
   * CRITICAL, and its count is not judged: whether Carol runs irssi is hers to decide. In a baseline with
   * the mark, such an entry is a service run as that account (a worker as bob, started by systemd), judged
   * like any other.
   */
  person?: (user: string) => boolean;
  /**
   * Identities (processIdentity) of people's session programs an earlier run already reported as new: said
   * once per process, not every hour. Absent: each is reported (no state, `tenken procs`).
   */
  reported?: ReadonlySet<string>;
  /**
   * The command that approves one difference (`tcp/8080`, a process name) as the item of
   * `tenken baseline approve ITEM` (approveCommand in check.ts), for the remedy of new processes and listeners.
   */
  approve?: (item: string) => string;
  /** The command that records a baseline (recordCommand in check.ts), for a person's entry gone. */
  record?: string;
  /**
   * The temp directories of `checks.procs.tempDirs` (DEFAULT_TEMP_DIRS when absent): a new process or
   * listener of a program judged CRITICAL by them (exeStatus) is never approvable, and its remedy says so.
   */
  tempDirs?: readonly string[];
}

/**
 * The words after `tenken baseline approve` for these items: as they are, after `--` when one starts with
 * `-` (a process named `--force` is an item, not an option).
 */
export function approveItemWords(items: readonly string[]): string[] {
  return items.some((i) => i.startsWith('-')) ? ['--', ...items] : [...items];
}

/**
 * The remedy a new process or listener names: the approve command with the run's options and the item that
 * approves only it (`tcp/8080`, the process name), and for a listener the config line that leaves it out, as
 * YAML that parses back to it (yamlFlowSequence).
 */
function approveRemedy(approve: DiffOptions['approve'], item: string, listener?: string): string {
  const command = approve
    ? approve(item)
    : tenkenCommand([], 'baseline', 'approve', ...approveItemWords([item]));
  return `if this is intended: \`${command}\`${listener ? ` (or \`checks.procs.ignoreListeners: ${yamlFlowSequence([listener])}\` in the config, to never compare it)` : ''}`;
}

/**
 * The remedy of a new process or listener all of whose programs are judged CRITICAL by themselves
 * (exeStatus, not approved in the baseline): `approve` never takes them in, so rather than how to approve,
 * what to find out. Null when one of them is not such a program.
 */
function intruderRemedy(
  processes: readonly ProcessInfo[],
  approved: Baseline['approved'],
  tempDirs: readonly string[] | undefined,
): string | null {
  const judged = processes.map((p) => exeConcerns(p.exe, tempDirs));
  if (
    processes.length === 0 ||
    processes.some((p, i) => {
      const concerns = judged[i] ?? [];
      return concerns.length === 0 || exeStatus(concerns) !== 'CRITICAL' || isApproved(approved, p);
    })
  )
    return null;
  return `find out who started it: it ${exeWhy(judged[0] ?? [])} (see the CRITICAL finding), which \`tenken baseline approve\` never takes in`;
}

/** Super-servers that start a service per connection: inetd, xinetd, systemd's socket units (pid 1), tcpd. */
const SUPER_SERVERS = new Set(['inetd', 'xinetd', 'openbsd-inetd', 'rlinetd', 'systemd', 'init', 'tcpd']);

/** Whether a process was started by a super-server: its parent is one, or is its own kind started by one. */
function startedOnDemand(p: ProcessInfo, all: ReadonlyMap<number, ProcessInfo>): boolean {
  let cur = p;
  for (let depth = 0; depth < 4; depth++) {
    const parent = all.get(cur.ppid);
    if (parent === undefined) return false;
    if (SUPER_SERVERS.has(parent.name)) return true;
    if (parent.name !== p.name) return false;
    cur = parent; // the session's own fork (an FTP data connection)
  }
  return false;
}

function family(proto: NetProto): 'tcp' | 'udp' {
  return proto.startsWith('tcp') ? 'tcp' : 'udp';
}

/**
 * Compares now with the baseline: expected processes missing (CRITICAL), counts out of range (WARNING),
 * new processes (WARNING), new listeners (CRITICAL: a backdoor opens a port), baseline listeners gone
 * (WARNING). Suspicious programs are checked by `exeFindings`, which needs no baseline.
 */
export function diffBaseline(base: Baseline, snap: Snapshot, opts: DiffOptions): ProcsFinding[] {
  const out: ProcsFinding[] = [];
  const groups = groupProcesses(snap.processes);
  const personal = snap.personal ?? [];
  // A baseline recorded before people's session programs were left out may hold one (`irssi carol`): its
  // entries are matched with them too (running while Carol's irssi is), and a person's entry is news at
  // most. In a baseline recorded since (sessionsLeftOut), every entry is a service's: matched with, and
  // hiding, no session program (bob's interactive `node` neither keeps bob's `node` service alive nor is
  // hidden by its entry).
  const legacy = base.sessionsLeftOut !== true;
  const running = legacy ? groupProcesses([...snap.processes, ...personal]) : groups;
  const known = new Set(base.processes.map((p) => groupKey(p.name, p.user)));
  const expectedNames = new Set(base.processes.map((p) => p.name));
  for (const bp of base.processes) {
    if (opts.ignored(bp.name, bp.user)) continue;
    if (opts.visible && !opts.visible(bp.user)) continue;
    const group = running.get(groupKey(bp.name, bp.user)) ?? [];
    const service = opts.serviceOf(bp.name) ?? 'host';
    if (legacy && opts.person?.(bp.user)) {
      // A person's program: gone is news at most, whatever its count (see DiffOptions.person).
      if (group.length > 0 || opts.ondemandNames.has(bp.name) || opts.downServices.has(service)) continue;
      out.push({
        kind: 'process-missing',
        status: 'INFO',
        service,
        summary: `Process ${bp.name} (user ${bp.user}) is not running; the baseline expects ${bp.min}–${bp.max}, but ${bp.user} is a person's account, whose programs come and go with their logins: not judged (${opts.record ?? 'tenken baseline record'} --force writes a baseline without it)`,
        evidence: [],
        user: bp.user,
        data: { process: bp.name, user: bp.user, expected: 'baseline' },
      });
      continue;
    }
    if (group.length === 0) {
      if (opts.ondemandNames.has(bp.name) || opts.downServices.has(service)) continue; // normal, or reported
      out.push({
        kind: 'process-missing',
        status: 'CRITICAL',
        service,
        summary: `Process ${bp.name} (user ${bp.user}) is not running; the baseline expects ${bp.min}–${bp.max}`,
        evidence: [],
        user: bp.user,
        data: { process: bp.name, user: bp.user, expected: 'baseline' },
      });
    } else if (group.length < bp.min || group.length > bp.max) {
      out.push({
        kind: 'process-count',
        status: 'WARNING',
        service,
        summary: `${group.length} ${bp.name} processes (user ${bp.user}); the baseline allows ${bp.min}–${bp.max}`,
        evidence: group.slice(0, 5).map(processEvidence),
        user: bp.user,
        data: {
          process: bp.name,
          user: bp.user,
          count: group.length,
          min: bp.min,
          max: bp.max,
          pids: group.map((p) => p.pid),
        },
      });
    }
  }
  const personalGroups = groupProcesses(personal);
  const newGroups: [ProcessInfo[], string | null][] = [
    ...[...groups].filter(([k]) => !known.has(k)).map(([, g]): [ProcessInfo[], null] => [g, null]),
    ...[...personalGroups]
      .filter(([k]) => !(legacy && known.has(k)))
      .map(([, g]): [ProcessInfo[], string] => [g, (g[0] as PersonalProcess).session]),
  ];
  for (const [group, session] of newGroups) {
    // A session of an on-demand service (an FTP login: inetd → ftpd) is the service at work, not news; a
    // program merely named like one, started by anything but a super-server, still is.
    const sessions = group.filter((p) => opts.ondemandNames.has(p.name) && startedOnDemand(p, snap.all));
    if (sessions.length === group.length) continue;
    // A person's session program is said once per process (pid and start time), not on every run.
    const settled = settledProcesses(
      group.filter((p) => !sessions.includes(p)),
      opts.now,
      opts.minAgeSeconds,
    ).filter((p) => session === null || !opts.reported?.has(processIdentity(p)));
    const first = settled[0];
    if (!first) continue;
    out.push({
      kind: 'process-new',
      status: 'WARNING',
      service: 'host',
      summary: `New process ${first.name} (user ${first.user}, ${settled.length === 1 ? `pid ${first.pid}` : `${settled.length} instances`}) not in the baseline${session === null ? '' : `: a program of ${session}'s login session, said once per process`}`,
      evidence: settled.slice(0, 5).map(processEvidence),
      user: first.user,
      ...(first.start ? { first: first.start } : {}),
      data: {
        process: first.name,
        user: first.user,
        pids: settled.map((p) => p.pid),
        command: commandText(first),
        exe: exeText(first),
        session,
        remedy:
          session === null
            ? (intruderRemedy(settled, base.approved, opts.tempDirs) ??
              approveRemedy(opts.approve, `${first.name}:${first.user}`))
            : sessionRemedy(
                session,
                first,
                expectedNames.has(first.name) || opts.serviceOf(first.name) !== undefined,
              ),
      },
    });
  }
  const baseKeys = new Set(base.listeners.map(listenerKey));
  const nowKeys = new Set(snap.listeners.map(listenerKey));
  for (const l of snap.listeners) {
    if (baseKeys.has(listenerKey(l))) continue;
    const holders = l.pids.map((pid) => snap.all.get(pid)).filter((p) => p !== undefined);
    const names = [...new Set(holders.map((p) => p.name))];
    const users = [...new Set(holders.map((p) => p.user))];
    const who = holders.length
      ? `${names.join(', ')} (pid ${l.pids.join(', ')}, user ${users.join(', ')})`
      : 'an unknown process';
    out.push({
      kind: 'listener-new',
      status: 'CRITICAL',
      service: 'host',
      summary: `New listener ${listenerKey(l)} opened by ${who}; not in the baseline`,
      evidence: [listenerEvidence(l), ...holders.slice(0, 3).map(processEvidence)],
      ...(users[0] ? { user: users[0] } : {}),
      data: {
        listener: listenerKey(l),
        proto: l.proto,
        addr: l.addr,
        port: l.port,
        pids: l.pids,
        processes: names,
        users,
        remedy:
          (holders.length === l.pids.length ? intruderRemedy(holders, base.approved, opts.tempDirs) : null) ??
          approveRemedy(opts.approve, `${family(l.proto)}/${l.port}`, `${family(l.proto)}/${l.port}`),
      },
    });
  }
  // A baseline recorded before interface copies were dropped (check.ts withoutInterfaceCopies) lists them:
  // one beside a wildcard socket of the same program and port is not missed.
  const wildcard = new Set(
    base.listeners
      .filter((l) => l.proto.startsWith('udp') && isWildcard(l.addr))
      .map((l) => `${l.proto}/${l.port}/${l.process}`),
  );
  for (const bl of base.listeners) {
    if (nowKeys.has(listenerKey(bl))) continue;
    // (The wildcard socket itself is judged: gone, it is missed like any listener.)
    if (!isWildcard(bl.addr) && wildcard.has(`${bl.proto}/${bl.port}/${bl.process}`)) continue;
    const fam = family(bl.proto);
    if (opts.servicePorts.has(`${fam}/${bl.port}`)) continue;
    const service = (bl.process && opts.serviceOf(bl.process)) ?? 'host';
    out.push({
      kind: 'listener-missing',
      status: 'WARNING',
      service,
      summary: `Listener ${listenerKey(bl)}${bl.process ? ` (${bl.process})` : ''} from the baseline is gone`,
      evidence: [],
      data: { proto: fam, port: bl.port, addr: bl.addr, expected: 'baseline' },
    });
  }
  return out;
}

/**
 * What to do about a new program of a person's login session: nothing if it is theirs, but not when its program
 * is deleted, a memfd or in a temp directory (an intruder's, like the demo's `bnc`): then ask who started it
 * rather than how to silence it.
 */
function sessionRemedy(session: string, p: ProcessInfo, expected: boolean): string {
  const concerns = exeConcerns(p.exe).filter((c) => c !== 'replaced');
  if (concerns.length > 0)
    return `ask ${session} whether they started it: its program ${concerns.includes('memfd') ? 'is an anonymous memory file' : concerns.includes('deleted') ? 'was deleted' : 'is in a temp directory'} (see the CRITICAL finding), which a user's own tools rarely are`;
  const own = `nothing, if it is ${session}'s own: a login session's program is never taken into the baseline`;
  // The ignore list is by name, for every user: a program named like a daemon the baseline or a service
  // expects (`sshd`) must not be suggested there, which would stop that daemon being missed.
  if (expected)
    return `${own} (not by checks.procs.ignoreMore: its name is also that of a process the baseline or a service expects, which the ignore list would leave out too)`;
  // As YAML that parses back to the name, and as a glob that matches only it (ignore entries are globs).
  return `${own} (\`checks.procs.ignoreMore: ${yamlFlowSequence([globLiteral(p.name)])}\` leaves it out for good)`;
}

/** CRITICAL findings for processes running from a deleted binary, a memfd or a temp dir, unless approved. */
export function exeFindings(
  processes: readonly ProcessInfo[],
  opts: { tempDirs: readonly string[]; approved: Baseline['approved'] },
): ProcsFinding[] {
  return suspiciousProcesses(processes, opts.tempDirs)
    .filter(({ p }) => !isApproved(opts.approved, p))
    .map(({ p, concerns }) => ({
      kind: 'process-exe' as const,
      // Replaced by a file at the same path, outside temp dirs: what a package upgrade leaves until a restart.
      status: exeStatus(concerns),
      service: 'host',
      summary: `Process ${p.name} (pid ${p.pid}, user ${p.user}) ${exeWhy(concerns)}: ${exeText(p) ?? '?'}`,
      evidence: [processEvidence(p)],
      user: p.user,
      ...(p.start ? { first: p.start } : {}),
      data: {
        pid: p.pid,
        process: p.name,
        user: p.user,
        exe: exeText(p) ?? '',
        concerns,
        command: commandText(p),
      },
    }));
}

/** Reads a baseline file; null when there is none. Bad JSON or schema → TenkenError naming the file. */
export async function readBaseline(file: string): Promise<Baseline | null> {
  let text: string;
  try {
    // Not through a link (writeBaseline refuses one; a planted link made a secret file the baseline), and
    // not waiting on a FIFO for good.
    text = await readRegularFile(file, 'utf8', { follow: false });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP')
      throw new TenkenError(`Cannot read baseline ${file}: it is a symbolic link (refusing to follow it)`);
    throw new TenkenError(describe(`Cannot read baseline ${file}`, err), { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TenkenError(`Cannot read baseline ${jsonSyntaxError(text, file)}`);
  }
  const parsed = baselineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new TenkenError(`Cannot read baseline ${file}: ${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/**
 * Writes a baseline atomically (temp file, fsync, rename; never through a symlink), creating its directory;
 * a directory that is a symbolic link is refused, as the state directory is (the file would land elsewhere).
 */
export async function writeBaseline(file: string, baseline: Baseline): Promise<void> {
  const dir = path.dirname(file);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if ((await lstat(dir)).isSymbolicLink())
      throw new TenkenError(`Cannot write baseline ${file}: ${dir} is a symbolic link`);
  } catch (err) {
    if (err instanceof TenkenError) throw err;
    throw new TenkenError(describe(`Cannot create directory ${dir}`, err));
  }
  writeFileAtomic(file, `${JSON.stringify(baseline, null, 2)}\n`);
}

/** Whether a baseline file exists (lstat: a dangling symlink counts, so that writing refuses it clearly). */
export async function baselineExists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}
