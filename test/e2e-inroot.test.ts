import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_ROOT, runCli, tempDir } from './helpers/cli.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const CONFIG = `host: img
detect: false
syslog:
  files: [/var/log/syslog]
  journal: off
`;

/**
 * An image (`root/`) whose /var/log and /proc are absolute links (`/var/log -> /data/log`, as on a server
 * that keeps its logs on a data disk), and the auditing machine, which has the same absolute paths with its
 * own files in them: the image's are under `root/data/...`. Only the image's may be read.
 */
function image(): { root: string; data: string } {
  const base = tempDir('tenken-e2e-inroot-');
  dirs.push(base);
  const root = path.join(base, 'root');
  const data = path.join(base, 'data');
  // The auditing machine's own files at the paths the image's links name.
  mkdirSync(path.join(data, 'log'), { recursive: true });
  mkdirSync(path.join(data, 'proc/4242'), { recursive: true });
  writeFileSync(path.join(data, 'log/syslog'), 'Nov 27 01:00:00 aud kernel: HOST-LINE error: disk abort\n');
  writeFileSync(path.join(data, 'log/wtmp'), '');
  // The image.
  mkdirSync(path.join(root, 'etc/tenken'), { recursive: true });
  writeFileSync(path.join(root, 'etc/tenken/tenken.yaml'), CONFIG);
  cpSync(path.join(DEMO_ROOT, 'etc/passwd'), path.join(root, 'etc/passwd'));
  mkdirSync(path.join(root, data, 'log'), { recursive: true });
  writeFileSync(
    path.join(root, data, 'log/syslog'),
    'Nov 27 01:00:00 img kernel: IMAGE-LINE error: disk abort\n',
  );
  cpSync(path.join(DEMO_ROOT, 'var/log/wtmp'), path.join(root, data, 'log/wtmp'));
  cpSync(path.join(DEMO_ROOT, 'var/log/mgetty.ttyS0'), path.join(root, data, 'log/mgetty.ttyS0'));
  cpSync(path.join(DEMO_ROOT, 'proc'), path.join(root, data, 'proc'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  mkdirSync(path.join(root, 'var'));
  symlinkSync(path.join(data, 'log'), path.join(root, 'var/log'));
  symlinkSync(path.join(data, 'proc'), path.join(root, 'proc'));
  return { root, data };
}

describe('tenken --root on an image whose /var/log and /proc are absolute links', () => {
  it('check reads the image’s logs, not the auditing machine’s, and shows them as /var/log/syslog', async () => {
    const { root } = image();
    const r = await runCli(['--root', root, '--only', 'logs', '--format', 'json', 'check', '--all']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('IMAGE-LINE');
    expect(r.stdout).not.toContain('HOST-LINE');
    expect(r.stdout).toContain('"source": "/var/log/syslog"');
  });

  it('last reads the image’s wtmp, through the linked directory or a link at wtmp itself', async () => {
    const { root, data } = image();
    const demo = await runCli(['--root', DEMO_ROOT, 'last']);
    expect(demo.stdout).toMatch(/^mori +ttyS0/m);
    const r = await runCli(['--root', root, 'last']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(demo.stdout);
    // /var/log a real directory, /var/log/wtmp an absolute link (and btmp one climbing with `..`).
    rmSync(path.join(root, 'var/log'));
    mkdirSync(path.join(root, 'var/log'));
    symlinkSync(path.join(data, 'log/wtmp'), path.join(root, 'var/log/wtmp'));
    expect((await runCli(['--root', root, 'last'])).stdout).toBe(demo.stdout);
    symlinkSync(`../../../../../../../../..${data}/log/wtmp`, path.join(root, 'var/log/btmp'));
    expect((await runCli(['--root', root, 'last', '-f', '/var/log/btmp'])).stdout).toBe(
      demo.stdout.replace('wtmp begins', 'btmp begins'),
    );
  });

  it('procs reads the image’s /proc, and dialup the image’s mgetty log', async () => {
    const { root } = image();
    const procs = await runCli(['--root', root, 'procs']);
    expect(procs.stdout).toContain('Process bnc (pid 6667, ');
    expect(procs.stdout).toContain('/proc/6667: ');
    expect(procs.stdout).not.toContain('4242');
    const dialup = await runCli(['--root', root, '--format', 'json', 'dialup']);
    expect(dialup.stdout).toContain('/var/log/mgetty.ttyS0');
    expect(dialup.stdout).toContain('ttyS0');
  });
});
