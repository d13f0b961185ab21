import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRoot, runAsNobody } from '../../../test/helpers/as-nobody.ts';
import { expandGlob, unlistableDir } from './glob.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('expandGlob', () => {
  it('lists the files a pattern matches, sorted, and a plain path as it is', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-glob-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'samba'));
    for (const f of ['log.smbd', 'log.nmbd', '.log.hidden']) writeFileSync(path.join(root, 'samba', f), 'x');
    expect(await expandGlob(path.join(root, 'samba/log.*'), '/')).toEqual([
      path.join(root, 'samba/log.nmbd'),
      path.join(root, 'samba/log.smbd'),
    ]);
    expect(await expandGlob(path.join(root, 'nothing'), '/')).toEqual([path.join(root, 'nothing')]);
  });
});

describe('a glob whose directory cannot be listed', () => {
  it('names that directory (Debian keeps /var/log/samba 0750 root:adm), not the pattern', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-glob-'));
    dirs.push(root);
    chmodSync(root, 0o755);
    const samba = path.join(root, 'samba');
    mkdirSync(samba, { mode: 0o750 });
    chmodSync(samba, 0o750);
    writeFileSync(path.join(samba, 'log.smbd'), 'x');
    const pattern = path.join(samba, 'log.*');
    const asUser = isRoot()
      ? await runAsNobody(
          path.join(import.meta.dirname, 'glob.ts'),
          `console.log(JSON.stringify([await m.expandGlob(${JSON.stringify(pattern)}, '/'), await m.unlistableDir(${JSON.stringify(pattern)}, '/')]));`,
        )
      : null;
    if (asUser !== null) expect(JSON.parse(asUser)).toEqual([[], samba]);
    // Whoever may list it gets the files and no complaint.
    expect(await unlistableDir(pattern, '/')).toBeNull();
    expect(await unlistableDir(path.join(root, 'missing/log.*'), '/')).toBeNull();
    expect(await unlistableDir(path.join(samba, 'log.smbd'), '/')).toBeNull();
  });
});
