import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHost } from '../core/host.ts';
import { logsConfig } from './config.ts';
import { type EngineInput, planSources, runEngine } from './engine.ts';
import { compileRules } from './scan/rules.ts';
import { servicePlan, testPlan } from '../../test/helpers/plan.ts';

/*
 * A line without a time of its own takes the time of the nearest line before it that has one (within
 * 64 KiB): Samba writes its time in a header line and the message on the indented lines under it, Java
 * its stack traces under the line that logged them.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A host with one service whose own log is /var/log/app.log holding `text`. */
function appLog(text: string) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-route-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  const file = path.join(root, 'var/log/app.log');
  writeFileSync(file, text);
  utimesSync(file, new Date('2026-11-26T00:00:00Z'), new Date('2026-11-26T00:00:00Z'));
  const host = makeHost({ root, name: 'gw', now: new Date('2026-11-26T00:00:00Z'), env: { TZ: 'UTC' } });
  const plan = testPlan([servicePlan('app', { logs: ['/var/log/app.log'] })], []);
  const config = logsConfig.parse({});
  const run = async (mode: EngineInput['mode']) => {
    const r = await runEngine({
      host,
      plan,
      config,
      rules: compileRules(config),
      sources: await planSources(host, plan),
      mode,
      journal: 'off',
      countLines: true,
      consumeTrailing: false,
      noIgnore: false,
      threads: 1,
    });
    return { state: r.state, stats: r.stats.services.get('app') };
  };
  return { file, run };
}

const hours = (m: Map<number, number> | undefined) =>
  Object.fromEntries([...(m ?? [])].map(([h, n]) => [new Date(h).toISOString().slice(0, 13), n]));

const SAMBA = [
  '[2026/11/20 10:00:00.123456,  0] ../source3/smbd/server.c:1234(smbd_accept_connection)',
  '  Connection denied from 198.51.100.77',
  '[2026/11/22 11:30:00,  0] lib/util_sock.c:read_data(436)',
  '  read_data: read failure for 4. Error = Connection reset by peer',
  '[2026/11/24 22:10:00,  2] smbd/password.c:pass_check_smb(500)',
  '  pass_check_smb failed - invalid password for user [kato]',
  '  pass_check_smb failed - invalid password for user [kato]',
  '',
].join('\n');

describe('a line without a time of its own', () => {
  it("takes the time of Samba's header line above it: hours, first and last, --since", async () => {
    const { run } = appLog(SAMBA);
    const all = await run({ kind: 'all' });
    expect(hours(all.stats?.get('invalid')?.perHour)).toEqual({ '2026-11-22T11': 1, '2026-11-24T22': 2 });
    expect(all.stats?.get('access')?.first).toBe(Date.parse('2026-11-20T10:00:00Z'));
    const since = await run({ kind: 'since', since: Date.parse('2026-11-23T00:00:00Z') });
    expect(since.stats?.get('invalid')?.count).toBe(2);
    expect(since.stats?.get('access')).toBeUndefined();
  });

  it('takes the time of the line that logged a Java stack trace, not of a line over 64 KiB before it', async () => {
    const trace = [
      '2026-11-25 09:15:02,117 ERROR [http-nio-8080-exec-3] o.a.c.c.C.[dispatcherServlet] Servlet threw an exception',
      'java.lang.IllegalStateException: invalid state',
      '\tat com.example.Foo.bar(Foo.java:42)',
      'Caused by: java.io.IOException: Connection refused',
      '\tat com.example.Baz.qux(Baz.java:7)',
    ];
    const dump = Array.from({ length: 1200 }, (_, i) => `  row ${i} ${'.'.repeat(60)}`);
    const { run } = appLog(`${[...trace, ...dump, 'late failure after the dump'].join('\n')}\n`);
    const r = await run({ kind: 'all' });
    expect(hours(r.stats?.get('invalid')?.perHour)).toEqual({ '2026-11-25T09': 1 });
    expect(r.stats?.get('invalid')?.count).toBe(2); // the late one has no time within reach
    expect(hours(r.stats?.get('access')?.perHour)).toEqual({ '2026-11-25T09': 1 });
  });

  it('takes the time of a header read by the last run, also from the .gz the file was rotated to', async () => {
    const header = (h: number) => `[2026/11/24 ${h}:10:00,  2] smbd/password.c:pass_check_smb(500)\n`;
    const message = '  pass_check_smb failed - invalid password for user [kato]\n';
    const { file, run } = appLog(header(21));
    const first = await run({ kind: 'resume', state: undefined });
    appendFileSync(file, message);
    const next = await run({ kind: 'resume', state: first.state });
    expect(hours(next.stats?.get('invalid')?.perHour)).toEqual({ '2026-11-24T21': 1 });
    appendFileSync(file, header(22));
    const third = await run({ kind: 'resume', state: next.state });
    appendFileSync(file, message);
    writeFileSync(`${file}.1.gz`, gzipSync(readFileSync(file))); // rotated and compressed
    writeFileSync(file, '');
    const fourth = await run({ kind: 'resume', state: third.state });
    expect(hours(fourth.stats?.get('invalid')?.perHour)).toEqual({ '2026-11-24T22': 1 });
  });
});
