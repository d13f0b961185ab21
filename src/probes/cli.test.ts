import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.ts';
import { need } from '../../test/services/index.ts';

/** Runs `tenken ...` in-process; `error` is the one-line message a failure printed, without the `tenken: `. */
async function tenken(argv: string[]): Promise<{ out: string; code: number; error: string | null }> {
  const r = await runCli(argv);
  return {
    out: r.stdout,
    code: r.code,
    error: r.stderr === '' ? null : r.stderr.replace(/^tenken: /, '').trimEnd(),
  };
}

describe('tenken probe', () => {
  it('prints what it saw and exits 0 for a page with the expected text', async () => {
    const s = need('nginx');
    const r = await tenken(['probe', `http://127.0.0.1:${s.ports.http}/`, '--expect', s.fixture.token]);
    expect(r.error).toBeNull();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      new RegExp(`^OK {7}http://127\\.0\\.0\\.1:${s.ports.http}/: HTTP 200 OK in \\d+ ms`),
    );
    expect(r.out).toMatch(
      /\n {4}timings: connect [\d.]+ ms, firstByte [\d.]+ ms, body [\d.]+ ms, total [\d.]+ ms\n/,
    );
    expect(r.out).toContain('    httpStatus: 200\n');
  });

  it('names a refused connection and exits 2, showing the exchange', async () => {
    const r = await tenken(['probe', 'smtp://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('CRITICAL smtp://127.0.0.1:1: connection refused\n    failure: refused\n');
    expect(r.out).toContain('    * failed: connection refused\n');
  });

  it('exits 1 for a warning (STARTTLS certificate not trusted) and 2 when one of several probes fails', async () => {
    const s = need('postfix', 'nginx');
    const warn = await tenken(['probe', `smtp://127.0.0.1:${s.ports.smtp}`]);
    expect(warn.code).toBe(1);
    expect(warn.out).toMatch(/^WARNING  smtp:\/\/127\.0\.0\.1:\d+: STARTTLS certificate not trusted/);
    const mixed = await tenken(['probe', `http://127.0.0.1:${s.ports.http}/`, 'tcp://127.0.0.1:1']);
    expect(mixed.code).toBe(2);
  });

  it('fetches through --proxy, with CONNECT for https', async () => {
    const s = need('tinyproxy', 'nginx');
    const r = await tenken([
      'probe',
      `https://localhost:${s.ports.https}/`,
      '--proxy',
      `http://127.0.0.1:${s.ports.proxy}`,
      '--ca',
      s.certs.ca,
      '--expect',
      s.fixture.token,
      '--verbose',
    ]);
    expect([r.error, r.code]).toEqual([null, 0]);
    expect(r.out).toContain(
      `> GET https://localhost:${s.ports.https}/ via 127.0.0.1:${s.ports.proxy} (CONNECT)`,
    );
  });

  it("warns on a certificate by the config's checks.probes thresholds", async () => {
    const s = need('nginx');
    const url = `https://localhost:${s.ports.https}/`;
    const plain = await tenken(['probe', url, '--ca', s.certs.ca]);
    expect([plain.error, plain.code]).toEqual([null, 0]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-probe-cfg-'));
    try {
      const config = path.join(dir, 'tenken.yaml');
      writeFileSync(config, 'checks:\n  probes:\n    certWarnDays: 3650\n    certCritDays: 1\n');
      const r = await tenken(['--config', config, 'probe', url, '--ca', s.certs.ca]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^WARNING .*certificate expires in \d+ days/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes one Nagios plugin line with perfdata, and JSON', async () => {
    const s = need('nginx');
    const nag = await tenken(['--format', 'nagios', 'probe', `http://127.0.0.1:${s.ports.http}/missing`]);
    expect(nag.code).toBe(2);
    expect(nag.out).toMatch(
      /^PROBE CRITICAL - http:\/\/127\.0\.0\.1:\d+\/missing: HTTP 404 Not Found .* \| time=\d+\.\d{3}s;;;0\n$/,
    );
    const json = JSON.parse((await tenken(['--format', 'json', 'probe', 'tcp://127.0.0.1:1'])).out) as {
      status: string;
      probes: { failure: string }[];
    };
    expect([json.status, json.probes[0]?.failure]).toEqual(['CRITICAL', 'refused']);
  });

  it('rejects a URL it has no probe for, and a bad timeout, with one line', async () => {
    expect((await tenken(['probe', 'gopher://example.org/'])).error).toMatch(
      /^Cannot probe gopher:\/\/example\.org\/: url: no probe for gopher:\/\//,
    );
    expect((await tenken(['probe', 'http://x/', '--timeout', 'soon'])).error).toBe(
      'Bad --timeout soon: give seconds, more than 0 and at most 300',
    );
    expect((await tenken(['probe', 'not a url'])).error).toMatch(/^Cannot probe not a url: url: not a URL/);
  });

  it('exits 3 with one line for a bare % in the password, at config load too', async () => {
    const r = await tenken(['probe', 'http://admin:50%off@127.0.0.1:1/']);
    expect([r.code, r.out]).toEqual([3, '']);
    expect(r.error).toBe(
      'Cannot probe http://admin:***@127.0.0.1:1/: url: the password in user:password@ must be percent-encoded (% → %25)',
    );
    // With --proxy, the bad password is named where it was given; no password: option exists here to point to.
    const viaProxy = await tenken([
      'probe',
      'http://127.0.0.1:1/',
      '--proxy',
      'http://alice:50%off@127.0.0.1:2',
    ]);
    expect([viaProxy.code, viaProxy.error]).toEqual([
      3,
      'Cannot probe http://127.0.0.1:1/: --proxy: the password in user:password@ must be percent-encoded (% → %25)',
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-probe-cfg-'));
    try {
      const config = path.join(dir, 'tenken.yaml');
      writeFileSync(
        config,
        'services:\n  web:\n    probes:\n      - url: http://admin:50%off@127.0.0.1:1/\n',
      );
      const c = await tenken(['--config', config, 'config', 'check']);
      expect(c.code).toBe(3);
      expect(c.error).toContain(`${config}:4:`);
      expect(c.error).toContain('the password in user:password@ must be percent-encoded (% → %25)');
      expect(c.error).not.toContain('50%off');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the password out of what it prints', async () => {
    const r = await tenken(['probe', 'pop3://box:s3cret-pw@127.0.0.1:1']);
    expect(r.out).toContain('pop3://box:***@127.0.0.1:1');
    expect(r.out).not.toContain('s3cret-pw');
  });
});
