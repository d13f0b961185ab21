/**
 * Services started on demand: inetd (inetd.conf), xinetd (xinetd.conf + xinetd.d) and systemd socket
 * activation (.socket units). While idle such a service has no process; what must exist is its listener,
 * held by the super-server (or pid 1). Parsers are pure; `readOndemand` is the thin reader. Hand-written:
 * no maintained npm package parses any of these formats, and each is a few dozen lines of rules.
 */
import { append } from '../core/array.ts';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { readRegularFile } from '../core/open.ts';
import path from 'node:path';
import { describe, errnoCode } from '../core/errors.ts';
import type { Host } from '../core/host.ts';
import { resolveInRoot } from '../core/inroot.ts';

/** Which super-server starts the service. */
export type OndemandKind = 'inetd' | 'xinetd' | 'systemd';

/** One on-demand service entry: where it listens and what it starts. */
export interface OndemandEntry {
  kind: OndemandKind;
  /** Service name (`telnet`, `ftp`) or socket unit name without `.socket`. */
  name: string;
  protocol: 'tcp' | 'udp';
  /** Port it listens on; null when it could not be resolved (unknown service name). */
  port: number | null;
  /** Bound address, when the config restricts it. */
  addr: string | null;
  /** Program started on a connection (through tcpd when wrapped); null for internal services. */
  server: string | null;
  enabled: boolean;
  /** Host path and line of the definition, for evidence. */
  source: string;
  line: number;
}

/** /etc/services as `name/proto` → port (aliases included). */
export type Services = ReadonlyMap<string, number>;

/** Parses /etc/services (`name port/proto aliases # comment`). */
export function parseServices(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const f = raw.replace(/#.*/, '').trim().split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(f[1] ?? '');
    if (!f[0] || !m) continue;
    for (const name of [f[0], ...f.slice(2)]) {
      const key = `${name}/${m[2]}`;
      if (!map.has(key)) map.set(key, Number(m[1]));
    }
  }
  return map;
}

/** A port field: a number, or a service name looked up for the protocol. */
function resolvePort(name: string, protocol: 'tcp' | 'udp', services: Services): number | null {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n >= 1 && n <= 65535 ? n : null;
  }
  return services.get(`${name}/${protocol}`) ?? null;
}

/** `tcp`, `tcp6`, `udp4,rcvbuf=64k` → tcp/udp; null for rpc/* and unix (no fixed port to check). */
function inetProtocol(field: string): 'tcp' | 'udp' | null {
  const p = field.split(',')[0] ?? '';
  if (/^tcp[46]?$/.test(p)) return 'tcp';
  if (/^udp[46]?$/.test(p)) return 'udp';
  return null;
}

/** The program an inetd line really runs: tcpd's first argument when wrapped, none for `internal`. */
function realServer(program: string, args: string[]): string | null {
  if (program === 'internal') return null;
  if (path.posix.basename(program) === 'tcpd' && args[0]) return args[0];
  return program;
}

/**
 * Parses inetd.conf (BSD inetd, openbsd-inetd, netkit). Lines Debian's update-inetd disabled
 * (`#<off># ...`) are returned with enabled=false; `addr:` lines set the default listen address
 * for the following entries, and `addr:service` binds one entry; rpc and unix entries are skipped.
 */
export function parseInetdConf(text: string, source: string, services: Services): OndemandEntry[] {
  const out: OndemandEntry[] = [];
  let defaultAddr: string | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).trim();
    let enabled = true;
    if (line.startsWith('#<off>#')) {
      line = line.slice('#<off>#'.length).trim();
      enabled = false;
    }
    if (!line || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    if (f.length === 1 && (f[0] as string).endsWith(':')) {
      const a = (f[0] as string).slice(0, -1);
      defaultAddr = a === '*' ? null : a;
      continue;
    }
    if (f.length < 6) continue;
    let name = f[0] as string;
    let addr = defaultAddr;
    const colon = name.lastIndexOf(':');
    if (colon >= 0) {
      const a = name.slice(0, colon);
      addr = a === '*' ? null : a;
      name = name.slice(colon + 1);
    }
    const protocol = inetProtocol(f[2] as string);
    if (!protocol || name.includes('/')) continue;
    out.push({
      kind: 'inetd',
      name,
      protocol,
      port: resolvePort(name, protocol, services),
      addr,
      server: realServer(f[5] as string, f.slice(6)),
      enabled,
      source,
      line: i + 1,
    });
  }
  return out;
}

/** One xinetd file's parts: service blocks, defaults, and include directives (resolved by the reader). */
export interface XinetdFile {
  services: { name: string; attrs: Map<string, string[]>; line: number }[];
  /** `disabled` / `enabled` lists from a `defaults` block (cumulative). */
  disabled: string[];
  enabled: string[] | null;
  includeDirs: string[];
  includes: string[];
}

/** Parses one xinetd configuration file (service/defaults blocks of `attr = value`, `+=`, `-=`). */
export function parseXinetdFile(text: string): XinetdFile {
  const file: XinetdFile = { services: [], disabled: [], enabled: null, includeDirs: [], includes: [] };
  const lines = text.split('\n');
  let block: {
    kind: 'service' | 'defaults';
    name: string;
    attrs: Map<string, string[]>;
    line: number;
  } | null = null;
  let pending: { kind: 'service' | 'defaults'; name: string; line: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (!line || line.startsWith('#')) continue;
    if (block) {
      if (line.startsWith('}')) {
        if (block.kind === 'service')
          file.services.push({ name: block.name, attrs: block.attrs, line: block.line });
        else {
          file.disabled.push(...(block.attrs.get('disabled') ?? []));
          const en = block.attrs.get('enabled');
          if (en) file.enabled = [...(file.enabled ?? []), ...en];
        }
        block = null;
        continue;
      }
      const m = /^([A-Za-z_]+)\s*(\+=|-=|=)\s*(.*)$/.exec(line);
      if (!m) continue;
      const key = (m[1] as string).toLowerCase();
      const values = (m[3] as string).trim().split(/\s+/).filter(Boolean);
      const old = block.attrs.get(key) ?? [];
      if (m[2] === '=') block.attrs.set(key, values);
      else if (m[2] === '+=') block.attrs.set(key, [...old, ...values]);
      else
        block.attrs.set(
          key,
          old.filter((v) => !values.includes(v)),
        );
      continue;
    }
    const open = line.endsWith('{');
    const head = open ? line.slice(0, -1).trim() : line;
    if (head === '' && open && pending) {
      block = { ...pending, attrs: new Map() };
      pending = null;
      continue;
    }
    const words = head.split(/\s+/);
    if (words[0] === 'service' && words[1]) pending = { kind: 'service', name: words[1], line: i + 1 };
    else if (words[0] === 'defaults') pending = { kind: 'defaults', name: 'defaults', line: i + 1 };
    else if (words[0] === 'includedir' && words[1]) file.includeDirs.push(words[1]);
    else if (words[0] === 'include' && words[1]) file.includes.push(words[1]);
    if (open && pending) {
      block = { ...pending, attrs: new Map() };
      pending = null;
    }
  }
  return file;
}

/** Turns parsed xinetd service blocks into entries, applying `disable`, and defaults' disabled/enabled. */
export function xinetdEntries(
  services: { name: string; attrs: Map<string, string[]>; line: number; source: string }[],
  defaults: { disabled: string[]; enabled: string[] | null },
  known: Services,
): OndemandEntry[] {
  const out: OndemandEntry[] = [];
  for (const s of services) {
    const one = (k: string): string | undefined => s.attrs.get(k)?.[0];
    const socketType = one('socket_type');
    const protocol = inetProtocol(one('protocol') ?? (socketType === 'dgram' ? 'udp' : 'tcp'));
    const types = s.attrs.get('type') ?? [];
    if (!protocol || types.includes('RPC')) continue;
    const id = one('id') ?? s.name;
    const enabled =
      one('disable')?.toLowerCase() !== 'yes' &&
      !defaults.disabled.includes(id) &&
      !defaults.disabled.includes(s.name) &&
      (defaults.enabled === null || defaults.enabled.includes(id) || defaults.enabled.includes(s.name));
    const portAttr = one('port');
    out.push({
      kind: 'xinetd',
      name: s.name,
      protocol,
      port:
        portAttr !== undefined
          ? resolvePort(portAttr, protocol, known)
          : resolvePort(s.name, protocol, known),
      addr: one('bind') ?? one('interface') ?? null,
      server: types.includes('INTERNAL') ? null : (one('server') ?? null),
      enabled,
      source: s.source,
      line: s.line,
    });
  }
  return out;
}

/** A parsed systemd unit: `Section.Key` → values in order (an empty assignment resets the list). */
export type UnitFile = Map<string, string[]>;

/**
 * Parses a systemd unit file (or a drop-in onto `base`): sections, `Key=value`, `#`/`;` comments,
 * trailing-backslash continuations; an empty value resets a list setting, as systemd does.
 */
export function parseUnitFile(text: string, base?: UnitFile): UnitFile {
  const unit: UnitFile = new Map([...(base ?? new Map<string, string[]>())].map(([k, v]) => [k, [...v]]));
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).trim();
    while (line.endsWith('\\') && i + 1 < lines.length)
      line = `${line.slice(0, -1)} ${(lines[++i] as string).trim()}`;
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1] as string;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 1) continue;
    const key = `${section}.${line.slice(0, eq).trim()}`;
    const value = line.slice(eq + 1).trim();
    if (value === '') unit.set(key, []);
    else unit.set(key, [...(unit.get(key) ?? []), value]);
  }
  return unit;
}

/** Parses a ListenStream/ListenDatagram value: `22`, `0.0.0.0:143`, `[::]:143`; null for unix/vsock/netlink. */
export function parseListenValue(value: string): { addr: string | null; port: number } | null {
  let m = /^(\d+)$/.exec(value);
  if (m) return { addr: null, port: Number(m[1]) };
  m = /^\[([0-9A-Fa-f:.]+)\](?:%\S+)?:(\d+)$/.exec(value) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(value);
  if (m) return { addr: m[1] as string, port: Number(m[2]) };
  return null;
}

/** The program in an ExecStart= value, without systemd's `-@:+!` prefixes. */
export function execProgram(value: string): string | null {
  const first = value
    .trim()
    .split(/\s+/)[0]
    ?.replace(/^[-@:+!]+/, '');
  return first ? first : null;
}

/** Entries of one .socket unit (its service's ExecStart resolved by the caller). */
export function systemdSocketEntries(
  name: string,
  unit: UnitFile,
  opts: { server: string | null; enabled: boolean; source: string },
): OndemandEntry[] {
  const out: OndemandEntry[] = [];
  const add = (key: string, protocol: 'tcp' | 'udp'): void => {
    for (const v of unit.get(`Socket.${key}`) ?? []) {
      const l = parseListenValue(v);
      if (!l) continue;
      out.push({ kind: 'systemd', name, protocol, port: l.port, addr: l.addr, ...opts, line: 0 });
    }
  };
  add('ListenStream', 'tcp');
  add('ListenDatagram', 'udp');
  return out;
}

/** Systemd unit directories, most important first (the first file of a name wins). */
export const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
];

/** What the reader found, and what it could not read. */
export interface OndemandScan {
  entries: OndemandEntry[];
  /** One line each: `Cannot read /etc/inetd.conf: permission denied`. */
  problems: string[];
}

/**
 * A configuration file's text; null when it is absent. A FIFO or socket is refused at once (`not a regular
 * file`) instead of waited on; a character device (a unit masked by a link to /dev/null) reads as empty.
 */
/**
 * The text of a host file (its links resolved inside the root: a unit linked as `/lib/systemd/system/x` is
 * the tree's), null when it is not there; throws why it cannot be read.
 */
async function readText(host: Pick<Host, 'root'>, hostFile: string): Promise<string | null> {
  let local: string | undefined;
  try {
    // A link to /dev/null (systemd's mask) is empty on the server, whether or not the tree holds a /dev.
    if (await linksToDevNull(host, hostFile)) return '';
    local = resolveInRoot(host, hostFile);
    return await readRegularFile(local, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
    if (
      errnoCode(err) === 'ENOTREG' &&
      local !== undefined &&
      (await stat(local).catch(() => null))?.isCharacterDevice()
    )
      return '';
    throw err;
  }
}

/** The sorted names in a host directory (its links resolved inside the root); none when it cannot be listed. */
async function list(host: Pick<Host, 'root'>, hostDir: string): Promise<string[]> {
  try {
    return (await readdir(resolveInRoot(host, hostDir))).sort();
  } catch {
    return [];
  }
}

/** Reads xinetd's configuration: xinetd.conf and what it includes (or xinetd.d alone when there is none). */
async function readXinetd(
  host: Pick<Host, 'root'>,
  known: Services,
  problems: string[],
): Promise<OndemandEntry[]> {
  const blocks: { name: string; attrs: Map<string, string[]>; line: number; source: string }[] = [];
  const defaults = { disabled: [] as string[], enabled: null as string[] | null };
  const seen = new Set<string>();
  const parseOne = async (hostFile: string, depth: number): Promise<boolean> => {
    if (seen.has(hostFile) || depth > 8) return true;
    seen.add(hostFile);
    let text: string | null;
    try {
      text = await readText(host, hostFile);
    } catch (err) {
      problems.push(describe(`Cannot read ${hostFile}`, err));
      return true;
    }
    if (text === null) return false;
    const f = parseXinetdFile(text);
    for (const s of f.services) blocks.push({ ...s, source: hostFile });
    defaults.disabled.push(...f.disabled);
    if (f.enabled) defaults.enabled = [...(defaults.enabled ?? []), ...f.enabled];
    for (const inc of f.includes) await parseOne(inc, depth + 1);
    for (const dir of f.includeDirs) {
      // xinetd skips names containing a dot or ending with a tilde (editor backups, dpkg leftovers).
      for (const name of await list(host, dir)) {
        if (!name.includes('.') && !name.endsWith('~')) await parseOne(path.posix.join(dir, name), depth + 1);
      }
    }
    return true;
  };
  if (!(await parseOne('/etc/xinetd.conf', 0))) {
    for (const name of await list(host, '/etc/xinetd.d')) {
      if (!name.includes('.') && !name.endsWith('~')) await parseOne(`/etc/xinetd.d/${name}`, 1);
    }
  }
  return xinetdEntries(blocks, defaults, known);
}

/** Whether a host file is itself a symbolic link to /dev/null (its directories resolved in the root). */
async function linksToDevNull(host: Pick<Host, 'root'>, hostFile: string): Promise<boolean> {
  try {
    const dir = resolveInRoot(host, path.posix.dirname(path.posix.normalize(`/${hostFile}`)));
    const local = path.join(dir, path.posix.basename(hostFile));
    return (await lstat(local)).isSymbolicLink() && (await readlink(local)) === '/dev/null';
  } catch {
    return false;
  }
}

/** Whether a unit is masked: its /etc or /run file is a link to /dev/null (or empty). */
async function isMasked(host: Pick<Host, 'root'>, unit: string): Promise<boolean> {
  for (const dir of UNIT_DIRS.slice(0, 2)) {
    try {
      // The unit's own link is looked at (a mask is a link to /dev/null); its directories resolve in the root.
      const local = path.join(resolveInRoot(host, dir), unit);
      const st = await lstat(local);
      if (st.isSymbolicLink() && (await readlink(local)) === '/dev/null') return true;
      if (st.isFile() && st.size === 0) return true;
    } catch {
      // not there
    }
  }
  return false;
}

/** Whether a unit is enabled: linked from some `*.wants` directory in a unit directory. */
async function isEnabled(host: Pick<Host, 'root'>, unit: string): Promise<boolean> {
  for (const dir of UNIT_DIRS) {
    for (const sub of await list(host, dir)) {
      if (!sub.endsWith('.wants') && !sub.endsWith('.requires')) continue;
      if ((await list(host, `${dir}/${sub}`)).includes(unit)) return true;
    }
  }
  return false;
}

/** Reads a unit with its drop-ins (`NAME.d/*.conf` from every unit directory, in name order). */
async function readUnit(
  host: Pick<Host, 'root'>,
  unit: string,
): Promise<{ unit: UnitFile; source: string } | null> {
  let found: { text: string; source: string } | null = null;
  for (const dir of UNIT_DIRS) {
    const text = await readText(host, `${dir}/${unit}`);
    if (text !== null) {
      found = { text, source: `${dir}/${unit}` };
      break;
    }
  }
  if (!found) return null;
  let parsed = parseUnitFile(found.text);
  const dropins = new Map<string, string>();
  for (const dir of [...UNIT_DIRS].reverse()) {
    for (const f of await list(host, `${dir}/${unit}.d`)) {
      if (f.endsWith('.conf')) dropins.set(f, `${dir}/${unit}.d/${f}`);
    }
  }
  for (const f of [...dropins.keys()].sort()) {
    const text = await readText(host, dropins.get(f) as string);
    if (text !== null) parsed = parseUnitFile(text, parsed);
  }
  return { unit: parsed, source: found.source };
}

/** Reads every .socket unit with a TCP/UDP listener, its service's program, and whether it is enabled. */
async function readSystemdSockets(host: Pick<Host, 'root'>, problems: string[]): Promise<OndemandEntry[]> {
  const names = new Set<string>();
  for (const dir of UNIT_DIRS) for (const f of await list(host, dir)) if (f.endsWith('.socket')) names.add(f);
  const out: OndemandEntry[] = [];
  for (const file of [...names].sort()) {
    try {
      if (await isMasked(host, file)) continue;
      const read = await readUnit(host, file);
      if (!read) continue;
      const base = file.slice(0, -'.socket'.length);
      const accept = (read.unit.get('Socket.Accept') ?? []).at(-1)?.toLowerCase();
      const serviceName =
        (read.unit.get('Socket.Service') ?? []).at(-1) ??
        (accept === 'yes' || accept === 'true' ? `${base}@.service` : `${base}.service`);
      const service = await readUnit(host, serviceName);
      const exec = service?.unit.get('Service.ExecStart')?.[0];
      const server = exec === undefined ? null : execProgram(exec);
      out.push(
        ...systemdSocketEntries(base, read.unit, {
          server,
          enabled: await isEnabled(host, file),
          source: read.source,
        }),
      );
    } catch (err) {
      problems.push(describe(`Cannot read systemd unit ${file}`, err));
    }
  }
  return out;
}

/** Reads every on-demand service definition under the host root; unreadable files become problems. */
export async function readOndemand(host: Pick<Host, 'root'>): Promise<OndemandScan> {
  const problems: string[] = [];
  let known: Services = new Map();
  try {
    known = parseServices((await readText(host, '/etc/services')) ?? '');
  } catch (err) {
    problems.push(describe('Cannot read /etc/services', err));
  }
  const entries: OndemandEntry[] = [];
  try {
    const text = await readText(host, '/etc/inetd.conf');
    if (text !== null) append(entries, parseInetdConf(text, '/etc/inetd.conf', known));
  } catch (err) {
    problems.push(describe('Cannot read /etc/inetd.conf', err));
  }
  append(entries, await readXinetd(host, known, problems));
  append(entries, await readSystemdSockets(host, problems));
  return { entries, problems };
}

/** The process name a server program runs as (its file name, cut to the 15 bytes of /proc/PID/comm). */
export function serverProcessName(server: string): string {
  return path.posix.basename(server).slice(0, 15);
}

/** Whether an on-demand entry belongs to a service: same name, its program among the service's processes, or one of its ports. */
export function entryMatches(
  e: OndemandEntry,
  service: { name: string; processes: readonly string[]; ports: readonly number[] },
): boolean {
  if (e.name === service.name) return true;
  if (e.server && service.processes.some((p) => p.slice(0, 15) === serverProcessName(e.server as string)))
    return true;
  return e.protocol === 'tcp' && e.port !== null && service.ports.includes(e.port);
}

/** `xinetd /etc/xinetd.d/telnet:3`, for summaries. */
export function entryOrigin(e: OndemandEntry): string {
  return `${e.kind} ${e.source}${e.line ? `:${e.line}` : ''}`;
}
