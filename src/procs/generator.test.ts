import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProcesses } from './proc.ts';
import { readListeners } from './sockets.ts';
import { GENERATOR, demoSpec, removeRoot } from './testing.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) removeRoot(r);
});
function tempRoot(): string {
  const r = mkdtempSync(path.join(os.tmpdir(), 'tenken-gen-'));
  roots.push(r);
  mkdirSync(path.join(r, 'etc'));
  writeFileSync(
    path.join(r, 'etc/passwd'),
    'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\nyanagi:x:1001:1001::/:/bin/sh\n',
  );
  return r;
}

describe('make-demo-proc.mjs', () => {
  it('writes a tree the readers give back as described: processes, users, start times, programs, listeners', async () => {
    const root = tempRoot();
    const specFile = path.join(root, 'spec.json');
    const spec = demoSpec();
    writeFileSync(specFile, JSON.stringify(spec));
    execFileSync(process.execPath, [GENERATOR, specFile, root]);
    const procs = await readProcesses({ root });
    expect(procs.map((p) => p.pid)).toEqual(spec.processes.map((p) => p.pid).sort((a, b) => a - b));
    const users: Record<number, string> = { 0: 'root', 65534: 'nobody', 1001: 'yanagi' };
    for (const want of spec.processes) {
      const got = procs.find((p) => p.pid === want.pid);
      expect(got?.ppid, String(want.pid)).toBe(want.ppid);
      expect(got?.user).toBe(users[want.uid]);
      expect(got?.start).toBe(new Date(want.started).toISOString());
      expect(got?.kernelThread).toBe(want.kernel === true);
      if (!want.kernel) {
        expect(got?.cmdline).toEqual(want.cmdline);
        expect(got?.exe).toEqual({ path: want.exe, deleted: want.deleted === true });
        expect(got?.rssKb).toBe(want.rssKb);
      }
    }
    const { listeners } = await readListeners(
      { root },
      procs.map((p) => p.pid),
      true,
    );
    const described = spec.processes.flatMap((p) =>
      (p.listen ?? []).map((l) => `${l.proto} ${l.addr} ${l.port} ${p.pid}`),
    );
    expect(listeners.map((l) => `${l.proto} ${l.addr} ${l.port} ${l.pids.join(',')}`).sort()).toEqual(
      described.sort(),
    );
  });

  it('leaves intruders out with --healthy, and never replaces a /proc it did not make', () => {
    const root = tempRoot();
    const specFile = path.join(root, 'spec.json');
    writeFileSync(specFile, JSON.stringify(demoSpec()));
    execFileSync(process.execPath, [GENERATOR, '--healthy', specFile, root]);
    expect(existsSync(path.join(root, 'proc/4711'))).toBe(false);
    expect(existsSync(path.join(root, 'proc/480'))).toBe(true);
    const other = tempRoot();
    mkdirSync(path.join(other, 'proc/1'), { recursive: true });
    expect(() => execFileSync(process.execPath, [GENERATOR, specFile, other], { stdio: 'pipe' })).toThrow(
      /was not made by this script/,
    );
    expect(existsSync(path.join(other, 'proc/1'))).toBe(true);
  });
});
