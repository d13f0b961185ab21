import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckContext } from '../checks/types.ts';
import type { Plan, ServicePlan } from '../config/plan.ts';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import { need, privateDaemon } from '../../test/services/index.ts';
import { probeAllowed, probesCheck } from './check.ts';
import { probeSpec } from './spec.ts';
import { servicePlan } from '../../test/helpers/plan.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tenken-probes-root-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function service(name: string, probes: Record<string, unknown>[]): ServicePlan {
  return servicePlan(name, { probes: probes.map((p) => probeSpec.parse(p)) });
}

function ctx(
  services: ServicePlan[],
  opts: { root?: string; checks?: Record<string, unknown> } = {},
): CheckContext {
  const plan: Plan = { services, syslogFiles: [], journal: 'off', skipped: [] };
  return {
    host: makeHost({ name: 'test', ...(opts.root ? { root: opts.root } : {}) }),
    config: configSchema.parse({ checks: { probes: opts.checks ?? {} } }),
    plan,
    state: undefined,
    options: { all: false },
    signal: new AbortController().signal,
  };
}

describe('the probes check', () => {
  it('reports each running daemon OK through its probe, per service', async () => {
    const s = need('nginx', 'postfix', 'vsftpd', 'smbd');
    const out = await probesCheck.run(
      ctx([
        service('nginx', [{ url: `http://localhost:${s.ports.http}/`, expect: s.fixture.token }]),
        service('postfix', [{ url: `smtp://localhost:${s.ports.smtp}`, ca: s.certs.ca }]),
        service('vsftpd', [{ url: `ftp://localhost:${s.ports.ftp}` }]),
        service('samba', [
          { url: `smb://localhost:${s.ports.smb}` },
          { url: `smb://localhost:${s.ports.netbios}`, netbios: true },
        ]),
        service('cron', []),
      ]),
    );
    expect(out.results.map((r) => [r.service, r.status])).toEqual([
      ['nginx', 'OK'],
      ['postfix', 'OK'],
      ['vsftpd', 'OK'],
      ['samba', 'OK'],
    ]);
    const samba = out.results[3];
    expect(samba?.findings.map((f) => f.kind)).toEqual(['probe', 'probe']);
    expect(samba?.summary).toMatch(/^smb:\/\/localhost:\d+: SMB 3\.1\.1, signing required.* \(\+1 more\)$/);
    const nginx = out.results[0]?.findings[0];
    expect(nginx?.evidence[0]).toEqual({
      source: `http://localhost:${s.ports.http}/`,
      text: `> GET http://localhost:${s.ports.http}/`,
    });
  });

  it('turns a stopped daemon CRITICAL with the reason', async () => {
    const { daemon, ports } = await privateDaemon('vsftpd');
    await daemon.stop();
    const out = await probesCheck.run(ctx([service('vsftpd', [{ url: `ftp://127.0.0.1:${ports.ftp}/` }])]));
    expect(out.results).toHaveLength(1);
    expect(out.results[0]).toMatchObject({
      service: 'vsftpd',
      status: 'CRITICAL',
      summary: `ftp://127.0.0.1:${ports.ftp}/: connection refused`,
    });
    expect(out.results[0]?.findings[0]).toMatchObject({
      kind: 'probe',
      data: { failure: 'refused', probe: 'ftp' },
    });
  });

  it('does not probe a service that is only installed (INFO, with the reason)', async () => {
    const dormant = 'installed, but not running and not enabled at boot (vsftpd)';
    const svc = { ...service('vsftpd', [{ url: 'ftp://127.0.0.1:1/' }]), dormant };
    const out = await probesCheck.run(ctx([svc]));
    expect(out.results[0]).toMatchObject({ status: 'INFO', summary: `not probed: ${dormant}` });
    expect(out.results[0]?.findings.map((f) => [f.kind, f.status])).toEqual([['not-checked', 'INFO']]);
  });

  it('under --root, reports localhost probes as not checked (INFO)', async () => {
    const out = await probesCheck.run(
      ctx([service('nginx', [{ url: 'http://localhost/' }, { url: 'tcp://127.0.0.1:1' }])], { root: tmp }),
    );
    const f = out.results[0]?.findings ?? [];
    expect(f.map((x) => [x.kind, x.status])).toEqual([
      ['not-checked', 'INFO'],
      ['not-checked', 'INFO'],
    ]);
    expect(out.results[0]?.status).toBe('INFO');
    expect(f[0]?.summary).toBe('http://localhost/ not probed: it is this machine, not the tree under --root');
  });

  it('decides without probing: other hosts run under --root, this machine only when asked', () => {
    // Decided here rather than by probing: tests send no traffic beyond loopback.
    const spec = (url: string) => probeSpec.parse({ url });
    expect(probeAllowed(spec('http://www.example.org/'), false, false)).toBe(true);
    expect(probeAllowed(spec('smb://192.0.2.10'), false, false)).toBe(true);
    for (const local of [
      'http://localhost/',
      'tcp://127.0.0.53:53',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'tcp://0.0.0.0:25',
    ]) {
      expect([local, probeAllowed(spec(local), false, false)]).toEqual([local, false]);
      expect(probeAllowed(spec(local), false, true)).toBe(true);
      expect(probeAllowed(spec(local), true, false)).toBe(true);
    }
  });

  it('under --root, probes localhost when the config asks', async () => {
    const s = need('nginx');
    const out = await probesCheck.run(
      ctx([service('nginx', [{ url: `http://127.0.0.1:${s.ports.http}/` }])], {
        root: tmp,
        checks: { localUnderRoot: true },
      }),
    );
    expect(out.results[0]?.status).toBe('OK');
  });
});
