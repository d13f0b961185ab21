import { describe, expect, it } from 'vitest';
import { Accountant } from '../account.ts';
import type { AttackEvent } from '../types.ts';

const NOW = new Date(2026, 11, 4, 12, 0, 0);

/** What each Apache error-log line counts, in one stream. */
function run(lines: string[]): (AttackEvent | null)[] {
  const acc = new Accountant({ now: NOW, hints: ['apache'] });
  return lines.map((l) => acc.line(l));
}

const denied = (path: string, i = 1, module = 'authz_core', code = 'AH01630') =>
  `[Thu Dec 03 22:59:0${i}.123456 2026] [${module}:error] [pid 2211:tid 2299] [client 104.234.115.21:5123${i}] ${code}: client denied by server configuration: ${path}`;

describe('apache: client denied by server configuration (Require refused the request)', () => {
  it('is not a failed login: no password was involved', () => {
    const events = run(Array.from({ length: 8 }, (_, i) => denied('/var/www/html/server-status', i)));
    for (const e of events) expect(e?.detector).not.toBe('bruteforce');
  });

  it('counts a refused probe path (/server-status, /.env, /phpmyadmin) as a web probe from the client', () => {
    const paths = ['/var/www/html/server-status', '/var/www/html/.env', '/usr/share/phpMyAdmin/'];
    const events = run(paths.map((p, i) => denied(p.replace('phpMyAdmin', 'phpmyadmin'), i)));
    expect(events.map((e) => [e?.detector, e?.host, e?.path])).toEqual([
      ['webprobe', '104.234.115.21', '/var/www/html/server-status'],
      ['webprobe', '104.234.115.21', '/var/www/html/.env'],
      ['webprobe', '104.234.115.21', '/usr/share/phpmyadmin/'],
    ]);
  });

  it('leaves a refused ordinary path out of the accounting (access control at work)', () => {
    expect(
      run([
        denied('/var/www/html/private/report.pdf'),
        denied('/var/www/html/noentry/x.html', 2, 'access_compat', 'AH01797'),
        `${denied('/home/www/', 3).replace(' AH01630:', '')}, referer: https://example.org/`,
      ]),
    ).toEqual([null, null, null]);
  });

  it("does not take a DocumentRoot's own name for a probe: the refused path is on disk, not the URL", () => {
    expect(
      run([
        denied('/srv/www/phpapp/private/report-10.pdf'),
        denied('/usr/lib/cgi-bin/internal/status.sh', 2),
        denied('/var/www/phpbb/console/x.html', 3),
      ]),
    ).toEqual([null, null, null]);
    // Paths never served on purpose are still probes wherever the DocumentRoot is.
    expect(run([denied('/srv/www/phpapp/.env', 4)])[0]).toMatchObject({ detector: 'webprobe' });
  });

  it('leaves out mod_evasive refusals, also of a probe path (rate limiting, not a request for it)', () => {
    expect(run([denied('/var/www/html/.env', 1, 'evasive20', 'AH00000')])).toEqual([null]);
  });

  it('still counts a basic-auth password mismatch as a failed login', () => {
    const [e] = run([
      '[Thu Dec 03 22:59:01.123456 2026] [auth_basic:error] [pid 2211] [client 104.234.115.22:51234] AH01617: user admin: authentication failure for "/private/": Password Mismatch',
    ]);
    expect(e).toMatchObject({
      detector: 'bruteforce',
      kind: 'failure',
      host: '104.234.115.22',
      user: 'admin',
    });
  });
});

describe('apache: File does not exist (AH00128 names the path on disk, not the URL)', () => {
  const missing = (file: string, i = 1) =>
    `[Wed Nov 25 10:00:0${i}.123456 2026] [core:info] [pid 1234:tid 5678] [client 203.0.113.9:5000${i}] AH00128: File does not exist: ${file}`;

  it("is no web probe for a missing file under a DocumentRoot whose own name holds a probe's (/srv/www/phpapp, /var/www/console)", () => {
    expect(
      run([
        missing('/srv/www/phpapp/images/missing.png'),
        missing('/srv/www/phpapp/favicon.ico', 2),
        missing('/var/www/console/old.css', 3),
      ]),
    ).toEqual([null, null, null]);
  });

  it('is still a web probe for a probe path under the DocumentRoot (phf, wp-login.php, .env)', () => {
    const events = run([
      missing('/var/www/html/phf'),
      missing('/srv/www/phpapp/wp-login.php', 2),
      missing('/var/www/html/.env', 3),
    ]);
    expect(events.map((e) => e?.detector)).toEqual(['webprobe', 'webprobe', 'webprobe']);
  });
});
