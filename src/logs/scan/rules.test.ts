import { describe, expect, it } from 'vitest';
import { logsConfig } from '../config.ts';
import { ignoredMask, keywordBytes, lineMask, maskIds, compileRules } from './rules.ts';

const latin1 = (s: string) => keywordBytes(s);

describe('user rules', () => {
  it('rejects regexes that cannot run in linear time, with the rule in the message', () => {
    const r = logsConfig.safeParse({ categories: { mine: { regex: ['(a+)\\1'] } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe(
      'regex /(a+)\\1/ is not allowed: cannot run in linear time (backreferences and lookaround are not allowed in rules)',
    );
    expect(logsConfig.safeParse({ ignore: { sshd: ['(?=x)y'] } }).success).toBe(false);
    expect(
      logsConfig.safeParse({ categories: { mine: { regex: ['[unclosed'] } } }).error?.issues[0]?.message,
    ).toMatch(/^regex \/\[unclosed\/ is not allowed: /);
  });

  it('says a repeat count above 16 is what refuses a session-id pattern, not a backreference it lacks', () => {
    const r = logsConfig.safeParse({ categories: { mine: { regex: ['session [0-9a-f]{32}'] } } });
    expect(r.error?.issues[0]?.message).toBe(
      'regex /session [0-9a-f]{32}/ is not allowed: cannot run in linear time: repeat counts above 16 (such as {32}, or {4} inside {8}) are not supported in rules; use + or {1,} instead',
    );
    expect(logsConfig.safeParse({ categories: { mine: { regex: ['session [0-9a-f]{32,}'] } } }).success).toBe(
      false,
    );
    expect(logsConfig.safeParse({ categories: { mine: { regex: ['session [0-9a-f]+'] } } }).success).toBe(
      true,
    );
  });

  it('runs an accepted regex against a hostile line without stalling', () => {
    const rules = compileRules(
      logsConfig.parse({ runbook: false, categories: { mine: { regex: ['^(a+)+$'] } } }),
    );
    const t0 = performance.now();
    expect(lineMask(rules, `${'a'.repeat(5000)}!`)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  // A `.*` giving back characters is not "excessive backtracking" to V8's fallback: on the backtracking
  // engine this took over a minute for one line (quadratic); the rules run on the linear engine instead.
  it('runs `user .* failed` and an ignore rule over a ~1 MB line of `user ` in linear time', {
    timeout: 10_000,
  }, () => {
    const rules = compileRules(
      logsConfig.parse({
        runbook: false,
        categories: { loginfail: { regex: ['user .* failed'] } },
        ignore: { '*': ['user .* ok$'] },
      }),
    );
    const line = 'Nov 25 10:00:00 gauntlet sshd[99]: ' + 'user '.repeat(200_000);
    expect(lineMask(rules, line)).toBe(0);
    expect(ignoredMask(rules, 'sshd', line)).toBe(0);
    expect(lineMask(rules, `${line}failed`)).not.toBe(0);
  });

  it('strips a CRLF line end before end-anchored rules', () => {
    const rules = compileRules(
      logsConfig.parse({ runbook: false, categories: { tail: { regex: ['died$'] } } }),
    );
    expect(maskIds(rules, lineMask(rules, 'mailer prog died\r'))).toEqual(['tail']);
  });

  it('adds user keywords to a built-in category and matches non-ASCII keywords as UTF-8 bytes', () => {
    const rules = compileRules(
      logsConfig.parse({ categories: { error: { keywords: ['SYSERR'] }, jp: { keywords: ['エラー'] } } }),
    );
    expect(maskIds(rules, lineMask(rules, 'x syserr(root)'))).toEqual(['error']);
    expect(maskIds(rules, lineMask(rules, latin1('ディスクエラー発生')))).toEqual(['jp']);
    expect(maskIds(rules, lineMask(rules, latin1('ディスクエラ')))).toEqual([]);
  });

  it('counts a line once in every category whose keyword it contains, overlaps included', () => {
    const rules = compileRules(logsConfig.parse({}));
    expect(maskIds(rules, lineMask(rules, 'Authentication FAILED for bob'))).toEqual([
      'invalid',
      'bruteforce',
    ]);
    expect(maskIds(rules, lineMask(rules, 'login incorrect'))).toEqual(['invalid', 'bruteforce']);
  });

  it('limits an ignore rule to the categories it names', () => {
    const rules = compileRules(
      logsConfig.parse({ ignore: { sshd: [{ keyword: 'timeout', categories: ['network'] }] } }),
    );
    const mask = lineMask(rules, 'error: timeout');
    const kept = mask & ~ignoredMask(rules, 'sshd', 'error: timeout');
    expect(maskIds(rules, kept)).toEqual(['error']);
    expect(maskIds(rules, mask & ~ignoredMask(rules, 'other', 'error: timeout'))).toEqual([
      'error',
      'network',
    ]);
  });

  it('limits an ignore rule to the programs it names, by syslog tag', () => {
    const rules = compileRules(
      logsConfig.parse({ ignore: { '*': [{ regex: '^lost connection', programs: ['postfix'] }] } }),
    );
    const message = 'lost connection after AUTH from unknown[192.0.2.1]: error';
    expect(ignoredMask(rules, 'mail', message, 'postfix/smtpd')).not.toBe(0);
    expect(ignoredMask(rules, 'mail', message, 'exim')).toBe(0);
    expect(ignoredMask(rules, 'mail', message, null)).toBe(0);
  });
});
