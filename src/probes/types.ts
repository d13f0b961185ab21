import type { ProbeSpec } from './spec.ts';
import type { Transcript } from './transcript.ts';

/**
 * Why a probe failed, as a client would put it. One class per failure, chosen where the failure happened
 * (the connect, the TLS handshake, the server's reply), so a report can say "refused" rather than "error".
 */
export const FAILURE_CLASSES = [
  'refused',
  'timeout',
  'dns',
  'tls',
  'bad-status',
  'bad-content',
  'protocol',
] as const;

/** A failure class: refused | timeout | dns | tls | bad-status | bad-content | protocol. */
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** Statuses a probe can end with (a probe that ran always knows; UNKNOWN is for checks that could not run). */
export type ProbeStatus = 'OK' | 'WARNING' | 'CRITICAL';

/** JSON-safe values for kind-specific details (HTTP status, SMB dialect, certificate days left...). */
export type DetailValue = string | number | boolean | null | string[];

/** One line of the exchange with the server; `text` is what the server (or tenken) sent: untrusted. */
export interface TranscriptEntry {
  /** Milliseconds since the probe started. */
  at: number;
  /** `sent` by tenken, `received` from the server, or a `note` (connected, TLS up, skipped lines). */
  dir: 'sent' | 'received' | 'note';
  text: string;
}

/** What one probe saw: the data behind a `probe` finding. */
export interface ProbeResult {
  /** Probe kind after resolving aliases (`https` → `http`, `imaps` → `imap`). */
  kind: string;
  /** The probed URL with any password removed. */
  url: string;
  status: ProbeStatus;
  /** One line: what was seen, or what failed and why. */
  summary: string;
  /** Failure class of the worst problem, null when the probe succeeded (possibly with warnings). */
  failure: FailureClass | null;
  /** Milliseconds per step (`connect`, `tls`, `banner`, `firstByte`, `delivery`, ...) and `total`. */
  timings: Record<string, number>;
  /** The exchange, clipped (first and last lines kept); untrusted text. */
  transcript: TranscriptEntry[];
  /** Kind-specific facts: `httpStatus`, `banner`, `dialect`, `certDaysLeft`, ... */
  details: Record<string, DetailValue>;
}

/** A problem a probe noticed without failing outright (certificate expiring soon, slow answer). */
export interface ProbeIssue {
  status: 'WARNING' | 'CRITICAL';
  failure: FailureClass | null;
  text: string;
}

/** What a probe kind returns when the exchange completed: a one-line summary (issues go to `p.issue`). */
export interface ProbeVerdict {
  summary: string;
}

/** Thresholds and switches that come from `checks.probes` rather than the single probe. */
export interface ProbeDefaults {
  certWarnDays: number;
  certCritDays: number;
}

/** Everything a probe kind gets for one run. */
export interface ProbeRun {
  url: URL;
  spec: ProbeSpec;
  /** Aborts at the probe's deadline (or when the whole run is aborted). */
  signal: AbortSignal;
  /** Deadline in `performance.now()` milliseconds. */
  deadline: number;
  /** Seconds allowed, for messages. */
  timeoutSeconds: number;
  transcript: Transcript;
  /** Step timings; `mark(step)` records the time since the probe started. */
  timings: Record<string, number>;
  mark(step: string): void;
  /** Kind-specific facts, filled as the exchange goes, so a later failure keeps what was learnt. */
  details: Record<string, DetailValue>;
  /** Notes a problem that does not stop the exchange (certificate expiring, signing not required). */
  issue(status: ProbeIssue['status'], failure: FailureClass | null, text: string): void;
  /** Directory standing for `/` of the inspected host (maildir and mbox paths live under it). */
  root: string;
  /** Wall-clock time used for certificate expiry. */
  now(): Date;
  defaults: ProbeDefaults;
}

/** One kind of probe; registered in registry.ts under the URL schemes it speaks. */
export interface ProbeKind {
  /** Kind name shown in results (`http` for both http:// and https://). */
  name: string;
  /** One line for `tenken probe --help` and docs. */
  description: string;
  /** Default TCP (or UDP for dns) port for a scheme this kind handles. */
  defaultPort(scheme: string): number;
  /** Runs the exchange; throws ProbeFailure (or any network error, classified by the runner) on failure. */
  run(p: ProbeRun): Promise<ProbeVerdict>;
}

/** A classified probe failure: thrown by probe kinds, turned into a CRITICAL result by the runner. */
export class ProbeFailure extends Error {
  override readonly name = 'ProbeFailure';
  readonly failure: FailureClass;
  constructor(failure: FailureClass, message: string) {
    super(message);
    this.failure = failure;
  }
}
