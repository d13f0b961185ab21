import { makeZone, type YearContext, type Zone } from '../core/tz.ts';
import { type FastFirewall, netfilterFast } from './extract/netfilter.ts';
import { isPamUnixLine } from './extract/pam.ts';
import { isSelfTarget } from './extract/proxy.ts';
import { extractors, FAMILIES, type Family, familyOf } from './extract/registry.ts';
import { tcpdLike } from './extract/tcpd.ts';
import {
  ATTEMPT,
  CLOSE,
  CONNECT,
  FAIL,
  type FastSshd,
  INVALID,
  NONE,
  PAM,
  SUCCESS,
  sshdFast,
  UNHANDLED,
} from './extract/sshd-fast.ts';
import { ECHO_OWNERS } from './echo.ts';
import { hostOf } from './host.ts';
import { Interner } from './intern.ts';
import { Joiner } from './join.ts';
import { LocalClients } from './local.ts';
import { LineSplitter } from './line.ts';
import {
  type AttackEvent,
  type Extracted,
  type Extractor,
  isNote,
  type Note,
  type ParsedLine,
} from './types.ts';

/**
 * Attack accounting for one log stream: prefilter, split, dispatch to the family's extractor, join.
 * The prefilter is the families' needles: a line holding none of them is never split. Files are read by
 * src/logs's reader with those needles as its one keyword category (`attackRules`), so only lines around a
 * needle are ever cut out of a chunk; `scanText` does the same over an in-memory chunk.
 */

/** Options of one stream's accounting. */
export interface AccountOptions {
  /** Inspection time: the year reference for year-less dates when no file context is given. */
  now: Date;
  /** Zone of the log's wall-clock times (default: the process's local zone). */
  zone?: Zone;
  /**
   * Families that read lines without a known syslog tag (a service's own log: `['web']` for a web
   * server's access logs). Empty for syslog files, where the tag decides.
   */
  hints?: readonly Family[];
  /**
   * Read sshd's common messages by character codes (default true); false sends every line through the
   * RegExp extractors (the oracle the fast path is tested against).
   */
  fast?: boolean;
  /**
   * This host's names (its host name): a proxy's request for one of them (or for a loopback name or address)
   * is a request to this server; requests it relayed to other sites are not counted.
   */
  self?: readonly string[];
  /**
   * Addresses or CIDRs of a proxy's intended remote users (`checks.attacks.openproxy.allow`): relays for them,
   * as for loopback, private and this host's addresses, are no open proxy.
   */
  allow?: readonly string[];
  /**
   * This host's own addresses as `/32` and `/128` CIDRs (hostAddresses, from /proc): a proxy client on one is
   * local. Not its on-link networks (a provider's shared /20 is strangers), nor used for the servers it fetched.
   */
  addresses?: readonly string[];
  /**
   * The stream is a reverse proxy's (a Squid whose every port is an accelerator): its requests are for the
   * sites it fronts, so none is a relay; they count as requests of this host.
   */
  reverseProxy?: boolean;
}

/** An event with where it was found. */
export interface LocatedEvent {
  event: AttackEvent;
  /** 1-based line number in the stream (0 when unknown). */
  line: number;
  /** The line's text (latin1-decoded bytes: untrusted, render with sanitize). */
  text: string;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Families a syslog tag routes to; the others (web, proxy, xferlog) read only a service's own log. */
export const SYSLOG_FAMILIES: readonly Family[] = FAMILIES.filter(
  (f) => f !== 'web' && f !== 'proxy' && f !== 'xferlog',
);

/**
 * The needles of every family a stream can route to: the syslog families plus its hints. Every line an
 * extractor can count (or a joiner needs) holds one of them, case-sensitively.
 */
export function needlesFor(hints: readonly Family[]): string[] {
  // sysklogd's `last message repeated N times` belongs to no family (see Accountant.repeatedLast).
  const needles = new Set<string>(['last message repeated']);
  for (const f of new Set<Family>([...SYSLOG_FAMILIES, ...hints]))
    for (const n of (extractors[f] as Extractor).needles) needles.add(n);
  return [...needles];
}

/**
 * What the file reader searches for in syslog streams: a short cover of the syslog families' needles (each
 * needle contains one of these, ignoring case; `account.test.ts` checks it). Fewer, shorter keywords keep
 * src/logs's SIMD keyword filter fast: `fail` alone stands for fifteen daemons' failure texts. Narrow where
 * a wider word would hit ordinary lines (postfix's `disconnect from`, `connect from unknown[...]`). The
 * kernel compares keywords only where a lane's first four bytes hash like a keyword's, so anchors start
 * where those four bytes are rare in logs: `r unknown`, not `user unknown` (`user` is on every sshd line).
 * On the benchmark's 21 MB this took the kernel from 18 to 16 ms.
 */
export const SYSLOG_ANCHORS: readonly string[] = [
  'fail',
  'nvalid',
  'llegal u',
  'uthentica',
  'efuse',
  'ot allowed b',
  'eceived disconnect',
  'isconnected from',
  'isconnecting',
  'nnection ',
  'oo many',
  'ccepted ',
  'id not ',
  'ad protocol',
  'nable to negotiate',
  'imeout before',
  'ot known to the',
  'ok login',
  'ftp command',
  'o such user',
  'ecurity violation',
  'aximum',
  'n successful',
  'ogged in',
  'n: user=<',
  'ossible smtp',
  'uleset=check_',
  'eject',
  're-greeting',
  'regreet',
  'r unknown',
  'own user',
  'cpts=0',
  'mproper command',
  'angup after',
  'imit from',
  'tp protocol error',
  'on-smtp',
  'drop',
  'ynchronization error',
  'intext auth',
  'isallowed',
  'rd mismatch',
  'rror,relay=',
  'nt_status_',
  '[client ',
  '[remote ',
  ', client: ',
  'locked',
  'ttackalert',
  'ge repeated ',
  'of received',
  ', tos ',
  'rts ',
  'src=',
];

/** The reader's keywords (matched without case) for a stream with these hints: the anchors plus the hinted own-log families' needles. */
export function readerNeedles(hints: readonly Family[]): string[] {
  const own = hints.filter((h) => !SYSLOG_FAMILIES.includes(h));
  return [...new Set([...SYSLOG_ANCHORS, ...own.flatMap((h) => (extractors[h] as Extractor).needles)])];
}

function prefilterFor(hints: readonly Family[]): RegExp {
  // Web needles are matched without case (`/PHPMyAdmin/`); the others are daemons' fixed text.
  const flags = hints.includes('web') || hints.includes('proxy') ? 'gi' : 'g';
  return new RegExp(needlesFor(hints).map(escape).join('|'), flags);
}

/**
 * Whether the tag's name in [at, end) is `sshd`, `sshd-session` (OpenSSH 9.8+ logs each connection from
 * that process: Debian 13, Ubuntu 24.10, Fedora 41) or `sshd-auth` (10.0+): sshd's extractor reads them
 * alike, so the fast path takes all three (without it, today's logs took the RegExp path, ~1.5x slower).
 */
function sshdTag(raw: string, at: number, end: number): boolean {
  if (!raw.startsWith('sshd', at)) return false;
  const n = end - at;
  return (
    n === 4 ||
    (n === 12 && raw.startsWith('-session', at + 4)) ||
    (n === 9 && raw.startsWith('-auth', at + 4))
  );
}

/** sysklogd's line for a run of identical messages (host, and busybox's `syslogd:`, optional). */
const LAST_REPEATED = /^(?:\S+ )?(?:syslogd: )?last message repeated (\d{1,9}) times?$/;

/** rsyslog's line for a run of identical messages: how many, and the message. */
const REPEATED = /^message repeated (\d{1,9}) times: \[ ?(.*)\]$/;

/**
 * PAM services of daemons that also log each failed login in their own words, in their own log or
 * another syslog file (dovecot's `auth failed`, vsftpd's `FAIL LOGIN`): their pam_unix lines are echoes
 * (see AttackEvent.echo and echo.ts).
 */
const ECHOING_PAM = new Set(Object.keys(ECHO_OWNERS));

/** Programs that log a failed attempt in their own words after pam_unix has (see `parsed`). */
const OWN_FAILURE_LINE = new Set(['su', 'login']);

const PAM_ANYWHERE = /authentication failure|FAILED (?:LOGIN|SU)|LOGIN FAILURES|login failures/;

/**
 * Joiner notes that are part of a counted attempt, for `isAttackLine`: an unknown user's first sign, a failed
 * attempt, a pam failure, a failure whose host comes later, and the end of a connection (sshd's `Connection
 * closed by invalid user ...`, which releases a held failure). Not `connect` nor `success`.
 */
const ATTACK_NOTES: ReadonlySet<Note['note']> = new Set([
  'invalid',
  'attempt',
  'pamError',
  'pending',
  'pam',
  'close',
]);

/** `isAttackLine`'s default: the attacks check judges every source. */
const judgesAll = (_host: string): boolean => true;

/** Whether a line from `host` (empty or absent: not on the line) is the attacks check's to judge. */
function sourceJudged(host: string | undefined, judged: (host: string) => boolean): boolean {
  return host === undefined || host === '' || judged(host);
}

/** Accounting state for one stream (one log and its rotated members, or one journal): feed lines in order. */
export class Accountant {
  private readonly joiner = new Joiner();
  private readonly hints: readonly Family[];
  private readonly pre: RegExp;
  private readonly zone: Zone;
  /** The inspection time (epoch ms). */
  private readonly now: number;
  private splitter: LineSplitter;
  private reference = Number.NaN;
  private readonly fast: boolean;
  private readonly self: readonly string[];
  /** The clients a proxy relays for by design (see LocalClients). */
  private readonly local: LocalClients;
  /** See AccountOptions.reverseProxy. */
  private readonly reverseProxy: boolean;
  private readonly scratch: FastSshd = { host: '', user: '' };
  private readonly firewall: FastFirewall = { host: '', service: '', port: -1 };
  /** Hosts and users as shared strings (the detectors group by them). */
  private readonly names = new Interner();
  /** Lines fed to `line`, and the last counted event with its line number (for `repeatedLast`). */
  private lineNo = 0;
  private prevLine = -1;
  private prevEvent: AttackEvent | null = null;
  /**
   * hostOf of the fast paths' hosts, remembered: they are interned (`names`), and a firewall's or an
   * attacker's lines repeat a few hundred addresses, each checked by RegExp once instead of on every line.
   */
  private readonly hosts = new Map<string, string | null>();
  /** `fastHit` read the current line's prefix (tagged, no CR): the splitter's fields hold it. */
  private prefixed = false;
  /** su and login processes whose last pam_unix failure was counted (see `parsed`). */
  private readonly pamCounted = new Set<string>();

  constructor(opts: AccountOptions) {
    this.fast = opts.fast ?? true;
    this.self = opts.self ?? [];
    this.local = new LocalClients(this.self, opts.allow ?? [], opts.addresses ?? []);
    this.reverseProxy = opts.reverseProxy ?? false;
    this.hints = opts.hints ?? [];
    this.pre = prefilterFor(this.hints);
    this.zone = opts.zone ?? makeZone(undefined);
    this.now = opts.now.getTime();
    this.splitter = this.splitterFor(this.now);
  }

  private splitterFor(reference: number): LineSplitter {
    this.reference = reference;
    const years: YearContext = { reference, zone: this.zone, year: this.zone.yearOf(reference) };
    return new LineSplitter(years);
  }

  /**
   * The file the next lines come from was last written at `mtimeMs`: year-less dates get the year that
   * does not put them after it (rotated members of one stream differ). The pid joins carry over.
   */
  useFile(mtimeMs: number): void {
    // A file cannot hold lines from after the inspection: an mtime in the future (a copied or checked-out
    // tree, a clock set back) is taken as now, so year-less dates never land in the future.
    const reference = Math.min(mtimeMs, this.now);
    if (reference !== this.reference) this.splitter = this.splitterFor(reference);
    this.prevEvent = null; // line numbers start again in the next file
  }

  /** Whether a line can hold anything a detector counts (the cheap prefilter). */
  mayCount(raw: string): boolean {
    this.pre.lastIndex = 0;
    return this.pre.test(raw);
  }

  /** One line (without newline) to the event a detector counts, or null; call it for every line, in order. */
  line(raw: string): AttackEvent | null {
    this.lineNo++;
    if (!this.mayCount(raw)) return null;
    return this.hit(raw, this.lineNo);
  }

  /**
   * A line the reader already found a needle in (case-insensitively): split and dispatch. `lineNo` (1-based,
   * 0 when unknown) tells whether a `last message repeated` line follows a counted line directly.
   */
  hit(raw: string, lineNo = 0): AttackEvent | null {
    this.joiner.absorbed = null;
    this.prefixed = false;
    let ev = this.fast ? this.fastHit(raw) : undefined;
    if (ev === undefined) {
      // Untagged, a `last message repeated` line never takes the fast path: it is looked for only here.
      if (raw.includes('last message repeated')) {
        const again = this.repeatedLast(raw, lineNo);
        if (again !== undefined) return again;
      }
      // A line whose prefix the fast path read (tagged, no CR) is not read a second time.
      ev = this.parsed(this.prefixed ? this.splitter.splitPrefixed(raw) : this.splitter.split(raw));
    }
    this.prevLine = lineNo;
    // A line counted as part of an earlier one still has its repeats counted (`last message repeated`).
    const counted = ev !== null && ev.attempts > 0 ? ev : (this.joiner.absorbed ?? ev);
    this.prevEvent = lineNo > 0 && counted !== null && counted.attempts > 0 ? counted : null;
    return ev;
  }

  /**
   * sysklogd's and busybox's `last message repeated N times` (no tag: it repeats the line before it): right
   * after a counted line, that event N more times; null after any other line; undefined for other lines.
   */
  private repeatedLast(raw: string, lineNo: number): AttackEvent | null | undefined {
    const line = this.splitter.split(raw);
    const m = LAST_REPEATED.exec(line.message);
    if (!m) return undefined;
    const prev = this.prevEvent;
    const follows = lineNo > 0 && lineNo === this.prevLine + 1;
    // A later `last message repeated` line still repeats the same message (and one after another line, none).
    this.prevLine = lineNo;
    if (prev === null || !follows) {
      this.prevEvent = null;
      return null;
    }
    return { ...prev, attempts: Math.min(prev.attempts * Number(m[1]), 1000), time: line.time ?? prev.time };
  }

  /**
   * The fast path: a classic syslog line from sshd whose message is one of the shapes sshd-fast.ts reads,
   * taken to its event (or joiner note) without splitting the line into strings or running a RegExp.
   * undefined when the line is anything else (the caller then takes the general path, which gives the same
   * result for every line the fast path reads).
   */
  private fastHit(raw: string): AttackEvent | null | undefined {
    const sp = this.splitter;
    // A CR inside the line changes what `.` matches in the RegExps: the general path decides.
    if (raw.indexOf('\r') >= 0 || !sp.prefix(raw)) return undefined;
    this.prefixed = true;
    const ts = sp.tagStart;
    // `kernel: ` exactly: netfilter's (a firewall's LOG lines).
    if (sp.open < 0)
      return sp.nameEnd - ts === 6 && raw.startsWith('kernel', ts) ? this.fastKernel(raw) : undefined;
    // `sshd[pid]: ` or its OpenSSH 9.8+ forms exactly (familyOf of each is sshd; the pid is the joiner's key).
    if (!sshdTag(raw, ts, sp.open)) return undefined;
    const pid = sp.pid(raw);
    const ms = sp.msgStart;
    if (pid === null || raw.charCodeAt(ms) === 91 /* [ Solaris message id */) return undefined;
    const out = this.scratch;
    const time = sp.time;
    const code = sshdFast(raw, ms, out, this.names);
    switch (code) {
      case FAIL:
      case INVALID:
      case ATTEMPT: {
        const e: AttackEvent = {
          detector: 'bruteforce',
          kind: 'failure',
          host: out.host,
          service: 'sshd',
          attempts: 1,
          time,
          user: out.user,
        };
        if (code === FAIL) return this.joiner.plain(e, pid);
        return code === INVALID ? this.joiner.invalid(pid, e) : this.joiner.attempt(pid, e);
      }
      case CLOSE: {
        const host = this.hostOf(out.host);
        if (host !== null) return this.joiner.close(pid, host, time);
        break; // sshd.ts returns null
      }
      case PAM:
        return this.joiner.pam(pid, out.host, out.user, 'sshd', time);
      case SUCCESS: {
        const e: AttackEvent = {
          detector: 'bruteforce',
          kind: 'success',
          host: out.host,
          service: 'sshd',
          attempts: 0,
          time,
          user: out.user,
        };
        return this.joiner.success(pid, e);
      }
      case CONNECT:
        return this.joiner.connect(pid, out.host);
      case NONE:
        break;
      case UNHANDLED:
        return undefined;
    }
    // sshd's extractor found nothing: `parsed` then tries pam's on messages that name a pam failure (the
    // prefix of a line read here cannot hold one of those words, so the whole line can be tested).
    return PAM_ANYWHERE.test(raw) ? undefined : null;
  }

  /** hostOf(token), remembered for the last few thousand tokens (see `hosts`). */
  private hostOf(token: string): string | null {
    let h = this.hosts.get(token);
    if (h === undefined) {
      h = hostOf(token);
      if (this.hosts.size >= 4096) this.hosts.clear();
      this.hosts.set(token, h);
    }
    return h;
  }

  /** A `kernel: ` line after `prefix`: netfilter's event, null, or undefined for the general path. */
  private fastKernel(raw: string): AttackEvent | null | undefined {
    const sp = this.splitter;
    const ms = sp.msgStart;
    if (raw.startsWith('[ID ', ms)) return undefined; // a Solaris message id: the general path strips it
    const out = this.firewall;
    const got = netfilterFast(raw, ms, out, this.names);
    if (got < 0) return undefined;
    if (got > 0) {
      const host = this.hostOf(out.host);
      if (host !== null) {
        const e: AttackEvent = {
          detector: 'portscan',
          kind: 'refused',
          host,
          service: out.service,
          attempts: 1,
          time: sp.time,
        };
        if (out.port >= 0) e.port = out.port;
        return e;
      }
    }
    return PAM_ANYWHERE.test(raw) ? undefined : null;
  }

  /**
   * Whether a line (without newline) is one the detectors count, or read as part of a counted attempt (see
   * ATTACK_NOTES): the same prefilter and extractors as `hit`, but without the joiner, whose state it leaves
   * as it is, so the answer is the line's alone. For the logs check (src/attacks/attack-lines.ts).
   * `judged` tells whether the attacks check judges a source (as the extractor read it): a line from any
   * other (a LAN client, an ignored source) is no attack line. A line whose source is not on it (sshd's
   * `Too many authentication failures`, whose host comes later) is one.
   */
  isAttackLine(raw: string, judged: (host: string) => boolean = judgesAll): boolean {
    // The fast path reads only shapes that hold a needle: the prefilter is for the others (a quarter of the
    // cost of an sshd line saved, most of a keyword-dense log's).
    const fast = this.fast ? this.fastIsAttack(raw, judged) : undefined;
    if (fast !== undefined) return fast;
    return this.mayCount(raw) && this.isAttackParsed(this.splitter.split(raw), judged);
  }

  /**
   * `isAttackLine` for a line already split (a journal entry: its identifier, pid and message), as `parsed`
   * reads it (no prefilter: the attacks check's journal reader has none either).
   */
  isAttackParsed(line: ParsedLine, judged: (host: string) => boolean = judgesAll): boolean {
    const got = this.extract(line).got;
    if (got === null) return false;
    if (isNote(got)) {
      if (!ATTACK_NOTES.has(got.note)) return false;
      const host = 'event' in got ? got.event.host : 'host' in got ? got.host : undefined;
      return sourceJudged(host, judged);
    }
    return got.kind !== 'success' && sourceJudged(got.host, judged);
  }

  /** `fastHit`'s shapes, read for `isAttackLine`: true or false, or undefined for the general path. */
  private fastIsAttack(raw: string, judged: (host: string) => boolean): boolean | undefined {
    const sp = this.splitter;
    if (raw.indexOf('\r') >= 0 || !sp.prefix(raw)) return undefined;
    const ts = sp.tagStart;
    const ms = sp.msgStart;
    if (sp.open < 0) {
      if (sp.nameEnd - ts !== 6 || !raw.startsWith('kernel', ts) || raw.startsWith('[ID ', ms))
        return undefined;
      const got = netfilterFast(raw, ms, this.firewall, this.names);
      if (got < 0) return undefined;
      if (got > 0) {
        const host = this.hostOf(this.firewall.host);
        if (host !== null) return judged(host);
      }
      return PAM_ANYWHERE.test(raw) ? undefined : false;
    }
    if (!sshdTag(raw, ts, sp.open)) return undefined;
    if (sp.pid(raw) === null || raw.charCodeAt(ms) === 91 /* [ */) return undefined;
    switch (sshdFast(raw, ms, this.scratch, this.names)) {
      case FAIL:
      case INVALID:
      case ATTEMPT:
      case PAM:
        return sourceJudged(this.scratch.host, judged);
      case CLOSE: {
        const host = this.hostOf(this.scratch.host);
        return host !== null && judged(host);
      }
      case SUCCESS:
      case CONNECT:
        return false;
      case UNHANDLED:
        return undefined;
    }
    return PAM_ANYWHERE.test(raw) ? undefined : false;
  }

  /**
   * A split line through the extractors: what it is (an event, after the proxy's relay rules, or a note for
   * the joiner), which family read it, the line as read (a repeated message's own text) and how many times.
   */
  private extract(parsedLine: ParsedLine): {
    got: Extracted;
    from: Family | null;
    line: ParsedLine;
    times: number;
  } {
    // rsyslog's repeated-message reduction (`$RepeatedMsgReduction on`, as Ubuntu ships it) writes one line
    // for a run of identical messages: a password tried five times on one connection is one line.
    let line = parsedLine;
    let times = 1;
    const repeated = line.message.startsWith('message repeated ') ? REPEATED.exec(line.message) : null;
    if (repeated) {
      times = Math.min(Number(repeated[1]), 1000);
      line = { ...line, message: repeated[2] as string };
    }
    const fam = familyOf(line.program);
    let got: Extracted = null;
    let from: Family | null = null;
    if (fam !== null) {
      got = extractors[fam].extract(line);
      from = fam;
    } else if (this.hints.length > 0) {
      // A daemon's own log: its whole line, and no program (the syslog parse of a line without a tag took a
      // word of it for one: dovecot's `auth(bob,192.0.2.6,sasl` was read again in front of the line).
      const own =
        line.message === line.text && line.program === ''
          ? line
          : { ...line, program: '', message: line.text };
      for (const h of this.hints) {
        got = extractors[h].extract(own);
        if (got !== null) {
          from = h;
          break;
        }
      }
    }
    if (got === null && fam !== 'pam' && PAM_ANYWHERE.test(line.message)) {
      got = extractors.pam.extract(line);
      from = 'pam';
    }
    // tcp_wrappers' refusals come under the tag of whichever daemon libwrap runs in (in.telnetd, ipop3d...),
    // and so do the runbook's `null connection` / `eof received` (inetd's services, smbd).
    if (got === null && fam !== 'tcpd' && tcpdLike(line.message)) {
      got = extractors.tcpd.extract(line);
      from = 'tcpd';
    }
    if (got !== null && !isNote(got)) got = this.relay(got);
    return { got, from, line, times };
  }

  /** An already split line to an event, or null. */
  parsed(parsedLine: ParsedLine): AttackEvent | null {
    const { got, from, line, times } = this.extract(parsedLine);
    if (got === null) return null;
    if (from === 'pam' && line.pid !== null && OWN_FAILURE_LINE.has(line.program)) {
      // su and login(1) log each failed attempt twice: pam_unix's `authentication failure`, then their own
      // `FAILED SU` / `FAILED LOGIN`. Per process, the own line after a counted pam_unix line is that attempt.
      const k = `${line.program}[${line.pid}]`;
      if (isPamUnixLine(line.message)) {
        if (this.pamCounted.size >= 10_000) this.pamCounted.clear();
        this.pamCounted.add(k);
      } else if (this.pamCounted.delete(k)) return null;
    }
    const ev = this.joiner.push(got, from === 'sshd' ? (line.pid ?? -1) : null);
    if (ev !== null && times > 1 && ev.attempts > 0) ev.attempts = Math.min(ev.attempts * times, 1000);
    if (ev !== null) {
      ev.host = this.names.of(ev.host);
      if (ev.user !== undefined) ev.user = this.names.of(ev.user);
      if (ev.kind === 'failure') {
        if (from === 'pam' && ECHOING_PAM.has(ev.service)) ev.echo = 'backend';
        else if (from === 'web' && ev.status === 401) ev.echo = 'access';
      } else if (from === 'web' && ev.kind === 'probe' && ev.status !== undefined && ev.status >= 400)
        ev.echo = 'access'; // a request the error log may name too (nginx: `open() ... failed`)
    }
    return ev;
  }

  /**
   * A proxy's request as this host sees it. For another site (`target`, and Squid's peer, not this host's): a
   * probe of that site, no attack on this server, but when the proxy relayed it (`relayed`), an `openproxy`
   * relay. For this host: the probe as extracted, and no relay (the proxy's own host served it). A relay is
   * kept only for a client that is not local (loopback, private ranges, this host, the config's `allow`).
   * Squid's peer is this host only by its own names and addresses (isSelfTarget): a peer on a private or LAN
   * address is no sign of this site's backend, since a forward proxy's parent cache (`FIRSTUP_PARENT/10.0.0.1`)
   * and an outsider's fetch of an internal server (`http://10.0.0.5/admin/`) look the same. Only a reverse
   * proxy (every Squid port an accelerator: `reverseProxy`) has all its requests taken as this site's.
   */
  private relay(e: AttackEvent): AttackEvent | null {
    let ev = e;
    if (this.reverseProxy && ev.detector === 'openproxy') return null; // an accelerator opens no tunnel either
    if (ev.target !== undefined) {
      const peer = ev.targetPeer;
      const self =
        this.reverseProxy ||
        isSelfTarget(ev.target, this.self) ||
        (peer !== undefined && isSelfTarget(peer, this.self));
      if (self && ev.detector === 'openproxy') return null;
      if (!self) {
        if (ev.relayed !== true) return null;
        ev = {
          detector: 'openproxy',
          kind: 'relay',
          host: ev.host,
          service: ev.service,
          attempts: 1,
          time: ev.time,
        };
        if (e.status !== undefined) ev.status = e.status;
      }
      delete ev.target;
      delete ev.targetPeer;
    }
    delete ev.relayed;
    if (ev.detector === 'openproxy' && this.local.isLocal(ev.host)) return null;
    return ev;
  }

  /**
   * Scans a chunk of whole lines (latin1-decoded, so offsets are byte offsets) and calls `onEvent` for each
   * counted line with its 1-based number (`firstLine` is the number of the chunk's first line). Only lines
   * around a needle are cut out; the rest costs one RegExp scan.
   */
  scanText(text: string, firstLine: number, onEvent: (e: LocatedEvent) => void): void {
    const re = this.pre;
    re.lastIndex = 0;
    let lineNo = firstLine;
    let counted = 0; // offset up to which newlines were counted
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const start = text.lastIndexOf('\n', m.index) + 1;
      let end = text.indexOf('\n', m.index);
      if (end < 0) end = text.length;
      for (let i = text.indexOf('\n', counted); i >= 0 && i < start; i = text.indexOf('\n', i + 1)) lineNo++;
      counted = start;
      const raw = text.slice(start, end);
      const ev = this.hit(raw, lineNo);
      if (ev) onEvent({ event: ev, line: lineNo, text: raw });
      re.lastIndex = end + 1;
      if (end >= text.length) break;
    }
  }
}
