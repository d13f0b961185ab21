import { statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordBaseline } from './baseline.ts';
import { judge, observe, snapshotOf } from './check.ts';
import { isRoot, runAsNobody } from '../../test/helpers/as-nobody.ts';
import { readProcessesCounted, readProgramFiles } from './proc.ts';
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

// Another user's program (/proc/PID/exe) is unreadable without root: the suspicious-binary checks cannot
// judge it, and the report must say so rather than pass over it.
describe("another user's programs, read without root", () => {
  it('are counted and said (INFO), not silently passed over', async () => {
    const count = `const r = await m.readProcessesCounted({ root: '/' });
      console.log(JSON.stringify({ exeUnreadable: r.exeUnreadable, self: r.processes.length }));`;
    if (isRoot()) {
      // This test runner's own processes are root's: as nobody, their programs cannot be read.
      const asNobody = JSON.parse(await runAsNobody(path.join(import.meta.dirname, 'proc.ts'), count)) as {
        exeUnreadable: number;
      };
      // (Root too may be refused a few: processes the kernel hides even from it.)
      expect(asNobody.exeUnreadable).toBeGreaterThan(
        (await readProcessesCounted({ root: '/' })).exeUnreadable,
      );
    } else expect((await readProcessesCounted({ root: '/' })).exeUnreadable).toBeGreaterThan(0); // init's, root's
    const cfg = procsOptions();
    const obs = { ...(await observe({ root: '/' }, cfg)), unreadableExes: 3 };
    const notes = judge(
      obs,
      { services: [], syslogFiles: [], journal: 'off', skipped: [] },
      cfg,
      { state: 'absent', path: null },
      { now: new Date() },
    )
      .flatMap((r) => r.findings)
      .filter((f) => f.kind === 'not-checked')
      .map((f) => [f.status, f.summary]);
    expect(notes).toContainEqual([
      'INFO',
      "The programs of 3 processes could not be read: permission denied (other users' processes without root, or processes the kernel hides even from root), so a deleted or replaced binary, a memfd or a temp-directory program was not looked for in them",
    ]);
  });
});

// On the host itself the program examined is the one the process runs, through /proc/PID/exe: this one's.
describe('a program file on this machine', () => {
  it('is the file this process runs, its owner and mode', async () => {
    const host = { root: '/' };
    const me = (await readProcessesCounted(host)).processes.filter((p) => p.pid === process.pid);
    const files = await readProgramFiles(host, me, () => true);
    const st = statSync(process.execPath);
    expect(files.get(process.pid)).toEqual({ uid: st.uid, mode: st.mode });
  });
});
