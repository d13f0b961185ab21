import type { Evidence } from '../core/report.ts';
import { type Status, rank, worst } from '../core/status.ts';
import type { LocatedEvent } from './account.ts';
import type { AttacksConfig } from './config.ts';
import type { AttackFinding } from './findings.ts';
import type { AttackEvent, Detector } from './types.ts';
import { peak, peakDistinct } from './window.ts';

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
  time: Date;
  service: string;
}

/** An event with its place: the located event plus the source (host path) it came from. */
export type SourcedEvent = LocatedEvent & { source: string };

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

interface Agg {
  host: string;
  fail: number[];
  rejects: number;
  users: Map<string, number>;
  services: Map<string, number>;
  successes: { t: number; user: string | null; service: string }[];
  scans: { t: number; key: string }[];
  ports: Set<number>;
  confirmedBy: Set<string>;
  probes: { path: string; status: number | undefined }[];
  passwd: { path: string; service: string; answered: boolean }[];
  first: number;
  last: number;
  evidence: Map<Detector, Evidence[]>;
  lastEvidence: Map<Detector, Evidence>;
}

function topKeys(m: Map<string, number>, n: number): string[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([k]) => k);
}

function iso(t: number): string | null {
  return Number.isFinite(t) && t > 0 ? new Date(t).toISOString() : null;
}

const MAX_WEIGHT = 1000;

/** Groups events by source and turns them into findings. */
export class AttackDetectors {
  private readonly by = new Map<string, Agg>();
  private readonly ignore: Set<string>;
  private lastTime = 0;

  constructor(private readonly cfg: AttacksConfig) {
    this.ignore = new Set(cfg.ignore);
  }

  private agg(host: string): Agg {
    let a = this.by.get(host);
    if (!a) {
      a = {
        host,
        fail: [],
        rejects: 0,
        users: new Map(),
        services: new Map(),
        successes: [],
        scans: [],
        ports: new Set(),
        confirmedBy: new Set(),
        probes: [],
        passwd: [],
        first: Number.POSITIVE_INFINITY,
        last: 0,
        evidence: new Map(),
        lastEvidence: new Map(),
      };
      this.by.set(host, a);
    }
    return a;
  }

  /** Counts one event. */
  add(se: SourcedEvent): void {
    const e: AttackEvent = se.event;
    if (this.ignore.has(e.host)) return;
    const t = e.time ? e.time.getTime() : this.lastTime;
    if (e.time) this.lastTime = Math.max(this.lastTime, t);
    const a = this.agg(e.host);
    if (e.kind === 'success') {
      a.successes.push({ t, user: e.user ?? null, service: e.service });
      if (e.attempts === 0) return;
    }
    a.first = Math.min(a.first, t);
    a.last = Math.max(a.last, t);
    a.services.set(e.service, (a.services.get(e.service) ?? 0) + 1);
    const ev: Evidence = { source: se.source, line: se.line, text: se.text };
    if (e.time) ev.time = e.time.toISOString();
    const samples = a.evidence.get(e.detector) ?? [];
    if (samples.length < this.cfg.evidence) samples.push(ev);
    else a.lastEvidence.set(e.detector, ev);
    a.evidence.set(e.detector, samples);
    switch (e.detector) {
      case 'bruteforce': {
        const n = Math.min(Math.max(e.attempts, 1), MAX_WEIGHT);
        for (let i = 0; i < n; i++) a.fail.push(t);
        if (e.kind === 'reject') a.rejects += n;
        if (e.user !== undefined) a.users.set(e.user, (a.users.get(e.user) ?? 0) + n);
        break;
      }
      case 'portscan': {
        const targets = e.ports ?? (e.port !== undefined ? [e.port] : []);
        if (targets.length === 0) a.scans.push({ t, key: e.service });
        for (const p of targets) {
          a.scans.push({ t, key: `port ${p}` });
          if (a.ports.size < 50) a.ports.add(p);
        }
        if (e.kind === 'scan') a.confirmedBy.add(e.service);
        break;
      }
      case 'webprobe':
        a.probes.push({ path: e.path ?? '', status: e.status });
        break;
      case 'passwd':
        // A password-file request over HTTP is also a web probe (the runbook's `/phf` exploit read it).
        if (e.path !== undefined && /^(?:web|apache|nginx)$/.test(e.service))
          a.probes.push({ path: e.path, status: e.status });
        a.passwd.push({
          path: e.path ?? '',
          service: e.service,
          answered: e.answered === true || (e.status !== undefined && e.status >= 200 && e.status < 300),
        });
        break;
    }
  }

  /** Records a successful login from another record source (wtmp). */
  addLogin(r: LoginRecord): void {
    if (this.ignore.has(r.host)) return;
    this.agg(r.host).successes.push({ t: r.time.getTime(), user: r.user, service: r.service });
  }

  private evidence(a: Agg, d: Detector): Evidence[] {
    const s = [...(a.evidence.get(d) ?? [])];
    const last = a.lastEvidence.get(d);
    if (last) s.push(last);
    return s;
  }

  /** The findings and per-source summaries for everything added. */
  finish(): AttackReport {
    const findings: AttackFinding[] = [];
    const sources: SourceSummary[] = [];
    for (const a of this.by.values()) {
      const statuses: Status[] = [];
      const base = { first: iso(a.first), last: iso(a.last) };
      const timing = {
        ...(base.first ? { first: base.first } : {}),
        ...(base.last ? { last: base.last } : {}),
      };
      const services = topKeys(a.services, 20);
      const serviceOf = (list: string[]) => (list.length === 1 ? (list[0] as string) : 'host');

      if (a.fail.length > 0) {
        const p = peak(a.fail, this.cfg.bruteforce.findtime * 1000);
        if (p.count >= this.cfg.bruteforce.maxretry) {
          const firstFail = a.fail.reduce((m, x) => (x < m ? x : m), Number.POSITIVE_INFINITY);
          const ok = a.successes.filter((s) => s.t >= firstFail).sort((x, y) => x.t - y.t)[0];
          const status: Status = ok ? 'CRITICAL' : 'WARNING';
          statuses.push(status);
          const users = topKeys(a.users, 20);
          const bfServices = services.filter((s) => !s.startsWith('firewall/'));
          const what = a.rejects === a.fail.length ? 'rejected mail transactions' : 'failed logins';
          const userText =
            users.length === 0
              ? ''
              : ` (users ${users.slice(0, 5).join(', ')}${a.users.size > 5 ? `, +${a.users.size - 5}` : ''})`;
          const then = ok ? `; then logged in${ok.user ? ` as ${ok.user}` : ''} via ${ok.service}` : '';
          findings.push({
            kind: 'attack-bruteforce',
            status,
            service: serviceOf(bfServices),
            summary: `${a.host}: ${a.fail.length} ${what}${userText} on ${bfServices.join(', ')}, peak ${p.count} in ${Math.round(this.cfg.bruteforce.findtime / 60)} min${then}`,
            evidence: this.evidence(a, 'bruteforce'),
            host: a.host,
            ...(users[0] !== undefined && users.length === 1 ? { user: users[0] } : {}),
            ...timing,
            data: {
              host: a.host,
              users,
              usersTotal: a.users.size,
              count: a.fail.length,
              peak: p.count,
              findtime: this.cfg.bruteforce.findtime,
              services: bfServices,
              succeeded: ok ? { user: ok.user, time: iso(ok.t), service: ok.service } : null,
            },
          });
        }
      }

      if (a.scans.length > 0) {
        const span = this.cfg.portscan.findtime * 1000;
        const peakTargets = peakDistinct(a.scans, span);
        const burst = peak(
          a.scans.map((s) => s.t),
          span,
        ).count;
        if (
          a.confirmedBy.size > 0 ||
          peakTargets >= this.cfg.portscan.targets ||
          burst >= this.cfg.portscan.maxretry
        ) {
          statuses.push('WARNING');
          const ports = [...a.ports].sort((x, y) => x - y);
          const scanServices = [...new Set(a.scans.map((s) => s.key))]
            .filter((k) => !k.startsWith('port '))
            .slice(0, 20);
          const by = a.confirmedBy.size > 0 ? ` (reported by ${[...a.confirmedBy].join(', ')})` : '';
          findings.push({
            kind: 'attack-portscan',
            status: 'WARNING',
            service: 'host',
            summary: `${a.host}: port scan, ${a.scans.length} probes across ${peakTargets} ports/services${ports.length ? ` (${ports.slice(0, 8).join(', ')}${ports.length > 8 ? ', ...' : ''})` : ''}${by}`,
            evidence: this.evidence(a, 'portscan'),
            host: a.host,
            ...timing,
            data: {
              host: a.host,
              count: a.scans.length,
              ports,
              services: scanServices,
              peakTargets,
              confirmedBy: [...a.confirmedBy],
            },
          });
        }
      }

      if (a.probes.length >= this.cfg.webprobe.minProbes && a.probes.length > 0) {
        const withStatus = a.probes.filter((p) => p.status !== undefined);
        const notFound = withStatus.filter((p) => p.status === 404).length;
        const answered = a.probes
          .filter(
            (p): p is { path: string; status: number } =>
              p.status !== undefined && p.status >= 200 && p.status < 300,
          )
          .slice(0, 20);
        const pathCount = new Map<string, number>();
        for (const p of a.probes) pathCount.set(p.path, (pathCount.get(p.path) ?? 0) + 1);
        const paths = topKeys(pathCount, 20);
        const status: Status = answered.length > 0 ? 'CRITICAL' : 'WARNING';
        statuses.push(status);
        const webServices = services.filter((s) => a.probes.length > 0 && /^(?:web|apache|nginx)$/.test(s));
        findings.push({
          kind: 'attack-webprobe',
          status,
          service: serviceOf(webServices),
          summary: `${a.host}: ${a.probes.length} web probes (${paths.slice(0, 4).join(', ')}${paths.length > 4 ? ', ...' : ''})${
            answered.length > 0
              ? `; ${answered.length} answered 2xx: possible successful probe (${answered[0]?.path} ${answered[0]?.status})`
              : ''
          }`,
          evidence: this.evidence(a, 'webprobe'),
          host: a.host,
          ...timing,
          data: {
            host: a.host,
            probes: a.probes.length,
            notFound,
            ratio404: withStatus.length === 0 ? null : notFound / withStatus.length,
            paths,
            answered,
          },
        });
      }

      if (a.passwd.length > 0) {
        const answered = a.passwd.some((p) => p.answered);
        const status: Status = answered ? 'CRITICAL' : 'WARNING';
        statuses.push(status);
        const pwServices = [...new Set(a.passwd.map((p) => p.service))];
        const paths = [...new Set(a.passwd.map((p) => p.path))].slice(0, 20);
        findings.push({
          kind: 'attack-passwd',
          status,
          service: serviceOf(pwServices),
          summary: `${a.host}: ${a.passwd.length} attempts to read the password file via ${pwServices.join(', ')}${answered ? '; the server answered with it' : ''}`,
          evidence: this.evidence(a, 'passwd'),
          host: a.host,
          ...timing,
          data: { host: a.host, attempts: a.passwd.length, services: pwServices, paths, answered },
        });
      }

      if (a.last === 0 && a.fail.length === 0 && a.scans.length === 0) continue; // successes only
      sources.push({
        host: a.host,
        status: worst(statuses),
        failures: a.fail.length - a.rejects,
        rejects: a.rejects,
        successes: a.successes.length,
        scans: a.scans.length,
        probes: a.probes.length,
        passwd: a.passwd.length,
        users: topKeys(a.users, 20),
        services,
        first: base.first,
        last: base.last,
      });
    }
    const total = (s: SourceSummary) => s.failures + s.rejects + s.scans + s.probes + s.passwd;
    sources.sort(
      (x, y) => rank(y.status) - rank(x.status) || total(y) - total(x) || (x.host < y.host ? -1 : 1),
    );
    findings.sort((x, y) => rank(y.status) - rank(x.status) || (x.host ?? '').localeCompare(y.host ?? ''));
    return { sources, findings };
  }
}
