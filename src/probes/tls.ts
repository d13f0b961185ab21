import { readRegularFile } from '../core/open.ts';
import type { TLSSocket } from 'node:tls';
import { describe } from '../core/errors.ts';
import { hostPath } from '../core/host.ts';
import { type ProbeRun, ProbeFailure } from './types.ts';

const DAY_MS = 86_400_000;

/** What a TLS handshake showed about the server's certificate. */
export interface CertInfo {
  subject: string;
  issuer: string;
  /** ISO time the certificate stops being valid. */
  validTo: string;
  /** Whole days until then (negative once expired). */
  daysLeft: number;
  /** Chain and host name verified against the trust store (or `ca`). */
  trusted: boolean;
  /** OpenSSL's reason when not trusted (`DEPTH_ZERO_SELF_SIGNED_CERT`, `CERT_HAS_EXPIRED`, ...). */
  error: string | null;
  protocol: string | null;
}

/** Days from `now` until `validTo` as OpenSSL prints it (`Mar  1 00:00:00 2027 GMT`), rounded down. */
export function daysLeft(validTo: string, now: Date): number {
  const t = Date.parse(validTo);
  if (Number.isNaN(t)) return Number.NaN;
  return Math.floor((t - now.getTime()) / DAY_MS);
}

/**
 * Reads the peer certificate of a connected TLS socket. Uses `getPeerCertificate().valid_to` because
 * `X509Certificate.validToDate` does not exist on Node 20.
 */
export function certInfo(socket: TLSSocket, now: Date): CertInfo | null {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return null;
  const name = (o: unknown): string => {
    if (!o || typeof o !== 'object') return '';
    const rec = o as Record<string, unknown>;
    const cn = rec.CN ?? rec.O;
    return Array.isArray(cn) ? cn.join(', ') : typeof cn === 'string' ? cn : '';
  };
  // Typed as Error, but Node puts the OpenSSL code string there.
  const err: unknown = socket.authorizationError;
  const validTo = Date.parse(cert.valid_to);
  return {
    subject: name(cert.subject),
    issuer: name(cert.issuer),
    validTo: Number.isNaN(validTo) ? cert.valid_to : new Date(validTo).toISOString(),
    daysLeft: daysLeft(cert.valid_to, now),
    trusted: socket.authorized,
    error: typeof err === 'string' ? err : err instanceof Error ? err.message : null,
    protocol: socket.getProtocol(),
  };
}

/**
 * Records a handshake's certificate in the probe's details and judges it; returns whether it is trusted
 * (or the probe says `insecure`). An untrusted certificate fails the probe before any password crosses
 * it, except for `opportunistic` STARTTLS (`starttls: auto`), where mail servers commonly present a
 * self-signed certificate: that is a WARNING, and callers then keep passwords off the link unless it is
 * loopback. A certificate expiring within the critical or warning days becomes an issue.
 */
export function judgeCert(p: ProbeRun, socket: TLSSocket, opts: { opportunistic?: boolean } = {}): boolean {
  const info = certInfo(socket, p.now());
  if (!info) {
    p.transcript.note('TLS established; the server sent no certificate');
    return p.spec.insecure === true;
  }
  p.details.tlsProtocol = info.protocol;
  p.details.certSubject = info.subject;
  p.details.certIssuer = info.issuer;
  p.details.certValidTo = info.validTo;
  p.details.certDaysLeft = info.daysLeft;
  p.details.certTrusted = info.trusted;
  p.transcript.note(
    `TLS ${info.protocol ?? ''} certificate ${info.subject || '?'} issued by ${info.issuer || '?'}, valid to ${info.validTo}${info.trusted ? '' : ` (not trusted: ${info.error ?? 'unknown'})`}`,
  );
  const accepted = info.trusted || p.spec.insecure === true;
  if (!accepted) {
    const why = `certificate not trusted: ${info.error ?? 'unknown reason'}`;
    if (!opts.opportunistic) throw new ProbeFailure('tls', `TLS: ${why}`);
    p.issue('WARNING', 'tls', `STARTTLS ${why}`);
  }
  const warn = p.spec.certWarnDays ?? p.defaults.certWarnDays;
  const crit = p.spec.certCritDays ?? p.defaults.certCritDays;
  if (info.daysLeft < 0) p.issue('CRITICAL', 'tls', `certificate expired ${days(-info.daysLeft)} ago`);
  else if (info.daysLeft < crit) p.issue('CRITICAL', 'tls', `certificate expires in ${days(info.daysLeft)}`);
  else if (info.daysLeft < warn) p.issue('WARNING', 'tls', `certificate expires in ${days(info.daysLeft)}`);
  return accepted;
}

const days = (n: number): string => `${n} day${n === 1 ? '' : 's'}`;

/**
 * The certificate's part of an OK probe's summary (`certificate 29 days left`), or null when there is no
 * certificate or judgeCert's issue already says it (`certificate expires in 5 days`, `certificate expired
 * 11 days ago`): the figure once, and never as "-11 days left".
 */
export function certSummary(p: ProbeRun): string | null {
  const left = p.details.certDaysLeft;
  if (typeof left !== 'number' || Number.isNaN(left)) return null;
  const warn = p.spec.certWarnDays ?? p.defaults.certWarnDays;
  const crit = p.spec.certCritDays ?? p.defaults.certCritDays;
  if (left < 0 || left < crit || left < warn) return null;
  return `certificate ${days(left)} left`;
}

/** The CA bundle a probe names (a host path), as PEM text. */
export async function loadCa(p: ProbeRun): Promise<string | undefined> {
  if (p.spec.ca === undefined) return undefined;
  let pem: string;
  try {
    pem = await readRegularFile(hostPath({ root: p.root }, p.spec.ca), 'utf8');
  } catch (err) {
    throw new ProbeFailure('tls', describe(`Cannot read CA bundle ${p.spec.ca}`, err));
  }
  // Without one, OpenSSL only says later that it could not verify the server: name the real mistake.
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ProbeFailure('tls', `Cannot use CA bundle ${p.spec.ca}: it holds no PEM certificate`);
  return pem;
}
