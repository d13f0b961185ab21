import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { logsConfig } from '../config.ts';
import type { Cursor } from '../cursor.ts';
import { compileRules } from '../scan/rules.ts';
import { readSource, type SourceReadOptions } from './source.ts';

describe('reading a log family', () => {
  it('reads a rotated .gz cut short before the saved offset as far as it goes, with a finding', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-cutgz-'));
    try {
      const live = path.join(dir, 'app.log');
      const lines = Array.from({ length: 4000 }, (_, i) => `line ${i} error ${(i * 7919) % 10007}\n`).join(
        '',
      );
      const rules = compileRules(logsConfig.parse({}));
      const opts = (cursors: Cursor[]): SourceReadOptions => ({
        rules,
        mode: { kind: 'resume', cursors },
        identity: { fpBytes: 1024, tailBytes: 1024 },
        countLines: true,
        consumeTrailing: false,
        display: (p) => p,
      });
      writeFileSync(live, lines);
      const first = await readSource(live, opts([]), () => {});
      // Rotated and compressed, but the .gz was cut (disk full, a copy interrupted): it decompresses to
      // less than the saved offset, so it cannot be recognised, and must not stop the run.
      const gz = gzipSync(readFileSync(live));
      writeFileSync(`${live}.1.gz`, gz.subarray(0, gz.length >> 1));
      unlinkSync(live);
      writeFileSync(live, 'new error\n');
      const fromLive: string[] = [];
      const r = await readSource(live, opts(first.cursors), (hit, file) => {
        if (file.path === live) fromLive.push(hit.text);
      });
      expect(fromLive).toEqual(['new error']);
      expect(r.problems.map((p) => [path.basename(p.path), p.problem])).toContainEqual([
        'app.log.1.gz',
        'corrupt',
      ]);
      expect(r.cursors).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
