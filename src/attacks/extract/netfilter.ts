import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * iptables/nftables LOG target lines from the kernel (`[PREFIX ]IN=eth0 OUT= ... SRC=A DST=B ... PROTO=TCP
 * SPT=n DPT=m`). Every field is the kernel's own, so they are read by name. Only inbound packets (IN set)
 * count.
 */

const IN = /(?:^|\s)IN=(\S+) OUT=\S* /;
const SRC = / SRC=([0-9A-Fa-f:.]+) DST=/;
const PROTO = / PROTO=(\w+)/;
const DPT = / DPT=(\d+)/;

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  if (!IN.test(msg)) return null;
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
