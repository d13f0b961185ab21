import { describe, expect, it } from 'vitest';
import { need, privateDaemon } from '../../test/services/index.ts';
import { probe } from './testing.ts';

describe('dns probe against dnsmasq', () => {
  it('asks the given server and finds the expected address', async () => {
    const s = need('dnsmasq');
    const r = await probe({
      url: `dns://127.0.0.1:${s.ports.dns}/${s.fixture.dnsName}`,
      expect: s.fixture.dnsAddress,
    });
    expect(r.status, r.summary).toBe('OK');
    expect(r.details.answers).toEqual([s.fixture.dnsAddress]);
    expect(r.summary).toMatch(new RegExp(`^${s.fixture.dnsName} A ${s.fixture.dnsAddress} in \\d+ ms$`));
  });

  it('classifies an unexpected answer as bad-content', async () => {
    const s = need('dnsmasq');
    const r = await probe({
      url: `dns://127.0.0.1:${s.ports.dns}/${s.fixture.dnsName}`,
      expect: '192.0.2.1',
    });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-content']);
  });

  it('classifies a name the server will not answer as dns', async () => {
    const s = need('dnsmasq');
    const r = await probe({ url: `dns://127.0.0.1:${s.ports.dns}/other.example`, timeout: 3 });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'dns']);
    expect(r.summary).toMatch(/^other\.example A: /);
  });

  it('names a refused query once dnsmasq is stopped', async () => {
    const s = need('dnsmasq');
    const { daemon, ports } = await privateDaemon('dnsmasq');
    const url = `dns://127.0.0.1:${ports.dns}/${s.fixture.dnsName}`;
    try {
      expect((await probe({ url })).status).toBe('OK');
    } finally {
      await daemon.stop();
    }
    // The refusal (ICMP port unreachable) comes at once; the long deadline only absorbs a busy machine.
    const r = await probe({ url, timeout: 8 });
    expect([r.status, r.failure, r.summary]).toEqual(['CRITICAL', 'refused', 'connection refused']);
  });
});
