import { hostPath } from '../core/host.ts';
import { openRegular } from '../core/open.ts';
import type { Zone } from '../core/tz.ts';
import type { AttackFinding } from './findings.ts';
import { hostOf, sourceKey } from './host.ts';

/**
 * fail2ban's bans, read from its own log (`/var/log/fail2ban.log`, Debian's and Ubuntu's `logtarget`), so
 * that a brute force fail2ban already stopped is not a WARNING every hour: on a public sshd with password
 * authentication fail2ban bans a source every hour or so, and each of them crossed tenken's `maxretry` (the
 * same 5 in 10 minutes) and made a WARNING, so every cron run mailed the admin about an attack already dealt
 * with, and the mail that mattered (a login from a new country) looked like all the others.
 *
 * A source whose failures ended with a ban of a jail that covers its services is said as INFO (`banned by
 * fail2ban`). A login from it after its failures stays CRITICAL (fail2ban let it in, or it came back after the
 * unban); a source still failing after its last ban (fail2ban not matching the log, a jail without an action)
 * stays a WARNING. The log is trusted only when owned by root (or by the user running tenken, as a tree under
 * `--root` is) and writable by its owner alone: fail2ban writes it as root, and a line any local user can write
 * (syslog's, `logger -t fail2ban`) must not quiet a finding. Its own words are not attacks: its `Found`/`Ban`
 * lines are never counted as failures.
 */

/** One ban fail2ban logged (`Ban` or, after a restart, `Restore Ban`). */
export interface Fail2banBan {
  jail: string;
  /** The address as sourceKey gives it (IPv6 in its short form). */
  key: string;
  /** Epoch ms. */
  time: number;
}

/**
 * `2026-11-25 01:15:54,600 fail2ban.actions        [1040]: NOTICE  [sshd] Ban 203.0.113.5`: local time without
 * an offset (fail2ban's default `datefmt`), the jail, the address. Anchored at both ends, no nested repeats.
 */
const BAN_LINE =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) fail2ban\.actions {0,16}\[\d{1,10}\]: NOTICE {0,4}\[([\w.-]{1,64})\] (?:Restore )?Ban ([0-9A-Fa-f:.]{2,45})\r?$/;

/** The bans in fail2ban log text, in the order logged; times read in `zone`. Pure. */
export function parseFail2banBans(text: string, zone: Zone): Fail2banBan[] {
  const out: Fail2banBan[] = [];
  for (let i = text.indexOf('Ban '); i >= 0; i = text.indexOf('Ban ', i + 4)) {
    const start = text.lastIndexOf('\n', i) + 1;
    let end = text.indexOf('\n', i);
    if (end < 0) end = text.length;
    const m = BAN_LINE.exec(text.slice(start, end));
    if (m) {
      const host = hostOf(m[9]);
      if (host !== null) {
        const f = m.slice(1, 8).map(Number) as [number, number, number, number, number, number, number];
        const time = zone.toEpoch(f[0], f[1] - 1, f[2], f[3], f[4], f[5]) + f[6];
        out.push({ jail: m[8] as string, key: sourceKey(host), time });
      }
    }
    i = end;
  }
  return out;
}

/** Whether a jail's bans cover a service: `sshd` sshd, `postfix-sasl` postfix, `apache-auth` apache2; `recidive` all. */
export function jailCovers(jail: string, service: string): boolean {
  if (jail === 'recidive') return true;
  const base = (jail.split('-')[0] ?? jail).toLowerCase();
  const s = service.toLowerCase();
  return base.length > 0 && (s === base || s.startsWith(base) || base.startsWith(s));
}

/** A failure logged this long before fail2ban's ban still belongs to the attempts it banned (in-flight). */
const SLACK_MS = 60_000;

/**
 * The brute-force findings with fail2ban's bans applied: a WARNING whose source fail2ban banned (by a jail
 * covering every service of the finding) within `findtime` after its last failure, and that logged in nowhere,
 * becomes INFO, saying the ban. Others are returned as they are. Pure.
 */
export function applyFail2banBans(
  findings: readonly AttackFinding[],
  bans: readonly Fail2banBan[],
  findtimeSeconds: number,
): AttackFinding[] {
  if (bans.length === 0) return [...findings];
  const byKey = new Map<string, Fail2banBan[]>();
  for (const b of bans) {
    const list = byKey.get(b.key);
    if (list) list.push(b);
    else byKey.set(b.key, [b]);
  }
  return findings.map((f) => {
    if (f.kind !== 'attack-bruteforce' || f.status !== 'WARNING' || f.last === undefined) return f;
    const data = f.data as { host: string; services: string[]; succeeded: unknown };
    if (data.succeeded !== null && data.succeeded !== undefined) return f;
    if (data.host.includes('/')) return f; // an IPv6 /64 of many addresses: no one ban covers it
    const last = Date.parse(f.last);
    const ban = (byKey.get(sourceKey(data.host)) ?? []).find(
      (b) =>
        b.time >= last - SLACK_MS &&
        b.time <= last + findtimeSeconds * 1000 &&
        data.services.every((s) => jailCovers(b.jail, s)),
    );
    if (ban === undefined) return f;
    const after = Math.max(0, Math.round((ban.time - last) / 1000));
    return {
      ...f,
      status: 'INFO',
      summary: `${f.summary}; banned by fail2ban (jail ${ban.jail}) ${after} s after its last failure`,
      data: { ...f.data, banned: { jail: ban.jail, time: new Date(ban.time).toISOString() } },
    };
  });
}

/** fail2ban's log and its plain rotation (logrotate's `delaycompress` leaves `.1` uncompressed). */
const LOGS = ['/var/log/fail2ban.log.1', '/var/log/fail2ban.log'];
/** Bytes read from the end of each: weeks of bans, and a bounded read however much fail2ban logged. */
const TAIL_BYTES = 16 << 20;

/**
 * fail2ban's bans from its log under the host's root (none when it is missing, unreadable or not trusted: see
 * the module comment). Reads the last 16 MiB of each file, bans only.
 */
export async function readFail2banBans(root: string, zone: Zone): Promise<Fail2banBan[]> {
  const out: Fail2banBan[] = [];
  const euid = process.geteuid?.() ?? 0;
  for (const p of LOGS) {
    let opened: Awaited<ReturnType<typeof openRegular>>;
    try {
      opened = await openRegular(hostPath({ root }, p), { root });
    } catch {
      continue;
    }
    const { handle, stat } = opened;
    try {
      if ((stat.uid !== 0 && stat.uid !== euid) || (stat.mode & 0o022) !== 0) continue;
      const from = Math.max(0, stat.size - TAIL_BYTES);
      const buf = Buffer.alloc(stat.size - from);
      const { bytesRead } = await handle.read(buf, 0, buf.length, from);
      let text = buf.subarray(0, bytesRead).toString('latin1');
      if (from > 0) text = text.slice(text.indexOf('\n') + 1);
      for (const b of parseFail2banBans(text, zone)) out.push(b);
    } finally {
      await handle.close();
    }
  }
  return out;
}

/** Whether any finding could be lowered by a ban (so that fail2ban's log is read only then). */
export function bansMatter(findings: readonly AttackFinding[]): boolean {
  return findings.some((f) => f.kind === 'attack-bruteforce' && f.status === 'WARNING');
}
