import { readdir, stat } from 'node:fs/promises';
import { errnoCode } from '../../core/errors.ts';
import path from 'node:path';
import { isGlob, segmentRegExp } from '../../core/glob.ts';
import { inTree } from '../../core/inroot.ts';

/**
 * Local files matching local pattern `pattern` (absolute), sorted; a plain path is returned as is. Asynchronous,
 * files only; the pattern syntax (`*`, `?`, `[...]` within one segment) is core/glob.ts's. Directories are
 * listed, and matches tested, where they are inside the tree `root` (`--root`; inTree), paths returned as
 * matched (`ROOT/var/log/x`, never where a link led).
 */
export async function expandGlob(pattern: string, root: string): Promise<string[]> {
  if (!isGlob(pattern)) return [pattern];
  const parts = pattern.split('/').filter((p) => p !== '');
  let bases = ['/'];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (!isGlob(part)) {
        next.push(path.join(base, part));
        continue;
      }
      const re = segmentRegExp(part);
      let names: string[];
      try {
        names = await readdir(inTree(root, base));
      } catch {
        continue;
      }
      for (const n of names.sort()) if (re.test(n) && !n.startsWith('.')) next.push(path.join(base, n));
    }
    bases = next;
    if (last) {
      const files: string[] = [];
      for (const b of bases) {
        try {
          if ((await stat(inTree(root, b))).isFile()) files.push(b);
        } catch {
          // vanished or unreadable: a literal path is reported by the reader, a glob just does not match
        }
      }
      return files;
    }
  }
  return bases;
}

/**
 * The directory a glob could not list (the last plain directory before its first wildcard, when reading it
 * is refused), or null. A glob that matched nothing because /var/log/samba is 0750 root:adm was reported as
 * "Cannot read /var/log/samba/log.*", the pattern shown as if it were a file. (`root`: as expandGlob's.)
 */
export async function unlistableDir(pattern: string, root: string): Promise<string | null> {
  if (!isGlob(pattern)) return null;
  const parts = pattern.split('/').filter((p) => p !== '');
  const first = parts.findIndex((p) => isGlob(p));
  const dir = `/${parts.slice(0, first).join('/')}`;
  try {
    await readdir(inTree(root, dir));
    return null;
  } catch (err) {
    const code = errnoCode(err);
    return code === 'EACCES' || code === 'EPERM' ? dir : null;
  }
}
