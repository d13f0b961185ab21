import path from 'node:path';
import { errnoCode, reason } from '../core/errors.ts';

/**
 * What a Squid configuration says about the proxy's role: a forward proxy (it relays its clients' requests to
 * any site, so a relay for an outsider is an open proxy) or a reverse proxy (an accelerator in front of this
 * site's own servers: it logs its visitors' requests as absolute URLs too, and they are no relays). Pure: the
 * caller gives the reading of files (see `squidRoleOf` in read.ts); `squidRole` follows `include`.
 */

/** One configuration file's `http_port`/`https_port` lines and `include` directives. */
export interface SquidConf {
  /**
   * Per port line, whether it is an accelerator's only (`accel`, `vhost`, `vport`, `defaultsite=`, and no
   * `allow-direct`, `intercept`, `tproxy` or `transparent`).
   */
  ports: boolean[];
  /** The paths `include` names, as written (a `*` may stand in the last part). */
  includes: string[];
}

/** An option of a port line that makes it an accelerator's (Squid 2.6+; `vhost`, `vport` and `defaultsite=` imply `accel`). */
const ACCEL_OPTION = /^(?:accel|vhost|vport(?:=\S*)?|defaultsite=\S*)$/i;

/**
 * An option that makes a port relay to other sites whatever else it says: `allow-direct` lets an accelerator
 * port forward its requests straight to any site named in them (an open relay, not a fronted site's port);
 * an interception port (`intercept`, its old name `transparent`, `tproxy`) is a forward proxy's.
 */
const FORWARD_OPTION = /^(?:allow-direct|intercept|transparent|tproxy)$/i;

/** The port lines and includes of one squid.conf text (comments are whole lines starting with `#`). */
export function parseSquidConf(text: string): SquidConf {
  const ports: boolean[] = [];
  const includes: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [directive, ...args] = line.split(/\s+/);
    const d = (directive ?? '').toLowerCase();
    if (d === 'http_port' || d === 'https_port') {
      const opts = args.slice(1);
      ports.push(opts.some((a) => ACCEL_OPTION.test(a)) && !opts.some((a) => FORWARD_OPTION.test(a)));
    } else if (d === 'include') includes.push(...args);
  }
  return { ports, includes };
}

/**
 * Whether Squid is a reverse proxy only: it has port lines and every one is an accelerator's. One forward port
 * (`http_port 3128`, an interception port, or an accelerator port with `allow-direct`) makes it a forward
 * proxy, whose relays are judged.
 */
export function isAcceleratorOnly(confs: readonly SquidConf[]): boolean {
  const ports = confs.flatMap((c) => c.ports);
  return ports.length > 0 && ports.every((accel) => accel);
}

/** How the configuration's files are read: the caller's I/O (host paths in, text out). */
export interface SquidFiles {
  /**
   * The first `limit` bytes of the file at a host path (as latin1), and whether it holds more; throws why it
   * cannot be read (an error with `code` ENOENT when it does not exist).
   */
  read(file: string, limit: number): { text: string; more: boolean };
  /** The names in the directory at a host path; throws why it cannot be listed. */
  list(dir: string): string[];
}

/** How much of a configuration is read before it is called not read whole. */
export interface SquidLimits {
  /** Bytes of one file. */
  fileBytes: number;
  /** Files, the main one and every included one. */
  files: number;
  /** Levels of `include` below the main file. */
  depth: number;
}

/**
 * Squid's configurations are a few kB (Debian's commented default is 350 kB), with a handful of files in
 * conf.d; a reverse proxy of many sites may have a file per site.
 */
export const SQUID_LIMITS: SquidLimits = { fileBytes: 1 << 20, files: 1024, depth: 16 };

/** What Squid's configuration says of its role. */
export interface SquidRole {
  /** Every port line, of a configuration read whole, is an accelerator's (see {@link isAcceleratorOnly}). */
  accelerated: boolean;
  /**
   * Why the configuration was not read whole (a file too big, too many or too deeply nested includes, a
   * file that could not be read or an include not followed), when the part read has only accelerator ports:
   * it is then not known to be a reverse proxy, and is judged as a forward proxy. Null otherwise.
   */
  unread: string | null;
}

/**
 * Squid's role from its configuration: the first of `mains` that exists, and the files its `include` lines
 * name (absolute paths, a `*` allowed in the last part, as Debian's `conf.d/*.conf`; names sorted). One
 * forward port anywhere makes it a forward proxy. A limit reached, or a file that cannot be read or an
 * include not followed, makes it "not known to be accelerator-only": judged as a forward proxy, with
 * `unread` saying why (failing towards reporting: a forward port may be in the part not read). A file
 * included twice (a loop) is read once.
 */
export function squidRole(
  files: SquidFiles,
  mains: readonly string[],
  limits: SquidLimits = SQUID_LIMITS,
): SquidRole {
  const confs: SquidConf[] = [];
  const seen = new Set<string>();
  let unread: string | null = null;
  let forward = false;
  /** Takes one file's port lines; false when they end the walk (a forward port). */
  const take = (conf: SquidConf): boolean => {
    confs.push(conf);
    forward = conf.ports.some((accel) => !accel);
    return !forward;
  };
  /**
   * Reads one file and what it includes; false to stop the walk (a forward port, or not read whole),
   * `missing` for a main file that does not exist (the next one is tried).
   */
  const visit = (file: string, depth: number): boolean | 'missing' => {
    if (seen.has(file)) return true;
    if (depth > limits.depth) {
      unread = `includes nested more than ${limits.depth} deep (${shown(file)})`;
      return false;
    }
    if (seen.size >= limits.files) {
      unread = `more than ${limits.files} files included`;
      return false;
    }
    seen.add(file);
    let got: { text: string; more: boolean };
    try {
      got = files.read(file, limits.fileBytes);
    } catch (err) {
      if (depth === 0 && errnoCode(err) === 'ENOENT') return 'missing';
      unread = `Cannot read ${shown(file)}: ${reason(err)}`;
      return false;
    }
    if (got.more) {
      // Its last line may be cut: the lines before it count.
      const cut = Math.max(got.text.lastIndexOf('\n'), 0);
      if (take(parseSquidConf(got.text.slice(0, cut))))
        unread = `${shown(file)} is over ${sizeText(limits.fileBytes)}`;
      return false;
    }
    const conf = parseSquidConf(got.text);
    if (!take(conf)) return false;
    for (const inc of conf.includes) if (!include(inc, depth + 1)) return false;
    return true;
  };
  const include = (inc: string, depth: number): boolean => {
    const dir = path.posix.dirname(inc);
    const base = path.posix.basename(inc);
    if (!path.posix.isAbsolute(inc) || dir.includes('*') || /[?[\\]/.test(base)) {
      unread = `include ${inc} not followed (only an absolute path, a * in its last part, is)`;
      return false;
    }
    if (!base.includes('*')) return visit(inc, depth) === true;
    let names: string[];
    try {
      names = files.list(dir);
    } catch (err) {
      unread = `Cannot list ${shown(dir)}: ${reason(err)}`;
      return false;
    }
    const parts = base.split('*');
    for (const name of [...names].sort())
      if (globMatch(name, parts) && visit(path.posix.join(dir, name), depth) !== true) return false;
    return true;
  };
  for (const main of mains) if (visit(main, 0) !== 'missing') break;
  if (forward) return { accelerated: false, unread: null };
  const accelerated = isAcceleratorOnly(confs);
  if (unread === null) return { accelerated, unread: null };
  return { accelerated: false, unread: accelerated ? unread : null };
}

/** A path as shown in a reason: `..` taken out, as the host resolves it from `/`. */
function shown(p: string): string {
  return path.posix.normalize(p);
}

/** A byte limit in words (`1 MiB`, `512 kiB`, `100 bytes`). */
function sizeText(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes >> 20} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes >> 10} kiB`;
  return `${bytes} bytes`;
}

/** Whether a name matches a pattern split at its `*`s (`['', '.conf']` for `*.conf`). */
function globMatch(name: string, parts: readonly string[]): boolean {
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!name.startsWith(first) || name.length < first.length + last.length || !name.endsWith(last))
    return false;
  let at = first.length;
  for (const mid of parts.slice(1, -1)) {
    const i = name.indexOf(mid, at);
    if (i < 0 || i + mid.length > name.length - last.length) return false;
    at = i + mid.length;
  }
  return true;
}
