import type { FindingBase } from '../core/report.ts';

/**
 * Finding kinds of the attack detectors. Until the lead merges them into src/core/findings.ts
 * (`interface FindingDataMap extends AttackFindings`), `AttackFinding` is the same shape as core's
 * `Finding` restricted to these kinds.
 */
export interface AttackFindings {
  /** Dictionary attack / brute force from one source. */
  'attack-bruteforce': {
    host: string;
    /** Users tried, most tried first (at most 20), and how many distinct users in all. */
    users: string[];
    usersTotal: number;
    /** Failures (guesses, rejects) counted from this source. */
    count: number;
    /** Most failures inside one `findtime` window, and that window in seconds. */
    peak: number;
    findtime: number;
    services: string[];
    /** A login from this source that succeeded after its first failure (then the finding is CRITICAL). */
    succeeded: { user: string | null; time: string | null; service: string } | null;
    /** fail2ban's ban that ended its failures (then the finding is INFO; src/attacks/fail2ban.ts). */
    banned?: { jail: string; time: string };
  };
  /** Port scan: refused/dropped connections across ports or services, or a scan detector's alert. */
  'attack-portscan': {
    host: string;
    count: number;
    /** Distinct ports (numbers) seen, at most 50. */
    ports: number[];
    services: string[];
    /** Most distinct ports/services inside one `findtime` window. */
    peakTargets: number;
    /** Scan detectors that reported the source themselves (portsentry, scanlogd). */
    confirmedBy: string[];
  };
  /** Web probes: requests for known probe paths from one source. */
  'attack-webprobe': {
    host: string;
    probes: number;
    /** Probes answered 404, and their share of the probes with a known status. */
    notFound: number;
    ratio404: number | null;
    /** Paths probed, most frequent first (at most 20). */
    paths: string[];
    /** Probes answered 2xx: possible successful probes (CRITICAL). */
    answered: { path: string; status: number }[];
  };
  /** Attempts to read the password file through any service. */
  'attack-passwd': {
    host: string;
    attempts: number;
    services: string[];
    paths: string[];
    /** Whether a server answered with the file (2xx, completed FTP transfer): CRITICAL. */
    answered: boolean;
  };
  /**
   * A distributed brute force (a botnet): failed logins from many sources, each under `maxretry` (no
   * `attack-bruteforce` finding of its own; an IPv6 /64 is one source), `distributed.perHour` of them from
   * `distributed.sources` sources within `distributed.window`. One per run, no `host`; CRITICAL when one of
   * its sources then logged in.
   */
  'attack-distributed': {
    /** Failures of the campaign (from its first window over the thresholds to its last), and its sources. */
    count: number;
    /** Distinct sources, counted one by one up to 1,000 per 5-minute bucket (`sourcesCapped` past that). */
    sources: number;
    sourcesCapped: boolean;
    /** The busiest window's failures and distinct sources, and the window in seconds. */
    peak: number;
    peakSources: number;
    window: number;
    services: string[];
    /** The users tried most (at most 10) with their failures, and how many distinct users in all. */
    users: { user: string; count: number }[];
    usersTotal: number;
    /** The sources with the most failures (at most 5). */
    top: { host: string; count: number }[];
    /** A login from one of the sources after its first failure in the campaign (then CRITICAL). */
    succeeded: { host: string; user: string | null; time: string | null; service: string } | null;
  };
  /**
   * An open proxy: a proxy (or a web server's CONNECT) relayed requests for clients that are not local and
   * not in `checks.attacks.openproxy.allow`. One per proxy service, CRITICAL.
   */
  'attack-openproxy': {
    /** The proxy service as lists name it (`squid`, `delegate`, `httpd`). */
    service: string;
    /** Requests relayed for outside clients. */
    requests: number;
    /** Distinct outside clients (counted one by one up to 20,000; `clientsCapped` when more came). */
    clients: number;
    clientsCapped: boolean;
    /** The clients with the most relayed requests (at most 20). */
    top: { host: string; requests: number }[];
  };
}

/** An attack finding kind. */
export type AttackFindingKind = keyof AttackFindings;

/** An attack finding: core's finding shape for these kinds. */
export type AttackFinding = {
  [K in AttackFindingKind]: FindingBase & { kind: K; data: AttackFindings[K] };
}[AttackFindingKind];

/** How much of an attack each kind of finding stands for (a compile error for a kind without one). */
const WEIGHT: { [K in AttackFindingKind]: (d: AttackFindings[K]) => number } = {
  'attack-bruteforce': (d) => d.count,
  'attack-portscan': (d) => d.count,
  'attack-webprobe': (d) => d.probes,
  'attack-passwd': (d) => d.attempts,
  'attack-distributed': (d) => d.count,
  'attack-openproxy': (d) => d.requests,
};

/** The size of the attack a finding reports: failures, probes, attempts (to list the biggest first). */
export function attackWeight(f: AttackFinding): number {
  return (WEIGHT[f.kind] as (d: AttackFinding['data']) => number)(f.data);
}
