import { describe, expect, it } from 'vitest';
import { addressScope, judgePasv, parsePasv, pasvNeedsConnect, plainIPv4 } from './ftp-pasv.ts';

describe('parsePasv', () => {
  it('reads the address and port of a 227 reply', () => {
    expect(parsePasv('227 Entering Passive Mode (192,0,2,1,168,103).')).toEqual({
      host: '192.0.2.1',
      port: 168 * 256 + 103,
    });
    expect(parsePasv('227 =10,1,2,3,4,5')).toEqual({ host: '10.1.2.3', port: 1029 });
  });

  it('gives null for a reply without six numbers, or with a part past 255', () => {
    expect(parsePasv('227 Entering Passive Mode')).toBeNull();
    expect(parsePasv('227 (1,2,3,4,5)')).toBeNull();
    expect(parsePasv('227 (256,0,0,1,1,1)')).toBeNull();
    expect(parsePasv('227 (1234,0,0,1,1,1)')).toBeNull();
  });

  it('stays linear on a long run of digits and commas', () => {
    const start = performance.now();
    expect(parsePasv(`227 ${'1,'.repeat(200_000)}`)).toEqual({ host: '1.1.1.1', port: 257 });
    expect(parsePasv(`227 ${'9'.repeat(500_000)}`)).toBeNull();
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('addressScope', () => {
  it('classifies loopback, private, unroutable and public IPv4 addresses', () => {
    expect(['127.0.0.1', '127.0.0.2'].map(addressScope)).toEqual(['loopback', 'loopback']);
    expect(
      ['10.0.0.5', '172.16.1.1', '172.31.9.9', '192.168.1.10', '100.64.0.1', '169.254.1.1'].map(addressScope),
    ).toEqual(Array(6).fill('private'));
    expect(
      [
        '0.0.0.0',
        '192.0.2.1',
        '198.51.100.7',
        '203.0.113.5',
        '198.18.0.1',
        '224.0.0.1',
        '255.255.255.255',
      ].map(addressScope),
    ).toEqual(Array(7).fill('unroutable'));
    expect(['8.8.8.8', '172.32.0.1', '192.0.3.1', '100.128.0.1'].map(addressScope)).toEqual(
      Array(4).fill('public'),
    );
  });

  it('reads a dual-stack socket peer as its IPv4 address', () => {
    expect(plainIPv4('::ffff:192.168.1.10')).toBe('192.168.1.10');
    expect(plainIPv4('::1')).toBe('::1');
  });
});

describe('judgePasv', () => {
  const at = (host: string) => ({ host, port: 42311 });
  const refused = { ok: false as const, why: 'connection refused' };
  const none = new Set<string>();

  it('is silent when PASV names the address the probe connected to', () => {
    expect(pasvNeedsConnect(at('127.0.0.1'), '127.0.0.1', none)).toBe(false);
    expect(judgePasv(at('127.0.0.1'), '127.0.0.1', null, none)).toEqual({ warning: null, note: null });
  });

  it('warns without trying an address no client can use', () => {
    expect(pasvNeedsConnect(at('192.0.2.1'), '127.0.0.1', none)).toBe(false);
    expect(judgePasv(at('192.0.2.1'), '127.0.0.1', null, none).warning).toBe(
      'PASV answers 192.0.2.1:42311 but the server is 127.0.0.1 (an address no client can reach): clients that use PASV cannot open data connections (vsftpd pasv_address, ProFTPD MasqueradeAddress?)',
    );
    expect(judgePasv(at('127.0.0.1'), '192.168.1.10', null, none).warning).toMatch(/\(a loopback address\)/);
    // behind NAT without pasv_address: the probe came in at the public address, PASV gives the private one
    expect(judgePasv(at('192.168.1.10'), '198.252.206.16', { ok: true }, none).warning).toMatch(
      /\(a private address\): clients outside its network that use PASV cannot/,
    );
  });

  it('warns when another address refuses, and only notes one that accepts', () => {
    expect(pasvNeedsConnect(at('127.0.0.2'), '127.0.0.1', none)).toBe(true);
    expect(judgePasv(at('127.0.0.2'), '127.0.0.1', refused, none).warning).toBe(
      'PASV answers 127.0.0.2:42311 but the server is 127.0.0.1 (connection refused): clients that use PASV cannot open data connections (vsftpd pasv_address, ProFTPD MasqueradeAddress?)',
    );
    // probing localhost, pasv_address the LAN address: fine for the LAN's clients
    expect(judgePasv(at('192.168.1.10'), '127.0.0.1', { ok: true }, none)).toEqual({
      warning: null,
      note: 'PASV answers 192.168.1.10:42311',
    });
  });

  it("only notes this host's own address when the probe reached the server over loopback", () => {
    // vsftpd with pasv_address=192.168.1.10 (the LAN address) probed at ftp://localhost/: LAN clients are
    // served; the probe cannot try it (vsftpd listens for data on the control connection's 127.0.0.1)
    const own = new Set(['192.168.1.10', '192.0.2.2']);
    expect(pasvNeedsConnect(at('192.168.1.10'), '127.0.0.1', own)).toBe(false);
    expect(judgePasv(at('192.168.1.10'), '127.0.0.1', null, own)).toEqual({
      warning: null,
      note: 'PASV answers 192.168.1.10:42311, an address of this host',
    });
    expect(judgePasv(at('192.0.2.2'), '127.0.0.1', null, own).warning).toBeNull();
    // not this host's, or reached over the network: judged as before
    expect(pasvNeedsConnect(at('192.168.1.11'), '127.0.0.1', own)).toBe(true);
    expect(judgePasv(at('192.168.1.11'), '127.0.0.1', refused, own).warning).toMatch(
      /\(connection refused\)/,
    );
    expect(judgePasv(at('192.0.2.1'), '127.0.0.1', null, own).warning).toMatch(/no client can reach/);
    expect(pasvNeedsConnect(at('192.168.1.10'), '10.0.0.1', own)).toBe(true);
  });

  it('only notes a public address of a server reached at a private one (NAT), reachable or not', () => {
    expect(pasvNeedsConnect(at('198.252.206.16'), '192.168.1.10', none)).toBe(true);
    expect(judgePasv(at('198.252.206.16'), '192.168.1.10', refused, none)).toEqual({
      warning: null,
      note: 'PASV answers public 198.252.206.16:42311 (behind NAT?), connection refused from here',
    });
    expect(judgePasv(at('198.252.206.16'), '127.0.0.1', { ok: true }, none).warning).toBeNull();
    // both public and unreachable: the address is wrong for everyone
    expect(judgePasv(at('198.252.206.16'), '8.8.8.8', refused, none).warning).toMatch(
      /^PASV answers 198\.252\.206\.16/,
    );
  });
});
