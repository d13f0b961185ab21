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
  constructor(private readonly cap = 20_000) {}

  private find(key: JoinKey): State | undefined {
    const st = this.cur.get(key);
    if (st !== undefined) return st;
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.put(key, o);
    }
    return o;
  }

  private put(key: JoinKey, st: State): void {
    if (this.cur.size >= this.cap / 2) {
      this.old = this.cur;
      this.cur = new Map();
    }
    this.cur.set(key, st);
  }

  private forget(key: JoinKey): void {
    this.cur.delete(key);
    this.old.delete(key);
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
    if (!isNote(x)) {
      // Only connections already known need updating: a pam note or a connect line comes first.
      const st = key !== null && x.kind !== 'success' ? this.find(key) : undefined;
      if (st !== undefined) {
        st.host = x.host;
        st.native = true;
        if (st.pam) st.pam.unreported = 0;
      }
      return x;
    }
    return this.note(x);
  }

  private note(n: Note): AttackEvent | null {
    switch (n.note) {
      case 'connect': {
        this.forget(n.key);
        this.state(n.key).host = n.host;
        return null;
      }
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
      case 'close': {
        const st = this.find(n.key);
        if (!st) return null;
        this.forget(n.key);
        if (st.pending) return { ...st.pending, host: n.host };
        if (st.pam && st.pam.unreported > 0 && !st.native) {
          return {
            detector: 'bruteforce',
            kind: 'failure',
            host: n.host,
            service: 'sshd',
            attempts: st.pam.unreported,
            time: n.time,
          };
        }
        return null;
      }
      case 'pam': {
        const st = this.state(n.key);
        st.host = n.host;
        if (st.native) return null;
        st.pam ??= { users: new Set(), unreported: 0 };
        st.pam.users.add(n.user);
        st.pam.unreported++;
        if (st.pam.users.size < 2) return null;
        const attempts = st.pam.unreported;
        st.pam.unreported = 0;
        const e: AttackEvent = {
          detector: 'bruteforce',
          kind: 'failure',
          host: n.host,
          service: n.service,
          attempts,
          time: n.time,
        };
        if (n.user !== '') e.user = n.user;
        return e;
      }
      case 'success': {
        const st = this.find(n.key);
        const e = { ...n.event };
        if (st?.pam) {
          const other = [...st.pam.users].some((u) => u !== (e.user ?? ''));
          // Logged in as someone else than the pam failures tried: those failures were guesses.
          if (other) e.attempts = Math.max(1, st.pam.unreported);
          st.pam = { users: new Set(), unreported: 0 };
        }
        return e;
      }
    }
  }
}
