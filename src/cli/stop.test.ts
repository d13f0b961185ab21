import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir } from '../../test/helpers/cli.ts';
import { childPids } from './stop.ts';

/** Whether a process has ended (gone, or a zombie waiting for its new parent to collect it). */
function ended(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return true;
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
}

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('childPids', () => {
  it('lists the processes this one started', () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      expect(childPids()).toContain(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('a run told to stop', () => {
  it('says so in one line, stops the journalctl it started, and dies of the signal (143: a clean stop for systemd)', async () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    // A journal the logs check reads (journal: on), and a journalctl that hangs (a damaged journal file).
    mkdirSync(path.join(root, 'etc/tenken'), { recursive: true });
    mkdirSync(path.join(root, 'var/log/journal/0123456789abcdef0123456789abcdef'), { recursive: true });
    writeFileSync(path.join(root, 'var/log/journal/0123456789abcdef0123456789abcdef/system.journal'), '');
    writeFileSync(
      path.join(root, 'etc/tenken/tenken.yaml'),
      'host: srv\ntimeZone: UTC\ndetect: false\nsyslog:\n  files: []\n  journal: on\n',
    );
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const pids = path.join(dir, 'journalctl.pids');
    writeFileSync(path.join(bin, 'journalctl'), `#!/bin/sh\necho $$ >> ${pids}\nexec sleep 300\n`);
    chmodSync(path.join(bin, 'journalctl'), 0o755);
    const run = spawn(
      process.execPath,
      [
        path.join(REPO, 'dist/tenken.js'),
        '--root',
        root,
        '--state',
        path.join(dir, 'state'),
        'check',
        '--only',
        'logs',
      ],
      { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    run.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      run.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await until(() => existsSync(pids));
      const journalctl = Number(readFileSync(pids, 'latin1').split('\n')[0]);
      run.kill('SIGTERM');
      expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect(stderr.trim().split('\n')).toEqual(['tenken: stopped by SIGTERM']);
      await until(() => ended(journalctl), 5_000);
    } finally {
      run.kill('SIGKILL');
    }
  });
});
