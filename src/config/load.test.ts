import { makeFifo } from '../../test/helpers/fifo.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../test/helpers/cli.ts';
import { STARTER_CONFIG } from './starter.ts';
import { parseConfig, readConfig } from './load.ts';

describe('config check', () => {
  it('prints every mistake with file:line:col and exits 3', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'tenken.yaml');
    writeFileSync(
      file,
      [
        'detect: yes-please',
        'services:',
        '  sendmail:',
        '    enabeld: true',
        '    logs: [var/log/maillog]',
        'syslog:',
        '  journal: sometimes',
        '',
      ].join('\n'),
    );
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `${file}:1:9: Invalid input: expected boolean, received string (at detect)`,
      `${file}:4:5: unknown key "enabeld" (at services.sendmail.enabeld)`,
      `${file}:5:12: must be an absolute path (host paths start with /) (at services.sendmail.logs[0])`,
      `${file}:7:12: Invalid option: expected one of "auto"|"on"|"off" (at syslog.journal)`,
      `4 errors in ${file}`,
    ]);
  });

  it('says what the schema alone cannot: check kinds, profile names, categories of thresholds, zones', async () => {
    const file = path.join(tempDir(), 'tenken.yaml');
    writeFileSync(
      file,
      [
        'disable: [probe]',
        'services:',
        '  foo:',
        '    profile: nginxx',
        '  sshd:',
        '    thresholds:',
        '      invalidd: {warn: 1000}',
        'checks:',
        '  logs:',
        '    thresholds:',
        '      errror: {warn: 5}',
        '  logins:',
        '    timeZone: Asia/Tokio',
        '',
      ].join('\n'),
    );
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(3);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .map((l) => l.replace(/ \(known: [^)]*\)/, '')),
    ).toEqual([
      `${file}:1:11: unknown check kind probe (at disable[0])`,
      `${file}:4:14: no built-in profile nginxx (at services.foo.profile)`,
      `${file}:7:17: unknown category invalidd (at services.sshd.thresholds.invalidd)`,
      `${file}:11:15: unknown category errror (at checks.logs.thresholds.errror)`,
      `${file}:13:15: not a time zone name this system knows (e.g. Asia/Tokyo) (at checks.logins.timeZone)`,
      `5 errors in ${file}`,
    ]);
  });

  it('refuses ignore rules of a service that does not exist and a /pattern/flags literal as a rule', async () => {
    const file = path.join(tempDir(), 'tenken.yaml');
    writeFileSync(
      file,
      'checks:\n  logs:\n    categories:\n      mine:\n        regex: ["/panic/i", "/cgi-bin/"]\n    ignore:\n      sshdd: ["x"]\n',
    );
    const r = await runCli(['config', 'check', file]);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:5:17: regex /panic/i looks like a /pattern/flags literal: write the pattern alone (rules are case-sensitive: [Pp]anic) (at checks.logs.categories.mine.regex[0])`,
      `${file}:7:14: no service sshdd (a built-in profile, a configured service, * or host) (at checks.logs.ignore.sshdd)`,
      `2 errors in ${file}`,
    ]);
  });

  it('refuses a service with nothing to check (a misspelt profile), suggesting the profile', async () => {
    const file = path.join(tempDir(), 'tenken.yaml');
    writeFileSync(
      file,
      'services:\n  wu-ftp:\n    title: FTP\n  delegated: {}\n  backup:\n    enabled: false\n  mine:\n    processes: [mined]\n  host:\n    thresholds:\n      access: {warn: 1}\n',
    );
    const r = await runCli(['config', 'check', file]);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:3:5: service wu-ftp has nothing to check: no built-in profile of that name, and no processes, logs, syslog, ports or probes (did you mean wu-ftpd?) (at services.wu-ftp)`,
      `${file}:4:14: service delegated has nothing to check: no built-in profile of that name, and no processes, logs, syslog, ports or probes (did you mean delegate?) (at services.delegated)`,
      `2 errors in ${file}`,
    ]);
  });

  it('says what is wrong with a service name at the name, not "Invalid key in record" on the next line', async () => {
    const file = path.join(tempDir(), 'tenken.yaml');
    writeFileSync(file, 'services:\n  DeleGate:\n    processes: [delegated]\n');
    const r = await runCli(['config', 'check', file]);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:2:3: service names are lower-case letters, digits, . _ - (at services.DeleGate)`,
      `1 error in ${file}`,
    ]);
  });

  it('reports YAML syntax errors with their position', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'services:\n  sshd: {enabled: true\n');
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: `));
  });

  it('refuses a --format it cannot write instead of ignoring it', async () => {
    const file = path.join(tempDir(), 'ok.yaml');
    writeFileSync(file, 'detect: true\n');
    const r = await runCli(['--format', 'json', 'config', 'check', file]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      3,
      '',
      'tenken: config check cannot write --format json: use text\n',
    ]);
  });

  it('points a YAML syntax error at its line and column, not at 1:1', async () => {
    const file = path.join(tempDir(), 'bad.yaml');
    writeFileSync(file, 'host: ok\ndetect: true\nchecks:\n  logins:\n    maxConcurrent: [1\n  x: }\n');
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:6:3: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `${file}:6:6: Unexpected flow-map-end token in YAML stream: "}"`,
      `2 errors in ${file}`,
    ]);
  });

  it('refuses a config that is not UTF-8 (EUC-JP, Shift_JIS) at its first bad byte, in one line', async () => {
    const text = 'host: gate\nservices:\n  sendmail:\n    title: メールサーバー\n';
    const utf8 = path.join(tempDir(), 'utf8.yaml');
    writeFileSync(utf8, text);
    expect((await runCli(['config', 'check', utf8])).code).toBe(0);
    // The bytes an old editor wrote: EUC-JP メ is A5 E1, Shift_JIS 83 81 (as Node's TextDecoder has them).
    const euc = Buffer.concat([
      Buffer.from('host: gate\nservices:\n  sendmail:\n    title: '),
      Buffer.from([0xa5, 0xe1, 0xa1, 0xbc, 0x0a]),
    ]);
    const sjis = Buffer.concat([
      Buffer.from('host: gate\nservices:\n  sendmail:\n    title: '),
      Buffer.from([0x83, 0x81, 0x81, 0x5b, 0x0a]),
    ]);
    for (const [name, bytes, enc] of [
      ['euc.yaml', euc, 'EUC-JP'],
      ['sjis.yaml', sjis, 'Shift_JIS'],
    ] as const) {
      const file = path.join(tempDir(), name);
      writeFileSync(file, bytes);
      const r = await runCli(['config', 'check', file]);
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split('\n')[0]).toMatch(
        new RegExp(
          `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:12: not UTF-8 \\(bytes 0x[0-9a-f]{2}.*${enc}.*\\): save the file as UTF-8$`,
        ),
      );
      expect(() => readConfig({ root: '/', config: file })).toThrow(/:4:12: not UTF-8/);
    }
    // The column counts characters: a bad byte after two kana on the line is at column 3.
    const mid = path.join(tempDir(), 'mid.yaml');
    writeFileSync(
      mid,
      Buffer.concat([Buffer.from('host: gate\n# ゲー'), Buffer.from([0xff]), Buffer.from('\n')]),
    );
    expect((await runCli(['config', 'check', mid])).stderr).toMatch(
      /mid\.yaml:2:5: not UTF-8 \(bytes 0xff\): save/,
    );
  });

  it('reports an alias bomb as one FILE:line:col error, not an internal error', async () => {
    let text = 'x0: &a0 [lol]\n';
    for (let i = 1; i < 12; i++) text += `x${i}: &a${i} [${new Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
    const file = path.join(tempDir(), 'bomb.yaml');
    writeFileSync(file, text);
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:2:10: Excessive alias count indicates a resource exhaustion attack`,
      `1 error in ${file}`,
    ]);
    expect(() => parseConfig(text, 'bomb.yaml')).toThrow(/bomb\.yaml:2:10: Excessive alias count/);
  });

  it('accepts the starter config written by config init', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'etc', 'tenken.yaml');
    const init = await runCli(['config', 'init', file]);
    expect(init.code).toBe(0);
    const again = await runCli(['config', 'init', file]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('it exists (use --force to overwrite)');
    const check = await runCli(['config', 'check', file]);
    expect(check.stderr).toBe('');
    expect(check.stdout).toBe(`${file}: valid (1 service configured)\n`);
  });

  it('keeps the starter valid with its commented examples enabled', () => {
    const uncommented = STARTER_CONFIG.replace(/^(\s*)# (sendmail|intranet|  )/gm, '$1$2');
    expect(uncommented).not.toBe(STARTER_CONFIG);
    const cfg = parseConfig(uncommented, 'starter.yaml');
    expect(Object.keys(cfg.services).sort()).toEqual(['intranet', 'sendmail', 'sshd']);
  });

  it('falls back to defaults when no config exists under the root, but not for an explicit --config', () => {
    const root = tempDir();
    expect(readConfig({ root }).path).toBeNull();
    expect(() => readConfig({ root, config: path.join(root, 'nope.yaml') })).toThrow(
      /Cannot read config .*nope\.yaml: no such file or directory/,
    );
  });

  it('refuses a --config that is a FIFO at once, and config check says so in one line', {
    timeout: 5000,
  }, async () => {
    const root = tempDir();
    const fifo = path.join(root, 'fifo.yaml');
    makeFifo(fifo);
    expect(() => readConfig({ root, config: fifo })).toThrow(
      `Cannot read config ${fifo}: not a regular file`,
    );
    const r = await runCli(['config', 'check', fifo]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toMatch(/^tenken: Cannot read .*fifo\.yaml: not a regular file$/);
  });
});
