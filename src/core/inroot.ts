import fs from 'node:fs';
import path from 'node:path';
import { type Host, hostPath } from './host.ts';
import { linkTrusted, untrustedLinkError, walkLinks } from './open.ts';

export { MAX_LINK_HOPS } from './open.ts';

const EUID = process.geteuid?.() ?? -1;

/** The error for a path whose links go on too long or loop (code ELOOP, as the kernel's). */
function loopError(): NodeJS.ErrnoException {
  return Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
}

/**
 * Where a host path is on this machine, with every symbolic link on it resolved inside `root`, as a chroot
 * into the tree would: an absolute target (`/etc/squid/site.conf`) is `<root>/etc/squid/site.conf`, and `..`
 * (in the path or in a relative target) stops at the root. A server image mounted under `--root` is so read
 * as that server reads it, never through its links into the auditing machine's own files.
 *
 * The live host (root `/`) gets `hostPath` unchanged: the kernel resolves its links, as before. Under a root,
 * the result names no link below the root (as of this call; opening it still applies the trust rule of
 * src/core/open.ts to anything swapped in since); a link's own trust is checked here, by the same rule
 * (EUNTRUSTEDLINK). A component that cannot be examined (missing, not a directory, no permission) ends the
 * walk: the rest is appended unresolved, so that opening the result fails with the system's own error.
 * Throws ELOOP past {@link MAX_LINK_HOPS} links.
 */
export function resolveInRoot(host: Pick<Host, 'root'>, p: string): string {
  if (host.root === '/') return hostPath(host, p);
  const root = path.resolve(host.root);
  const w = walkLinks(root, p.split('/'));
  if (w.stopped === 'loop') throw loopError();
  if (w.stopped === 'missing') return [path.join(w.cur, w.rest[0] as string), ...w.rest.slice(1)].join('/');
  const { cur, owners } = w;
  if (owners.length > 0) {
    let target: fs.Stats | undefined;
    try {
      target = fs.statSync(cur);
    } catch {
      // gone since: the open says why
    }
    const bad = target === undefined ? undefined : owners.find((u) => !linkTrusted(u, target.uid, EUID));
    if (bad !== undefined) throw untrustedLinkError(bad);
  }
  return cur;
}
