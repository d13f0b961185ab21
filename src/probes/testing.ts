import { runProbe } from './run.ts';
import { probeSpec } from './spec.ts';
import type { ProbeResult } from './types.ts';

/** Test helper: validates a spec as the config would, then runs it against the live host. */
export function probe(
  spec: Record<string, unknown>,
  opts: { now?: () => Date; signal?: AbortSignal } = {},
): Promise<ProbeResult> {
  return runProbe(probeSpec.parse(spec), {
    root: '/',
    defaults: { certWarnDays: 21, certCritDays: 7 },
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/** The transcript as `> sent`, `< received`, `* note` lines, for assertions and failure output. */
export function lines(r: ProbeResult): string[] {
  return r.transcript.map((e) => `${e.dir === 'sent' ? '>' : e.dir === 'received' ? '<' : '*'} ${e.text}`);
}
