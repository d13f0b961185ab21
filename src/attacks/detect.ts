import { append } from '../core/array.ts';
import type { Evidence } from '../core/report.ts';
import { clip, utf8FromLatin1 } from '../core/sanitize.ts';
import { type Status, rank, worst } from '../core/status.ts';
import type { LocatedEvent } from './account.ts';
import type { AttacksConfig } from './config.ts';
import type { AttackFinding } from './findings.ts';
import { ACCESS_OWNERS, ECHOED, matchEchoes, orderByTime, OwnEvents } from './echo.ts';
import { ipv6Prefix64 } from '../core/net.ts';
import { sourceKey } from './host.ts';
import { pruneTop } from '../core/top.ts';
import { type Campaign, type DistTailBucket, DistributedWindow } from './distributed.ts';
import { IgnoredSources, isLocalAddress } from './local.ts';
import type { AttackEvent, Detector } from './types.ts';
import { peak, peakDistinct } from './window.ts';
import {
  type KeySet,
  keySetAdd,
  keySetHas,
  keySetKeys,
  ProbeTally,
  type Tally,
  tallyAdd,
  tallyEntries,
  tallySize,
} from './tally.ts';

/**
 * The detectors: events grouped by source, then judged over sliding windows. Brute force: `maxretry`
 * failures within `findtime` (WARNING), CRITICAL when a login from the same source succeeded after its first
 * failure. Port scans: a scan detector's alert, or `targets` distinct ports/services or `maxretry` refused
 * connections within `findtime`. Web probes: `minProbes` probe requests, CRITICAL when one was answered 2xx.
 * Password file: any attempt, CRITICAL when answered.
 */

/** A successful login from elsewhere (a wtmp record), to tell whether an attack then succeeded. */
export interface LoginRecord {
  host: string;
  user: string | null;
  /** Epoch milliseconds. */
  time: number;
  service: string;
}

/** An event with its place: the located event plus the source (host path) it came from. */
export type SourcedEvent = LocatedEvent & { source: string };

/** A failed login from btmp (`lastb`): counted unless a log line already counted the same attempt. */
export interface FailedLoginRecord {
  host: string;
  user: string | null;
  /** Epoch milliseconds. */
  time: number;
  /** The writer's pid (sshd's per connection); absent or 0 when unknown. */
  pid?: number;
  /** Where it was read (`/var/log/btmp`) and its record number, for evidence. */
  source: string;
  record: number;
  /** The record as `lastb` would describe it (untrusted). */
  text: string;
  service: string;
}

/**
 * What the detectors keep between runs (bounded): the recent part of each source's windows, so a burst split
 * by a run boundary is still one burst, and the sources that crossed the brute-force threshold, so a login
 * from one of them in a later run is still "failed N times, then logged in".
 */
export interface WindowTail {
  /** Failure times (ms) per source, within `findtime` of the newest event seen. */
  fail: Record<string, number[]>;
  /** Refused connections / scan alerts per source within the port-scan `findtime` (key: port or service). */
  scan: Record<string, { t: number; key: string }[]>;
  /** Sources with a brute-force finding: first and last failure (ms), failures counted, users tried. */
  attackers: Record<string, { first: number; last: number; count: number; users: string[] }>;
  /**
   * The distributed brute-force window's buckets within `distributed.window` of the newest event: failed
   * logins of sources with no finding of their own, per source (an IPv6 /64 as one), at most 200 per bucket.
   */
  dist?: DistTailBucket[] | undefined;
}

/** An empty tail. */
export function emptyTail(): WindowTail {
  return { fail: {}, scan: {}, attackers: {} };
}

/** Options of the detectors beyond the config. */
export interface DetectorOptions {
  /** The previous run's tail (state). */
  history?: WindowTail;
  /**
   * Plan service of an event's service (`web` → `httpd`), `host` when no service owns it: a finding's
   * `service`, and how lists of services name them (see serviceLabel); default: the same name.
   */
  serviceName?: (service: string) => string;
  /**
   * The host's account names (/etc/passwd), when read: btmp records of a name that is none are judged with
   * sshd's extra lookup record in mind (see settleBtmp).
   */
  accounts?: ReadonlySet<string> | undefined;
}

/**
 * An event's service as lists name it (`sources[].services`, a finding's `data.services`, `tenken scan`'s
 * ndjson): the plan service it belongs to, as findings and the scan's summaries name it (`httpd`, not the
 * extractor's `web`), else its own name (a daemon no configured service owns is still named).
 */
export function serviceLabel(serviceName: (service: string) => string, service: string): string {
  const name = serviceName(service);
  return name === 'host' ? service : name;
}

/** A password-file request over HTTP, which is also a web probe (the runbook's `/phf` exploit read it). */
function passwdOverHttp(e: AttackEvent): boolean {
  return e.detector === 'passwd' && e.path !== undefined && /^(?:web|apache|nginx|proxy)$/.test(e.service);
}

/** The detectors that count an event: its own, and the web probes' too for a password-file read over HTTP. */
export function detectorsOf(e: AttackEvent): Detector[] {
  return passwdOverHttp(e) ? [e.detector, 'webprobe'] : [e.detector];
}

/** Most sources (and entries per source) a tail keeps. */
const TAIL_SOURCES = 2000;
const TAIL_PER_SOURCE = 100;
/** A log line and a btmp record of the same attempt are at most this far apart. */
const SAME_ATTEMPT_MS = 2000;
/** One sshd connection's btmp records are at most this far apart (sshd's LoginGraceTime is 2 minutes). */
const SAME_CONNECTION_MS = 10 * 60_000;

/**
 * The btmp records that are tries: of a connection (pid, name) whose name is no account of the host, with more
 * records after it, the first is sshd's lookup record and is left out (see settleBtmp). All of them when the
 * accounts are unknown. Records in time order.
 */
export function lookupsLeftOut(
  records: readonly FailedLoginRecord[],
  accounts: ReadonlySet<string> | undefined,
): FailedLoginRecord[] {
  if (accounts === undefined) return [...records];
  const open = new Map<string, { first: number; last: number; more: boolean }>();
  const lookups = new Set<number>();
  records.forEach((r, i) => {
    if (!r.pid || r.user === null || accounts.has(r.user)) return;
    const key = `${r.pid}\0${r.user}`;
    const c = open.get(key);
    if (c !== undefined && r.time - c.last <= SAME_CONNECTION_MS) {
      if (!c.more) lookups.add(c.first);
      c.more = true;
      c.last = r.time;
    } else open.set(key, { first: i, last: r.time, more: false });
  });
  return lookups.size === 0 ? [...records] : records.filter((_, i) => !lookups.has(i));
}

/** Everything seen from one source, for `tenken attacks`. */
export interface SourceSummary {
  host: string;
  status: Status;
  failures: number;
  rejects: number;
  successes: number;
  scans: number;
  probes: number;
  passwd: number;
  users: string[];
  services: string[];
  first: string | null;
  last: string | null;
}

/** What the detectors found. */
export interface AttackReport {
  /** Every source with at least one counted event, worst first. */
  sources: SourceSummary[];
  findings: AttackFinding[];
}

/** Most OK sources (no finding) `tenken attacks` lists: the most active. */
export const MAX_OK_SOURCES = 100;

/** The sources `tenken attacks` lists, and how many there were. */
export interface ListedSources {
  sources: SourceSummary[];
  /** Every source with a counted event, listed or not. */
  sourcesTotal: number;
  /** OK sources (no finding) left out of `sources`. */
  sourcesOmitted: number;
}

/**
 * Every source with a finding (its status, or a finding naming it), then at most `maxOk` of the OK ones, the
 * most active first. Why: a million one-try addresses made a million-row table (96 MB, 352 MB of JSON) that
 * hid the few sources that matter; the rest are counted.
 */
export function listSources(report: AttackReport, maxOk: number = MAX_OK_SOURCES): ListedSources {
  const named = new Set<string>();
  for (const f of report.findings) if (f.host !== undefined) named.add(f.host);
  const total = (s: SourceSummary) => s.failures + s.rejects + s.scans + s.probes + s.passwd;
  const flagged: SourceSummary[] = [];
  const ok: SourceSummary[] = [];
  // A /64's finding names its prefix: its addresses, each OK alone, are that finding's sources.
  const nets = [...named].some((h) => h.endsWith('/64'));
  const isNamed = (host: string) => {
    if (named.has(host)) return true;
    const net = nets ? ipv6Prefix64(host) : null;
    return net !== null && named.has(net);
  };
  for (const s of report.sources) (s.status !== 'OK' || isNamed(s.host) ? flagged : ok).push(s);
  // Stable: equally active sources keep the detectors' order (by address).
  const okListed = ok.length > maxOk ? [...ok].sort((x, y) => total(y) - total(x)).slice(0, maxOk) : ok;
  return {
    sources: [...flagged, ...okListed],
    sourcesTotal: report.sources.length,
    sourcesOmitted: ok.length - okListed.length,
  };
}

/** A sample line kept as evidence: only what a finding's evidence shows (not the event it made). */
interface Sample {
  detector: Detector;
  source: string;
  text: string;
  line: number;
  time: number | null;
}

/** An event held for echo matching (see echo.ts): times and paths apart, alike events share one object. */
interface Held {
  t: number[];
  /** The event without its time and path: one per distinct (detector, kind, service, user, status...). */
  e: AttackEvent[];
  path: (string | undefined)[];
  alike: Map<string, AttackEvent>;
  /** Paths as one string each (a scanner repeats itself), up to HELD_PATHS distinct ones. */
  paths: Map<string, string>;
  /**
   * Sample lines of the held events that can still be evidence: per detector, the HELD_SAMPLES earliest and
   * latest (by time, then order), by index. Evidence takes them as the events are counted at the end.
   */
  samples: Map<number, Sample>;
  ends: Partial<Record<Detector, { early: number[]; late: number[] }>>;
}

/** A scan hit: time (ms) and what was scanned (`port N` or a service). */
type ScanHit = { t: number; key: string };

/**
 * Everything counted from one source. Made small, because most sources are seen once or twice (a first read
 * of a busy server's syslog holds tens of thousands, an IPv6 /48 makes millions free): a field is made on
 * first use, counts by key start as one key (see tally.ts), and web probes are counts, not records.
 */
interface Agg {
  host: string;
  first: number;
  last: number;
  rejects: number;
  fail: number[] | undefined;
  /** Counted events per service. */
  services: Tally;
  users: Tally;
  /** The services the brute-force events came from (a web probe of the same source is not one of them). */
  bfServices: KeySet;
  /** Sample lines, the first `evidence` per detector, and how many per detector (7 bits each: SAMPLED_SHIFT). */
  samples: Sample[] | undefined;
  sampled: number;
  /** Times of the failures that were rejected mail transactions, not logins (see `fail`). */
  rejectAt?: number[];
  /** Failure times from earlier runs (windows only: not counted again). */
  carried?: number[];
  carriedScans?: ScanHit[];
  btmp?: FailedLoginRecord[];
  /**
   * Times of lines that repeat an attempt counted already (`attempts` 0: sshd's `Failed ... for invalid user`
   * after its `Invalid user`): sshd wrote a btmp record for each, which settleBtmp matches against them.
   */
  repeats?: number[] | undefined;
  successes?: { t: number; user: string | null; service: string }[] | undefined;
  scans?: ScanHit[] | undefined;
  ports?: Set<number> | undefined;
  confirmedBy?: Set<string>;
  /** Some scan event came from a service, not only from the firewall's LOG lines (drops it already made). */
  reachedServices?: true;
  probes?: ProbeTally;
  /** `t`: time (ms), for the finding's own first/last. */
  passwd?: { path: string; service: string; answered: boolean; t: number }[];
  /** Failures that may repeat an own failure of another log (see echo.ts), held until `finish`. */
  echoes?: Held;
  /** Own failures and probes of the services an echo can repeat. */
  own?: OwnEvents | undefined;
  /** The latest line per detector past the samples (made evidence only for findings). */
  lastEvidence?: Partial<Record<Detector, SourcedEvent | Sample>> | undefined;
}

/** A successful login from the source. */
type Success = NonNullable<Agg['successes']>[number];

/** An empty list in place of a field not made (never written to). */
const NONE: readonly never[] = Object.freeze([]);

/** The detectors that group events by source (open-proxy relays are grouped by the proxy: see Relays). */
type SourceDetector = Exclude<Detector, 'openproxy'>;

/** Where a source's count of sample lines of each detector sits in `Agg.sampled` (`evidence` is at most 100). */
const SAMPLED_SHIFT: Readonly<Record<SourceDetector, number>> = {
  bruteforce: 0,
  portscan: 7,
  webprobe: 14,
  passwd: 21,
};

/** Held events whose sample lines are kept, at each end, per detector (see Held). */
const HELD_SAMPLES = 32;
/** Distinct paths of a source's held events made one string each (past these, each keeps its own copy). */
const HELD_PATHS = 1000;

/**
 * A finding's `first`/`last`: the times of its own events (`time` of each), not the whole source's (a web
 * probe finding said it began with an FTP failure of the same address days before). Left out when unknown.
 */
function timingOf<T>(events: readonly T[], time: (e: T) => number): { first?: string; last?: string } {
  const { first, last } = spanOf(events, time);
  const f = iso(first);
  const l = iso(last);
  return { ...(f ? { first: f } : {}), ...(l ? { last: l } : {}) };
}

/** The earliest and latest time (ms) of some events (Infinity and 0 for none). */
function spanOf<T>(events: readonly T[], time: (e: T) => number): { first: number; last: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const e of events) {
    const t = time(e);
    if (t < first) first = t;
    if (t > last) last = t;
  }
  return { first, last };
}

const timeOf = (x: { t: number }) => x.t;
const asIs = (t: number) => t;

const portKeys: string[] = [];

/** `port N`, one string per port number (a firewall burst logs thousands of lines for a few ports). */
function portKey(p: number): string {
  if (!(p >= 0 && p < 65536 && Number.isInteger(p))) return `port ${p}`;
  let k = portKeys[p];
  if (k === undefined) portKeys[p] = k = `port ${p}`;
  return k;
}

/** Evidence of an event: its line as UTF-8, clipped like every log line in a report. */
function evidenceOf(s: SourcedEvent | Sample): Evidence {
  const ev: Evidence = { source: s.source, text: clip(utf8FromLatin1(s.text), 2000) };
  if (s.line > 0) ev.line = s.line;
  const time = 'event' in s ? s.event.time : s.time;
  if (time !== null) ev.time = new Date(time).toISOString();
  return ev;
}

/** A sample line of an event (what its evidence needs, without the event). */
function sampleOf(se: SourcedEvent, detector: Detector): Sample {
  return { detector, source: se.source, text: se.text, line: se.line, time: se.event.time };
}

/** The `n` most frequent keys (user names, paths: bytes read as latin1), as UTF-8 for the report. */
function topKeys(m: Tally, n: number): string[] {
  return [...tallyEntries(m)]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([k]) => utf8FromLatin1(k));
}

/** A successful login after the failures, as a finding's data records it (the user in UTF-8, the service by its label). */
function succeededOf(
  ok: Success | undefined,
  label: (service: string) => string,
): { user: string | null; time: string | null; service: string } | null {
  return ok
    ? { user: ok.user === null ? null : utf8FromLatin1(ok.user), time: iso(ok.t), service: label(ok.service) }
    : null;
}

/** ` (users a, b, c, d, e, +N)` for a brute-force summary, or nothing without users. */
function usersText(users: readonly string[], total: number): string {
  return users.length === 0
    ? ''
    : ` (users ${users.slice(0, 5).join(', ')}${total > 5 ? `, +${total - 5}` : ''})`;
}

/** The same login as a finding's summary ends with it. */
/** `; then logged in as USER via SERVICE` (the service by its label: the plan's name of a web server). */
function thenText(ok: Success | undefined, label: (service: string) => string): string {
  return ok
    ? `; then logged in${ok.user ? ` as ${utf8FromLatin1(ok.user)}` : ''} via ${label(ok.service)}`
    : '';
}

function iso(t: number): string | null {
  return Number.isFinite(t) && t > 0 ? new Date(t).toISOString() : null;
}

const MAX_WEIGHT = 1000;

/** Distinct user names a distributed finding counts (past twice this, the most tried are kept). */
const DIST_USERS = 1000;

/** How many times each time occurs. */
function countsOf(times: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of times) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/** Clients an open-proxy finding lists (`data.top`), most requests first. */
const RELAY_TOP = 20;
/** Distinct clients a proxy's relays are counted for one by one; past it, their requests only (`capped`). */
const RELAY_CLIENTS = 20_000;

/**
 * One proxy's relays for outside clients. Bounded: the clients are the attacker's to choose (a botnet's), so
 * requests are counted per client for the first RELAY_CLIENTS distinct ones only, the rest in the total; the
 * evidence is the first `evidence - 1` lines and the latest.
 */
class Relays {
  requests = 0;
  first = Number.POSITIVE_INFINITY;
  last = 0;
  /** More distinct clients came than are counted one by one. */
  capped = false;
  readonly samples: Sample[] = [];
  latest: SourcedEvent | undefined;
  private readonly clients = new Map<string, number>();

  /** Counts one relayed request for `host` at `t`, keeping its line as evidence while fewer than `evidence` are. */
  add(host: string, t: number, se: SourcedEvent, evidence: number): void {
    this.requests++;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    const n = this.clients.get(host);
    if (n !== undefined) this.clients.set(host, n + 1);
    else if (this.clients.size < RELAY_CLIENTS) this.clients.set(host, 1);
    else this.capped = true;
    if (this.samples.length < evidence) this.samples.push(sampleOf(se, 'openproxy'));
    else this.latest = se;
  }

  /** Distinct clients counted (a lower bound when `capped`). */
  clientCount(): number {
    return this.clients.size;
  }

  /** The `n` clients with the most requests (ties by address). */
  top(n: number): { host: string; requests: number }[] {
    return [...this.clients]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([host, requests]) => ({ host, requests }));
  }
}

/** Groups events by source and turns them into findings. */
export class AttackDetectors {
  private readonly by = new Map<string, Agg>();
  /** Open-proxy relays per proxy service (the event's service: `proxy`, or `web` for a web server's CONNECT). */
  private readonly relays = new Map<string, Relays>();
  private readonly ignore: IgnoredSources;
  private readonly attackers: WindowTail['attackers'];
  private readonly serviceName: (service: string) => string;
  private readonly label: (service: string) => string;
  private readonly accounts: ReadonlySet<string> | undefined;
  private lastTime = 0;
  /** The previous run's distributed window (see WindowTail.dist), and its sources (their logins matter). */
  private readonly distCarried: DistTailBucket[];
  private readonly distKnown = new Set<string>();
  /** The distributed window of this run, made by `finish`. */
  private dist: DistributedWindow | undefined;

  constructor(
    private readonly cfg: AttacksConfig,
    opts: DetectorOptions = {},
  ) {
    this.ignore = new IgnoredSources(cfg.ignore, sourceKey);
    const serviceName = opts.serviceName ?? ((s: string) => s);
    this.serviceName = serviceName;
    this.label = (s) => serviceLabel(serviceName, s);
    this.accounts = opts.accounts;
    const h = opts.history;
    this.attackers = { ...(h?.attackers ?? {}) };
    this.distCarried = h?.dist ?? [];
    for (const b of this.distCarried) for (const s of Object.keys(b.sources)) this.distKnown.add(s);
    if (h) {
      for (const [host, times] of Object.entries(h.fail)) {
        if (this.ignore.has(host)) continue;
        append((this.agg(host).carried ??= []), times);
        for (const t of times) if (t > this.lastTime) this.lastTime = t;
      }
      for (const [host, scans] of Object.entries(h.scan)) {
        if (this.ignore.has(host)) continue;
        append((this.agg(host).carriedScans ??= []), scans);
      }
    }
  }

  /** Whether a source has anything counted or carried (wtmp logins are looked up only for those). */
  knows(host: string): boolean {
    const key = sourceKey(host);
    if (this.by.has(key) || Object.hasOwn(this.attackers, key)) return true;
    return this.distKnown.has(key) || this.distKnown.has(ipv6Prefix64(key) ?? key);
  }

  /** Earliest failure (ms) counted or carried, or Infinity: wtmp logins before it cannot matter. */
  earliestFailure(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const a of this.by.values()) {
      for (const x of a.carried ?? NONE) if (x < t) t = x;
      if (a.fail !== undefined && a.first < t) t = a.first;
      for (const b of a.btmp ?? NONE) if (b.time < t) t = b.time;
      for (const x of a.echoes?.t ?? NONE) if (x < t) t = x;
    }
    for (const a of Object.values(this.attackers)) if (a.first < t) t = a.first;
    for (const b of this.distCarried) if (b.t < t) t = b.t;
    return t;
  }

  private agg(host: string): Agg {
    let a = this.by.get(host);
    if (!a) {
      a = {
        host,
        first: Number.POSITIVE_INFINITY,
        last: 0,
        rejects: 0,
        fail: undefined,
        services: undefined,
        users: undefined,
        bfServices: undefined,
        samples: undefined,
        sampled: 0,
        // Made on first use, but present from the start: sources then share one hidden class (V8's), and the
        // detectors' property reads stay monomorphic. Added one by one in each source's own order, the
        // benchmark's mixed file had 8 shapes and the detectors ran ~20% slower (48 bytes a source more).
        repeats: undefined,
        successes: undefined,
        scans: undefined,
        ports: undefined,
        own: undefined,
        lastEvidence: undefined,
      };
      this.by.set(host, a);
    }
    return a;
  }

  /** Counts one event. */
  add(se: SourcedEvent): void {
    const e: AttackEvent = se.event;
    const host = sourceKey(e.host);
    // A source already grouped is not ignored (ignored sources never get a group).
    let a = this.by.get(host);
    if (a === undefined) {
      if (this.ignore.has(host)) return;
      if (e.detector !== 'openproxy') a = this.agg(host);
    }
    let t = this.lastTime;
    if (e.time !== null) {
      t = e.time;
      this.lastTime = Math.max(this.lastTime, t);
    }
    if (e.detector === 'openproxy') {
      // Per proxy, not per client: an open proxy's clients are the whole internet.
      let r = this.relays.get(e.service);
      if (r === undefined) this.relays.set(e.service, (r = new Relays()));
      r.add(host, t, se, this.cfg.evidence);
      return;
    }
    if (a === undefined) return; // an openproxy event, counted above
    if (e.echo !== undefined) this.hold(a, se, t);
    else this.count(a, e, t, se, false);
  }

  /** Holds an echo until `finish` (see echo.ts): its time, an event alike ones share, its path, maybe its line. */
  private hold(a: Agg, se: SourcedEvent, t: number): void {
    const e = se.event;
    const h = (a.echoes ??= {
      t: [],
      e: [],
      path: [],
      alike: new Map(),
      paths: new Map(),
      samples: new Map(),
      ends: {},
    });
    const key = `${e.detector}\u0000${e.kind}\u0000${e.service}\u0000${e.echo}\u0000${e.attempts}\u0000${e.user ?? '\u0001'}\u0000${e.status ?? ''}\u0000${e.answered ?? ''}\u0000${e.port ?? ''}\u0000${e.ports?.join(',') ?? ''}`;
    let alike = h.alike.get(key);
    if (alike === undefined) {
      const { path: _, ...rest } = e;
      alike = { ...rest, time: null };
      h.alike.set(key, alike);
    }
    let path = e.path;
    if (path !== undefined) {
      const same = h.paths.get(path);
      if (same !== undefined) path = same;
      else {
        // A copy: a path cut out of its line by a RegExp keeps the whole line alive.
        path = Buffer.from(path, 'latin1').toString('latin1');
        if (h.paths.size < HELD_PATHS) h.paths.set(path, path);
      }
    }
    const i = h.t.length;
    h.t.push(t);
    h.e.push(alike);
    h.path.push(path);
    // Its line is kept only while it is among its detector's earliest or latest held (by time, then order).
    const ends = (h.ends[e.detector] ??= { early: [], late: [] });
    const before = (j: number) => (h.t[j] as number) < t || ((h.t[j] as number) === t && j < i);
    let kept = false;
    const early = ends.early;
    // The earliest as many as evidence shows (`checks.attacks.evidence` may be over HELD_SAMPLES).
    const keepEarly = Math.max(HELD_SAMPLES, this.cfg.evidence);
    if (early.length < keepEarly || !before(early[early.length - 1] as number)) {
      let k = early.length;
      while (k > 0 && !before(early[k - 1] as number)) k--;
      early.splice(k, 0, i);
      kept = true;
      if (early.length > keepEarly) this.dropHeld(h, ends, early.pop() as number);
    }
    const late = ends.late;
    let k = late.length;
    while (k > 0 && !before(late[k - 1] as number)) k--;
    if (late.length < HELD_SAMPLES || k > 0) {
      late.splice(k, 0, i);
      kept = true;
      if (late.length > HELD_SAMPLES) this.dropHeld(h, ends, late.shift() as number);
    }
    // Counted at the end as an event of time `t` (a line without one is dated by the line before it).
    if (kept) h.samples.set(i, { ...sampleOf(se, e.detector), time: t });
  }

  /** Forgets held event `i`'s line unless the other end still keeps it. */
  private dropHeld(h: Held, ends: { early: number[]; late: number[] }, i: number): void {
    if (!ends.early.includes(i) && !ends.late.includes(i)) h.samples.delete(i);
  }

  /** Keeps an event's line as evidence: the first `evidence` per detector, then the latest. */
  private sample(a: Agg, d: SourceDetector, se: SourcedEvent | Sample | undefined): void {
    if (se === undefined) return;
    const n = this.cfg.evidence;
    const shift = SAMPLED_SHIFT[d];
    // Sample lines stay small: evidence is built only for the sources that make a finding.
    if (((a.sampled >> shift) & 127) < n) {
      a.sampled += 1 << shift;
      const sample = 'event' in se ? sampleOf(se, d) : se;
      // A literal of one, not a push on [] (which makes room for 17).
      if (a.samples === undefined) a.samples = [sample];
      else a.samples.push(sample);
    } else (a.lastEvidence ??= {})[d] = se;
  }

  /**
   * Counts one event at time `t` with its line `se` (none: a held line not kept); `probeSeen`: a
   * password-file read whose web probe an error-log line counted.
   */
  private count(
    a: Agg,
    e: AttackEvent,
    t: number,
    se: SourcedEvent | Sample | undefined,
    probeSeen: boolean,
  ): void {
    if (e.attempts === 0) {
      if (e.kind === 'success') (a.successes ??= []).push({ t, user: e.user ?? null, service: e.service });
      else (a.repeats ??= []).push(t);
      return;
    }
    if (e.kind === 'success') (a.successes ??= []).push({ t, user: e.user ?? null, service: e.service });
    if (t < a.first) a.first = t;
    if (t > a.last) a.last = t;
    a.services = tallyAdd(a.services, e.service, 1);
    if (e.detector === 'openproxy') return; // counted by the proxy in `add`, never here
    this.sample(a, e.detector, se);
    switch (e.detector) {
      case 'bruteforce': {
        const n = Math.min(Math.max(e.attempts, 1), MAX_WEIGHT);
        const fail = a.fail;
        if (fail === undefined) a.fail = n === 1 ? [t] : new Array<number>(n).fill(t);
        else for (let i = 0; i < n; i++) fail.push(t);
        a.bfServices = keySetAdd(a.bfServices, e.service);
        if (e.kind === 'reject') {
          a.rejects += n;
          const at = (a.rejectAt ??= []);
          for (let i = 0; i < n; i++) at.push(t);
        } else if (e.kind === 'failure' && ECHOED.has(e.service))
          (a.own ??= new OwnEvents()).add(
            t,
            { detector: 'bruteforce', service: e.service, user: e.user, path: undefined },
            n,
          );
        const user = e.user;
        if (user !== undefined) a.users = tallyAdd(a.users, user, n);
        break;
      }
      case 'portscan': {
        const scans = (a.scans ??= []);
        if (e.ports !== undefined && e.ports.length > 0) {
          const ports = (a.ports ??= new Set());
          for (const p of e.ports) {
            scans.push({ t, key: portKey(p) });
            if (ports.size < 50) ports.add(p);
          }
        } else if (e.ports === undefined && e.port !== undefined) {
          scans.push({ t, key: portKey(e.port) });
          const ports = (a.ports ??= new Set());
          if (ports.size < 50) ports.add(e.port);
        } else scans.push({ t, key: e.service });
        if (e.kind === 'scan') (a.confirmedBy ??= new Set()).add(e.service);
        if (!e.service.startsWith('firewall/')) a.reachedServices = true;
        break;
      }
      case 'webprobe': {
        const path = e.path ?? '';
        const seq = (a.probes ??= new ProbeTally()).add(path, e.status, t, e.answered !== false);
        if (ACCESS_OWNERS.has(e.service)) this.ownProbe(a, e, t, seq, e.status);
        break;
      }
      case 'passwd': {
        // A password-file request over HTTP (or through a proxy to this host) is also a web probe (the runbook's
        // `/phf` exploit read it).
        const path = e.path ?? '';
        let seq = -1;
        if (passwdOverHttp(e) && !probeSeen) seq = (a.probes ??= new ProbeTally()).add(path, e.status, t);
        (a.passwd ??= []).push({
          t,
          path,
          service: e.service,
          answered: e.answered === true || (e.status !== undefined && e.status >= 200 && e.status < 300),
        });
        if (ACCESS_OWNERS.has(e.service)) this.ownProbe(a, e, t, seq, e.status);
        break;
      }
    }
  }

  /** Keeps an error log's probe, which an access log's line of the same request repeats (see echo.ts). */
  private ownProbe(a: Agg, e: AttackEvent, t: number, seq: number, status: number | undefined): void {
    (a.own ??= new OwnEvents()).add(
      t,
      { detector: e.detector, service: e.service, user: undefined, path: e.path },
      1,
      seq,
      seq >= 0 && status !== undefined ? status : -1,
    );
  }

  /** Records a successful login from another record source (wtmp); the same login seen in a log is kept once. */
  addLogin(r: LoginRecord): void {
    const host = sourceKey(r.host);
    if (this.ignore.has(host)) return;
    const a = this.agg(host);
    const successes = (a.successes ??= []);
    if (successes.some((s) => s.user === r.user && Math.abs(s.t - r.time) <= SAME_ATTEMPT_MS)) return;
    successes.push({ t: r.time, user: r.user, service: r.service });
  }

  /**
   * Records a failed login from btmp. sshd and login write both a log line and a btmp record for one
   * attempt: at the end, a record with a counted log failure from the same source within 2 s is that
   * attempt; only the others count (attempts the logs did not show, or logs not read at all).
   */
  addFailedLogin(r: FailedLoginRecord): void {
    const host = sourceKey(r.host);
    if (this.ignore.has(host)) return;
    (this.agg(host).btmp ??= []).push(r);
  }

  /**
   * Counts the btmp records no log line accounted for (see addFailedLogin). sshd writes a record when a name
   * is no account (`Invalid user`, at its lookup) and another for each password then refused, on the same
   * connection (pid): read alone (logs not read, or rotated away), N tries of an unknown name are N + 1
   * records. The first record of such a connection with more records after it is its lookup, not a try
   * (as the logs count it: `Invalid user` and its `Failed ... for invalid user` are one attempt).
   */
  private settleBtmp(a: Agg): void {
    const repeats = a.repeats ?? NONE;
    a.repeats = undefined;
    if (a.btmp === undefined || a.btmp.length === 0) return;
    const logged = [...(a.fail ?? NONE), ...repeats].sort((x, y) => x - y);
    const used = new Uint8Array(logged.length);
    const records = [...a.btmp].sort((x, y) => x.time - y.time);
    const unmatched: FailedLoginRecord[] = [];
    let lo = 0;
    for (const r of records) {
      while (lo < logged.length && (logged[lo] as number) < r.time - SAME_ATTEMPT_MS) lo++;
      let matched = false;
      for (let i = lo; i < logged.length && (logged[i] as number) <= r.time + SAME_ATTEMPT_MS; i++) {
        if (!used[i]) {
          used[i] = 1;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      unmatched.push(r);
    }
    for (const r of lookupsLeftOut(unmatched, this.accounts))
      this.add({
        event: {
          detector: 'bruteforce',
          kind: 'failure',
          host: r.host,
          service: r.service,
          attempts: 1,
          time: r.time,
          ...(r.user !== null ? { user: r.user } : {}),
        },
        line: r.record,
        text: r.text,
        source: r.source,
      });
    delete a.btmp;
  }

  /** Counts the held echoes that repeat no own failure (see echo.ts); the others were counted already. */
  private settleEchoes(a: Agg): void {
    const held = a.echoes;
    if (held === undefined) return;
    delete a.echoes;
    // Matched against the own events as they are now: an echo counted alone is added like one.
    const own = a.own;
    // Own probes of unknown status take the status of the access-log line they absorb.
    const unknown: number[] = [];
    if (own)
      for (let i = 0; i < own.size; i++) if (own.probe(i) !== -1 && own.status(i) === -1) unknown.push(i);
    const matched = own ? matchEchoes(own, held) : new Uint8Array(held.t.length);
    if (own && a.probes)
      for (const i of unknown)
        if (own.status(i) !== -1) a.probes.settle(own.probe(i), own.kind(i).path ?? '', own.status(i));
    const order = orderByTime(held.t);
    const eventOf = (i: number): AttackEvent => {
      const { echo: _, ...event } = held.e[i] as AttackEvent;
      const path = held.path[i];
      return path === undefined ? event : { ...event, path };
    };
    for (const i of order)
      if (!matched[i]) this.count(a, eventOf(i), held.t[i] as number, held.samples.get(i), false);
    // A password-file read is still one when the error log's line of its request counted the probe.
    for (const i of order)
      if (matched[i] && held.e[i]?.detector === 'passwd')
        this.count(a, eventOf(i), held.t[i] as number, held.samples.get(i), true);
    a.own = undefined;
  }

  /**
   * One IPv6 attacker holds a whole /64 and can try from a new address every time, staying under maxretry
   * per address: the failures of a /64's addresses that made no finding of their own are counted together
   * (two addresses at least), and a /64 over the threshold is a finding named by its prefix.
   */
  private networkFindings(findings: AttackFinding[]): void {
    const flagged = new Set(findings.filter((f) => f.kind === 'attack-bruteforce').map((f) => f.host));
    const nets = new Map<string, Agg[]>();
    for (const a of this.by.values()) {
      if (a.fail === undefined || flagged.has(a.host)) continue;
      const net = ipv6Prefix64(a.host);
      if (net === null) continue;
      const members = nets.get(net);
      if (members) members.push(a);
      else nets.set(net, [a]);
    }
    const findtime = this.cfg.bruteforce.findtime;
    for (const [net, members] of nets) {
      if (members.length < 2) continue;
      const times = members.flatMap((a) => [...(a.carried ?? NONE), ...(a.fail ?? NONE)]);
      const p = peak(times, findtime * 1000);
      if (p.count < this.cfg.bruteforce.maxretry) continue;
      const spans = members.map((a) => spanOf(a.fail ?? NONE, asIs));
      // Loops, not Math.min(...spans): a /64 of 130k addresses overflowed the stack with the spread.
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      for (const x of spans) {
        if (x.first < first) first = x.first;
        if (x.last > last) last = x.last;
      }
      const ok = members
        .flatMap((a) => a.successes ?? [])
        .filter((s) => s.t >= first)
        .sort((x, y) => x.t - y.t)[0];
      const users = new Map<string, number>();
      const services = new Set<string>();
      for (const a of members) {
        for (const [u, n] of tallyEntries(a.users)) users.set(u, (users.get(u) ?? 0) + n);
        for (const s of keySetKeys(a.bfServices)) services.add(s);
      }
      const userList = topKeys(users, 20);
      const count = members.reduce((n, a) => n + (a.fail?.length ?? 0), 0);
      const own = [...services].filter((s) => !s.startsWith('firewall/'));
      const serviceList = this.labels(own);
      const names = [...new Set(own.map(this.serviceName))];
      findings.push({
        kind: 'attack-bruteforce',
        status: ok ? 'CRITICAL' : 'WARNING',
        service: names.length === 1 ? (names[0] as string) : 'host',
        summary: `${net}: ${count} failed logins from ${members.length} addresses of one /64${usersText(userList, users.size)} on ${serviceList.join(', ')}, peak ${p.count} in ${Math.round(findtime / 60)} min${thenText(ok, this.label)}`,
        evidence: members
          .slice(0, this.cfg.evidence)
          .flatMap((a) => this.evidence(a, 'bruteforce').slice(0, 1)),
        host: net,
        ...(Number.isFinite(first) ? { first: new Date(first).toISOString() } : {}),
        ...(last > 0 ? { last: new Date(last).toISOString() } : {}),
        data: {
          host: net,
          users: userList,
          usersTotal: users.size,
          count,
          peak: p.count,
          findtime,
          services: serviceList,
          succeeded: succeededOf(ok, this.label),
        },
      });
    }
  }

  /**
   * A distributed brute force (a botnet, each source under `maxretry`): the failed logins of the sources that
   * made no brute-force finding (an IPv6 /64 as one source, as networkFindings groups them), this run's and the
   * tail's, reaching `distributed.perHour` from `distributed.sources` sources within `distributed.window`.
   * One finding per run, for the campaign's buckets (see DistributedWindow.judge); CRITICAL when one of its
   * sources logged in after its first failure in it. Each failure is counted once, in its source's bucket.
   */
  private distributedFinding(findings: AttackFinding[]): void {
    const cfg = this.cfg.distributed;
    const flagged = new Set<string>();
    for (const f of findings) if (f.kind === 'attack-bruteforce' && f.host !== undefined) flagged.add(f.host);
    const groupOf = (host: string) => ipv6Prefix64(host) ?? host;
    // The office's own machines (loopback, private, CGNAT, link-local, ULA) are the logs check's to judge.
    const local = (s: string) => isLocalAddress(s.endsWith('::/64') ? s.slice(0, -3) : s);
    const judged = (host: string, group: string) => flagged.has(host) || flagged.has(group) || local(host);
    const w = new DistributedWindow(cfg.window * 1000);
    this.dist = w;
    for (const b of this.distCarried) {
      let listed = 0;
      let added = 0;
      for (const [s, n] of Object.entries(b.sources)) {
        listed += n;
        if (!judged(s, s)) {
          w.add(s, b.t, n, false);
          added += n;
        }
      }
      if (b.n > listed) w.add(null, b.t, b.n - listed, false);
      const hosts = (b.hosts ?? []).filter((h) => !judged(h, groupOf(h)));
      if (hosts.length > 0 && (added > 0 || b.n > listed)) w.addHosts(b.t, hosts);
    }
    for (const a of this.by.values()) {
      const fail = a.fail;
      if (fail === undefined) continue;
      const group = groupOf(a.host);
      if (judged(a.host, group)) continue;
      const exact = group === a.host ? [] : [a.host];
      const rejects = a.rejectAt === undefined ? undefined : countsOf(a.rejectAt);
      // A source's failures come mostly in time order: one add per run of failures in the same bucket.
      let k = Number.NaN;
      let at = 0;
      let n = 0;
      for (const t of fail) {
        if (rejects !== undefined) {
          const r = rejects.get(t);
          if (r !== undefined && r > 0) {
            rejects.set(t, r - 1);
            continue;
          }
        }
        const kt = w.bucketOf(t);
        if (kt !== k) {
          if (n > 0) w.add(group, at, n, true, exact);
          k = kt;
          at = t;
          n = 0;
        }
        n++;
      }
      if (n > 0) w.add(group, at, n, true, exact);
    }
    const c = w.judge(cfg.perHour, cfg.sources);
    if (c === null) return;
    const f = this.campaignFinding(c, w, groupOf, judged);
    // A login from one of its sources is said (once: the login is read once). Otherwise a campaign is said when
    // it grew in this run, and one an earlier run said only when this run adds a material part of it.
    if (f.status === 'CRITICAL' || (c.grew && (!c.said || c.fresh >= Math.ceil(cfg.perHour / 10))))
      findings.push(f);
  }

  /** The finding of a distributed campaign: its sources' users, services, lines and logins (this run's). */
  private campaignFinding(
    c: Campaign,
    w: DistributedWindow,
    groupOf: (host: string) => string,
    judged: (host: string, group: string) => boolean,
  ): AttackFinding {
    const lo = c.from * w.span;
    const hi = (c.to + 1) * w.span;
    const users = new Map<string, number>();
    const services = new Set<string>();
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (const b of this.distCarried) if (b.t >= lo && b.t < hi && b.t < first) first = b.t;
    // Logins of its sources after their first failure in it, each with the users its failures of this run named
    // (null: failures of earlier runs only, whose users the carried buckets do not keep).
    const logins: { ok: Success & { host: string }; tried: Tally | null }[] = [];
    // Per user name, the one source of this run that tried it, or null when several did (bounded: past
    // DIST_USERS names, a name not listed counts as tried by several).
    const triers = new Map<string, string | null>();
    const evidence: Evidence[] = [];
    for (const a of this.by.values()) {
      const group = groupOf(a.host);
      if (!c.members.has(group) || judged(a.host, group)) continue;
      // Only the exact address that failed in the campaign (not another of its /64) makes a login CRITICAL.
      let firstHere = Number.POSITIVE_INFINITY;
      let carriedOnly = false;
      for (const t of a.fail ?? NONE) {
        if (t < lo || t >= hi) continue;
        if (t < firstHere) firstHere = t;
        if (t > last) last = t;
      }
      if (Number.isFinite(firstHere)) {
        if (firstHere < first) first = firstHere;
        for (const [u, n] of tallyEntries(a.users)) {
          users.set(u, (users.get(u) ?? 0) + n);
          const by = triers.get(u);
          if (by === undefined) {
            if (triers.size < DIST_USERS) triers.set(u, a.host);
          } else if (by !== a.host) triers.set(u, null);
        }
        if (users.size > 2 * DIST_USERS) pruneTop(users, DIST_USERS);
        for (const s of keySetKeys(a.bfServices)) if (!s.startsWith('firewall/')) services.add(s);
        if (evidence.length < this.cfg.evidence) evidence.push(...this.evidence(a, 'bruteforce').slice(0, 1));
      } else if (a.successes === undefined || !c.hosts.has(a.host)) continue;
      else {
        firstHere = lo; // failures of earlier runs only: the campaign's first bucket
        carriedOnly = true;
      }
      let mine: Success | undefined;
      for (const s of a.successes ?? NONE)
        if (s.t >= firstHere && (mine === undefined || s.t < mine.t)) mine = s;
      if (mine !== undefined)
        logins.push({ ok: { ...mine, host: a.host }, tried: carriedOnly ? null : a.users });
    }
    // A source that failed only as the account it then logged in as, an account no other source of the campaign
    // tried, is someone mistyping their own password (an admin from home during a campaign), not a botnet's
    // guess: said, not CRITICAL. Any other login of a source is an intrusion.
    const typo = (l: (typeof logins)[number]): boolean => {
      const user = l.ok.user;
      if (user === null || l.tried === null || tallySize(l.tried) !== 1) return false;
      const [only] = tallyEntries(l.tried);
      return only?.[0] === user && triers.get(user) === l.ok.host;
    };
    logins.sort((x, y) => x.ok.t - y.ok.t);
    const intrusion = logins.find((l) => !typo(l));
    const ok = intrusion?.ok;
    const ownTypo = intrusion === undefined ? logins[0]?.ok : undefined;
    const userList = [...users]
      .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
      .slice(0, 10)
      .map(([user, count]) => ({ user: utf8FromLatin1(user), count }));
    const serviceList = this.labels([...services]);
    const names = [...new Set([...services].map(this.serviceName))];
    const minutes = Math.round(this.cfg.distributed.window / 60);
    // The carried buckets keep no users: with earlier runs' failures in it, the users are this run's part's.
    const usersPart =
      userList.length === 0
        ? ''
        : `; users ${c.count > c.fresh ? 'tried this run: ' : ''}${userList
            .slice(0, 5)
            .map((u) => `${u.user} ${u.count}`)
            .join(', ')}${users.size > 5 ? ', ...' : ''}`;
    const at = c.capped ? 'at least ' : '';
    const then = ok
      ? `; then ${ok.host} logged in${ok.user ? ` as ${utf8FromLatin1(ok.user)}` : ''} via ${this.label(ok.service)}`
      : ownTypo
        ? `; ${ownTypo.host} logged in as ${utf8FromLatin1(ownTypo.user ?? '')} via ${this.label(ownTypo.service)} after failing only as that user, whom no other source tried (a mistyped password, not counted as an intrusion)`
        : '';
    return {
      kind: 'attack-distributed',
      status: ok ? 'CRITICAL' : 'WARNING',
      service: names.length === 1 ? (names[0] as string) : 'host',
      // The login first after the counts: a text line is cut at the terminal's width.
      summary: `distributed brute force: ${c.count} failed logins from ${at}${c.sources} sources, each under maxretry${serviceList.length > 0 ? `, on ${serviceList.join(', ')}` : ''}, peak ${c.peak} from ${c.peakSources} sources in ${minutes} min${then}${usersPart}; most from ${c.top
        .slice(0, 3)
        .map((t) => `${t.host} (${t.count})`)
        .join(', ')}${c.top.length > 3 ? ', ...' : ''}`,
      evidence,
      ...timingOf([first, last].filter(Number.isFinite), asIs),
      data: {
        count: c.count,
        sources: c.sources,
        sourcesCapped: c.capped,
        peak: c.peak,
        peakSources: c.peakSources,
        window: this.cfg.distributed.window,
        services: serviceList,
        users: userList,
        usersTotal: users.size,
        top: c.top,
        succeeded: ok
          ? {
              host: ok.host,
              user: ok.user === null ? null : utf8FromLatin1(ok.user),
              time: iso(ok.t),
              service: this.label(ok.service),
            }
          : null,
      },
    };
  }

  /**
   * The open-proxy finding of one proxy service: CRITICAL, since an open relay is found and abused (spam,
   * credential stuffing, ad fraud) within hours and gets the server's address blocklisted.
   */
  private openProxyFinding(service: string, r: Relays): AttackFinding {
    const top = r.top(RELAY_TOP);
    const clients = r.clientCount();
    const shown = top.slice(0, 3).map((c) => c.host);
    const more = clients > shown.length ? ', ...' : '';
    const n = this.cfg.evidence;
    const evidence = r.samples.slice(0, r.latest && n > 0 ? n - 1 : n).map(evidenceOf);
    if (r.latest && n > 0) evidence.push(evidenceOf(r.latest));
    return {
      kind: 'attack-openproxy',
      status: 'CRITICAL',
      service: this.serviceName(service),
      summary: `open proxy: ${this.label(service)} relayed ${r.requests} request${r.requests === 1 ? '' : 's'} for ${r.capped ? 'at least ' : ''}${clients} outside client${clients === 1 ? '' : 's'} (${shown.join(', ')}${more}) (if these clients are yours: checks.attacks.openproxy.allow)`,
      evidence,
      ...timingOf([r.first, r.last], asIs),
      data: {
        service: this.label(service),
        requests: r.requests,
        clients,
        clientsCapped: r.capped,
        top,
      },
    };
  }

  /** Services as lists name them (see serviceLabel), each once. */
  private labels(services: readonly string[]): string[] {
    return [...new Set(services.map(this.label))];
  }

  /** `evidence` lines in all: the first ones, and the latest in place of the last when there were more. */
  private evidence(a: Agg, d: Detector): Evidence[] {
    const n = this.cfg.evidence;
    const last = a.lastEvidence?.[d];
    const first = (a.samples ?? NONE)
      .filter((s) => s.detector === d)
      .slice(0, last && n > 0 ? n - 1 : n)
      .map(evidenceOf);
    if (last && n > 0) first.push(evidenceOf(last));
    return first;
  }

  /**
   * The tail to keep for the next run: per source, the failures and refused connections within their
   * findtime of the newest event seen, and the sources that crossed the brute-force threshold within
   * `remember`. Bounded: at most 2000 sources and 100 entries per source, the most recent kept.
   */
  tail(): WindowTail {
    const out = emptyTail();
    const newest = this.lastTime;
    const bfFrom = newest - this.cfg.bruteforce.findtime * 1000;
    const psFrom = newest - this.cfg.portscan.findtime * 1000;
    const recent = (xs: number[]) =>
      xs
        .filter((t) => t >= bfFrom)
        .sort((x, y) => x - y)
        .slice(-TAIL_PER_SOURCE);
    const hosts = [...this.by.values()].sort((x, y) => y.last - x.last).slice(0, TAIL_SOURCES);
    for (const a of hosts) {
      const fail = recent([...(a.carried ?? NONE), ...(a.fail ?? NONE)]);
      if (fail.length > 0) out.fail[a.host] = fail;
      const scans = [...(a.carriedScans ?? NONE), ...(a.scans ?? NONE)]
        .filter((s) => s.t >= psFrom)
        .sort((x, y) => x.t - y.t)
        .slice(-TAIL_PER_SOURCE);
      if (scans.length > 0) out.scan[a.host] = scans;
    }
    const keep = newest - this.cfg.bruteforce.remember * 1000;
    const attackers = Object.entries(this.attackers)
      .filter(([, v]) => v.last >= keep)
      .sort((x, y) => y[1].last - x[1].last)
      .slice(0, TAIL_SOURCES);
    out.attackers = Object.fromEntries(attackers);
    const dist = this.dist?.tail(newest) ?? this.distCarried;
    if (dist.length > 0) out.dist = dist;
    return out;
  }

  /** The findings and per-source summaries for everything added. */
  finish(): AttackReport {
    const findings: AttackFinding[] = [];
    const sources: SourceSummary[] = [];
    for (const a of this.by.values()) this.settleEchoes(a);
    for (const a of this.by.values()) this.settleBtmp(a);
    for (const a of this.by.values()) {
      const statuses: Status[] = [];
      const base = { first: iso(a.first), last: iso(a.last) };
      const services = topKeys(a.services, 20);
      const serviceOf = (list: string[]) => {
        const names = [...new Set(list.map(this.serviceName))];
        return names.length === 1 ? (names[0] as string) : 'host';
      };
      const known = this.attackers[a.host];

      const fail = a.fail ?? NONE;
      const carried = a.carried ?? NONE;
      const successes = a.successes ?? NONE;
      if (fail.length > 0) {
        const p = peak(
          carried.length > 0 ? [...carried, ...fail] : fail,
          this.cfg.bruteforce.findtime * 1000,
        );
        if (p.count >= this.cfg.bruteforce.maxretry) {
          let firstFail = fail.reduce((m, x) => (x < m ? x : m), Number.POSITIVE_INFINITY);
          for (const x of carried) if (x < firstFail) firstFail = x;
          if (known && known.first < firstFail) firstFail = known.first;
          const ok = successes.filter((s) => s.t >= firstFail).sort((x, y) => x.t - y.t)[0];
          const status: Status = ok ? 'CRITICAL' : 'WARNING';
          statuses.push(status);
          const users = topKeys(a.users, 20);
          const usersTotal = tallySize(a.users);
          const ownServices = services.filter(
            (s) => !s.startsWith('firewall/') && keySetHas(a.bfServices, s),
          );
          const bfServices =
            ownServices.length > 0 ? ownServices : services.filter((s) => !s.startsWith('firewall/'));
          // Mixed counts are said as such: four rejected recipients are no failed logins.
          const logins = fail.length - a.rejects;
          const what =
            a.rejects === 0
              ? `${fail.length} failed logins`
              : logins === 0
                ? `${fail.length} rejected mail transactions`
                : `${fail.length} failures (${logins} failed login${logins === 1 ? '' : 's'}, ${a.rejects} rejected mail transaction${a.rejects === 1 ? '' : 's'})`;
          const userText = usersText(users, usersTotal);
          const then = thenText(ok, this.label);
          findings.push({
            kind: 'attack-bruteforce',
            status,
            service: serviceOf(bfServices),
            summary: `${a.host}: ${what}${userText} on ${this.labels(bfServices).join(', ')}, peak ${p.count} in ${Math.round(this.cfg.bruteforce.findtime / 60)} min${then}`,
            evidence: this.evidence(a, 'bruteforce'),
            host: a.host,
            ...(users[0] !== undefined && users.length === 1 ? { user: users[0] } : {}),
            ...timingOf(fail, asIs),
            data: {
              host: a.host,
              users,
              usersTotal,
              count: fail.length,
              peak: p.count,
              findtime: this.cfg.bruteforce.findtime,
              services: this.labels(bfServices),
              succeeded: succeededOf(ok, this.label),
            },
          });
          this.attackers[a.host] = {
            first: Math.min(firstFail, known?.first ?? firstFail),
            last: Math.max(spanOf(fail, asIs).last, known?.last ?? 0),
            count: fail.length + (known?.count ?? 0),
            users: [...new Set([...users, ...(known?.users ?? [])])].slice(0, 20),
          };
        }
      } else if (known) {
        // No new failures, but a source that attacked in an earlier run logged in now.
        const ok = successes.filter((s) => s.t >= known.first).sort((x, y) => x.t - y.t)[0];
        if (ok) {
          statuses.push('CRITICAL');
          findings.push({
            kind: 'attack-bruteforce',
            status: 'CRITICAL',
            service: serviceOf([ok.service]),
            summary: `${a.host}: logged in${ok.user ? ` as ${utf8FromLatin1(ok.user)}` : ''} via ${this.label(ok.service)} after ${known.count} failed logins (last ${iso(known.last)})`,
            evidence: [],
            host: a.host,
            ...(ok.user ? { user: utf8FromLatin1(ok.user) } : {}),
            first: new Date(known.first).toISOString(),
            last: new Date(ok.t).toISOString(),
            data: {
              host: a.host,
              users: known.users,
              usersTotal: known.users.length,
              count: known.count,
              peak: 0,
              findtime: this.cfg.bruteforce.findtime,
              services: [],
              succeeded: succeededOf(ok, this.label),
            },
          });
        }
      }

      const scans = a.scans ?? NONE;
      const carriedScans = a.carriedScans ?? NONE;
      if (scans.length > 0) {
        const span = this.cfg.portscan.findtime * 1000;
        const all = carriedScans.length > 0 ? [...carriedScans, ...scans] : scans;
        const peakTargets = peakDistinct(all, span);
        const confirmedBy = a.confirmedBy ? [...a.confirmedBy] : [];
        const burst = peak(
          all.map((s) => s.t),
          span,
        ).count;
        if (
          confirmedBy.length > 0 ||
          peakTargets >= this.cfg.portscan.targets ||
          burst >= this.cfg.portscan.maxretry
        ) {
          // Packets the firewall dropped and logged are background noise on any public address: INFO.
          const blocked = a.reachedServices !== true && carriedScans.length === 0;
          const status: Status = blocked ? 'INFO' : 'WARNING';
          statuses.push(status);
          const ports = [...(a.ports ?? [])].sort((x, y) => x - y);
          const scanServices = [...new Set(scans.map((s) => s.key))]
            .filter((k) => !k.startsWith('port '))
            .slice(0, 20);
          const by = confirmedBy.length > 0 ? ` (reported by ${confirmedBy.join(', ')})` : '';
          // The total, as the list reads; the peak inside one window is what the threshold compares.
          const targets = new Set(all.map((s) => s.key)).size;
          const window = `peak ${peakTargets} in ${Math.round(this.cfg.portscan.findtime / 60)} min`;
          findings.push({
            kind: 'attack-portscan',
            status,
            service: 'host',
            summary: `${a.host}: port scan, ${scans.length} probes across ${targets} ports/services${ports.length ? ` (${ports.slice(0, 8).join(', ')}${ports.length > 8 ? ', ...' : ''})` : ''}, ${window}${by}${blocked ? '; all dropped by the firewall' : ''}`,
            evidence: this.evidence(a, 'portscan'),
            host: a.host,
            ...timingOf(scans, timeOf),
            data: {
              host: a.host,
              count: scans.length,
              ports,
              services: this.labels(scanServices),
              peakTargets,
              confirmedBy,
            },
          });
        }
      }

      const probes = a.probes;
      if (probes !== undefined && probes.count >= this.cfg.webprobe.minProbes && probes.count > 0) {
        const { notFound, withStatus } = probes;
        const answered = (probes.answered ?? NONE).map((p) => ({
          path: utf8FromLatin1(p.path),
          status: p.status,
        }));
        const paths = topKeys(probes.paths, 20);
        const status: Status =
          answered.length > 0
            ? 'CRITICAL'
            : probes.count >= this.cfg.webprobe.warnProbes
              ? 'WARNING'
              : 'INFO';
        statuses.push(status);
        const webServices = services.filter((s) => /^(?:web|apache|nginx|proxy)$/.test(s));
        findings.push({
          kind: 'attack-webprobe',
          status,
          service: serviceOf(webServices),
          summary: `${a.host}: ${probes.count} web probe${probes.count === 1 ? '' : 's'} (${paths.slice(0, 4).join(', ')}${paths.length > 4 ? ', ...' : ''})${
            answered.length > 0
              ? `; ${answered.length} answered 2xx: possible successful probe (${answered[0]?.path} ${answered[0]?.status})`
              : ''
          }`,
          evidence: this.evidence(a, 'webprobe'),
          host: a.host,
          ...timingOf([probes.first, probes.last], asIs),
          data: {
            host: a.host,
            probes: probes.count,
            notFound,
            ratio404: withStatus === 0 ? null : notFound / withStatus,
            paths,
            answered,
          },
        });
      }

      const passwd = a.passwd ?? NONE;
      if (passwd.length > 0) {
        const answered = passwd.some((p) => p.answered);
        const status: Status = answered ? 'CRITICAL' : 'WARNING';
        statuses.push(status);
        const pwServices = [...new Set(passwd.map((p) => p.service))];
        const paths = [...new Set(passwd.map((p) => utf8FromLatin1(p.path)))].slice(0, 20);
        findings.push({
          kind: 'attack-passwd',
          status,
          service: serviceOf(pwServices),
          summary: `${a.host}: ${passwd.length} attempt${passwd.length === 1 ? '' : 's'} to read the password file via ${this.labels(pwServices).join(', ')}${answered ? '; the server answered with it' : ''}`,
          evidence: this.evidence(a, 'passwd'),
          host: a.host,
          ...timingOf(passwd, timeOf),
          data: {
            host: a.host,
            attempts: passwd.length,
            services: this.labels(pwServices),
            paths,
            answered,
          },
        });
      }

      if (statuses.length === 0 && a.last === 0 && fail.length === 0 && scans.length === 0) continue; // successes only
      sources.push({
        host: a.host,
        status: worst(statuses),
        failures: fail.length - a.rejects,
        rejects: a.rejects,
        successes: successes.length,
        scans: scans.length,
        probes: a.probes?.count ?? 0,
        passwd: passwd.length,
        users: topKeys(a.users, 20),
        services: this.labels(services),
        first: base.first,
        last: base.last,
      });
    }
    const total = (s: SourceSummary) => s.failures + s.rejects + s.scans + s.probes + s.passwd;
    sources.sort(
      (x, y) => rank(y.status) - rank(x.status) || total(y) - total(x) || (x.host < y.host ? -1 : 1),
    );
    this.networkFindings(findings);
    this.distributedFinding(findings);
    for (const [service, r] of this.relays) findings.push(this.openProxyFinding(service, r));
    findings.sort((x, y) => rank(y.status) - rank(x.status) || (x.host ?? '').localeCompare(y.host ?? ''));
    return { sources, findings };
  }
}
