import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { recordBaseline } from './baseline.ts';
import { judge, observe, snapshotOf } from './check.ts';
import { procsOptions } from './testing.ts';

// This machine's real /proc: a baseline recorded before a server starts, then the server's listener must
// show up as new, held by this very process. Other tests run alongside, so only our port is asserted.
describe('a new listener on this machine', () => {
  it('appears against a baseline recorded before it started, with its own pid', async () => {
    const cfg = procsOptions();
    const host = { root: '/' };
    const before = await observe(host, cfg);
    const baseline = recordBaseline(snapshotOf(before, cfg, process.pid, { services: [] }), {
      host: 'live',
      now: new Date(),
      suspicious: [],
    });
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      expect(baseline.listeners.some((l) => l.port === port && l.addr === '127.0.0.1')).toBe(false);
      const after = await observe(host, cfg);
      const results = judge(
        after,
        { services: [], syslogFiles: [], journal: 'off', skipped: [] },
        cfg,
        {
          state: 'ok',
          path: '(memory)',
          baseline,
        },
        { now: new Date(), selfPid: process.pid },
      );
      const host_ = results.find((r) => r.service === 'host');
      const found = host_?.findings.find(
        (f) => (f.kind as string) === 'listener-new' && (f.data as { port?: number }).port === port,
      );
      expect(found?.status).toBe('CRITICAL');
      expect(found?.data).toMatchObject({ listener: `tcp 127.0.0.1:${port}`, pids: [process.pid] });
      expect(found?.summary).toContain(`pid ${process.pid}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
