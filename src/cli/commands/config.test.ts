import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../../test/helpers/cli.ts';

describe('tenken config init and check suggest each other', () => {
  it('with --root: the next command checks the file it wrote, not the live /etc/tenken/tenken.yaml', async () => {
    const root = path.join(tempDir(), "a tree's root");
    mkdirSync(root);
    const quoted = `'${root.replace("'", "'\\''")}'`;
    const missing = await runCli(['--root', root, 'config', 'check']);
    expect(missing.stderr).toBe(
      `tenken: Cannot read ${root}/etc/tenken/tenken.yaml: no such file or directory (\`tenken --root ${quoted} config init\` writes a starter)\n`,
    );
    const init = await runCli(['--root', root, 'config', 'init']);
    expect(init.stdout).toBe(
      `Wrote ${root}/etc/tenken/tenken.yaml\nEdit it, then run: tenken --root ${quoted} config check\n`,
    );
    const check = await runCli(['--root', root, 'config', 'check']);
    expect(check.stdout).toMatch(/: valid \(/);
  });

  it('with a file or --config: the next command names that file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'mine.yaml');
    const init = await runCli(['config', 'init', file]);
    expect(init.stdout).toBe(`Wrote ${file}\nEdit it, then run: tenken config check ${file}\n`);
    const other = path.join(dir, 'other.yaml');
    const missing = await runCli(['--config', other, 'config', 'check']);
    expect(missing.stderr).toBe(
      `tenken: Cannot read ${other}: no such file or directory (\`tenken --config ${other} config init\` writes a starter)\n`,
    );
    expect((await runCli(['--config', other, 'config', 'init'])).stdout).toBe(
      `Wrote ${other}\nEdit it, then run: tenken --config ${other} config check\n`,
    );
    expect(existsSync(other)).toBe(true);
  });
});
