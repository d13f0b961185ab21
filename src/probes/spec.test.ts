import { describe, expect, it } from 'vitest';
import { probeSpec, userinfoProblem } from './spec.ts';

const issues = (v: unknown): string[] => {
  const r = probeSpec.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('user:password@ in a probe URL', () => {
  it('refuses a bare % in the password at load instead of failing every run as "URI malformed"', () => {
    expect(issues({ url: 'http://admin:50%off@127.0.0.1:8080/' })).toEqual([
      'url: the password in user:password@ must be percent-encoded (% → %25), or give it as password:',
    ]);
    expect(issues({ url: 'ftp://admin:50%off@127.0.0.1/' })).toHaveLength(1);
    expect(issues({ url: 'http://50%user@127.0.0.1/' })).toEqual([
      'url: the user in user:password@ must be percent-encoded (% → %25), or give it as user:',
    ]);
  });

  it('refuses the same in a round trip mailbox URL', () => {
    expect(
      issues({
        url: 'smtp://127.0.0.1:25',
        roundtrip: { to: 'a@b.test', fetch: 'pop3://box:50%off@127.0.0.1:110' },
      }),
    ).toEqual([
      'roundtrip.fetch: the password in user:password@ must be percent-encoded (% → %25), or give it as password:',
    ]);
  });

  it("refuses the same in a proxy probe's target URL (its user and password are the site's)", () => {
    expect(
      issues({ url: 'http://127.0.0.1:3128', kind: 'proxy', target: 'http://box:50%off@127.0.0.1/' }),
    ).toEqual([
      // (user: and password: are the proxy's: the target's own are only in its URL.)
      "target: the password in the target's user:password@ must be percent-encoded (% → %25)",
    ]);
  });

  it('accepts a percent-encoded password, and never puts the password in the message', () => {
    expect(issues({ url: 'http://admin:50%25off@127.0.0.1:8080/' })).toEqual([]);
    expect(issues({ url: 'http://admin:p%40ss@127.0.0.1:8080/' })).toEqual([]);
    expect(userinfoProblem('http://admin:s3cret%zz@h/')).not.toContain('s3cret');
    expect(userinfoProblem('not a url')).toBeNull();
  });
});
