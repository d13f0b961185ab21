import { dns } from './dns.ts';
import { ftp } from './ftp.ts';
import { http } from './http.ts';
import { imap } from './imap.ts';
import { pop3 } from './pop3.ts';
import { proxy } from './proxy.ts';
import { smb } from './smb.ts';
import { smtp } from './smtp.ts';
import type { ProbeKey } from './spec.ts';
import { tcp } from './tcp.ts';
import type { ProbeKind } from './types.ts';

/**
 * Every probe kind, keyed by URL scheme (and `proxy` by name). The one place a kind is added; the key list
 * in spec.ts (which config validation reads without loading the clients) must match it exactly.
 */
export const probes = {
  http,
  https: http,
  smtp,
  smtps: smtp,
  pop3,
  pop3s: pop3,
  imap,
  imaps: imap,
  ftp,
  ftps: ftp,
  proxy,
  smb,
  dns,
  tcp,
} satisfies Record<ProbeKey, ProbeKind>;

/** A key of the registry. */
export type ProbeName = keyof typeof probes;
