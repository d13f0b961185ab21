import { type Host, hostPath } from './host.ts';
import { resolveTreeParts } from './open.ts';

export { inTree, MAX_LINK_HOPS, type TreeOptions } from './open.ts';

/**
 * Where a host path is on this machine, with every symbolic link on it resolved inside `root`, as a chroot
 * into the tree would: an absolute target (`/etc/squid/site.conf`) is `<root>/etc/squid/site.conf`, and `..`
 * (in the path or in a relative target) stops at the root. A server image mounted under `--root` is so read
 * as that server reads it, never through its links into the auditing machine's own files.
 *
 * The live host (root `/`) gets `hostPath` unchanged: the kernel resolves its links, as before. Under a root,
 * the result names no link below the root (as of this call; the openers of src/core/open.ts, given the root,
 * check that what they opened is inside it); a link's own trust is checked here, by the trust rule
 * (EUNTRUSTEDLINK). A component that cannot be examined (missing, not a directory, no permission) ends the
 * walk: the rest is appended unresolved, so that opening the result fails with the system's own error.
 * Throws ELOOP past {@link MAX_LINK_HOPS} links. For a local path already under the root (hostPath's), see
 * `inTree`: the same resolution.
 */
export function resolveInRoot(host: Pick<Host, 'root'>, p: string): string {
  if (host.root === '/') return hostPath(host, p);
  return resolveTreeParts(host.root, p.split('/'));
}
