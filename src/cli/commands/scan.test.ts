import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../config/plan.ts';
import { configSchema } from '../../config/schema.ts';
import { makeHost } from '../../core/host.ts';
import type { Loaded } from '../app.ts';
import { parseSince } from '../../core/time.ts';
import { ndjsonLine, runScan, type ScanOptions } from './scan.ts';
import { servicePlan, testPlan } from '../../../test/helpers/plan.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan: Plan = testPlan([servicePlan('sendmail', { syslog: ['sendmail'], reasons: [] })], []);
const loaded: Loaded = {
  config: configSchema.parse({}),
  configPath: null,
  host: makeHost({ name: 'gw', env: { TZ: 'UTC' } }),
  plan,
};

async function scan(
  files: string[],
  opts: Partial<ScanOptions>,
  format: 'text' | 'json' | 'ndjson',
  with_: Loaded = loaded,
) {
  let out = '';
  const errors: string[] = [];
  const io = {
    write: (t: string) => {
      out += t;
      return Promise.resolve();
    },
    error: (t: string) => void errors.push(t),
    isTTY: false,
    env: {},
    cwd: dir,
  };
  const code = await runScan(with_, files, { category: [], all: false, ignore: true, ...opts }, format, {
    io,
  });
  return { out, errors, code };
}

const LOG =
  'Nov 24 10:00:00 gw sendmail[1]: SYSERR(root): timeout\r\nNov 24 10:00:01 gw sshd[2]: ok\nNov 24 10:00:02 gw sshd[2]: Invalid user \xff\n';

describe('tenken scan', () => {
  it('reads a file named twice (or under two names) once', async () => {
    writeFileSync(path.join(dir, 'twice'), Buffer.from(LOG, 'latin1'));
    symlinkSync(path.join(dir, 'twice'), path.join(dir, 'twice-link'));
    const { out } = await scan(['twice', 'twice', 'twice-link'], {}, 'ndjson');
    expect(out.trim().split('\n')).toHaveLength(2);
  });

  it('prints one ndjson object per matching line with exactly the documented fields', async () => {
    writeFileSync(path.join(dir, 'syslog'), Buffer.from(LOG, 'latin1'));
    const { out, code } = await scan(['syslog'], {}, 'ndjson');
    expect(code).toBe(0);
    const recs = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((r) => Object.keys(r))).toEqual([
      ['path', 'line', 'time', 'program', 'categories', 'text'],
      ['path', 'line', 'time', 'program', 'categories', 'text'],
    ]);
    expect(recs[0]).toEqual({
      path: path.join(dir, 'syslog'),
      line: 1,
      time: recs[0]?.time,
      program: 'sendmail',
      categories: ['error', 'network'],
      text: 'Nov 24 10:00:00 gw sendmail[1]: SYSERR(root): timeout',
    });
    expect(recs[0]?.time).toMatch(/-11-24T10:00:00.000Z$/);
    expect(recs[1]).toMatchObject({
      line: 3,
      program: 'sshd',
      categories: ['invalid'],
      text: 'Nov 24 10:00:02 gw sshd[2]: Invalid user \ufffd',
    });
  });

  it('counts the lines of files named on the command line as grep does, copies in two files included', async () => {
    for (const f of ['dmesg', 'dmesg.0'])
      writeFileSync(
        path.join(dir, f),
        '[    0.004321] kernel: ACPI BIOS Error (bug): x\n[    0.004400] kernel: ACPI Error: Aborting method\n',
      );
    const r = await scan(['dmesg', 'dmesg.0'], { category: ['error'] }, 'json');
    const doc = JSON.parse(r.out) as { categories: Record<string, { count: number }> };
    expect(doc.categories.error?.count).toBe(4);
  });

  it('escapes U+2028, U+2029 and U+0085 in ndjson, so no line splitter breaks a record', () => {
    const text = 'x\u2028y\u2029z\u0085w';
    const line = ndjsonLine({ text });
    expect(line).toBe('{"text":"x\\u2028y\\u2029z\\u0085w"}');
    expect(line.split(/\r\n|[\n\r\u0085\u2028\u2029]/)).toHaveLength(1);
    expect(JSON.parse(line)).toEqual({ text });
  });

  it("reads year-less stamps in the tree's zone under --root, not the auditor's", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-scan-tz-'));
    mkdirSync(path.join(root, 'etc'));
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    symlinkSync('/usr/share/zoneinfo/Asia/Tokyo', path.join(root, 'etc/localtime'));
    const log = path.join(root, 'var/log/syslog');
    writeFileSync(log, 'Nov 26 15:00:00 gw sendmail[1]: SYSERR(root): timeout\n');
    utimesSync(log, new Date('2026-11-26T07:00:00Z'), new Date('2026-11-26T07:00:00Z'));
    let out = '';
    const io = {
      write: (t: string) => ((out += t), Promise.resolve()),
      error: () => undefined,
      isTTY: false,
      env: {},
      cwd: root,
    };
    const host = makeHost({ root, name: 'gw', env: { TZ: 'America/New_York' } });
    // An absolute file argument is a host path, under --root like every other.
    await runScan(
      { ...loaded, host },
      ['/var/log/syslog'],
      { category: [], all: false, ignore: true },
      'ndjson',
      {
        io,
      },
    );
    expect((JSON.parse(out.split('\n')[0] ?? '') as { time: string }).time).toBe('2026-11-26T06:00:00.000Z');
  });

  it('filters by app (on the tag) and category, and reads .gz files', async () => {
    writeFileSync(path.join(dir, 'syslog.2.gz'), gzipSync(Buffer.from(LOG, 'latin1')));
    const { out } = await scan(['syslog.2.gz'], { app: 'sendmail', category: ['network'] }, 'json');
    const doc = JSON.parse(out) as {
      categories: Record<string, { count: number }>;
      services: Record<string, unknown>;
    };
    expect(Object.keys(doc.categories)).toEqual(['network']);
    expect(doc.categories.network?.count).toBe(1);
    expect(Object.keys(doc.services)).toEqual(['sendmail']);
  });

  it("says what each category means: the runbook's words, or the config's title", async () => {
    writeFileSync(path.join(dir, 'meaning'), Buffer.from(LOG, 'latin1'));
    // Year-less stamps take their year from the file's time: a fixed one, not the day the test runs.
    utimesSync(path.join(dir, 'meaning'), new Date('2026-11-25T00:00:00Z'), new Date('2026-11-25T00:00:00Z'));
    const row = (out: string, re: RegExp) => out.split('\n').find((l) => re.test(l));
    const text = (await scan(['meaning'], {}, 'text')).out;
    expect(row(text, /^category /)).toMatch(/ last \(UTC\) +meaning$/);
    expect(row(text, /^network /)).toMatch(
      /^network +1 +2026-11-24 10:00 +2026-11-24 10:00 +network trouble, server overload$/,
    );
    expect(row(text, /^cgi /)).toMatch(/^cgi +0 +- +- +CGI abuse$/);
    const json = JSON.parse((await scan(['meaning'], {}, 'json')).out) as {
      categories: Record<string, { title: string | null; count: number }>;
    };
    expect(json.categories.invalid).toEqual({
      title: 'parameter mistakes, wrong password entered',
      count: 1,
      first: '2026-11-24T10:00:02.000Z',
      last: '2026-11-24T10:00:02.000Z',
    });
    const config = configSchema.parse({
      checks: {
        logs: {
          categories: {
            network: { title: '  timeouts of our uplink ' },
            mine: { keywords: ['ok'] },
            disk: { title: 'disk \x1b[31mfull', keywords: ['nospace'] },
          },
        },
      },
    });
    const own = (await scan(['meaning'], {}, 'text', { ...loaded, config })).out;
    expect(row(own, /^network /)).toMatch(/ 2026-11-24 10:00 +timeouts of our uplink$/);
    expect(row(own, /^mine /)).toMatch(/^mine +1 +2026-11-24 10:00 +2026-11-24 10:00$/);
    expect(row(own, /^disk /)).toMatch(/ - +disk \\x1b\[31mfull$/);
  });

  it('reports a missing file on stderr and exits 3', async () => {
    const { errors, code } = await scan(['nope.log'], {}, 'text');
    expect(errors).toEqual([`tenken: Cannot read ${path.join(dir, 'nope.log')}: no such file or directory`]);
    expect(code).toBe(3);
  });

  it('rejects an unknown category with the known ones', async () => {
    await expect(scan(['syslog'], { category: ['nope'] }, 'text')).rejects.toThrow(
      /^Unknown category nope: known are error, network,/,
    );
  });

  it('takes --app host (the lines of no service, as the summaries name them) and rejects an unknown one', async () => {
    writeFileSync(path.join(dir, 'apps'), Buffer.from(LOG, 'latin1'));
    const host = (await scan(['apps'], { app: 'host' }, 'ndjson')).out.trim().split('\n');
    expect(host.map((l) => (JSON.parse(l) as { program: string }).program)).toEqual(['sshd']);
    const mail = (await scan(['apps'], { app: 'sendmail' }, 'ndjson')).out.trim().split('\n');
    expect(mail.map((l) => (JSON.parse(l) as { program: string }).program)).toEqual(['sendmail']);
    await expect(scan(['apps'], { app: 'nope' }, 'text')).rejects.toThrow(
      'Unknown service nope: known are sendmail, host',
    );
  });

  it('parses --since durations and dates', () => {
    const now = new Date('2026-11-25T00:00:00Z');
    expect(parseSince('24h', now).toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(parseSince('2026-11-20', now).toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/^Invalid --since "yesterday"/);
  });
});

describe('tenken scan of the configured logs', () => {
  it("is silent about profile paths that do not exist, and counts the demo tree's CGI probes", async () => {
    const { runCli, DEMO_ROOT } = await import('../../../test/helpers/cli.ts');
    const r = await runCli(['--root', DEMO_ROOT, 'scan', '--category', 'cgi']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cgi\s+4\s/m);
  });
});
