import { performance } from 'node:perf_hooks';
import { classify } from './classify.ts';
import { probes } from './registry.ts';
import { type ProbeKey, type ProbeSpec, redactUrl } from './spec.ts';
import { Transcript } from './transcript.ts';
import {
  type DetailValue,
  type ProbeDefaults,
  ProbeFailure,
  type ProbeIssue,
  type ProbeResult,
  type ProbeRun,
  type ProbeStatus,
} from './types.ts';

/** What the caller of a probe supplies besides the spec. */
export interface RunProbeOptions {
  /** Directory standing for `/` of the inspected host (maildir and CA paths are host paths). */
  root: string;
  /** Wall clock for certificate expiry (the run's `host.now` is fine). */
  now?: () => Date;
  /** Aborted when the whole run must stop. */
  signal?: AbortSignal;
  defaults: ProbeDefaults;
}

/** The registry entry a spec selects: its `kind`, else its URL scheme. */
export function probeKey(spec: Pick<ProbeSpec, 'url' | 'kind'>): ProbeKey | null {
  let scheme: string;
  try {
    scheme = new URL(spec.url).protocol.replace(/:$/, '');
  } catch {
    return null;
  }
  const key = spec.kind ?? scheme;
  return Object.hasOwn(probes, key) ? (key as ProbeKey) : null;
}

/**
 * How long after its deadline a probe's own timeout handling may still report and clean up before it is cut
 * off: longer than the share listing's wait for a killed smbclient to be gone (2 s), so that no probe that
 * watches its deadline leaves a process behind or loses its own message.
 */
const DEADLINE_GRACE_MS = 2500;

const round = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * Runs one probe to completion within its deadline and returns what it saw. Never throws for a service
 * failure: refusals, timeouts and bad answers become a CRITICAL result with their failure class.
 */
export async function runProbe(spec: ProbeSpec, opts: RunProbeOptions): Promise<ProbeResult> {
  const key = probeKey(spec);
  const shown = redactUrl(spec.url);
  if (key === null) throw new Error(`probe spec ${shown} was not validated`);
  const kind = probes[key];
  const start = performance.now();
  const clock = (): number => performance.now() - start;
  const signals = [AbortSignal.timeout(spec.timeout * 1000)];
  if (opts.signal) signals.push(opts.signal);
  const signal = AbortSignal.any(signals);
  const timings: Record<string, number> = {};
  const details: Record<string, DetailValue> = {};
  const issues: ProbeIssue[] = [];
  const transcript = new Transcript(clock);
  const run: ProbeRun = {
    url: new URL(spec.url),
    spec,
    signal,
    deadline: start + spec.timeout * 1000,
    timeoutSeconds: spec.timeout,
    transcript,
    timings,
    mark: (step) => {
      timings[step] = round(clock());
    },
    details,
    issue: (status, failure, text) => {
      // The same problem seen twice (a round trip polling a mailbox over STARTTLS) is reported once.
      if (!issues.some((i) => i.text === text)) issues.push({ status, failure, text });
    },
    root: opts.root,
    now: opts.now ?? (() => new Date()),
    defaults: opts.defaults,
  };

  let summary: string;
  let status: ProbeStatus = 'OK';
  let failure: ProbeResult['failure'] = null;
  try {
    // The deadline holds whatever a kind's library does: a promise that outlives the signal (undici's proxy
    // CONNECT waited its own 300 s) is abandoned shortly after the signal fires. The grace lets a kind that
    // watches the signal itself say what it was waiting for ("no banner within 5 s").
    let timer: NodeJS.Timeout | undefined;
    let onAbort = (): void => {};
    const deadline = new Promise<never>((_, reject) => {
      onAbort = () => {
        timer = setTimeout(
          () => reject(new ProbeFailure('timeout', `no answer within ${spec.timeout} s`)),
          DEADLINE_GRACE_MS,
        );
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      summary = (await Promise.race([kind.run(run), deadline])).summary;
    } finally {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(timer);
    }
  } catch (err) {
    const c = classify(err, { aborted: signal.aborted, timeoutSeconds: spec.timeout });
    transcript.note(`failed: ${c.reason}`);
    issues.unshift({ status: 'CRITICAL', failure: c.failure, text: c.reason });
    summary = '';
  }
  timings.total = round(clock());
  if (spec.warnAfter !== undefined && timings.total > spec.warnAfter * 1000 && issues.length === 0) {
    issues.push({
      status: 'WARNING',
      failure: null,
      text: `slow: ${(timings.total / 1000).toFixed(2)} s (warn after ${spec.warnAfter} s)`,
    });
  }
  const critical = issues.filter((i) => i.status === 'CRITICAL');
  const worstIssues = critical.length > 0 ? critical : issues;
  if (worstIssues.length > 0) {
    status = critical.length > 0 ? 'CRITICAL' : 'WARNING';
    failure = worstIssues.find((i) => i.failure !== null)?.failure ?? null;
  }
  const parts = [...issues.map((i) => i.text), summary].filter((s) => s !== '');
  return {
    kind: kind.name,
    url: shown,
    status,
    summary: parts.join('; '),
    failure,
    timings,
    transcript: transcript.entries(),
    details,
  };
}
