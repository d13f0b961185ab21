import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Accountant } from '../../src/attacks/account.ts';
import type { Family } from '../../src/attacks/extract/registry.ts';
import { normHost } from '../../src/attacks/host.ts';

/**
 * Conformance against fail2ban's annotated sample logs (peer data in ../shared/data/fail2ban-logs, read at
 * test time, never copied). A `# failJSON:` comment annotates the next line: `match: true` lines must be
 * counted as failures from `host`, `match: false` lines must not be counted. Lines whose expectation
 * depends on a fail2ban mode (a `constraint`, or a `# filterOptions:` block that leaves out the default
 * mode) are not scored; `# addFILE:` includes another file (each file is scored once).
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = path.resolve(repoRoot, process.env.TENKEN_PEER_DATA ?? '../shared/data', 'fail2ban-logs');
const present = existsSync(dataDir);
if (!present) console.log(`fail2ban conformance: ${dataDir} not found, suite not run`);

/** fail2ban's test clock: year-less lines are dated relative to it. */
const NOW = new Date(2005, 7, 14, 12, 0, 0);

/** Files in scope and the families reading their untagged lines; `info` rows are shown, not scored. */
const FILES: readonly { file: string; hints: Family[]; info?: boolean }[] = [
  { file: 'sshd', hints: ['sshd'] },
  { file: 'zzz-sshd-obsolete-multiline', hints: ['sshd'] },
  { file: 'dropbear', hints: ['sshd'] },
  { file: 'pam-generic', hints: [] },
  { file: 'vsftpd', hints: ['vsftpd'] },
  { file: 'wuftpd', hints: ['wuftpd'] },
  { file: 'proftpd', hints: ['proftpd'] },
  { file: 'pure-ftpd', hints: ['pureftpd'] },
  { file: 'sendmail-auth', hints: ['sendmail'] },
  { file: 'sendmail-reject', hints: ['sendmail'] },
  { file: 'postfix', hints: ['postfix'] },
  { file: 'exim', hints: ['exim'] },
  { file: 'dovecot', hints: ['dovecot'] },
  { file: 'courier-auth', hints: ['courier'] },
  { file: 'courier-smtp', hints: ['courier'] },
  { file: 'apache-auth', hints: ['apache'] },
  { file: 'apache-shellshock', hints: ['apache'] },
  { file: 'nginx-http-auth', hints: ['nginx'] },
  { file: 'portsentry', hints: ['portsentry'] },
  { file: 'scanlogd', hints: ['scanlogd'] },
  { file: 'xinetd-fail', hints: ['xinetd'] },
  { file: 'apache-noscript', hints: ['apache'], info: true },
  { file: 'apache-botsearch', hints: ['apache'], info: true },
  { file: 'nginx-botsearch', hints: ['web', 'nginx'], info: true },
  { file: 'apache-overflows', hints: ['apache'], info: true },
];

interface Annotated {
  file: string;
  text: string;
  expect: { match: boolean; host?: string } | null;
}

/** A filterOptions value keeps the default mode when one of its option sets has no mode (or `normal`). */
function keepsDefault(value: unknown): boolean {
  const sets = Array.isArray(value) ? value : [value];
  return sets.some((o) => {
    if (o === null || typeof o !== 'object') return false;
    const mode = (o as Record<string, unknown>).mode;
    return mode === undefined || mode === 'normal';
  });
}

/** Reads a sample file (as latin1: some hold non-UTF-8 bytes) and its addFILE includes, once each. */
function load(file: string, seen: Set<string>): Annotated[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const lines = readFileSync(path.join(dataDir, file), 'latin1').split('\n');
  const out: Annotated[] = [];
  let scoredBlock = true;
  let pending: Annotated['expect'] | undefined;
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const fj = /^#\s*failJSON:\s*(\{.*\})\s*$/.exec(line);
    if (fj) {
      const j = JSON.parse(fj[1] as string) as { match: boolean; host?: string; constraint?: string };
      pending =
        j.constraint !== undefined || !scoredBlock
          ? null
          : j.host === undefined
            ? { match: j.match }
            : { match: j.match, host: j.host };
      continue;
    }
    const fo = /^#\s*filterOptions:\s*(.*)$/.exec(line);
    if (fo) {
      scoredBlock = keepsDefault(JSON.parse(fo[1] as string));
      continue;
    }
    const add = /^#\s*addFILE:\s*"(.*)"\s*$/.exec(line);
    if (add) {
      out.push(...load(add[1] as string, seen));
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    out.push({ file, text: line, expect: pending ?? null });
    pending = undefined;
  }
  return out;
}

interface Score {
  file: string;
  info: boolean;
  positives: number;
  recalled: number;
  counted: number;
  rightHost: number;
  negatives: number;
  falseCounts: number;
  misses: string[];
}

function score(): Score[] {
  const seen = new Set<string>();
  const rows = new Map<string, Score>();
  for (const spec of FILES) {
    const acc = new Accountant({ now: NOW, hints: spec.hints });
    for (const a of load(spec.file, seen)) {
      const ev = acc.line(a.text);
      if (a.expect === null) continue;
      let row = rows.get(a.file);
      if (!row) {
        row = {
          file: a.file,
          info: spec.info === true,
          positives: 0,
          recalled: 0,
          counted: 0,
          rightHost: 0,
          negatives: 0,
          falseCounts: 0,
          misses: [],
        };
        rows.set(a.file, row);
      }
      const counted = ev !== null && ev.attempts > 0;
      if (a.expect.match) {
        row.positives++;
        const want = a.expect.host === undefined ? undefined : normHost(a.expect.host);
        if (counted) {
          row.counted++;
          const ok = want === undefined || ev.host === want;
          if (ok) {
            row.rightHost++;
            row.recalled++;
          } else row.misses.push(`wrong host ${ev.host} (want ${want}): ${a.text}`);
        } else row.misses.push(`missed: ${a.text}`);
      } else {
        row.negatives++;
        if (counted) {
          row.falseCounts++;
          row.misses.push(`false count (${ev.host}): ${a.text}`);
        }
      }
    }
  }
  return [...rows.values()];
}

const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);

function table(rows: Score[]): string {
  const head = ['file', 'match', 'recall', 'host acc', 'no-match', 'false'];
  const body = rows.map((r) => [
    r.info ? `${r.file} (info)` : r.file,
    String(r.positives),
    pct(r.recalled, r.positives),
    pct(r.rightHost, r.counted),
    String(r.negatives),
    `${r.falseCounts} (${pct(r.falseCounts, r.negatives)})`,
  ]);
  const scored = rows.filter((r) => !r.info);
  const sum = (k: keyof Score) => scored.reduce((s, r) => s + (r[k] as number), 0);
  body.push([
    'OVERALL (scored)',
    String(sum('positives')),
    pct(sum('recalled'), sum('positives')),
    pct(sum('rightHost'), sum('counted')),
    String(sum('negatives')),
    `${sum('falseCounts')} (${pct(sum('falseCounts'), sum('negatives'))})`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [fmt(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(fmt)].join('\n');
}

describe.runIf(present)('fail2ban annotated logs (conformance)', () => {
  const rows = present ? score() : [];
  const scored = rows.filter((r) => !r.info);
  const sum = (k: keyof Score) => scored.reduce((s, r) => s + (r[k] as number), 0);

  it('prints the per-file table', () => {
    console.log(`\nfail2ban conformance (${dataDir})\n${table(rows)}\n`);
    if (process.env.TENKEN_CONFORMANCE_VERBOSE)
      for (const r of rows) for (const m of r.misses) console.log(`${r.file}: ${m}`);
    expect(scored.length).toBeGreaterThan(15);
  });

  it('counts at least 95% of the annotated failures from the annotated host', () => {
    expect(sum('recalled') / sum('positives')).toBeGreaterThanOrEqual(0.95);
  });

  it('names the annotated host for at least 99% of the failures it counts', () => {
    expect(sum('rightHost') / sum('counted')).toBeGreaterThanOrEqual(0.99);
  });

  it('counts at most 3% of the lines fail2ban deliberately does not count', () => {
    expect(sum('falseCounts') / sum('negatives')).toBeLessThanOrEqual(0.03);
  });
});
