import type { CheckContext, CheckKind, CheckOutcome } from '../checks/types.ts';
import type { ServicePlan } from '../config/plan.ts';
import type { CheckResult, Finding, FindingBase } from '../core/report.ts';
import { worst } from '../core/status.ts';
import { isLoopback } from './conn.ts';
import type { ProbeFindingData } from './findings.ts';
import { runProbe } from './run.ts';
import { redactUrl } from './spec.ts';
import type { ProbeSpec } from './spec.ts';
import type { ProbeResult } from './types.ts';
import { transcriptRaw } from './view.ts';

/** The host a probe talks to (for `kind: proxy`, the proxy itself). */
function probeHost(spec: ProbeSpec): string {
  try {
    return new URL(spec.url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return '';
  }
}

/** A `probe` finding, typed from this folder's findings.ts. */
export type ProbeFinding = FindingBase & { kind: 'probe'; data: ProbeFindingData };

/**
 * Whether a probe may run: always on the live host; under `--root` (another machine's tree) only when it
 * targets another host, or the config asks to probe this machine anyway.
 */
export function probeAllowed(spec: ProbeSpec, live: boolean, localUnderRoot: boolean): boolean {
  return live || localUnderRoot || !isLoopback(probeHost(spec));
}

/** A probe's result as a finding: its exchange becomes the evidence. */
export function probeFinding(service: string, r: ProbeResult): Finding {
  const f: ProbeFinding = {
    kind: 'probe',
    status: r.status,
    service,
    summary: `${r.url}: ${r.summary}`,
    evidence: r.transcript.map((e) => ({ source: r.url, text: transcriptRaw(e) })),
    data: {
      probe: r.kind,
      url: r.url,
      result: r.status,
      failure: r.failure,
      timings: r.timings,
      details: r.details,
    },
  };
  return f;
}

/** Runs `tasks` with at most `limit` at a time, keeping their order in the results. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/**
 * The `probes` check: each service's probes (its profile's defaults for a detected service, or the
 * config's), run as a client would, several at a time, each within its own deadline. Under `--root` the
 * inspected tree is not this machine, so probes of localhost are reported as not checked (INFO) unless
 * `checks.probes.localUnderRoot` asks for them; probes of other hosts run.
 */
export const probesCheck: CheckKind = {
  description:
    'Services used as a client would: web pages, mail round trips, POP3/IMAP, FTP, proxy, SMB, DNS, TCP',
  async run(ctx: CheckContext): Promise<CheckOutcome> {
    const cfg = ctx.config.checks.probes;
    const defaults = { certWarnDays: cfg.certWarnDays, certCritDays: cfg.certCritDays };
    const perService = new Map<string, { finding?: Finding }[]>();
    const tasks: (() => Promise<void>)[] = [];
    const services: ServicePlan[] = ctx.plan.services.filter((s) => s.probes.length > 0);
    for (const svc of services) {
      // One slot per probe, so results keep the config's order whatever order the probes finish in.
      const slots: { finding?: Finding }[] = [];
      perService.set(svc.name, slots);
      for (const spec of svc.probes) {
        if (svc.dormant !== undefined) {
          slots.push({
            finding: {
              kind: 'not-checked',
              status: 'INFO',
              service: svc.name,
              summary: `${redactUrl(spec.url)} not probed: the service is ${svc.dormant}`,
              evidence: [],
              data: {
                what: 'probe',
                reason: `${svc.dormant} (set services.${svc.name}.enabled: true to expect it anyway)`,
              },
            },
          });
          continue;
        }
        if (!probeAllowed(spec, ctx.host.live, cfg.localUnderRoot)) {
          slots.push({
            finding: {
              kind: 'not-checked',
              status: 'INFO',
              service: svc.name,
              summary: `${redactUrl(spec.url)} not probed: it is this machine, not the tree under --root`,
              evidence: [],
              data: {
                what: 'probe',
                reason: 'localhost under --root (set checks.probes.localUnderRoot to probe it)',
              },
            },
          });
          continue;
        }
        const slot: { finding?: Finding } = {};
        slots.push(slot);
        tasks.push(async () => {
          const r = await runProbe(spec, { root: ctx.host.root, signal: ctx.signal, defaults });
          slot.finding = probeFinding(svc.name, r);
        });
      }
    }
    await pool(tasks, cfg.concurrency);
    const results: CheckResult[] = [];
    for (const svc of services) {
      const findings = (perService.get(svc.name) ?? []).flatMap((s) => (s.finding ? [s.finding] : []));
      const status = worst(findings.map((f) => f.status));
      const probes = findings.filter((f) => f.kind !== 'not-checked');
      const lead = findings.find((f) => f.status === status) ?? findings[0];
      const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : '';
      results.push({
        service: svc.name,
        status,
        summary:
          probes.length === 0
            ? svc.dormant !== undefined
              ? `not probed: ${svc.dormant}`
              : 'not probed under --root'
            : `${lead?.summary ?? ''}${more}`,
        findings,
      });
    }
    return { results };
  },
};
