import { describe, expect, it } from 'vitest';
import { isAcceleratorOnly, parseSquidConf, SQUID_LIMITS, type SquidFiles, squidRole } from './squidconf.ts';

describe("Squid's configuration: forward or reverse proxy", () => {
  it('takes a Squid whose every port is an accelerator (accel, vhost, vport, defaultsite=) for a reverse proxy', () => {
    const conf = parseSquidConf(
      [
        '# http_port 3128',
        'http_port 80 accel defaultsite=www.example.net no-vhost',
        'https_port 443 tls-cert=/etc/squid/site.pem vhost',
        'http_port 8080 vport=80',
        'include /etc/squid/conf.d/*.conf',
      ].join('\n'),
    );
    expect(conf).toEqual({ ports: [true, true, true], includes: ['/etc/squid/conf.d/*.conf'] });
    expect(isAcceleratorOnly([conf])).toBe(true);
  });

  it('takes one forward or interception port, in any file, for a forward proxy; no port line decides nothing', () => {
    const accel = parseSquidConf('http_port 80 accel defaultsite=www.example.net\n');
    expect(isAcceleratorOnly([accel, parseSquidConf('http_port 3128\n')])).toBe(false);
    expect(isAcceleratorOnly([accel, parseSquidConf('http_port 3129 intercept\n')])).toBe(false);
    expect(isAcceleratorOnly([parseSquidConf('acl localnet src 10.0.0.0/8\n')])).toBe(false);
    expect(isAcceleratorOnly([])).toBe(false);
  });

  it('takes an accelerator port with `allow-direct` (it forwards to any site) or interception for a forward port', () => {
    expect(parseSquidConf('http_port 80 accel vhost allow-direct\n').ports).toEqual([false]);
    expect(isAcceleratorOnly([parseSquidConf('http_port 80 accel vhost allow-direct\n')])).toBe(false);
    expect(isAcceleratorOnly([parseSquidConf('http_port 80 vhost ALLOW-DIRECT\n')])).toBe(false);
    expect(
      isAcceleratorOnly([parseSquidConf('http_port 80 accel defaultsite=www.example.net tproxy\n')]),
    ).toBe(false);
    const accel = parseSquidConf('http_port 80 accel defaultsite=www.example.net\n');
    expect(
      isAcceleratorOnly([accel, parseSquidConf('https_port 443 accel allow-direct tls-cert=/x.pem\n')]),
    ).toBe(false);
  });
});

/** Squid's files in memory: host path → text (a directory lists the names below it); `err` paths throw. */
function memFiles(files: Record<string, string>, err: Record<string, string> = {}): SquidFiles {
  const fail = (p: string) => {
    const code = err[p] ?? 'ENOENT';
    throw Object.assign(new Error(code), { code });
  };
  return {
    read(file, limit) {
      const text = files[file];
      if (text === undefined || file in err) return fail(file);
      return { text: text.slice(0, limit), more: text.length > limit };
    },
    list(dir) {
      if (dir in err) return fail(dir);
      const names = Object.keys(files)
        .filter((f) => f.startsWith(`${dir}/`) && !f.slice(dir.length + 1).includes('/'))
        .map((f) => f.slice(dir.length + 1));
      return names.length > 0 ? names : fail(dir);
    },
  };
}

const MAIN = ['/etc/squid/squid.conf', '/etc/squid3/squid.conf'];
const ACCEL = 'http_port 80 accel defaultsite=www.example.net\n';

describe("Squid's role from a configuration read whole, or not", () => {
  it('reads the includes (a * in the last part, sorted) and takes the first main file that exists', () => {
    const files = {
      '/etc/squid3/squid.conf': `${ACCEL}include /etc/squid/conf.d/*.conf\n`,
      '/etc/squid/conf.d/a.conf': 'https_port 443 vhost tls-cert=/x.pem\n',
      '/etc/squid/conf.d/README': 'http_port 3128\n',
    };
    expect(squidRole(memFiles(files), MAIN)).toEqual({ accelerated: true, unread: null });
    const forward = { ...files, '/etc/squid/conf.d/z.conf': 'http_port 3128\n' };
    expect(squidRole(memFiles(forward), MAIN)).toEqual({ accelerated: false, unread: null });
  });

  it('judges an accelerator-only head of a file over the size limit as a forward proxy, saying so', () => {
    const big = `${ACCEL}${'# padding\n'.repeat(200)}http_port 3128\n`;
    expect(
      squidRole(memFiles({ '/etc/squid/squid.conf': big }), MAIN, { ...SQUID_LIMITS, fileBytes: 1024 }),
    ).toEqual({
      accelerated: false,
      unread: '/etc/squid/squid.conf is over 1 kiB',
    });
    // The line the limit cuts is not taken: `http_port 80 accel` cut to `http_port 80` is no forward port.
    const cut = `${ACCEL}http_port 80 accel\n${'#'.repeat(2000)}`;
    const fileBytes = ACCEL.length + 'http_port 80'.length;
    expect(
      squidRole(memFiles({ '/etc/squid/squid.conf': cut }), MAIN, { ...SQUID_LIMITS, fileBytes }),
    ).toEqual({
      accelerated: false,
      unread: `/etc/squid/squid.conf is over ${fileBytes} bytes`,
    });
  });

  it('judges it a forward proxy when more files are included than the limit, or nested deeper', () => {
    const fan: Record<string, string> = {
      '/etc/squid/squid.conf': `${ACCEL}include /etc/squid/conf.d/*.conf\n`,
    };
    for (let i = 0; i < 10; i++) fan[`/etc/squid/conf.d/${i}.conf`] = '# nothing\n';
    fan['/etc/squid/conf.d/9z.conf'] = 'http_port 3128\n';
    expect(squidRole(memFiles(fan), MAIN, { ...SQUID_LIMITS, files: 5 })).toEqual({
      accelerated: false,
      unread: 'more than 5 files included',
    });
    const deep: Record<string, string> = { '/etc/squid/squid.conf': `${ACCEL}include /etc/squid/1.conf\n` };
    for (let i = 1; i < 6; i++) deep[`/etc/squid/${i}.conf`] = `include /etc/squid/${i + 1}.conf\n`;
    deep['/etc/squid/6.conf'] = '# end\n';
    expect(squidRole(memFiles(deep), MAIN, { ...SQUID_LIMITS, depth: 3 })).toEqual({
      accelerated: false,
      unread: 'includes nested more than 3 deep (/etc/squid/4.conf)',
    });
    expect(squidRole(memFiles(deep), MAIN, { ...SQUID_LIMITS, depth: 6 })).toEqual({
      accelerated: true,
      unread: null,
    });
  });

  it('judges it a forward proxy when an include cannot be read, listed or followed; a loop is read once', () => {
    const main = (inc: string) => ({ '/etc/squid/squid.conf': `${ACCEL}include ${inc}\n` });
    expect(squidRole(memFiles(main('/etc/squid/missing.conf')), MAIN).unread).toBe(
      'Cannot read /etc/squid/missing.conf: no such file or directory',
    );
    expect(
      squidRole(
        memFiles(
          { ...main('/etc/squid/x.conf'), '/etc/squid/x.conf': '' },
          { '/etc/squid/x.conf': 'EACCES' },
        ),
        MAIN,
      ),
    ).toEqual({ accelerated: false, unread: 'Cannot read /etc/squid/x.conf: permission denied' });
    expect(squidRole(memFiles(main('/etc/squid/d/*.conf'), { '/etc/squid/d': 'EACCES' }), MAIN).unread).toBe(
      'Cannot list /etc/squid/d: permission denied',
    );
    expect(squidRole(memFiles(main('site.conf')), MAIN)).toEqual({
      accelerated: false,
      unread: 'include site.conf not followed (only an absolute path, a * in its last part, is)',
    });
    const loop = {
      '/etc/squid/squid.conf': `${ACCEL}include /etc/squid/b.conf\ninclude /etc/squid/squid.conf\n`,
      '/etc/squid/b.conf': 'include /etc/squid/squid.conf\n',
    };
    expect(squidRole(memFiles(loop), MAIN)).toEqual({ accelerated: true, unread: null });
  });

  it('says nothing was left unread when a forward port decides anyway, or no port was read', () => {
    const forward = { '/etc/squid/squid.conf': 'http_port 3128\ninclude /etc/squid/missing.conf\n' };
    expect(squidRole(memFiles(forward), MAIN)).toEqual({ accelerated: false, unread: null });
    expect(squidRole(memFiles({}), MAIN)).toEqual({ accelerated: false, unread: null });
    expect(
      squidRole(memFiles({ '/etc/squid/squid.conf': '' }, { '/etc/squid/squid.conf': 'EACCES' }), MAIN),
    ).toEqual({
      accelerated: false,
      unread: null,
    });
  });
});
