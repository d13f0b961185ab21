import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleModules } from '../../../test/helpers/bundle.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenken-attacks-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The child: renders the text report of `N` flagged sources (each listed: no cap) and prints its length. */
const CHILD = `
import { renderText } from './render.mjs';
const N = Number(process.argv[2]);
const sources = [];
for (let i = 0; i < N; i++)
  sources.push({ host: '11.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255), status: 'WARNING',
    failures: 1, rejects: 0, successes: 0, scans: 0, probes: 0, passwd: 0, users: ['root'], services: ['sshd'],
    first: null, last: null });
console.log(renderText({ sources, findings: [] }, 'WARNING', 'Attacks', false).split('\\n').length);
`;

describe('tenken attacks text report', () => {
  it('renders 300k sources within a 200 MB heap (the rows were kept as string trees until the end)', async () => {
    await bundleModules(path.join(tmp, 'render.mjs'), [path.join(here, 'attacks.ts')]);
    writeFileSync(path.join(tmp, 'child.mjs'), CHILD);
    const n = 300_000;
    const r = spawnSync(
      process.execPath,
      ['--max-old-space-size=200', path.join(tmp, 'child.mjs'), String(n)],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    // Title, status line, blank, "Per source", header, the rows, and the final newline's empty line.
    expect(Number(r.stdout.trim())).toBe(n + 6);
  }, 60_000);
});
