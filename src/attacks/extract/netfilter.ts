import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * iptables/nftables LOG target lines from the kernel (`[PREFIX ]IN=eth0 OUT= ... SRC=A DST=B ... PROTO=TCP
 * SPT=n DPT=m`). Every field is the kernel's own, so they are read by name. Only inbound packets (IN set)
 * count, and not those ufw logs as let through (`[UFW ALLOW]`, `[UFW AUDIT]`, `[UFW AUDIT INVALID]`: its
 * logging of accepted traffic); its `[UFW BLOCK]` and `[UFW LIMIT BLOCK]`, and other firewalls' drop and
 * reject prefixes, count.
 */

const IN = /(?:^|\s)IN=(\S+) OUT=\S* /;

/**
 * Whether the text of `s` from `from` to `to` (what precedes `IN=`: the kernel's stamp and the rule's log
 * prefix) holds one of ufw's prefixes for traffic it let through. Shared by both paths so they agree.
 */
export function allowedPrefix(s: string, from: number, to: number): boolean {
  for (let i = s.indexOf('[UFW A', from); i >= 0 && i < to; i = s.indexOf('[UFW A', i + 1)) {
    if (
      s.startsWith('[UFW ALLOW]', i) ||
      s.startsWith('[UFW AUDIT]', i) ||
      s.startsWith('[UFW AUDIT INVALID]', i)
    )
      return true;
  }
  return false;
}
const SRC = / SRC=([0-9A-Fa-f:.]+) DST=/;
const PROTO = / PROTO=(\w+)/;
const DPT = / DPT=(\d+)/;

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  const at = IN.exec(msg);
  if (!at || allowedPrefix(msg, 0, at.index)) return null;
  const src = SRC.exec(msg);
  const host = hostOf(src?.[1]);
  if (!host) return null;
  const proto = (PROTO.exec(msg)?.[1] ?? 'ip').toLowerCase();
  const dpt = DPT.exec(msg)?.[1];
  return event('portscan', 'refused', host, `firewall/${proto}`, line.time, {
    port: dpt === undefined ? undefined : Number(dpt),
  });
}

/** Netfilter LOG extractor. */
export const netfilter = {
  description: 'iptables/nftables LOG lines: inbound packets logged by the firewall',
  programs: ['kernel'],
  needles: [' SRC='],
  extract,
} satisfies Extractor;

/** A firewall line read by the fast path (valid until the next call). */
export interface FastFirewall {
  host: string;
  service: string;
  /** Destination port, or -1 when the line has none. */
  port: number;
}

/** `\s` of a RegExp, for the character codes a latin1 line can hold. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

function tokenEnd(s: string, i: number): number {
  let p = i;
  while (p < s.length && !isSpace(s.charCodeAt(p))) p++;
  return p;
}

/** `[0-9A-Fa-f:.]` */
function isAddrChar(c: number): boolean {
  return (c >= 48 && c <= 58) || c === 46 || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** `\w` */
function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

const SERVICES = new Map<string, string>();

/**
 * Index of the first ` KEY` (`key` given without its space) starting at or after `from`, or -1. Searched by
 * the key's first letter: indexOf with a pattern that starts with a space stops at every space of the line.
 */
function spaced(s: string, key: string, from: number): number {
  for (let i = s.indexOf(key, from + 1); i >= 0; i = s.indexOf(key, i + 1))
    if (s.charCodeAt(i - 1) === 32) return i - 1;
  return -1;
}

/**
 * The extractor above on the message at `ms` of line `s` by indexOf and character codes, for the accounting's
 * fast path: each field's first occurrence is taken only when it is the one the RegExp would take, else -1
 * (UNHANDLED: the RegExp path decides). 0: the extractor returns null; 1: an event, fields in `out`; the host
 * still to be validated with hostOf. Hand-written because a firewall under a scan logs a line per packet.
 */
export function netfilterFast(
  s: string,
  ms: number,
  out: FastFirewall,
  cut: { slice(s: string, from: number, to: number): string },
): number {
  const i = s.indexOf('IN=', ms);
  if (i < 0) return 0;
  if (i > ms && !isSpace(s.charCodeAt(i - 1))) return -1;
  const j = tokenEnd(s, i + 3);
  if (j === i + 3 || !s.startsWith(' OUT=', j)) return -1;
  if (s.charCodeAt(tokenEnd(s, j + 5)) !== 32) return -1;
  if (allowedPrefix(s, ms, i)) return 0;
  const a = spaced(s, 'SRC=', ms);
  if (a < 0) return 0;
  let b = a + 5;
  while (isAddrChar(s.charCodeAt(b))) b++;
  if (b === a + 5 || !s.startsWith(' DST=', b)) return -1;
  out.host = cut.slice(s, a + 5, b);
  const p = spaced(s, 'PROTO=', ms);
  if (p < 0) out.service = 'firewall/ip';
  else {
    let w = p + 7;
    while (isWord(s.charCodeAt(w))) w++;
    if (w === p + 7) return -1;
    const proto = cut.slice(s, p + 7, w);
    let service = SERVICES.get(proto);
    if (service === undefined) {
      service = `firewall/${proto.toLowerCase()}`;
      if (SERVICES.size < 100) SERVICES.set(proto, service);
    }
    out.service = service;
  }
  const d = spaced(s, 'DPT=', ms);
  out.port = -1;
  if (d >= 0) {
    let v = 0;
    let e = d + 5;
    for (let c = s.charCodeAt(e) - 48; c >= 0 && c <= 9; c = s.charCodeAt(e) - 48) {
      v = v * 10 + c;
      e++;
    }
    if (e === d + 5 || e - d - 5 > 9) return -1;
    out.port = v;
  }
  return 1;
}
