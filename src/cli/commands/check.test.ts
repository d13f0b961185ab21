import { execFileSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_ROOT, runCli, tempDir } from '../../../test/helpers/cli.ts';

describe('tenken check --output', () => {
  it('writes into /dev/null without replacing the device node', async () => {
    const r = await runCli(['--root', DEMO_ROOT, 'check', '--output', '/dev/null']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('refuses a FIFO in one line', async () => {
    const fifo = path.join(tempDir(), 'report');
    execFileSync('mkfifo', [fifo]);
    const r = await runCli(['--root', DEMO_ROOT, 'check', '--output', fifo]);
    expect(r.stderr).toBe(`tenken: Cannot write ${fifo}: not a regular file\n`);
    expect(r.code).toBe(3);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});
