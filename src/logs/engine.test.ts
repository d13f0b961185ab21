import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAll } from '../config/load.ts';
import { makeHost } from '../core/host.ts';
import { logsConfig } from './config.ts';
import { planSources, runEngine } from './engine.ts';
import { compileRules } from './scan/rules.ts';
import { servicePlan, testPlan } from '../../test/helpers/plan.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SYSLOG = 'Nov 24 10:00:00 gw sshd[7]: error: Could not load host key: /etc/ssh/ssh_host_ed25519_key\n';

function tree(link: (target: string, name: string) => void) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  const syslog = path.join(root, 'var/log/syslog');
  writeFileSync(syslog, SYSLOG.repeat(3));
  link(syslog, path.join(root, 'var/log/messages'));
  return makeHost({ root, name: 'gw', now: new Date('2026-11-25T00:00:00Z'), env: { TZ: 'UTC' } });
}

describe('planSources', () => {
  const plan = testPlan(
    [servicePlan('sshd', { syslog: ['sshd'] })],
    ['/var/log/syslog', '/var/log/messages'],
  );

  for (const [kind, link] of [
    ['symbolic', (t: string, n: string) => symlinkSync(t, n)],
    ['hard', (t: string, n: string) => linkSync(t, n)],
  ] as const) {
    it(`reads a system log once when another listed name is a ${kind} link to it`, async () => {
      const host = tree(link);
      const sources = await planSources(host, plan);
      expect(sources.map((s) => s.path)).toEqual(['/var/log/syslog']);
      const config = logsConfig.parse({});
      const r = await runEngine({
        host,
        plan,
        config,
        rules: compileRules(config),
        sources,
        mode: { kind: 'all' },
        journal: 'off',
        countLines: true,
        consumeTrailing: true,
        noIgnore: false,
        threads: 1,
      });
      const errors = r.stats.services.get('sshd')?.get('error');
      expect(errors?.count).toBe(3);
    });
  }
});

describe("the samba profile's logs", () => {
  it("reads Debian's per-client log.%m files, each rotated family once", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-engine-samba-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'var/log/samba'), { recursive: true });
    mkdirSync(path.join(root, 'etc/tenken'), { recursive: true });
    writeFileSync(path.join(root, 'etc/tenken/tenken.yaml'), 'detect: false\nservices:\n  samba: {}\n');
    for (const f of ['log.smbd', 'log.smbd.1', 'log.smbd.2.gz', 'log.pc1', 'log.pc1.1', 'log.192.0.2.7'])
      writeFileSync(path.join(root, 'var/log/samba', f), '');
    const { host, plan } = loadAll({ root, env: {} });
    const samba = (await planSources(host, plan)).filter((s) => s.owners.includes('samba'));
    // The profile's other paths are sources too (reported missing); the files that exist are read so:
    const found = samba.map((s) => s.path).filter((p) => existsSync(path.join(root, p)));
    expect(found.sort()).toEqual([
      '/var/log/samba/log.192.0.2.7',
      '/var/log/samba/log.pc1',
      '/var/log/samba/log.smbd',
    ]);
  });
});
