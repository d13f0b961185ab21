/**
 * Text views for `tenken procs` and `tenken baseline show`: results, a process table, listeners, a
 * baseline. Pure (data in, string out); every host string goes through terminalSafe.
 */
import type { CheckResult, Evidence, FindingBase } from '../core/report.ts';
import { clip, terminalSafe } from '../core/sanitize.ts';
import { rank } from '../core/status.ts';
import type { Zone } from '../core/tz.ts';
import { wallTime } from '../report/time.ts';
import { type Paint, statusLabel } from '../report/style.ts';
import type { Baseline } from './baseline.ts';
import type { ProcsFindings } from './findings.ts';
import { type ProcessInfo, commandText } from './proc.ts';
import { type Listener, listenerKey } from './sockets.ts';
import { clipWidth, padEndWidth } from '../core/width.ts';

type ProcsDetails = {
  [K in keyof ProcsFindings]: (f: FindingBase & { kind: K; data: ProcsFindings[K] }) => string[];
};

/**
 * Extra lines under each procs finding, for the text report (merge into src/report/text.ts `details`).
 */
export const procsDetails: ProcsDetails = {
  'service-processes': (f) => (f.data.listeners.length ? [`listening: ${f.data.listeners.join(', ')}`] : []),
  'process-missing': () => [],
  'process-count': (f) => [`pids: ${f.data.pids.slice(0, 20).join(' ')}`],
  'process-new': (f) => [
    `command: ${clip(f.data.command, 200)}`,
    ...(f.data.exe ? [`program: ${f.data.exe}`] : []),
    ...(f.data.remedy ? [f.data.remedy] : []),
  ],
  'process-exe': (f) => [`command: ${clip(f.data.command, 200)}`],
  'listener-new': (f) => [
    f.data.pids.length ? `pids: ${f.data.pids.join(' ')}` : 'holder unknown (not root?)',
    ...(f.data.remedy ? [f.data.remedy] : []),
  ],
  'listener-missing': () => [],
  'baseline-absent': (f) => [`baseline file: ${f.data.path}`],
};

function evidenceLine(e: Evidence): string {
  const where = e.line === undefined ? e.source : `${e.source}:${e.line}`;
  return `${terminalSafe(where)}: ${terminalSafe(clip(e.text, 300))}`;
}

function detailLines(f: { kind: string; data: unknown }): string[] {
  const fn = (procsDetails as Record<string, ((f: unknown) => string[]) | undefined>)[f.kind];
  return fn ? fn(f) : [];
}

/** Results, worst first, with the findings that need attention (all of them when verbose). */
export function renderResults(results: readonly CheckResult[], paint: Paint, verbose: boolean): string[] {
  const lines: string[] = [];
  for (const r of [...results].sort(
    (a, b) => rank(b.status) - rank(a.status) || a.service.localeCompare(b.service),
  )) {
    lines.push(
      `${statusLabel(paint, r.status)} ${paint('bold', terminalSafe(r.service))}: ${terminalSafe(r.summary)}`,
    );
    const shown = verbose ? r.findings : r.findings.filter((f) => f.status !== 'OK');
    if (shown.length === 1 && shown[0]?.summary === r.summary && !verbose) {
      for (const d of detailLines(shown[0])) lines.push(`         ${terminalSafe(d)}`);
      for (const e of shown[0].evidence.slice(0, 3))
        lines.push(paint('dim', `         | ${evidenceLine(e)}`));
      continue;
    }
    for (const f of [...shown].sort((a, b) => rank(b.status) - rank(a.status))) {
      lines.push(`  ${statusLabel(paint, f.status)} ${terminalSafe(f.summary)}`);
      for (const d of detailLines(f)) lines.push(`           ${terminalSafe(d)}`);
      for (const e of f.evidence.slice(0, 3)) lines.push(paint('dim', `           | ${evidenceLine(e)}`));
    }
  }
  return lines;
}

/**
 * A `ps`-like table: pid, ppid, user, state, RSS, start, command (kernel threads left out). Start times are the
 * host's wall clock in `zone`, named in the heading, as `ps` shows them.
 */
export function renderProcessTable(processes: readonly ProcessInfo[], zone: Zone): string[] {
  const rows = processes.filter((p) => !p.kernelThread);
  const start = (iso: string | null): string => {
    const w = iso === null ? null : wallTime(iso, zone);
    return w ? `${w.date} ${w.time}` : '?';
  };
  const out = [
    `${'PID'.padStart(7)} ${'PPID'.padStart(7)} ${'USER'.padEnd(10)} S ${'RSS(KiB)'.padStart(9)} ${`START (${clip(zone.name, 32)})`.padEnd(20)} COMMAND`,
  ];
  for (const p of rows) {
    const exe = p.exe?.deleted ? ' [exe deleted]' : '';
    out.push(
      `${String(p.pid).padStart(7)} ${String(p.ppid).padStart(7)} ${padEndWidth(clipWidth(terminalSafe(p.user), 10), 10)} ${terminalSafe(p.state)} ${String(p.rssKb).padStart(9)} ${start(p.start).padEnd(20)} ${terminalSafe(clip(commandText(p), 160))}${exe}`,
    );
  }
  return out;
}

/** Listeners with the processes holding them. */
export function renderListeners(
  listeners: readonly Listener[],
  all: ReadonlyMap<number, ProcessInfo>,
): string[] {
  const out = [`${'LISTENER'.padEnd(32)} PROCESS`];
  for (const l of [...listeners].sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto))) {
    const who = l.pids.length ? l.pids.map((pid) => `${all.get(pid)?.name ?? '?'}/${pid}`).join(', ') : '?';
    out.push(`${listenerKey(l).padEnd(32)} ${terminalSafe(who)}`);
  }
  return out;
}

/** A baseline as text, for `tenken baseline show`. */
export function renderBaseline(b: Baseline, file: string): string[] {
  const out = [
    `Baseline ${terminalSafe(file)}: host ${terminalSafe(b.host)}, recorded ${b.recorded}, updated ${b.updated}`,
    '',
    `Processes (${b.processes.length}):`,
  ];
  for (const p of b.processes)
    out.push(
      `  ${padEndWidth(terminalSafe(p.name), 20)} ${padEndWidth(terminalSafe(p.user), 12)} ×${p.min}–${p.max}`,
    );
  out.push('', `Listeners (${b.listeners.length}):`);
  for (const l of b.listeners) out.push(`  ${listenerKey(l).padEnd(32)} ${terminalSafe(l.process ?? '?')}`);
  if (b.approved.length) {
    out.push('', `Approved programs (deleted, memfd or in a temp directory) (${b.approved.length}):`);
    for (const a of b.approved)
      out.push(`  ${terminalSafe(a.name)} (${terminalSafe(a.user)}): ${terminalSafe(a.exe)}`);
  }
  return out;
}
