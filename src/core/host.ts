import path from 'node:path';

/**
 * The machine being inspected, as the checks see it: where its file tree is (`root`, `/` for the live host,
 * `examples/demo-root` for the demo), what time it is, and its name. Checks take a Host instead of reading
 * global paths or the clock, so every check runs against a fixture tree with a fixed `now` in tests.
 */
export interface Host {
  /** Absolute directory standing for `/` of the inspected host. */
  readonly root: string;
  /** Host name shown in reports. */
  readonly name: string;
  /** The inspection time; one value per run so every check agrees on "now". */
  readonly now: Date;
  /** True when inspecting the live machine (root is `/`): only then may checks run local commands. */
  readonly live: boolean;
  /** Environment (for TZ, LANG and the like); never process.env directly inside checks. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Builds a Host; `root` defaults to `/`. */
export function makeHost(opts: {
  root?: string | undefined;
  name: string;
  now?: Date;
  env?: Record<string, string | undefined>;
}): Host {
  const root = path.resolve(opts.root ?? '/');
  return { root, name: opts.name, now: opts.now ?? new Date(), live: root === '/', env: opts.env ?? {} };
}

/**
 * Where a host path (`/var/log/syslog`) is on this machine: under `root`. `..` cannot climb above root,
 * so a path taken from a config or a log cannot escape the tree being inspected.
 */
export function hostPath(host: Pick<Host, 'root'>, p: string): string {
  const normal = path.posix.normalize(`/${p}`);
  return host.root === '/' ? normal : path.join(host.root, normal);
}

/**
 * Where a file named on the command line is: an absolute path is a host path (under --root, as every
 * host path), a relative one is relative to the working directory (`last -f`, `scan`, `attacks`, `dialup`).
 */
export function argPath(host: Pick<Host, 'root'>, cwd: string, file: string): string {
  return path.isAbsolute(file) ? hostPath(host, file) : path.resolve(cwd, file);
}

/** The host's view of a local path under root (`<root>/var/log/x` → `/var/log/x`), for reports. */
export function displayPath(host: Pick<Host, 'root'>, local: string): string {
  if (host.root === '/') return local;
  const rel = path.relative(host.root, local);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return local;
  return `/${rel.split(path.sep).join('/')}`;
}
