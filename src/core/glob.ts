import { readdirSync } from 'node:fs';
import path from 'node:path';
import { resolveInRoot } from './inroot.ts';

/** True when a path (or one segment of it) has glob characters. */
export function isGlob(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/**
 * A name as a glob (segmentRegExp) that matches exactly it: each `*`, `?` and `[` in brackets (`[*]`), so that a
 * process named `*` suggested for an ignore list leaves out that process and not every one.
 */
export function globLiteral(name: string): string {
  return name.replace(/[*?[]/g, '[$&]');
}

/** One path segment's glob (`*`, `?`, `[abc]`) as an anchored RegExp; `*` never matches `/`. */
export function segmentRegExp(segment: string): RegExp {
  let src = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) src += '\\[';
      else {
        src += `[${segment
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else src += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/**
 * Expands a host-path glob under the host root, returning host paths (sorted). Hand-written because
 * fs.glob only arrived in Node 22 and the patterns here are simple (`/var/log/mgetty.ttyS*`).
 * Unreadable directories simply yield nothing; the caller reports a missing source. Under --root, links
 * resolve inside the tree (resolveInRoot): an image's `/var/log -> /data/log` is listed in the image.
 */
export function expandHostGlob(host: { root: string }, pattern: string): string[] {
  const segments = path.posix.normalize(pattern).split('/').filter(Boolean);
  let bases = ['/'];
  for (const seg of segments) {
    const next: string[] = [];
    for (const base of bases) {
      if (!isGlob(seg)) {
        next.push(path.posix.join(base, seg));
        continue;
      }
      const re = segmentRegExp(seg);
      let names: string[];
      try {
        names = readdirSync(resolveInRoot(host, base));
      } catch {
        continue;
      }
      for (const name of names.sort())
        if (re.test(name) && !(name.startsWith('.') && !seg.startsWith('.')))
          next.push(path.posix.join(base, name));
    }
    bases = next;
  }
  return bases;
}
