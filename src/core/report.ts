import type { FindingDataMap } from './findings.ts';
import type { Status } from './status.ts';

/** Version of the JSON report schema (docs/report.schema.json); bump on any incompatible change. */
export const REPORT_VERSION = 1;

/** One piece of evidence: a log line, a wtmp record, an exchange with a server. Text is untrusted. */
export interface Evidence {
  /** Where it came from, as the host sees it (`/var/log/syslog`, `wtmp`, `smtp://localhost:25`). */
  source: string;
  /** 1-based line (or record) number in the source, when it has one. */
  line?: number;
  /** ISO time of the event, when known. */
  time?: string;
  /** The raw text (decoded for display; renderers neutralise it for their medium). */
  text: string;
}

/** Every finding kind; declared in findings.ts so that renderers are exhaustive over it. */
export type FindingKind = keyof FindingDataMap;

/** Fields every finding has, whatever its kind. */
export interface FindingBase {
  status: Status;
  /** Service (profile name) the finding is about, or `host` for the machine as a whole. */
  service: string;
  /** One line, plain text, no trailing period. */
  summary: string;
  evidence: Evidence[];
  /** ISO time of the first and last event behind the finding. */
  first?: string;
  last?: string;
  /** Remote host and user involved, when known (exactly as the source wrote them). */
  host?: string;
  user?: string;
}

/** A finding: a discriminated union on `kind`, with kind-specific `data`. */
export type Finding = { [K in FindingKind]: FindingBase & { kind: K; data: FindingDataMap[K] } }[FindingKind];

/** A finding of one kind. */
export type FindingOf<K extends FindingKind> = Extract<Finding, { kind: K }>;

/** Findings a result counted but did not list (src/core/cap.ts): how many, and how many of each status. */
export interface Omitted {
  count: number;
  statuses: Partial<Record<Status, number>>;
}

/** What one check kind found about one service. */
export interface CheckResult {
  service: string;
  /** The worst status of all its findings, listed or not. */
  status: Status;
  summary: string;
  findings: Finding[];
  /** Present when more findings were made than a report lists: the most serious are in `findings`. */
  omitted?: Omitted;
}

/** One check kind's part of a report. */
export interface CheckReport {
  kind: string;
  status: Status;
  summary: string;
  durationMs: number;
  results: CheckResult[];
}

/** A service profile that was applied, and why. */
export interface ProfileUse {
  service: string;
  profile: string | null;
  /** How it was detected (`binary /usr/sbin/sshd`, `process sshd`, `config`), empty when forced. */
  reasons: string[];
}

/**
 * How a text view writes one of the report's ISO times (in the host's zone): given to the detail renderers so a
 * finding's own times read like its summary's and the host's logs.
 */
export type TimeText = (iso: string) => string;

/** The whole inspection: plain data, the only thing renderers read. */
export interface Report {
  version: typeof REPORT_VERSION;
  tool: { name: 'tenken'; version: string };
  host: string;
  /** The --root directory when not inspecting `/`, else null. */
  root: string | null;
  /** When the inspection ran (ISO, UTC: every time in the report is UTC). */
  time: string;
  /**
   * The inspected host's time zone (an IANA name such as `Asia/Tokyo`, or `UTC`): the zone its year-less log
   * stamps were read in, and the one the text report shows times in, as the admin reads the host's logs.
   */
  timeZone: string;
  durationMs: number;
  status: Status;
  summary: string;
  services: ProfileUse[];
  checks: CheckReport[];
}
