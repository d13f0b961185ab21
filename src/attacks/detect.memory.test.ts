import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleModules } from '../../test/helpers/bundle.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenken-detect-memory-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The child: heap bytes the detectors hold per one-failure source (distinct IPv4 addresses) and per web
 * probe of one scanner (access-log lines held for echo matching, error-log lines kept for it), measured
 * with `global.gc()` in a process of its own (vitest's workers have no gc), before `finish`; then the counts.
 */
const CHILD = `
import { AttackDetectors, attacksConfig } from './detect.mjs';
const N = Number(process.argv[2]);
const T0 = Date.UTC(2024, 5, 30);
// Lines as a reader makes them: flat strings (a concatenation is a tree of parts, larger).
const flat = (s) => Buffer.from(s, 'latin1').toString('latin1');
const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
const v4 = (i) => '11.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255);
function measure(make) {
  const det = new AttackDetectors(attacksConfig.parse({}));
  const before = heap();
  for (let i = 0; i < N; i++) det.add(make(i));
  const per = (heap() - before) / N;
  return { per, report: det.finish() };
}
const sources = measure((i) => {
  const time = T0 + i * 10;
  const host = v4(i);
  return {
    event: { detector: 'bruteforce', kind: 'failure', host, service: 'sshd', attempts: 1, time, user: 'root' },
    line: i + 1,
    text: flat('Jun 30 00:00:00 gauntlet sshd[' + (1000 + (i % 30000)) + ']: Failed password for root from ' + host + ' port ' + (1024 + (i % 60000)) + ' ssh2'),
    source: '/var/log/auth.log',
  };
});
const access = measure((i) => ({
  event: { detector: 'webprobe', kind: 'probe', host: '198.51.100.9', service: 'web', attempts: 1, time: T0 + i * 10, path: '/cgi-bin/phf', status: 404, echo: 'access' },
  line: i + 1,
  text: flat('198.51.100.9 - - [30/Jun/2024:00:00:00 +0000] "GET /cgi-bin/phf HTTP/1.1" 404 196 "-" "Mozilla/5.0" ' + i),
  source: '/var/log/nginx/access.log',
}));
const error = measure((i) => ({
  event: { detector: 'webprobe', kind: 'probe', host: '198.51.100.9', service: 'nginx', attempts: 1, time: T0 + i * 10, path: '/cgi-bin/phf', status: 404 },
  line: i + 1,
  text: flat('2024/06/30 00:00:00 [error] 1#1: *' + i + ' open() "/var/www/html/cgi-bin/phf" failed (2: No such file or directory), client: 198.51.100.9, server: x, request: "GET /cgi-bin/phf HTTP/1.1"'),
  source: '/var/log/nginx/error.log',
}));
console.log(JSON.stringify({
  perSource: sources.per,
  sources: sources.report.sources.length,
  perAccessProbe: access.per,
  accessProbes: access.report.sources[0]?.probes,
  perErrorProbe: error.per,
  errorProbes: error.report.sources[0]?.probes,
}));
`;

describe('attack detectors memory', () => {
  it('keeps a few hundred bytes per one-failure source and a few numbers per web probe', async () => {
    await bundleModules(path.join(tmp, 'detect.mjs'), [
      path.join(here, 'detect.ts'),
      path.join(here, 'config.ts'),
    ]);
    writeFileSync(path.join(tmp, 'child.mjs'), CHILD);
    const n = 100_000;
    const out = execFileSync(process.execPath, ['--expose-gc', path.join(tmp, 'child.mjs'), String(n)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const m = JSON.parse(out) as Record<string, number>;
    // Everything is still counted.
    expect([m.sources, m.accessProbes, m.errorProbes]).toEqual([n, n, n]);
    // A source seen once: its line (~100 bytes), its address and its few counters. It was ~1.8 KB (empty
    // arrays, Maps and Sets for every detector), which put a 1 GB server out of memory at ~300k sources.
    expect(m.perSource).toBeLessThan(800);
    // A probe: a time and a shared description, not an object (and the whole line) per request: ~440 and
    // ~220 bytes before.
    expect(m.perAccessProbe).toBeLessThan(64);
    expect(m.perErrorProbe).toBeLessThan(64);
  }, 60_000);
});
