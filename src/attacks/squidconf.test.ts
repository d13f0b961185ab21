import { describe, expect, it } from 'vitest';
import { isAcceleratorOnly, parseSquidConf } from './squidconf.ts';

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
