/**
 * The `procs` check: each service's processes (or, for a service started on demand, its listener), and the
 * whole host against the recorded baseline: expected processes missing, counts out of range, new
 * processes, new listeners, programs run from deleted files or temp directories.
 */
import { lstat } from 'node:fs/promises';
import { append } from '../core/array.ts';
import { readRegularFile } from '../core/open.ts';
import path from 'node:path';
import { z } from 'zod';
import type { CheckContext, CheckKind, CheckOutcome } from '../checks/types.ts';
import type { Plan, ServicePlan } from '../config/plan.ts';
import { tenkenCommand } from '../core/command.ts';
import { TenkenError, errnoCode } from '../core/errors.ts';
import { segmentRegExp } from '../core/glob.ts';
import { type Host, hostPath } from '../core/host.ts';
import type { CheckResult, Finding } from '../core/report.ts';
import { inspectedZone, type Zone } from '../core/tz.ts';
import { zonedTime } from '../report/time.ts';
import { type Status, worst } from '../core/status.ts';
import {
  type Baseline,
  type PersonalProcess,
  type ProcsFinding,
  type Snapshot,
  approveItemWords,
  diffBaseline,
  exeFindings,
  processEvidence,
  processIdentity,
  readBaseline,
} from './baseline.ts';
import type { ProcsConfig } from './config.ts';
import type { ProcessGroupData } from './findings.ts';
import {
  type OndemandEntry,
  type OndemandScan,
  entryMatches,
  entryOrigin,
  readOndemand,
  serverProcessName,
} from './ondemand.ts';
import {
  currentViewer,
  hidepidFor,
  parsePasswd,
  type ProcessInfo,
  type ProgramFile,
  readProcEnv,
  readProcessesCounted,
  readProgramFiles,
  type Viewer,
} from './proc.ts';
import { sessionEntry, sessionOwner, sessionProgramPath, sessionProcesses } from './session.ts';
import { isWildcard, type Listener, listenerKey, parsePortRange, readListeners } from './sockets.ts';

/** The file name of the baseline in the state directory. */
export const BASELINE_FILE = 'baseline.json';

/** How to record a baseline, for messages (a run under --root, --config or --state says recordCommand). */
export const RECORD_HINT = 'tenken baseline record';

/**
 * The command that records this run's baseline: `tenken baseline record` with the run's --root, --config
 * and --state (else it would record the live host's, or write elsewhere), and `--file` for a baseline named
 * on the command line.
 */
export function recordCommand(invocation: readonly string[] = [], file?: string): string {
  return tenkenCommand(invocation, 'baseline', 'record', ...(file === undefined ? [] : ['--file', file]));
}

/** A finding of this check: one of ours, or a core kind (not-checked). */
export type AnyFinding = ProcsFinding | Finding;

/** Our findings as the report's Finding type (ProcsFindings is part of FindingDataMap). */
export function asFindings(findings: readonly AnyFinding[]): Finding[] {
  return [...findings];
}

/** Whether a process name matches a glob of the ignore list. */
export function ignoredName(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (/[*?[]/.test(p) ? segmentRegExp(p).test(name) : p === name));
}

/** Whether a listed process name is this comm (the kernel cuts comm at 15 bytes). */
function sameComm(name: string, comm: string): boolean {
  return comm === name || (name.length > 15 && comm === name.slice(0, 15));
}

/**
 * Whether a process is one a service lists: its comm (names longer than 15 bytes are cut there by the
 * kernel), or the program name in argv[0] (`/usr/sbin/nginx`, `nginx: master process`, `sshd: alice`).
 */
export function processMatches(p: Pick<ProcessInfo, 'name' | 'cmdline'>, name: string): boolean {
  if (sameComm(name, p.name)) return true;
  const argv0 = p.cmdline[0]?.split(/[\s:]/)[0];
  return argv0 !== undefined && argv0 !== '' && path.posix.basename(argv0) === name;
}

/** The pids of a process and its ancestors (tenken and the shell, sudo, cron that started it). */
export function selfAndAncestors(all: ReadonlyMap<number, ProcessInfo>, pid: number): Set<number> {
  const out = new Set<number>();
  let cur: number | undefined = pid;
  while (cur !== undefined && cur > 1 && !out.has(cur)) {
    out.add(cur);
    cur = all.get(cur)?.ppid;
  }
  return out;
}

/** What the reader saw, before any judgement. */
export interface Observation {
  /** Every process, kernel threads included. */
  processes: ProcessInfo[];
  /** Listeners after the configured and ephemeral-UDP filters. */
  listeners: Listener[];
  /** Processes whose fds could not be read (not root): their listeners show no holder. */
  unreadableFds: number;
  /** Processes whose program (`exe`) could not be read (not root): its binary could not be judged. */
  unreadableExes: number;
  /** Processes this user may not see at all (/proc mounted `hidepid`): left out of the comparison. */
  hidden: number;
  /** The /proc mount's `hidepid=` option when it hides other users' processes from this run (see hidepidFor). */
  hidepid: string | null;
  /** This run's user name (processes of other users may be hidden from it). */
  self: string | null;
  ondemand: OndemandScan;
  /** Accounts nobody logs in as (see ProcEnv): a shell running as one is never an admin's session. */
  systemUsers: ReadonlySet<string>;
  /**
   * The program files (owner, mode) of processes run from systemd's or the session bus's path, by pid, where
   * they could be examined: a login session's processes are left out only when these are root's (session.ts).
   */
  programFiles?: ReadonlyMap<number, ProgramFile>;
  /** People's accounts, uid → name (peopleOf in proc.ts): their login sessions' programs stay out of a baseline. */
  people?: ReadonlyMap<number, string>;
}

/**
 * Drops a UDP socket bound to one address when a process holding it also holds the same port on the
 * wildcard address: nmbd binds 137 and 138 on 0.0.0.0 and again on each interface's address and broadcast,
 * so a new or renumbered interface (DHCP, docker0, wg0) looked like new listeners. The wildcard socket
 * already says the service listens everywhere.
 */
export function withoutInterfaceCopies(listeners: readonly Listener[]): Listener[] {
  const everywhere = new Set<string>();
  for (const l of listeners)
    if (l.proto.startsWith('udp') && isWildcard(l.addr))
      for (const pid of l.pids) everywhere.add(`${l.proto}/${l.port}/${pid}`);
  return listeners.filter(
    (l) =>
      !(
        l.proto.startsWith('udp') &&
        !isWildcard(l.addr) &&
        l.pids.length > 0 &&
        l.pids.every((pid) => everywhere.has(`${l.proto}/${l.port}/${pid}`))
      ),
  );
}

/** Reads processes, listeners and on-demand definitions under the host root. */
export async function observe(
  host: Pick<Host, 'root'>,
  cfg: ProcsConfig,
  viewer: Viewer = currentViewer(),
): Promise<Observation> {
  const env = await readProcEnv(host);
  const { processes, hidden, exeUnreadable } = await readProcessesCounted(host, env);
  let mountinfo = '';
  try {
    mountinfo = await readRegularFile(hostPath(host, '/proc/self/mountinfo'), 'utf8', { root: host.root });
  } catch {
    // a tree without it: nothing is known to be hidden
  }
  // Kernel threads hold no sockets (and their fd directories are unreadable without root).
  const { listeners, unreadable } = await readListeners(
    host,
    processes.filter((p) => !p.kernelThread).map((p) => p.pid),
  );
  let range: [number, number] = [32768, 60999];
  try {
    range =
      parsePortRange(
        await readRegularFile(hostPath(host, '/proc/sys/net/ipv4/ip_local_port_range'), 'utf8', {
          root: host.root,
        }),
      ) ?? range;
  } catch {
    // no such file in a fixture tree: Linux's default range
  }
  const kept = listeners.filter((l) => {
    const fam = l.proto.startsWith('tcp') ? 'tcp' : 'udp';
    if (
      cfg.ignoreListeners.includes(`${fam}/${l.port}`) ||
      cfg.ignoreListeners.includes(`${l.proto}/${l.port}`)
    )
      return false;
    return !(cfg.ignoreEphemeralUdp && fam === 'udp' && l.port >= range[0] && l.port <= range[1]);
  });
  return {
    processes,
    listeners: withoutInterfaceCopies(kept),
    unreadableFds: unreadable,
    unreadableExes: exeUnreadable,
    hidden,
    hidepid: hidepidFor(mountinfo, viewer),
    self: env.users.get(viewer.uid) ?? null,
    ondemand: await readOndemand(host),
    systemUsers: env.systemUsers,
    programFiles: await readProgramFiles(host, processes, sessionProgramPath),
    ...(env.people === undefined ? {} : { people: env.people }),
  };
}

/** Interactive shells: ignored for people's accounts, never for daemons' (see snapshotOf). */
const SHELLS = new Set(['bash', 'sh', 'dash', 'zsh', 'ksh', 'csh', 'tcsh', 'fish']);

/**
 * Whether a process (name, user) stays outside the baseline: its name is ignored, unless it is a shell of a
 * daemon's account (www-data's bash: a web shell's first step), which is judged like any process.
 */
function outsideBaseline(
  name: string,
  user: string,
  ignore: readonly string[],
  systemUsers: ReadonlySet<string>,
): boolean {
  return ignoredName(name, ignore) && !(SHELLS.has(name) && systemUsers.has(user));
}

/** Process names outside the baseline: the ignore list and the planned services' workers. */
function ignoredNames(cfg: ProcsConfig, plan: Pick<Plan, 'services'>): string[] {
  return [...cfg.ignore, ...cfg.ignoreMore, ...plan.services.flatMap((s) => s.workers)];
}

/**
 * The snapshot a baseline is recorded from and compared with: no kernel threads, ignored names, the planned
 * services' workers (their per-connection copies come and go), login sessions' user managers and session
 * buses (session.ts: they come and go with logins), or tenken itself. The programs of a person's login
 * session (sessionOwner: Carol's `irssi`) are set apart in `personal`: never recorded, each said once as new.
 */
export function snapshotOf(
  obs: Observation,
  cfg: ProcsConfig,
  selfPid: number | undefined,
  plan: Pick<Plan, 'services'>,
): Snapshot {
  const all = new Map(obs.processes.map((p) => [p.pid, p]));
  const self = selfPid === undefined ? new Set<number>() : selfAndAncestors(all, selfPid);
  const ignore = ignoredNames(cfg, plan);
  const sessions = sessionProcesses(obs.processes, obs.systemUsers, obs.programFiles);
  // The ignore list keeps an admin's shells out; a shell of a daemon's account (www-data's bash: a web
  // shell's first step) is not one of those and is judged like any process.
  const judged = obs.processes.filter(
    (p) =>
      !p.kernelThread &&
      !self.has(p.pid) &&
      !sessions.has(p.pid) &&
      !outsideBaseline(p.name, p.user, ignore, obs.systemUsers),
  );
  const personal: PersonalProcess[] = [];
  const processes: ProcessInfo[] = [];
  for (const p of judged) {
    const session = sessionOwner(p, obs.people);
    if (session === null) processes.push(p);
    else personal.push({ ...p, session });
  }
  return { processes, listeners: obs.listeners, all, personal };
}

function groupData(procs: readonly ProcessInfo[]): ProcessGroupData[] {
  const m = new Map<string, ProcessInfo[]>();
  for (const p of procs) m.set(p.name, [...(m.get(p.name) ?? []), p]);
  return [...m].map(([name, ps]) => ({
    name,
    count: ps.length,
    pids: ps.map((p) => p.pid),
    users: [...new Set(ps.map((p) => p.user))],
  }));
}

function hasListener(listeners: readonly Listener[], protocol: 'tcp' | 'udp', port: number): Listener[] {
  return listeners.filter((l) => l.port === port && l.proto.startsWith(protocol));
}

/** What one service's evaluation decided, for the baseline diff to avoid repeating it. */
export interface ServiceVerdict {
  findings: AnyFinding[];
  /** None of its processes runs and that is reported (not an idle on-demand service). */
  down: boolean;
  /** Started on demand (plan, or an enabled inetd/xinetd/systemd definition). */
  ondemand: boolean;
  /** Ports (`tcp/23`) whose presence this service reports on. */
  ports: string[];
}

/**
 * Judges one service from what runs (pure): its processes up → OK (WARNING when none of its listed ports
 * listens); none and started on demand → OK when its listener exists, CRITICAL when not; none otherwise →
 * CRITICAL. Returns null for services with nothing to check here (no processes, no ports).
 */
export function judgeService(
  svc: ServicePlan,
  processes: readonly ProcessInfo[],
  listeners: readonly Listener[],
  entries: readonly OndemandEntry[],
  hiddenBy: string | null = null,
): ServiceVerdict | null {
  const od = entries.filter((e) => e.enabled && entryMatches(e, svc));
  const ondemand = svc.ondemand || od.length > 0;
  if (svc.processes.length === 0 && svc.ports.length === 0 && !ondemand) return null;
  const names = [...svc.processes, ...od.flatMap((e) => (e.server ? [serverProcessName(e.server)] : []))];
  const running = processes.filter((p) => !p.kernelThread && names.some((n) => processMatches(p, n)));
  const wanted = new Map<string, { protocol: 'tcp' | 'udp'; port: number; origin: string | null }>();
  for (const port of svc.ports) wanted.set(`tcp/${port}`, { protocol: 'tcp', port, origin: null });
  for (const e of od)
    if (e.port !== null)
      wanted.set(`${e.protocol}/${e.port}`, { protocol: e.protocol, port: e.port, origin: entryOrigin(e) });
  const seen: Listener[] = [];
  const missing: { protocol: 'tcp' | 'udp'; port: number; origin: string | null }[] = [];
  for (const w of wanted.values()) {
    const ls = hasListener(listeners, w.protocol, w.port);
    if (ls.length) append(seen, ls);
    else missing.push(w);
  }
  const findings: AnyFinding[] = [];
  // Where the definition is (`inetd.conf:12`), or the profile's word for it: said once, not twice.
  const origin = od[0] ? entryOrigin(od[0]) : svc.ondemand ? 'by its profile' : null;
  const base = { service: svc.name, evidence: [] };
  const listenerKeys = seen.map(listenerKey);
  if (running.length > 0 || (svc.processes.length === 0 && !ondemand)) {
    const groups = groupData(running);
    findings.push({
      ...base,
      kind: 'service-processes',
      status: 'OK',
      summary: running.length
        ? `Running: ${groups.map((g) => `${g.name} ×${g.count} (${g.users.join(', ')})`).join(', ')}`
        : `Listening: ${listenerKeys.join(', ') || 'nothing'}`,
      evidence: running.slice(0, 3).map(processEvidence),
      data: { processes: groups, ondemand: origin, listeners: listenerKeys },
    });
    // Profiles list the ports a service may use (Samba: 445 and/or 139; dovecot: POP3 and/or IMAP): a
    // running daemon is suspect only when none of them listens. Without a process, every port counts.
    // A running daemon listening elsewhere than its profile's default port was configured so (sshd on 2222):
    // news, not a warning. Ports the config names are expected as named.
    const pids = new Set(running.map((p) => p.pid));
    const elsewhere = listeners.filter((l) => l.pids.some((pid) => pids.has(pid)));
    const status: Status = !running.length
      ? 'CRITICAL'
      : elsewhere.length && svc.defaultPorts
        ? 'INFO'
        : 'WARNING';
    const hint =
      elsewhere.length && svc.defaultPorts
        ? `; it listens on ${[...new Set(elsewhere.map((l) => `${l.proto.replace(/6$/, '')}/${l.port}`))].join(', ')} (services.${svc.name}.ports in the config names the ports to expect)`
        : '';
    const report = running.length && seen.length ? [] : missing;
    for (const m of report) {
      findings.push({
        ...base,
        kind: 'listener-missing',
        status,
        summary: `Nothing listens on ${m.protocol}/${m.port}${running.length ? ` although ${svc.name} is running` : ''}${hint}`,
        data: { proto: m.protocol, port: m.port, addr: null, expected: 'service' },
      });
    }
    return { findings, down: false, ondemand, ports: [...wanted.keys()] };
  }
  if (!ondemand) {
    // Installed only (detection found no boot unit enabled, or no init system): its absence is news, not an alarm.
    // With other users' processes hidden (hidepid), a daemon not seen may well run: that cannot be told.
    findings.push({
      ...base,
      kind: 'process-missing',
      status: svc.dormant ? 'INFO' : hiddenBy !== null ? 'UNKNOWN' : 'CRITICAL',
      summary: svc.dormant
        ? `${svc.title} is ${svc.dormant}`
        : hiddenBy !== null
          ? `Cannot tell whether ${svc.title} runs: no ${svc.processes.join(' or ')} process is visible, and /proc hides other users' processes from this user (${hiddenBy}); run tenken as root`
          : `${svc.title} is not running: no ${svc.processes.join(' or ')} process`,
      data: { process: svc.processes.join(' | '), user: null, expected: 'service' },
    });
    return { findings, down: true, ondemand, ports: [...wanted.keys()] };
  }
  if (wanted.size === 0) {
    findings.push({
      ...base,
      kind: 'service-processes',
      status: 'INFO',
      summary: `Idle (${origin}); no port is known, so its listener cannot be checked`,
      data: { processes: [], ondemand: origin, listeners: [] },
    });
  } else if (missing.length === 0) {
    findings.push({
      ...base,
      kind: 'service-processes',
      status: 'OK',
      summary: `Idle, started on demand (${origin}); listening: ${listenerKeys.join(', ')}`,
      evidence: seen.slice(0, 3).map((l) => ({ source: l.source, line: l.line, text: l.raw })),
      data: { processes: [], ondemand: origin, listeners: listenerKeys },
    });
  }
  for (const m of missing) {
    findings.push({
      ...base,
      kind: 'listener-missing',
      status: 'CRITICAL',
      summary: `Started on demand (${m.origin ?? origin}) but nothing listens on ${m.protocol}/${m.port}`,
      data: { proto: m.protocol, port: m.port, addr: null, expected: 'ondemand' },
    });
  }
  return { findings, down: false, ondemand, ports: [...wanted.keys()] };
}

/** The baseline as the check found it. */
export type BaselineState =
  | { state: 'ok'; path: string; baseline: Baseline }
  | { state: 'absent'; path: string | null }
  | {
      state: 'unreadable';
      path: string;
      reason: string;
      /** Something other than a regular file is at the path (a link, FIFO, directory): `record --force` refuses it too. */
      notFile?: true;
      /**
       * The file is there but this user may not read it (EACCES, EPERM): a question of who runs tenken, not of
       * the baseline. `owner` is its owner's name (the uid when unknown), null when not even that is known.
       */
      denied?: { owner: string | null };
    };

/** A uid's name in this machine's /etc/passwd (the baseline is a local file, never under --root), else the uid. */
async function localUserName(uid: number): Promise<string> {
  const passwd = await readRegularFile('/etc/passwd', 'utf8').catch(() => '');
  return parsePasswd(passwd).get(uid) ?? `uid ${uid}`;
}

/**
 * What to do about a baseline that cannot be used, after its reason: for a permission error, who may read
 * it (a reviewed baseline is not to be thrown away because the wrong user ran tenken); for something not a
 * file at its name, remove it; else fix the file or record a new one.
 */
export function unreadableAdvice(
  base: Extract<BaselineState, { state: 'unreadable' }>,
  record: string,
): string {
  if (base.notFile) return `remove it, then record one with \`${record}\``;
  if (base.denied) {
    const owner = base.denied.owner;
    if (owner === 'root') return 'run tenken as root, who owns it';
    return owner === null
      ? 'run tenken as the user that owns it, or as root'
      : `run tenken as its owner (${owner}) or as root`;
  }
  return `fix or replace it with \`${record} --force\``;
}

/** Loads the baseline, turning a broken file into a state the check reports (never a throw). */
export async function loadBaseline(file: string | null): Promise<BaselineState> {
  if (file === null) return { state: 'absent', path: null };
  try {
    const baseline = await readBaseline(file);
    return baseline ? { state: 'ok', path: file, baseline } : { state: 'absent', path: file };
  } catch (err) {
    if (!(err instanceof TenkenError)) throw err;
    const st = await lstat(file).catch(() => null);
    const notFile = st !== null && !st.isFile();
    const code = errnoCode(err.cause);
    const denied = !notFile && (code === 'EACCES' || code === 'EPERM');
    return {
      state: 'unreadable',
      path: file,
      reason: err.message,
      ...(notFile ? { notFile: true as const } : {}),
      ...(denied ? { denied: { owner: st === null ? null : await localUserName(st.uid) } } : {}),
    };
  }
}

function resultOf(service: string, findings: AnyFinding[], okSummary: string): CheckResult {
  const status = worst(findings.map((f) => f.status));
  const problem = findings.find((f) => f.status === status && status !== 'OK');
  const count = findings.filter((f) => f.status !== 'OK' && f.status !== 'INFO').length;
  const summary = problem
    ? count > 1
      ? `${problem.summary} (+${count - 1} more)`
      : problem.summary
    : (findings[0]?.summary ?? okSummary);
  return { service, status, summary, findings: asFindings(findings) };
}

/** Whether a baseline holds a process or listener of the service's processes. */
function baselineSaw(b: Baseline, svc: ServicePlan): boolean {
  const names = (n: string | null) => n !== null && svc.processes.some((p) => sameComm(p, n));
  return b.processes.some((p) => names(p.name)) || b.listeners.some((l) => names(l.process));
}

/**
 * Judges everything (pure given the observation): one result per service with something to check, and a
 * `host` result with the baseline comparison and suspicious programs.
 */
export function judge(
  obs: Observation,
  plan: Plan,
  cfg: ProcsConfig,
  base0: BaselineState,
  opts: {
    now: Date;
    selfPid?: number;
    hostName?: string;
    /** The command that records a baseline for this run (recordCommand); `tenken baseline record` if absent. */
    record?: string;
    /**
     * The command that approves one difference (approveCommand with the item), for the remedy of new
     * processes and listeners.
     */
    approve?: (item: string) => string;
    /** People's session programs already reported as new (ProcsState.reported); absent: all are reported. */
    reported?: ReadonlySet<string>;
    /** The host's zone, for the baseline's time in the summary (as the report's other times); absent: ISO. */
    zone?: Zone;
  },
): CheckResult[] {
  // A baseline recorded on another host (a state directory restored onto a new server) says nothing about
  // this one: its processes were reported missing and an only-installed daemon CRITICAL. Not compared.
  const foreign = foreignHost(base0, opts.hostName);
  const base: BaselineState =
    foreign !== null && base0.state === 'ok'
      ? {
          state: 'unreadable',
          path: base0.path,
          reason: `The baseline ${base0.path} was recorded on ${foreign}, and this is ${opts.hostName}: it was not compared`,
        }
      : base0;
  const snap = snapshotOf(obs, cfg, opts.selfPid, plan);
  const people = new Set(obs.people?.values() ?? []);
  const ignore = ignoredNames(cfg, plan);
  const hiddenBy = obs.hidepid ?? (obs.hidden > 0 ? 'hidepid' : null);
  const byService = new Map<string, AnyFinding[]>();
  const down = new Set<string>();
  const ondemandNames = new Set<string>();
  const servicePorts = new Set<string>();
  const owner = new Map<string, string>();
  for (const planned of plan.services) {
    // Only installed (no boot unit, or no init system), yet the baseline saw it run or listen: expected.
    let svc = planned;
    if (planned.dormant !== undefined && base.state === 'ok' && baselineSaw(base.baseline, planned)) {
      const { dormant: _, ...expected } = planned;
      svc = expected;
    }
    const v = judgeService(svc, obs.processes, obs.listeners, obs.ondemand.entries, hiddenBy);
    if (!v) continue;
    byService.set(svc.name, v.findings);
    if (v.down) down.add(svc.name);
    for (const p of v.ports) servicePorts.add(p);
    for (const n of svc.processes) {
      if (!owner.has(n)) owner.set(n, svc.name);
      if (v.ondemand) ondemandNames.add(n);
    }
  }
  for (const e of obs.ondemand.entries)
    if (e.enabled && e.server) ondemandNames.add(serverProcessName(e.server));
  const host: AnyFinding[] = [];
  const serviceOf = (name: string): string | undefined => {
    for (const [n, s] of owner) if (sameComm(n, name)) return s;
    return undefined;
  };
  if (base.state === 'ok') {
    for (const f of diffBaseline(base.baseline, snap, {
      serviceOf,
      ondemandNames,
      downServices: down,
      servicePorts,
      minAgeSeconds: cfg.minAgeSeconds,
      now: opts.now,
      ignored: (name, user) =>
        outsideBaseline(name, user, ignore, obs.systemUsers) || sessionEntry(name, user, obs.systemUsers),
      person: (user) => people.has(user),
      record: opts.record ?? RECORD_HINT,
      tempDirs: cfg.tempDirs,
      ...(opts.approve === undefined ? {} : { approve: opts.approve }),
      ...(opts.reported === undefined ? {} : { reported: opts.reported }),
      ...(hiddenBy !== null ? { visible: (user: string) => user === obs.self } : {}),
    })) {
      const list = f.service === 'host' ? host : (byService.get(f.service) ?? []);
      list.push(f);
      if (f.service !== 'host') byService.set(f.service, list);
    }
  } else {
    const where = base.path ?? `${BASELINE_FILE} in the state directory`;
    const record = opts.record ?? RECORD_HINT;
    host.push({
      kind: 'baseline-absent',
      status: base.state === 'absent' ? 'INFO' : 'UNKNOWN',
      service: 'host',
      summary:
        base.state === 'absent'
          ? `No baseline recorded (${where}): new processes and listeners cannot be told apart; record one with \`${record}\` on a healthy host`
          : `${base.reason}; ${unreadableAdvice(base, record)}`,
      evidence: [],
      data: { path: where, reason: base.state === 'absent' ? 'absent' : base.reason, command: record },
    });
  }
  const byPid = new Map(obs.processes.map((p) => [p.pid, p]));
  for (const f of exeFindings(obs.processes, {
    tempDirs: cfg.tempDirs,
    approved: base.state === 'ok' ? base.baseline.approved : [],
  })) {
    // A binary an upgrade replaced (needrestart leaves dbus and systemd-logind running until a reboot) is a
    // WARNING once per process, then INFO: hourly mail until the next reboot told nothing new.
    const p = f.kind === 'process-exe' ? byPid.get(f.data.pid) : undefined;
    const said = p !== undefined && opts.reported?.has(replacedMark(p)) === true;
    host.push(
      said && f.status === 'WARNING'
        ? { ...f, status: 'INFO', summary: `${f.summary} (said before; restart it or reboot)` }
        : f,
    );
  }
  // What /proc would not show this user, each said once: the comparison is only as good as what was read.
  const unread = (status: Status, summary: string, what: string, path: string) =>
    host.push({
      kind: 'not-checked',
      status,
      service: 'host',
      summary,
      evidence: [],
      data: { what, path, reason: 'permission denied' },
    });
  const processes = (n: number) => `${n} ${n === 1 ? 'process' : 'processes'}`;
  if (hiddenBy !== null)
    unread(
      'WARNING',
      `${
        obs.hidden > 0
          ? `${obs.hidden} ${obs.hidden === 1 ? 'process is' : 'processes are'} hidden from this user (/proc mounted hidepid)`
          : `Other users' processes are hidden from this user (/proc mounted ${obs.hidepid})`
      }: they were not compared with the baseline; run tenken as root to see every process`,
      'processes',
      '/proc/*/stat',
    );
  if (obs.unreadableExes > 0)
    unread(
      'INFO',
      `The programs of ${processes(obs.unreadableExes)} could not be read: permission denied (other users' processes without root, or processes the kernel hides even from root), so a deleted or replaced binary, a memfd or a temp-directory program was not looked for in them`,
      'process programs',
      '/proc/*/exe',
    );
  if (obs.unreadableFds > 0)
    unread(
      'INFO',
      `The open sockets of ${processes(obs.unreadableFds)} could not be read: permission denied (without root, or for processes the kernel hides even from root), so who holds every listener is not known`,
      'process file descriptors',
      '/proc/*/fd',
    );
  for (const problem of obs.ondemand.problems) {
    host.push({
      kind: 'not-checked',
      status: 'WARNING',
      service: 'host',
      summary: problem,
      evidence: [],
      data: { what: 'on-demand services', reason: problem },
    });
  }
  const results: CheckResult[] = [];
  for (const [service, findings] of byService) results.push(resultOf(service, findings, 'OK'));
  const hostOk =
    base.state === 'ok'
      ? `${snap.processes.length} processes and ${snap.listeners.length} listeners as in the baseline of ${opts.zone ? zonedTime(base.baseline.updated, opts.zone) : base.baseline.updated}`
      : `${snap.processes.length} processes, ${snap.listeners.length} listeners`;
  results.push(resultOf('host', host, hostOk));
  return results;
}

/**
 * Where the baseline is: `checks.procs.baseline` (a relative path is taken from the config file's
 * directory, so a demo tree's config can point into the tree), else `baseline.json` in the state
 * directory, if known.
 */
export function baselinePathFor(
  cfg: ProcsConfig,
  opts: { stateDir: string | undefined; configPath?: string | null | undefined; cwd?: string },
): string | null {
  if (cfg.baseline !== undefined) {
    const from = opts.configPath ? path.dirname(opts.configPath) : (opts.cwd ?? process.cwd());
    return path.resolve(from, cfg.baseline);
  }
  return opts.stateDir === undefined ? null : path.join(opts.stateDir, BASELINE_FILE);
}

/** Where the baseline is looked for: the run's state directory and config file. */
function contextPaths(ctx: CheckContext): { stateDir: string | undefined; configPath: string | null } {
  return { stateDir: ctx.stateDir, configPath: ctx.configPath ?? null };
}

/**
 * The command that merges what runs now into this run's baseline, with the run's --root, --config, --state,
 * and `--file` for a baseline named on the command line (`tenken procs --baseline FILE`); with items
 * (`tcp/8080`, a process name), one that merges only those.
 */
export function approveCommand(
  invocation: readonly string[] = [],
  file?: string,
  ...items: string[]
): string {
  return tenkenCommand(
    invocation,
    'baseline',
    'approve',
    ...(file === undefined ? [] : ['--file', file]),
    ...approveItemWords(items),
  );
}

/** Most process identities the procs state keeps (a fork storm of a person's programs must not grow it). */
export const MAX_REPORTED = 4096;

/**
 * The procs check's state: the people's session programs (processIdentity: pid and start time) already
 * reported as new, so that each is said once. Only those still running are kept, at most MAX_REPORTED.
 */
export const procsState = z
  .object({ version: z.literal(1), reported: z.array(z.string()).max(MAX_REPORTED) })
  .strict();

/** Parsed procs state. */
export type ProcsState = z.output<typeof procsState>;

/**
 * The state after this run: the people's session programs a `process-new` finding of this run named
 * (`results`), and those of the previous state (`previous`) still running, so a process is said once and one
 * that exits is forgotten. A run that compared nothing (`compared` false: no baseline, an unreadable one, one
 * from another host) reported none of them: the previous state is kept as it was, so each is reported once
 * the baseline is there.
 */
export function nextProcsState(
  obs: Pick<Observation, 'processes'>,
  opts: {
    previous: ProcsState | undefined;
    results: readonly CheckResult[];
    compared: boolean;
  },
): ProcsState {
  const previous = opts.previous?.reported ?? [];
  if (!opts.compared) return { version: 1, reported: [...previous] };
  // The findings name session programs by pid; their identities (pid and start) are those of what runs now.
  const byPid = new Map(obs.processes.map((p) => [p.pid, p]));
  const running = new Set(obs.processes.map(processIdentity));
  const named = opts.results
    .flatMap((r) => r.findings as AnyFinding[])
    .flatMap((f) => (f.kind === 'process-new' && f.data.session !== null ? f.data.pids : []))
    .map((pid) => byPid.get(pid))
    .filter((p) => p !== undefined)
    .map(processIdentity);
  const replaced = opts.results
    .flatMap((r) => r.findings as AnyFinding[])
    .flatMap((f) =>
      f.kind === 'process-exe' && f.data.concerns.length === 1 && f.data.concerns[0] === 'replaced'
        ? [f.data.pid]
        : [],
    )
    .map((pid) => byPid.get(pid))
    .filter((p) => p !== undefined)
    .map(replacedMark);
  const alive = (id: string) => running.has(id.startsWith(REPLACED) ? id.slice(REPLACED.length) : id);
  const reported = [...new Set([...previous.filter(alive), ...named, ...replaced])];
  return { version: 1, reported: reported.slice(0, MAX_REPORTED) };
}

/** The state's mark of a process whose replaced binary was said (`replaced:PID@START`). */
const REPLACED = 'replaced:';
function replacedMark(p: Pick<ProcessInfo, 'pid' | 'start'>): string {
  return `${REPLACED}${processIdentity(p)}`;
}

/**
 * The host a readable baseline was recorded on when it is not this one (`hostName`), else null. judge does not
 * compare such a baseline, and a run that compared none marks no session program reported.
 */
function foreignHost(base: BaselineState, hostName: string | undefined): string | null {
  return base.state === 'ok' && hostName !== undefined && base.baseline.host !== hostName
    ? base.baseline.host
    : null;
}

/** The `procs` check kind. */
export const procsCheck: CheckKind = {
  description:
    "Services' processes and on-demand listeners; processes and listeners against the recorded baseline",
  readsState: (raw) => procsState.safeParse(raw).success,
  async run(ctx: CheckContext): Promise<CheckOutcome> {
    const cfg = ctx.config.checks.procs;
    const obs = await observe(ctx.host, cfg);
    const base = await loadBaseline(baselinePathFor(cfg, contextPaths(ctx)));
    const selfPid = ctx.host.live ? process.pid : undefined;
    // `--all` looks again at everything without moving the marks: each session program is reported.
    const saved = ctx.options.all ? undefined : procsState.safeParse(ctx.state);
    const results = judge(obs, ctx.plan, cfg, base, {
      now: ctx.host.now,
      hostName: ctx.host.name,
      record: recordCommand(ctx.invocation),
      approve: (item) => approveCommand(ctx.invocation, undefined, item),
      reported: new Set(saved?.success ? saved.data.reported : []),
      ...(selfPid ? { selfPid } : {}),
      zone: inspectedZone(ctx.host, ctx.config.timeZone),
    });
    if (ctx.options.all) return { results };
    return {
      results,
      state: nextProcsState(obs, {
        previous: saved?.success ? saved.data : undefined,
        results,
        compared: base.state === 'ok' && foreignHost(base, ctx.host.name) === null,
      }),
    };
  },
};
