/**
 * Text views of probe results for `tenken probe` and the report: pure (data in, lines out); every string
 * from a server goes through terminalSafe.
 */
import type { FindingBase } from '../core/report.ts';
import { clip, terminalSafe } from '../core/sanitize.ts';
import type { ProbesFindings } from './findings.ts';
import type { DetailValue, ProbeResult, TranscriptEntry } from './types.ts';

type ProbesDetails = {
  [K in keyof ProbesFindings]: (f: FindingBase & { kind: K; data: ProbesFindings[K] }) => string[];
};

const STEP_ORDER = [
  'connect',
  'tls',
  'banner',
  'session',
  'negotiate',
  'ehlo',
  'auth',
  'login',
  'firstByte',
  'body',
];

/** `connect 1.2 ms, tls 4 ms, total 9 ms`: steps in exchange order, total last. */
export function timingsLine(t: Record<string, number>): string {
  const keys = Object.keys(t).filter((k) => k !== 'total');
  keys.sort((a, b) => {
    const ia = STEP_ORDER.indexOf(a);
    const ib = STEP_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (t[a] ?? 0) - (t[b] ?? 0);
  });
  const ms = (v: number | undefined): string => `${Math.round((v ?? 0) * 10) / 10} ms`;
  return [
    ...keys.map((k) => `${k} ${ms(t[k])}`),
    ...(t.total === undefined ? [] : [`total ${ms(t.total)}`]),
  ].join(', ');
}

function detailText(v: DetailValue): string {
  if (Array.isArray(v)) return v.join(' ');
  return v === null ? '-' : String(v);
}

/** Kind-specific facts as `name: value` lines (banners and names are server text: made terminal-safe). */
export function detailLines(details: Record<string, DetailValue>): string[] {
  return Object.entries(details).map(([k, v]) => `${k}: ${terminalSafe(clip(detailText(v), 200))}`);
}

/** One transcript entry as `> sent`, `< received` or `* note`, raw (untrusted: for evidence). */
export function transcriptRaw(e: TranscriptEntry): string {
  const mark = e.dir === 'sent' ? '>' : e.dir === 'received' ? '<' : '*';
  return `${mark} ${e.text}`;
}

/** One transcript entry for a terminal. */
export function transcriptLine(e: TranscriptEntry): string {
  return terminalSafe(transcriptRaw(e));
}

/** A probe result for `tenken probe`: status line, timings, details, then the exchange. */
export function renderProbe(
  r: ProbeResult,
  opts: { label: (s: ProbeResult['status']) => string; transcript: boolean },
): string[] {
  const out = [`${opts.label(r.status)} ${terminalSafe(r.url)}: ${terminalSafe(r.summary)}`];
  const pad = '    ';
  if (r.failure !== null) out.push(`${pad}failure: ${r.failure}`);
  out.push(`${pad}timings: ${timingsLine(r.timings)}`);
  for (const l of detailLines(r.details)) out.push(`${pad}${l}`);
  if (opts.transcript) for (const e of r.transcript) out.push(`${pad}${transcriptLine(e)}`);
  return out;
}

/** Extra lines under each probe finding in the text report (merge into src/report/text.ts `details`). */
export const probesDetails: ProbesDetails = {
  probe: (f) => [
    ...(f.data.failure === null ? [] : [`failure: ${f.data.failure}`]),
    `timings: ${timingsLine(f.data.timings)}`,
  ],
};
