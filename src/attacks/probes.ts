/**
 * The maintained list of web probe paths: the runbook's `/phf`, `/php`, `/test-cgi`, plus what scanners ask
 * for today. Matched case-insensitively against the percent-decoded path. Kept short and specific: a path a
 * normal site serves (`/index.php`) must not match.
 *
 * `app` marks the paths a real site may serve (WordPress, phpBB, CGI scripts, phpMyAdmin, a Tomcat console,
 * an app's `config.json`): a scanner shows itself there only by asking where they do not exist, so such a
 * request counts as a probe only when the answer is not 2xx or 3xx. Without that, every visitor of a
 * WordPress site (`/wp-content/plugins/...css 200`) was a "possible successful probe". The others (`/phf`,
 * `/.env`, `/.git/`, traversal, phpunit's eval-stdin) are never served on purpose: a 2xx there is CRITICAL.
 */

/** Probe patterns with a short name for reports; order matters only for the name shown. */
export const PROBES: readonly { name: string; re: RegExp; app?: true }[] = [
  { name: 'phf', re: /\/phf\b/i },
  { name: 'test-cgi', re: /\/test-cgi\b/i },
  { name: 'php', re: /\/php/i, app: true },
  { name: 'cgi-bin', re: /\/cgi-bin\//i, app: true },
  {
    name: 'wordpress',
    re: /\/(?:wp-login\.php|xmlrpc\.php|wp-admin\/|wp-config\.php|wp-content\/plugins\/)/i,
    app: true,
  },
  { name: 'dotenv', re: /\/\.env\b/i },
  { name: 'git', re: /\/\.(?:git|svn|hg)(?:\/|$)/i },
  {
    name: 'secrets',
    re: /\/(?:\.aws\/|\.ssh\/|\.htpasswd|\.DS_Store|id_rsa|\.vscode\/sftp\.json)/i,
  },
  { name: 'config-json', re: /\/config\.json$/i, app: true },
  { name: 'traversal', re: /(?:\.\.\/|\.\.\\)/ },
  { name: 'passwd', re: /(?:\/etc\/(?:passwd|shadow|master\.passwd)|\/passwd$)/i },
  {
    name: 'admin-tools',
    re: /\/(?:pma|myadmin|mysqladmin|adminer(?:\.php)?|phpmyadmin)(?:\/|$)/i,
    app: true,
  },
  {
    name: 'exploit-kits',
    re: /\/(?:vendor\/phpunit|boaform|HNAP1|cgi-mod\/|setup\.cgi|shell\?|GponForm)/i,
  },
  { name: 'consoles', re: /\/(?:actuator\/|solr\/|console\/|manager\/html)/i, app: true },
  { name: 'server-status', re: /\/server-(?:status|info)(?:[/?]|$)/i, app: true },
  { name: 'shell', re: /\/(?:bin\/sh|bin\/bash|cmd\.exe|shell\.php|c99\.php|r57\.php)/i },
];

/** Shellshock function definition (`() {`), in a header or the request itself (CVE-2014-6271). */
export const SHELLSHOCK = /\(\)\s*\{/;

/** Decodes `%xx` (repeatedly, for double encoding) and `+`-free; malformed escapes are kept as they are. */
export function decodePath(p: string): string {
  let cur = p;
  for (let i = 0; i < 3 && cur.includes('%'); i++) {
    const next = cur.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) =>
      String.fromCharCode(Number.parseInt(h, 16)),
    );
    if (next === cur) break;
    cur = next;
  }
  return cur;
}

/**
 * The probe name a request path matches, or null. With the server's answer (`status`): null also for a
 * path only `app` patterns match when it was served (2xx) or redirected (3xx), as for any visitor.
 */
export function probeName(path: string, status?: number): string | null {
  const d = decodePath(path);
  const served = status !== undefined && status >= 200 && status < 400;
  for (const p of PROBES) if (p.re.test(d) && !(served && p.app)) return p.name;
  return null;
}

/**
 * The probe name of a file-system path Apache names in a refusal (`client denied by server configuration:
 * /srv/www/phpapp/private/x.pdf`), or null. The site's own directories may hold the generic patterns' names (a
 * DocumentRoot `/srv/www/phpapp`, `/usr/lib/cgi-bin`, `/var/www/app/console/`): those are left out there. The
 * rest still count: what is never served on purpose, and the tools a refusal keeps from outsiders
 * (`/usr/share/phpmyadmin/`, `wp-login.php`, `/server-status`).
 */
export function fsProbeName(path: string): string | null {
  const d = decodePath(path);
  for (const p of PROBES) if (!FS_GENERIC.has(p.name) && p.re.test(d)) return p.name;
  return null;
}

/** Patterns that a site's own directory names match too (`/phpapp`, `/cgi-bin/`, `console/`, `config.json`). */
const FS_GENERIC = new Set(['php', 'cgi-bin', 'consoles', 'config-json']);

/** Whether a path (web, FTP, traversal) names the password or shadow file. */
export function passwdPath(path: string): boolean {
  return /(?:^|\/|\\)(?:passwd|shadow|master\.passwd)(?:$|[\s?#;&"])/i.test(decodePath(path).trim());
}
