import { closeSync, readdirSync, readSync } from 'node:fs';
import { getHeapStatistics, type HeapInfo } from 'node:v8';
import path from 'node:path';
import type { Plan } from '../config/plan.ts';
import { logsConfig } from '../logs/config.ts';
import { DEFAULT_IDENTITY, type ReadMode } from '../logs/cursor.ts';
import type { LogSource } from '../logs/engine.ts';
import { type JournalRunner, type JournalStart, readJournal } from '../logs/read/journal.ts';
import { sizeOf } from '../logs/read/content.ts';
import { type HitFile, readSource, readWholeFile, type SourceReadResult } from '../logs/read/source.ts';
import type { LineHit } from '../logs/scan/lines.ts';
import { compileRules, type RuleSet } from '../logs/scan/rules.ts';
import { openRegularSync, readRegularFileSync } from '../core/open.ts';
import { type Host, hostPath } from '../core/host.ts';
import { resolveInRoot } from '../core/inroot.ts';
import { passwdEntries } from '../core/passwd.ts';
import type { Zone } from '../core/tz.ts';
import { Accountant, readerNeedles, SYSLOG_FAMILIES } from './account.ts';
import { selfNamesOf } from './host.ts';
import { hostAddressesOf, type ProcNet } from './netlocal.ts';
import { type SquidRole, squidRole } from './squidconf.ts';
import type { SourcedEvent } from './detect.ts';
import { type Family, SERVICE_FAMILY } from './extract/registry.ts';
import type { BasicAuthLogins } from './extract/web.ts';

/**
 * Thin I/O: the attack accounting over src/logs's reader. The families' needles are the reader's one
 * keyword category, so its chunk scanner (one RegExp over 1 MiB, line bounds only around hits) does the
 * prefiltering, and its cursors (rotation-safe, per member) make each run read only new lines.
 */

/** Category id of the needles in the reader's rule set (never shown: these rules are the attacks' own). */
export const ATTACK_CATEGORY = 'attack';

const rulesCache = new Map<string, RuleSet>();

/** The reader's rules for a stream with these hints: one category whose keywords are the needles. */
export function attackRules(hints: readonly Family[]): RuleSet {
  const key = [...hints].sort().join(',');
  let rules = rulesCache.get(key);
  if (!rules) {
    rules = compileRules(
      logsConfig.parse({
        runbook: false,
        categories: { [ATTACK_CATEGORY]: { keywords: readerNeedles(hints) } },
      }),
    );
    rulesCache.set(key, rules);
  }
  return rules;
}

/** Families that read a service's own log (no syslog tag): from its profile, and the file's name. */
export function hintsFor(service: string, file: string): Family[] {
  const base = path.basename(file);
  const fam = SERVICE_FAMILY[service];
  if (/xferlog/.test(base)) return ['xferlog'];
  if (fam === 'web') return /error/i.test(base) ? ['apache', 'nginx'] : ['web'];
  // Squid's cache.log and store.log are diagnostics, not requests.
  if (fam === 'proxy') return /^(?:cache|store)\.log/.test(base) ? [] : ['proxy'];
  return fam ? [fam] : [];
}

/** Hints of a log source of the plan: a shared system log has none (the tag decides). */
export function sourceHints(plan: Plan, src: Pick<LogSource, 'local' | 'shared' | 'owners'>): Family[] {
  if (src.shared && src.owners.length === 0) return [];
  const hints = new Set<Family>();
  for (const name of src.owners) {
    const svc = plan.services.find((s) => s.name === name);
    for (const h of hintsFor(svc?.profile ?? name, src.local)) hints.add(h);
  }
  return [...hints];
}

/** The names and addresses of the inspected host (see selfNamesOf): a proxy request for one is for it. */
export function selfNames(host: Pick<Host, 'name' | 'root'>): string[] {
  let hosts = '';
  try {
    hosts = readRegularFileSync(resolveInRoot(host, '/etc/hosts'), 'latin1');
  } catch {
    // no /etc/hosts (a tree without one): the name alone
  }
  return selfNamesOf(host.name, hosts);
}

/**
 * The account names of the host's /etc/passwd (latin1, as btmp records hold bytes), or undefined when it
 * cannot be read: an unknown name's btmp records include sshd's lookup record (see settleBtmp).
 */
export function accountNames(host: Pick<Host, 'root'>): Set<string> | undefined {
  const text = readHead(host, '/etc/passwd', PROC_LIMIT);
  if (text === undefined) return undefined;
  return new Set(passwdEntries(text).map((e) => e.name));
}

/** At most this much of a /proc table is read (a full BGP table makes `fib_trie` hundreds of MB). */
const PROC_LIMIT = 8 << 20;

/** The first `limit` bytes of a host file as latin1, or undefined when it cannot be read. */
function readHead(host: Pick<Host, 'root'>, file: string, limit: number): string | undefined {
  try {
    return readHeadOrThrow(host, file, limit).text;
  } catch {
    return undefined;
  }
}

/**
 * The first `limit` bytes of a regular host file as latin1, and whether it holds more; throws why it cannot
 * be read (opened as every input file, see src/core/open.ts; under --root, inside the tree).
 */
function readHeadOrThrow(
  host: Pick<Host, 'root'>,
  file: string,
  limit: number,
): { text: string; more: boolean } {
  const { fd } = openRegularSync(hostPath(host, file), { root: host.root });
  try {
    const buf = Buffer.alloc(Math.min(limit + 1, 1 << 16));
    const parts: Buffer[] = [];
    let total = 0;
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
      parts.push(Buffer.from(buf.subarray(0, Math.min(n, limit - total))));
      total += n;
      if (total > limit) break;
    }
    return { text: Buffer.concat(parts).toString('latin1'), more: total > limit };
  } finally {
    closeSync(fd);
  }
}

/**
 * This host's own addresses as `/32` and `/128` CIDRs, from the (root's) /proc: a proxy client on one is the
 * host itself (see netlocal.ts). Not the networks it is connected to. Tables that cannot be read add nothing.
 */
export function hostAddresses(host: Pick<Host, 'root'>): string[] {
  const proc: ProcNet = {};
  const fibTrie = readHead(host, '/proc/net/fib_trie', PROC_LIMIT);
  const ifInet6 = readHead(host, '/proc/net/if_inet6', PROC_LIMIT);
  if (fibTrie !== undefined) proc.fibTrie = fibTrie;
  if (ifInet6 !== undefined) proc.ifInet6 = ifInet6;
  return hostAddressesOf(proc);
}

/** Where Squid's configuration is: Debian's and RHEL's path, then old Debian's `squid3`. */
const SQUID_CONFS = ['/etc/squid/squid.conf', '/etc/squid3/squid.conf'];

/**
 * What the (root's) Squid configuration says of its role (see `squidRole` in squidconf.ts): a reverse proxy
 * only when every `http_port`/`https_port` line of its squid.conf, and of the files it `include`s, is an
 * accelerator's and all of it was read; `unread` says why it was not read whole. Under --root its symbolic
 * links resolve inside the tree (resolveInRoot), never to the auditing machine's own files.
 */
export function squidRoleOf(host: Pick<Host, 'root'>): SquidRole {
  return squidRole(
    {
      read: (file, limit) => readHeadOrThrow(host, file, limit),
      list: (dir) => readdirSync(resolveInRoot(host, dir)),
    },
    SQUID_CONFS,
  );
}

/** Whether the (root's) Squid is known to be a reverse proxy only (see {@link squidRoleOf}). */
export function squidAccelerated(host: Pick<Host, 'root'>): boolean {
  return squidRoleOf(host).accelerated;
}

/**
 * Whether a proxy log is Squid's, whose relays a reverse-proxy configuration makes none: a log of a service
 * with Squid's profile, or (a file named on the command line) a proxy log that is not DeleGate's.
 */
export function isSquidLog(
  file: string,
  hints: readonly Family[],
  profiles: readonly string[] = [],
): boolean {
  if (!hints.includes('proxy')) return false;
  if (profiles.length > 0) return profiles.includes('squid');
  return !/^\d+\.https?$/.test(path.basename(file)) && !/[/\\]delegate[\w-]*[/\\]/i.test(file);
}

/**
 * Hints of a file named on the command line: by its name (`access.log`, `error_log`, `xferlog`), its first
 * line, or a daemon's name in it. (`root`: the host's; under --root a file's links resolve inside the tree.)
 */
export function fileHints(file: string, root: string): Family[] {
  const base = path.basename(file);
  // A proxy's log (DeleGate's PROTOLOG `8080.http`, anything under squid's or DeleGate's log directory).
  if (/^\d+\.https?$/.test(base) || /[/\\](?:delegate|squid[\w-]*)[/\\]/i.test(file))
    return /^(?:cache|store)\.log/.test(base) ? [] : ['proxy'];
  // An `access.log` is a web server's, unless its first line is Squid's own format (a copy in /tmp, an odd
  // directory): read as a web log, Squid's lines parsed as nothing and said OK.
  if (/access/.test(base)) return sniffHints(file, root)[0] === 'proxy' ? ['proxy'] : ['web'];
  if (/error/.test(base)) return ['apache', 'nginx'];
  if (/xferlog/.test(base)) return ['xferlog'];
  const sniffed = sniffHints(file, root);
  return sniffed.length > 0 ? sniffed : nameHints(base);
}

/**
 * Hints from a file name's words (`sshd.log`, `log.smbd`, `dovecot.log`): a daemon's own log whose lines have
 * no prefix to tell them by (`sshd -E FILE` writes bare messages). Syslog lines in such a file still go by
 * their tag; the web and proxy families are left to the name and content rules above.
 */
function nameHints(base: string): Family[] {
  const hints = new Set<Family>();
  for (const word of base.toLowerCase().split(/[^a-z0-9-]+/)) {
    const fam = Object.hasOwn(SERVICE_FAMILY, word) ? SERVICE_FAMILY[word] : undefined;
    if (fam !== undefined && SYSLOG_FAMILIES.includes(fam)) hints.add(fam);
  }
  return [...hints];
}

/**
 * The format of a file whose name does not tell (`mysite-ssl.log`), from its first line: a web access log
 * (Common/Combined Log Format), a web server's error log, or xferlog. Read as a syslog file instead, an
 * access log gave "0 findings", a false all-clear.
 */
function sniffHints(file: string, root: string): Family[] {
  let head = '';
  try {
    const fd = openRegularSync(file, { follow: true, root }).fd; // a file named on the command line
    try {
      const buf = Buffer.alloc(4096);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('latin1');
    } finally {
      closeSync(fd);
    }
  } catch {
    return []; // unreadable here: the read itself says why
  }
  const first = head.split('\n').find((l) => l.trim() !== '') ?? '';
  if (/^\S+ \S+ \S+ \[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "/.test(first)) return ['web'];
  if (
    /^(?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[\w+\] |\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)/.test(
      first,
    )
  )
    return ['apache', 'nginx'];
  if (/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} \d+ \S+ \d+ /.test(first))
    return ['xferlog'];
  // vsftpd's own log (`vsftpd_log_file`): a ctime stamp, then `[pid N]`
  if (/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} \[pid \d+\] /.test(first)) return ['vsftpd'];
  // Samba's own log (`log file`): a `[YYYY/MM/DD HH:MM:SS.ffffff,  LEVEL]` header above each message
  if (/^\[\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d+)?, +\d+/.test(first)) return ['samba'];
  if (/^\d{9,11}\.\d{3} +-?\d+ \S+ [A-Z_]+\/\d{3} /.test(first)) return ['proxy']; // Squid's native format
  return [];
}

/** How to read one log source. */
export interface AccountReadOptions {
  /** `whole`: the file alone from its start (a file named on the command line); else the family's mode. */
  mode: ReadMode | { kind: 'whole' };
  now: Date;
  zone: Zone;
  hints: readonly Family[];
  /** This host's names (see AccountOptions.self). */
  self?: readonly string[];
  /** A proxy's intended remote users (see AccountOptions.allow). */
  allow?: readonly string[];
  /** This host's own addresses (see AccountOptions.addresses). */
  addresses?: readonly string[];
  /** The log is a reverse proxy's (see AccountOptions.reverseProxy). */
  reverseProxy?: boolean;
  /** Host path of a local path. */
  display: (local: string) => string;
  /** The host's root: under --root, the log's links resolve inside the tree (SourceReadOptions.root). */
  root: string;
  /** Report the live file's last line even without a newline (read-only commands). */
  consumeTrailing?: boolean;
  /** Content bytes read per file at most (SourceReadOptions.limit). */
  limit?: number;
  signal?: AbortSignal;
  /** Asked before each chunk read: a reason to stop now, or null (default: heapPressure). */
  pressure?: () => string | null;
  /** Basic-auth failures noted so far (earlier runs, other access logs), for the logins after them. */
  basicAuth?: BasicAuthLogins;
  onEvent: (e: SourcedEvent) => void;
}

/** Share of V8's heap limit past which the accounting stops reading (finish() and the report need the rest). */
const HEAP_SHARE = 0.6;

/**
 * A reason to stop reading when the JavaScript heap is over HEAP_SHARE of its limit, else null. The detectors
 * keep a few hundred bytes to a few KB per source, and an attacker controls the number of sources (an IPv6 /64,
 * spoofed firewall drops): 1M web-probe sources took 3.8 GB, and on a small server V8 aborted at its heap
 * limit with a native stack trace and no state saved, so every later run crashed the same way. Stopped here
 * instead, the run reports what it read, saves its cursors there, and the next run goes on from them.
 */
export function heapPressure(
  stats: Pick<HeapInfo, 'used_heap_size' | 'heap_size_limit'> = getHeapStatistics(),
): string | null {
  if (stats.used_heap_size <= stats.heap_size_limit * HEAP_SHARE) return null;
  // V8's sizes are binary: in MiB/GiB, as a `--max-old-space-size` is set (it printed "1024 MB" for 1 GiB).
  const held = sizeOf(stats.used_heap_size, true);
  return `memory: the attack accounting holds ${held} of its ${sizeOf(stats.heap_size_limit, true)} heap, a flood of distinct sources?`;
}

/** The reader's options for a read of `opts` with these rules. */
function readerOptions(opts: AccountReadOptions, rules: RuleSet) {
  return {
    rules,
    pressure: opts.pressure ?? (() => heapPressure()),
    identity: DEFAULT_IDENTITY,
    countLines: true,
    consumeTrailing: opts.consumeTrailing ?? false,
    ...(opts.limit ? { limit: opts.limit } : {}),
    display: opts.display,
    root: opts.root,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

/**
 * Reads one log (and its rotated members) through the attack accounting; returns the reader's result. A web
 * log's basic-auth failures are noted in `opts.basicAuth` for accountBasicAuthLogins.
 */
export async function accountLog(local: string, opts: AccountReadOptions): Promise<SourceReadResult> {
  const acc = new Accountant({
    now: opts.now,
    zone: opts.zone,
    hints: opts.hints,
    ...(opts.self ? { self: opts.self } : {}),
    ...(opts.allow ? { allow: opts.allow } : {}),
    ...(opts.addresses ? { addresses: opts.addresses } : {}),
    ...(opts.reverseProxy ? { reverseProxy: true } : {}),
  });
  let current = '';
  let shown = '';
  const common = readerOptions(opts, attackRules(opts.hints));
  const basicAuth = opts.hints.includes('web') ? opts.basicAuth : undefined;
  const onHit = (hit: { line: number; text: string }, file: { path: string; mtimeMs: number }) => {
    if (file.path !== current) {
      current = file.path;
      shown = opts.display(file.path);
      acc.useFile(file.mtimeMs);
    }
    const event = acc.hit(hit.text, hit.line);
    if (event) {
      basicAuth?.note(event);
      opts.onEvent({ event, line: hit.line, text: hit.text, source: shown });
    }
  };
  return opts.mode.kind === 'whole'
    ? readWholeFile(local, common, onHit)
    : readSource(local, { ...common, mode: opts.mode }, onHit);
}

/**
 * The second read of a web access log (the same `opts` as its accountLog): the requests of the sources that
 * failed basic auth in any log read so far (`opts.basicAuth`), for their logins. Run after every log's first
 * read, so a login in one access log after failures in another (`access.log` and `other_vhosts_access.log`)
 * is seen whatever their order. It reads from the same start as the first read and may go past where it
 * stopped (lines written in between): a login there is seen now, where the next run might not look for it.
 */
export async function accountBasicAuthLogins(local: string, opts: AccountReadOptions): Promise<void> {
  const basicAuth = opts.basicAuth;
  if (!opts.hints.includes('web') || basicAuth === undefined) return;
  const hosts = basicAuth.hosts();
  if (hosts.length === 0) return;
  const common = readerOptions(opts, hostRules(hosts));
  const onHit = (hit: LineHit, file: HitFile) => {
    const event = basicAuth.login(hit.text);
    if (event) opts.onEvent({ event, line: hit.line, text: hit.text, source: opts.display(file.path) });
  };
  await (opts.mode.kind === 'whole'
    ? readWholeFile(local, common, onHit)
    : readSource(local, { ...common, mode: opts.mode }, onHit));
}

/** The last hostRules compiled: a run's second reads of its access logs look for the same sources. */
let lastHostRules: { key: string; rules: RuleSet } | undefined;

/** Rules whose needles are these sources' addresses, as an access log's first field ends (`ADDR `). */
function hostRules(hosts: readonly string[]): RuleSet {
  const key = hosts.join('\n');
  if (lastHostRules?.key === key) return lastHostRules.rules;
  const rules = compileRules(
    logsConfig.parse({
      runbook: false,
      categories: { [ATTACK_CATEGORY]: { keywords: hosts.map((h) => `${h} `) } },
    }),
  );
  lastHostRules = { key, rules };
  return rules;
}

/**
 * Reads the journal through the accounting (on systems without a syslog daemon, such as a default Debian 13,
 * it is the only log). Each entry's pid (`SYSLOG_PID`, else `_PID`) keys sshd's multi-line joins, as the
 * `sshd[pid]` tag does in a file; an entry without one shares a single key.
 */
export async function accountJournal(opts: {
  runner: JournalRunner;
  directory?: string;
  start: JournalStart;
  now: Date;
  zone: Zone;
  signal?: AbortSignal;
  onEvent: (e: SourcedEvent) => void;
}): Promise<{ cursor: string | null; entries: number; cursorLost?: string }> {
  const acc = new Accountant({ now: opts.now, zone: opts.zone });
  return readJournal({
    runner: opts.runner,
    ...(opts.directory ? { directory: opts.directory } : {}),
    start: opts.start,
    rules: attackRules([]),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onHit: (e) => {
      const event = acc.parsed({
        program: e.program ?? '',
        pid: e.pid,
        message: e.text,
        text: e.text,
        time: e.time,
      });
      if (event) opts.onEvent({ event, line: 0, text: e.text, source: 'journal' });
    },
  });
}
