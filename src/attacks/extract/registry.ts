import type { Extractor } from '../types.ts';
import { apache } from './apache.ts';
import { courier } from './courier.ts';
import { dovecot } from './dovecot.ts';
import { exim } from './exim.ts';
import { netfilter } from './netfilter.ts';
import { nginx } from './nginx.ts';
import { pam } from './pam.ts';
import { portsentry } from './portsentry.ts';
import { postfix } from './postfix.ts';
import { proftpd } from './proftpd.ts';
import { proxy } from './proxy.ts';
import { pureftpd } from './pureftpd.ts';
import { samba } from './samba.ts';
import { scanlogd } from './scanlogd.ts';
import { sendmail } from './sendmail.ts';
import { sshd } from './sshd.ts';
import { tcpd } from './tcpd.ts';
import { tinyproxy } from './tinyproxy.ts';
import { vsftpd } from './vsftpd.ts';
import { web } from './web.ts';
import { wuftpd } from './wuftpd.ts';
import { xferlog } from './xferlog.ts';
import { xinetd } from './xinetd.ts';

/** Every daemon family's extractor, by family name: the one registry. */
export const extractors = {
  sshd,
  pam,
  vsftpd,
  wuftpd,
  proftpd,
  pureftpd,
  xferlog,
  sendmail,
  postfix,
  exim,
  dovecot,
  courier,
  samba,
  apache,
  nginx,
  web,
  proxy,
  tinyproxy,
  portsentry,
  scanlogd,
  xinetd,
  tcpd,
  netfilter,
} satisfies Record<string, Extractor>;

/** A daemon family name. */
export type Family = keyof typeof extractors;

/** Family names in registry order. */
export const FAMILIES = Object.keys(extractors) as Family[];

/** Whether a string names a family. */
export function isFamily(name: string): name is Family {
  return Object.hasOwn(extractors, name);
}

const byProgram = new Map<string, Family>();
for (const f of FAMILIES) for (const p of extractors[f].programs) byProgram.set(p, f);
const cache = new Map<string, Family | null>();

/** The family whose extractor reads a syslog tag, or null for a tag no family knows. */
export function familyOf(program: string): Family | null {
  if (program === '') return null;
  const hit = cache.get(program);
  if (hit !== undefined) return hit;
  let fam: Family | null = byProgram.get(program) ?? null;
  if (fam === null) {
    for (const f of FAMILIES) {
      const e: Extractor = extractors[f];
      if (e.programPattern?.test(program)) {
        fam = f;
        break;
      }
    }
  }
  if (fam === null) {
    // `postfix/smtpd` style tags, and `imap-login`-like dovecot processes.
    const base = program.split('/')[0] ?? program;
    fam = byProgram.get(base) ?? null;
  }
  if (cache.size < 10_000) cache.set(program, fam);
  return fam;
}

/** Families whose own log files (no syslog tag) a service's logs may be, by common service names. */
export const SERVICE_FAMILY: Readonly<Record<string, Family>> = {
  ssh: 'sshd',
  sshd: 'sshd',
  openssh: 'sshd',
  vsftpd: 'vsftpd',
  'wu-ftpd': 'wuftpd',
  wuftpd: 'wuftpd',
  proftpd: 'proftpd',
  'pure-ftpd': 'pureftpd',
  pureftpd: 'pureftpd',
  sendmail: 'sendmail',
  postfix: 'postfix',
  exim: 'exim',
  exim4: 'exim',
  dovecot: 'dovecot',
  courier: 'courier',
  samba: 'samba',
  smbd: 'samba',
  apache: 'web',
  apache2: 'web',
  httpd: 'web',
  nginx: 'web',
  lighttpd: 'web',
  // Forward proxies: their access logs name the sites they relayed requests to (see proxy.ts).
  delegate: 'proxy',
  delegated: 'proxy',
  squid: 'proxy',
  tinyproxy: 'tinyproxy',
  portsentry: 'portsentry',
  scanlogd: 'scanlogd',
  xinetd: 'xinetd',
};
