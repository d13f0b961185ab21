import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Expands a glob in a log path (`/var/log/apache2/*.log`): `*`, `?` and `[...]` within one path segment.
 * Hand-written because Node 20 has no fs.glob and the project adds no dependency for ten lines.
 */

/** Whether a path contains glob characters. */
export function isGlob(p: string): boolean {
  return /[*?[]/.test(p);
}

function segmentRegex(seg: string): RegExp {
  let src = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) src += '\\[';
      else {
        const body = seg
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        src += `[${body}]`;
        i = end;
      }
    } else src += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/** Local files matching local pattern `pattern` (absolute), sorted; a plain path is returned as is. */
export async function expandGlob(pattern: string): Promise<string[]> {
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
      const re = segmentRegex(part);
      let names: string[];
      try {
        names = await readdir(base);
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
          if ((await stat(b)).isFile()) files.push(b);
        } catch {
          // vanished or unreadable: a literal path is reported by the reader, a glob just does not match
        }
      }
      return files;
    }
  }
  return bases;
}
