import type { AttackEvent, Extracted, JoinKey, Note } from './types.ts';
import { isNote } from './types.ts';

/**
 * The multi-line joiner: ties lines of one connection (sshd pid) or one mail transaction (sendmail queue
 * id) together. It holds a failure whose host comes on a later line (`Too many authentication failures`
 * then `Connection closed by HOST [preauth]`), counts pam_unix failures only when the daemon does not log
 * its own (sshd logs `Failed password` after each pam failure), and flags a login accepted after pam
 * failures for other users. State is bounded: the oldest keys are forgotten past `cap`.
 */

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
    // Only connections already known need updating: a pam note or a connect line comes first.
    const st = key !== null && x.kind !== 'success' ? this.find(key) : undefined;
    if (st !== undefined) {
      st.host = x.host;
      st.native = true;
      if (st.pam) st.pam.unreported = 0;
    }
    return x;
  }

  /** `connect` note: the host of this connection, for later lines that lack it. */
  connect(key: JoinKey, host: string): null {
    this.forget(key);
    this.state(key).host = host;
    return null;
  }

  /** `close` note: the connection ended; releases a held failure or unreported pam failures. */
  close(key: JoinKey, host: string, time: number | null): AttackEvent | null {
    const st = this.find(key);
    if (!st) return null;
    this.forget(key);
    if (st.pending) return { ...st.pending, host };
    if (st.pam && st.pam.unreported > 0 && !st.native) {
      return {
        detector: 'bruteforce',
        kind: 'failure',
        host,
        service: 'sshd',
        attempts: st.pam.unreported,
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
    const attempts = st.pam.unreported;
    st.pam.unreported = 0;
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
      case 'pending': {
        const st = this.state(n.key);
        if (n.unlessCounted && st.terminal) return null;
        const host = n.event.host ?? (n.defer ? undefined : st.host);
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
