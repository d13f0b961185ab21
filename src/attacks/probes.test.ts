import { describe, expect, it } from 'vitest';
import { probeName } from './probes.ts';

describe('probeName', () => {
  it('does not take a visitor of a site that runs the app for a scanner (served or redirected)', () => {
    for (const [path, status] of [
      ['/wp-content/plugins/contact-form-7/includes/css/styles.css?ver=5.9', 200],
      ['/wp-admin/admin-ajax.php', 200],
      ['/wp-admin/', 302],
      ['/xmlrpc.php', 200],
      ['/phpBB3/viewtopic.php?t=1', 200],
      ['/cgi-bin/awstats.pl', 200],
      ['/phpmyadmin/', 200],
      ['/assets/config.json', 304],
    ] as const)
      expect(probeName(path, status), path).toBeNull();
  });

  it('counts the same paths where the site has no such app (4xx, 5xx) or when the answer is unknown', () => {
    expect(probeName('/wp-login.php', 404)).toBe('wordpress');
    expect(probeName('/wp-content/plugins/revslider/temp/update_extract/x.php', 403)).toBe('wordpress');
    expect(probeName('/pma/', 500)).toBe('admin-tools');
    expect(probeName('/wp-login.php')).toBe('wordpress');
  });

  it('keeps a served path that is never served on purpose a probe, whatever app path it is under', () => {
    expect(probeName('/cgi-bin/test-cgi?*', 200)).toBe('test-cgi');
    expect(probeName('/cgi-bin/phf?Qalias=x', 200)).toBe('phf');
    expect(probeName('/.env', 200)).toBe('dotenv');
    expect(probeName('/wp-content/plugins/../../../../etc/passwd', 200)).toBe('traversal');
    expect(probeName('/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', 200)).toBe('exploit-kits');
    expect(probeName('/wp-admin/.git/config', 200)).toBe('git');
  });

  it('leaves ordinary pages alone', () => {
    expect(probeName('/index.php', 200)).toBeNull();
    expect(probeName('/about/contact.html', 404)).toBeNull();
  });
});
