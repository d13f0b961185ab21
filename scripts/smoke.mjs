// Smoke test of the built CLI (part of `npm run ok`): the bundle starts, prints its version and help,
// and inspects the demo tree with a Nagios exit code.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve('dist/tenken.js');
const state = mkdtempSync(path.join(os.tmpdir(), 'tenken-smoke-'));
const run = (...args) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const fail = (msg, r) => {
  console.error(`smoke: ${msg}\n${r?.stdout ?? ''}${r?.stderr ?? ''}`);
  process.exit(1);
};
const v = run('--version');
if (v.status !== 0 || !/^\d+\.\d+\.\d+/.test(v.stdout)) fail('--version failed', v);
const h = run('--help');
if (h.status !== 0 || !h.stdout.includes('check')) fail('--help failed', h);
const c = run('check', '--root', 'examples/demo-root', '--state', state);
if (![0, 1, 2].includes(c.status ?? -1) || !c.stdout.includes('inspection of gauntlet'))
  fail(`check exited ${c.status}`, c);
// Under another name (a cron symlink `tenken-hourly`) it still runs: it once exited 0 doing nothing.
const link = path.join(state, 'tenken-hourly');
symlinkSync(bin, link);
const l = spawnSync(process.execPath, [link, '--version'], { encoding: 'utf8' });
if (l.status !== 0 || l.stdout !== v.stdout) fail('the CLI did nothing when called through a symlink', l);
console.log(`smoke: ok (check on the demo tree exited ${c.status})`);
