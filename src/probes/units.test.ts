import { describe, expect, it } from 'vitest';
import { classify } from './classify.ts';
import { probeKey } from './run.ts';
import { redactUrl } from './spec.ts';
import { probeSpec } from './spec.ts';
import { Transcript } from './transcript.ts';
import { ProbeFailure } from './types.ts';
import { timingsLine } from './view.ts';

const err = (code: string, message = code): Error => Object.assign(new Error(message), { code });
const c = (e: unknown, aborted = false): string => classify(e, { aborted, timeoutSeconds: 5 }).failure;

describe('classify', () => {
  it('maps network error codes to failure classes', () => {
    expect(c(err('ECONNREFUSED'))).toBe('refused');
    expect(c(err('EHOSTUNREACH'))).toBe('refused');
    expect(c(err('ENOTFOUND'))).toBe('dns');
    expect(c(err('UND_ERR_CONNECT_TIMEOUT'))).toBe('timeout');
    expect(c(err('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe('tls');
    expect(c(err('ERR_SSL_WRONG_VERSION_NUMBER'))).toBe('tls');
    expect(c(err('ECONNRESET'))).toBe('protocol');
    expect(c(err('HPE_INVALID_CONSTANT'))).toBe('protocol');
  });

  it('looks through causes and AggregateError members (dual-stack connects)', () => {
    const agg = new AggregateError([err('ECONNREFUSED'), err('ECONNREFUSED')], 'connect failed');
    expect(classify(agg, { aborted: false, timeoutSeconds: 5 })).toEqual({
      failure: 'refused',
      reason: 'connection refused',
    });
    expect(c(new Error('fetch failed', { cause: err('ENOTFOUND') }))).toBe('dns');
  });

  it('calls anything thrown after the deadline a timeout, except a classified ProbeFailure', () => {
    expect(classify(new Error('aborted'), { aborted: true, timeoutSeconds: 5 })).toEqual({
      failure: 'timeout',
      reason: 'no answer within 5 s',
    });
    expect(c(new ProbeFailure('bad-status', '550 no'), true)).toBe('bad-status');
  });

  it('keeps the tail of OpenSSL messages and reads numeric FTP codes as bad-status', () => {
    const ssl = new Error('C0F7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number');
    expect(classify(ssl, { aborted: false, timeoutSeconds: 5 })).toEqual({
      failure: 'tls',
      reason: 'TLS: wrong version number',
    });
    // Node's bundled OpenSSL appends its source file and line: not for the report.
    const withSource = new Error(
      'C0F7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:',
    );
    expect(classify(withSource, { aborted: false, timeoutSeconds: 5 }).reason).toBe(
      'TLS: wrong version number',
    );
    expect(c(Object.assign(new Error('530 Login incorrect.'), { code: 530 }))).toBe('bad-status');
    expect(c(new Error('something odd'))).toBe('protocol');
  });
});

describe('Transcript', () => {
  it('keeps the first 30 and last 20 lines and counts the ones left out', () => {
    let t = 0;
    const tr = new Transcript(() => t++);
    for (let i = 0; i < 100; i++) tr.received(`line ${i}`);
    const e = tr.entries();
    expect(e).toHaveLength(51);
    expect(e[29]?.text).toBe('line 29');
    expect(e[30]).toMatchObject({ dir: 'note', text: '(50 lines left out)' });
    expect(e[31]?.text).toBe('line 80');
    expect(e[50]?.text).toBe('line 99');
  });

  it('clips long lines and shows secrets only as their stand-in', () => {
    const tr = new Transcript(() => 0);
    tr.received('x'.repeat(1000));
    tr.sent('PASS hunter2', { secret: 'PASS ***' });
    const [long, secret] = tr.entries();
    expect(long?.text.length).toBe(240);
    expect(secret).toEqual({ at: 0, dir: 'sent', text: 'PASS ***' });
  });
});

describe('probe specs', () => {
  it('picks the kind from the scheme, or the explicit kind', () => {
    expect(probeKey({ url: 'https://x/' })).toBe('https');
    expect(probeKey({ url: 'http://proxy:3128', kind: 'proxy' })).toBe('proxy');
    expect(probeKey({ url: 'gopher://x/' })).toBeNull();
  });

  it('rejects unknown schemes, a proxy without target, and a round trip on a non-SMTP probe', () => {
    const msg = (v: unknown): string[] => {
      const r = probeSpec.safeParse(v);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(msg({ url: 'gopher://x/' })[0]).toMatch(/^url: no probe for gopher:\/\//);
    expect(msg({ url: 'http://p:3128', kind: 'proxy' })).toEqual([
      'target: a proxy probe needs the target URL to fetch',
    ]);
    expect(msg({ url: 'imap://x', roundtrip: { to: 'a@b', maildir: '/m' } })).toEqual([
      'roundtrip: roundtrip is for smtp probes',
    ]);
    // A dns probe without a name is a usage mistake (exit 3), not a CRITICAL about the server.
    expect(msg({ url: 'dns://127.0.0.1' })).toEqual([
      'url: a dns probe needs a name to look up: dns://server/name, or query:',
    ]);
    expect(msg({ url: 'dns://127.0.0.1', query: 'example.org' })).toEqual([]);
    expect(msg({ url: 'dns://127.0.0.1/example.org' })).toEqual([]);
    expect(msg({ url: 'smtp://x', roundtrip: { to: 'a@b' } })).toEqual([
      'roundtrip: give exactly one of maildir, mbox or fetch',
    ]);
    expect(msg({ url: 'http://x/', colour: 'red' })[0]).toMatch(/colour/);
    expect(probeSpec.parse({ url: 'http://x/' }).timeout).toBe(10);
  });

  it('hides passwords in shown URLs', () => {
    expect(redactUrl('imap://box:secret@host:143/')).toBe('imap://box:***@host:143/');
    expect(redactUrl('http://host/')).toBe('http://host/');
    // Not a URL (a port out of range): the userinfo is masked all the same, for the config error.
    expect(redactUrl('http://bob:Hunter2pw@localhost:99999/')).toBe('http://***@localhost:99999/');
  });
});

describe('timingsLine', () => {
  it('orders steps as the exchange goes, total last', () => {
    expect(timingsLine({ total: 9, banner: 3, connect: 1.25, tls: 2 })).toBe(
      'connect 1.3 ms, tls 2 ms, banner 3 ms, total 9 ms',
    );
  });
});
