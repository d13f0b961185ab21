import type { AttackEvent, Extracted, JoinKey, Note } from './types.ts';
import { isNote } from './types.ts';

/**
 * The multi-line joiner: ties lines of one connection (sshd pid) or one mail transaction (sendmail queue
 * id) together. It holds a failure whose host comes on a later line (`Too many authentication failures`
 * then `Connection closed by HOST [preauth]`), counts pam_unix failures only when the daemon does not log
 * its own (sshd logs `Failed password` after each pam failure), and flags a login accepted after pam
 * failures for other users. One attempt counts once: sshd's `Invalid user X` and the `Failed password for
 * invalid user X` (or pam failure) after it are one attempt, and `maximum authentication attempts exceeded`
 * right after the connection's last `Failed` line is no attempt of its own. State is bounded: the oldest keys
 * are forgotten past `cap`.
 */

/** Slots of the marks cache (a power of two). */
const SLOTS = 4096;

/** What counted an attempt ahead of its `Failed` line (Marks.ahead): `Invalid user`. */
const INVALID_USER = 1;
/** What counted an attempt ahead of its `Failed` line: old OpenSSH's `PAM: Authentication failure`. */
const PAM_ERROR = 2;

/**
 * Per-connection marks of the sshd lines that come by the thousand in an attack (`Invalid user`, `Failed`),
 * kept in a direct-mapped cache on the pid's low bits rather than as joiner states: a Map entry for each of
 * them made the accounting ~10% slower on bench/attacks.mjs's sshd-only file. A slot another pid took since
 * only loses the mark, and the line that needed it counts as it did before marks existed.
 */
class Marks {
  private readonly pid = new Int32Array(SLOTS).fill(-2);
  /** The host of the last counted failure line of the slot's pid (see `pending`'s `afterFailures`). */
  private readonly failed: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
  /**
   * The host of an attempt counted for the pid before its own `Failed` line came, and what counted it: an
   * `Invalid user` line (INVALID_USER) or old OpenSSH's `PAM: Authentication failure` (PAM_ERROR).
   */
  private readonly ahead: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
  private readonly aheadBy = new Uint8Array(SLOTS);

  /** The slot of `pid`, taken over (emptied) when another pid held it. */
  private take(pid: number): number {
    const slot = pid & (SLOTS - 1);
    if (this.pid[slot] !== pid) {
      this.pid[slot] = pid;
      this.failed[slot] = undefined;
      this.ahead[slot] = undefined;
    }
    return slot;
  }

  /** The slot of `pid`, or -1 when it holds another pid's marks. */
  private own(pid: number): number {
    const slot = pid & (SLOTS - 1);
    return this.pid[slot] === pid ? slot : -1;
  }

  /** A failure line from `host` counted for `pid`. */
  failure(pid: number, host: string): void {
    this.failed[this.take(pid)] = host;
  }

  /** Whether a failure line was counted for `pid`, the last one from `host` when the caller knows it. */
  failedFrom(pid: number, host: string | undefined): boolean {
    const slot = this.own(pid);
    const failed = slot >= 0 ? this.failed[slot] : undefined;
    return failed !== undefined && (host === undefined || failed === host);
  }

  /** `Invalid user` from `host` counted for `pid`: the start of a connection's authentication. */
  invalidUser(pid: number, host: string): void {
    const slot = this.take(pid);
    this.failed[slot] = undefined;
    this.ahead[slot] = host;
    this.aheadBy[slot] = INVALID_USER;
  }

  /** Old OpenSSH's `PAM: Authentication failure` from `host` counted for `pid`: its `Failed` line follows. */
  pamError(pid: number, host: string): void {
    const slot = this.take(pid);
    this.ahead[slot] = host;
    this.aheadBy[slot] = PAM_ERROR;
  }

  /**
   * What counted an attempt of `pid` from `host` ahead of its own line (now it has come), if one of `by` (a
   * bit set of INVALID_USER and PAM_ERROR) did; else 0.
   */
  takeAhead(pid: number, host: string, by: number): number {
    const slot = this.own(pid);
    if (slot < 0 || this.ahead[slot] !== host) return 0;
    const kind = by & (this.aheadBy[slot] as number);
    if (kind !== 0) this.ahead[slot] = undefined;
    return kind;
  }

  /** Whether `pid` had an `Invalid user` from `host` whose attempt's own line had not come (now it has). */
  takeInvalid(pid: number, host: string): boolean {
    return this.takeAhead(pid, host, INVALID_USER) !== 0;
  }

  /** The connection of `pid` ended. */
  clear(pid: number): void {
    const slot = this.own(pid);
    if (slot >= 0) this.pid[slot] = -2;
  }
}

/**
 * A line that repeats an attempt counted already, as an event counted by no detector (`attempts` 0): sshd
 * wrote a btmp record for it too, which the detectors match against its time (see `settleBtmp`).
 */
function repeatOf(e: AttackEvent): AttackEvent {
  return { ...e, attempts: 0 };
}

interface State {
  host?: string;
  pending?: Omit<AttackEvent, 'host'> & { host?: string };
  /** A terminal failure (`maximum authentication attempts`, `Too many ...`) was counted. */
  terminal: boolean;
  /** The daemon logged its own failure lines for this connection. */
  native: boolean;
  pam?: { users: Set<string>; unreported: number };
}

/** Joins notes into events, per connection key. */
export class Joiner {
  // Two generations instead of one Map with oldest-first eviction: deleting from the front of a V8 Map leaves
  // tombstones that make `keys().next()` slow, and connections come and go by the thousand.
  private cur = new Map<JoinKey, State>();
  private old = new Map<JoinKey, State>();
  /**
   * How many numeric keys held (in either generation) end in each 16-bit value: most lines' pids have no
   * state, and a zero here answers that without probing two Maps. A key is in at most one generation.
   */
  private readonly held = new Uint16Array(1 << 16);
  /**
   * The failure the last call left uncounted as the repeat of one counted already (`Failed password for
   * invalid user` after `Invalid user`): sysklogd's `last message repeated N times` after it repeats it.
   */
  absorbed: AttackEvent | null = null;
  /** sshd's `Invalid user` and failure lines, per pid. */
  private readonly marks = new Marks();
  constructor(private readonly cap = 20_000) {}

  private mark(key: JoinKey, delta: number): void {
    if (typeof key === 'number') this.held[key & 0xffff] = (this.held[key & 0xffff] as number) + delta;
  }

  private find(key: JoinKey): State | undefined {
    if (typeof key === 'number' && this.held[key & 0xffff] === 0) return undefined;
    const st = this.cur.get(key);
    if (st !== undefined) return st;
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.mark(key, -1);
      this.put(key, o);
    }
    return o;
  }

  private put(key: JoinKey, st: State): void {
    if (this.cur.size >= this.cap / 2) {
      for (const k of this.old.keys()) this.mark(k, -1);
      this.old = this.cur;
      this.cur = new Map();
    }
    this.cur.set(key, st);
    this.mark(key, 1);
  }

  private forget(key: JoinKey): void {
    if (this.cur.delete(key) || this.old.delete(key)) this.mark(key, -1);
  }

  private state(key: JoinKey): State {
    let st = this.find(key);
    if (!st) {
      st = { terminal: false, native: false };
      this.put(key, st);
    }
    return st;
  }

  /** Feeds one extraction; `key` is the line's connection key (sshd's pid) for plain events. */
  push(x: Extracted, key: JoinKey | null): AttackEvent | null {
    if (x === null) return null;
    if (!isNote(x)) return this.plain(x, key);
    return this.note(x);
  }

  /** A plain event (the line carried its host): returned as is, noted for its connection. */
  plain(x: AttackEvent, key: JoinKey | null): AttackEvent {
    if (key === null || x.kind === 'success') return x;
    if (typeof key === 'number' && x.kind === 'failure' && x.detector === 'bruteforce')
      this.marks.failure(key, x.host);
    // Only connections already known need updating: a pam note or a connect line comes first.
    const st = this.find(key);
    if (st !== undefined) {
      st.host = x.host;
      st.native = true;
      if (st.pam) st.pam.unreported = 0;
    }
    return x;
  }

  /** `invalid` note: counted now; the connection's next `Failed` line (or pam failure) is the same attempt. */
  invalid(key: JoinKey, e: AttackEvent): AttackEvent {
    if (typeof key !== 'number') return e;
    // The first line of a connection's authentication: what its pid held for another host is stale.
    const st = this.find(key);
    if (st !== undefined && st.host !== e.host) this.forget(key);
    this.marks.invalidUser(key, e.host);
    return e;
  }

  /**
   * `attempt` note (`Failed ... for invalid user`, `Failed keyboard-interactive...`): a plain event, except
   * the first after the connection's `Invalid user` or old OpenSSH's `PAM: Authentication failure` line is
   * the attempt that line counted (`absorbed` holds it). After `Invalid user` it returns the line as a repeat
   * (`attempts` 0: counted by no detector): sshd wrote a btmp record for `Invalid user` and another for
   * this line, and the detectors match that second record against the repeat's time. Else null.
   */
  attempt(key: JoinKey, e: AttackEvent): AttackEvent | null {
    const by = typeof key === 'number' ? this.marks.takeAhead(key, e.host, INVALID_USER | PAM_ERROR) : 0;
    this.plain(e, key);
    if (by === 0) return e;
    this.absorbed = e;
    return by === INVALID_USER ? repeatOf(e) : null;
  }

  /**
   * `pamError` note: OpenSSH 3.x-5.x's `error: PAM: Authentication failure for [illegal user ]USER from
   * HOST` (keyboard-interactive through PAM; macOS and Solaris log it alone). Counted, unless it is the
   * attempt the connection's `Illegal user` line counted (then a repeat, `attempts` 0); the `Failed
   * keyboard-interactive/pam` line that follows it is the same attempt.
   */
  pamError(key: JoinKey, e: AttackEvent): AttackEvent | null {
    if (typeof key !== 'number') return e;
    const repeat = this.marks.takeInvalid(key, e.host);
    this.plain(e, key);
    this.marks.pamError(key, e.host);
    if (!repeat) return e;
    this.absorbed = e;
    // sshd wrote a btmp record for `Illegal user` and another for this failed authentication.
    return repeatOf(e);
  }

  /** `connect` note: the host of this connection, for later lines that lack it. */
  connect(key: JoinKey, host: string): null {
    this.forget(key);
    this.state(key).host = host;
    return null;
  }

  /** `close` note: the connection ended; releases a held failure or unreported pam failures. */
  close(key: JoinKey, host: string, time: number | null): AttackEvent | null {
    // The first pam failure after `Invalid user` is the attempt that line counted.
    const invalid = typeof key === 'number' && this.marks.takeInvalid(key, host);
    if (typeof key === 'number') this.marks.clear(key);
    const st = this.find(key);
    if (!st) return null;
    this.forget(key);
    if (st.pending) return { ...st.pending, host };
    const unreported = st.pam && !st.native ? st.pam.unreported - (invalid ? 1 : 0) : 0;
    if (unreported > 0) {
      return {
        detector: 'bruteforce',
        kind: 'failure',
        host,
        service: 'sshd',
        attempts: unreported,
        time,
      };
    }
    return null;
  }

  /** `pam` note: a pam_unix failure, counted only while the daemon logs none of its own. */
  pam(key: JoinKey, host: string, user: string, service: string, time: number | null): AttackEvent | null {
    const st = this.state(key);
    st.host = host;
    if (st.native) return null;
    st.pam ??= { users: new Set(), unreported: 0 };
    st.pam.users.add(user);
    st.pam.unreported++;
    if (st.pam.users.size < 2) return null;
    const invalid = typeof key === 'number' && this.marks.takeInvalid(key, host);
    const attempts = st.pam.unreported - (invalid ? 1 : 0);
    st.pam.unreported = 0;
    if (attempts <= 0) return null;
    const e: AttackEvent = {
      detector: 'bruteforce',
      kind: 'failure',
      host,
      service,
      attempts,
      time,
    };
    if (user !== '') e.user = user;
    return e;
  }

  /** `success` note: a login that worked; `e` (owned by the joiner from here) may gain attempts. */
  success(key: JoinKey, e: AttackEvent): AttackEvent {
    const st = this.find(key);
    if (st?.pam) {
      let other = false;
      for (const u of st.pam.users) if (u !== (e.user ?? '')) other = true;
      // Logged in as someone else than the pam failures tried: those failures were guesses.
      if (other) e.attempts = Math.max(1, st.pam.unreported);
      st.pam = { users: new Set(), unreported: 0 };
    }
    return e;
  }

  private note(n: Note): AttackEvent | null {
    switch (n.note) {
      case 'connect':
        return this.connect(n.key, n.host);
      case 'invalid':
        return this.invalid(n.key, n.event);
      case 'attempt':
        return this.attempt(n.key, n.event);
      case 'pamError':
        return this.pamError(n.key, n.event);
      case 'pending': {
        const st = this.state(n.key);
        if (n.unlessCounted && st.terminal) return null;
        const host = n.event.host ?? (n.defer ? undefined : st.host);
        if (n.afterFailures && typeof n.key === 'number' && this.marks.failedFrom(n.key, host ?? st.host)) {
          // The last `Failed` line already counted the attempt this line ends the connection with.
          st.terminal = true;
          return null;
        }
        if (host === undefined) {
          st.pending = n.event;
          return null;
        }
        st.terminal = true;
        st.host = host;
        return { ...n.event, host };
      }
      case 'close':
        return this.close(n.key, n.host, n.time);
      case 'pam':
        return this.pam(n.key, n.host, n.user, n.service, n.time);
      case 'success':
        return this.success(n.key, { ...n.event });
    }
  }
}
