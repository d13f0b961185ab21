import { reason } from '../core/errors.ts';
import { type FailureClass, ProbeFailure } from './types.ts';

/** A failure class with the one-line reason shown after it. */
export interface Classified {
  failure: FailureClass;
  reason: string;
}

const REFUSED: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};
const TIMEOUT = new Set([
  'ETIMEDOUT',
  'ETIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const DNS: Record<string, string> = {
  ENOTFOUND: 'name not found',
  EAI_AGAIN: 'name lookup failed (temporary)',
  EAI_NONAME: 'name not found',
  ENODATA: 'no record of that type',
  ESERVFAIL: 'the DNS server failed (SERVFAIL)',
  EREFUSED: 'the DNS server refused the query',
  EFORMERR: 'the DNS server rejected the query as malformed',
  EBADRESP: 'malformed DNS reply',
};
const PROTOCOL: Record<string, string> = {
  ECONNRESET: 'connection reset by peer',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_INFO: 'unexpected reply',
};
/** OpenSSL verification codes as Node reports them (err.code). */
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

function codeOf(err: unknown): string | undefined {
  const code = err && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The error and everything it wraps (`cause`, AggregateError members), outermost first. */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const walk = (e: unknown, depth: number): void => {
    if (depth > 5 || e === undefined || e === null) return;
    out.push(e);
    if (typeof e !== 'object') return;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const x of errors) walk(x, depth + 1);
    walk((e as { cause?: unknown }).cause, depth + 1);
  };
  walk(err, 0);
  return out;
}

/**
 * Classifies any error a probe ran into. Network errors arrive from node:net, node:tls, undici, basic-ftp
 * and c-ares in their own shapes, so the whole cause chain is searched for the most telling code.
 * `aborted` says the probe's deadline had passed: whatever the library then threw, the probe timed out.
 */
export function classify(err: unknown, opts: { aborted: boolean; timeoutSeconds: number }): Classified {
  if (err instanceof ProbeFailure) return { failure: err.failure, reason: err.message };
  const all = chain(err);
  for (const e of all) if (e instanceof ProbeFailure) return { failure: e.failure, reason: e.message };
  const timeout = { failure: 'timeout' as const, reason: `no answer within ${opts.timeoutSeconds} s` };
  if (opts.aborted) return timeout;
  for (const e of all) {
    const code = codeOf(e);
    if (code === undefined) continue;
    if (code in REFUSED) return { failure: 'refused', reason: REFUSED[code] as string };
    if (TIMEOUT.has(code)) return timeout;
    if (code in DNS) return { failure: 'dns', reason: DNS[code] as string };
    if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || TLS_CODES.has(code)) {
      return { failure: 'tls', reason: tlsReason(e) };
    }
    if (code in PROTOCOL) return { failure: 'protocol', reason: PROTOCOL[code] as string };
    if (code.startsWith('HPE_')) return { failure: 'protocol', reason: `malformed HTTP reply (${code})` };
  }
  for (const e of all) {
    const name = e && typeof e === 'object' ? (e as { name?: unknown }).name : undefined;
    if (name === 'TimeoutError') return timeout;
    const msg = e instanceof Error ? e.message : '';
    if (/SSL routines|wrong version number|certificate/i.test(msg))
      return { failure: 'tls', reason: tlsReason(e) };
    // basic-ftp reports a negative reply as FTPError with the numeric reply code.
    const num = e && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
    if (typeof num === 'number' && num >= 400 && num < 600) return { failure: 'bad-status', reason: msg };
  }
  return { failure: 'protocol', reason: reason(err) };
}

function tlsReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // OpenSSL messages carry a long prefix ("C0F7...:error:0A00010B:SSL routines:ssl3_get_record:"): keep the tail.
  // The reason ends at the next colon: OpenSSL appends its source file and line ("...:ssl3_record.c:350:").
  const ssl = /SSL routines:[^:]*:([^:\n]+)/.exec(msg);
  return `TLS: ${ssl?.[1]?.trim() ?? msg}`;
}
