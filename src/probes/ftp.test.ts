import { describe, expect, it } from 'vitest';
import { need, privateDaemon } from '../../test/services/index.ts';
import { ftpTlsOptions } from './ftp.ts';
import { lines, probe } from './testing.ts';
import type { ProbeResult } from './types.ts';

describe('ftp probe against vsftpd', () => {
  it('reads the banner without logging in', async () => {
    const s = need('vsftpd');
    const r = await probe({ url: `ftp://127.0.0.1:${s.ports.ftp}`, expect: 'tenken-test FTP' });
    expect(r.status, r.summary).toBe('OK');
    expect(r.details.banner).toBe('220 tenken-test FTP ready');
    expect(r.summary).toMatch(/^banner in \d+ ms$/);
    expect(lines(r)).toContain('> FEAT');
  });

  it('logs in anonymously and lists a directory, finding the expected file', async () => {
    const s = need('vsftpd');
    const r = await probe({
      url: `ftp://anonymous@127.0.0.1:${s.ports.ftp}/pub/`,
      expect: s.fixture.ftpFile,
    });
    expect(r.status, `${r.summary}\n${lines(r).join('\n')}`).toBe('OK');
    expect(r.details.names).toEqual([s.fixture.ftpFile]);
    expect(r.summary).toContain('logged in as anonymous, /pub/ lists 1 entries');
  });

  it('classifies a listing without the expected file as bad-content', async () => {
    const s = need('vsftpd');
    const r = await probe({ url: `ftp://anonymous@127.0.0.1:${s.ports.ftp}/pub/`, expect: 'missing.txt' });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-content']);
  });

  it('reports a directory the user may not enter as CRITICAL with the CWD reply, not as its own entry', async () => {
    const s = need('vsftpd');
    const r = await probe({ url: `ftp://anonymous@127.0.0.1:${s.ports.ftp}/${s.fixture.ftpLockedDir}` });
    expect([r.status, r.failure, r.summary]).toEqual([
      'CRITICAL',
      'bad-status',
      `CWD /${s.fixture.ftpLockedDir}: 550 Failed to change directory.`,
    ]);
  });

  it('reports a missing directory as CRITICAL, not as an empty listing', async () => {
    const s = need('vsftpd');
    const r = await probe({ url: `ftp://anonymous@127.0.0.1:${s.ports.ftp}/nonexistent/` });
    expect([r.status, r.failure, r.summary]).toEqual([
      'CRITICAL',
      'bad-status',
      'CWD /nonexistent/: 550 Failed to change directory.',
    ]);
  });

  it('takes a URL naming a file as that file: its size, and its name for expect', async () => {
    const s = need('vsftpd');
    const r = await probe({
      url: `ftp://anonymous@127.0.0.1:${s.ports.ftp}/pub/${s.fixture.ftpFile}`,
      expect: s.fixture.ftpFile,
    });
    expect(r.status, `${r.summary}\n${lines(r).join('\n')}`).toBe('OK');
    expect(r.summary).toContain(`logged in as anonymous, /pub/${s.fixture.ftpFile} is a file of 23 bytes`);
    expect(r.details.size).toBe('tenken probe test file\n'.length);
    expect(r.details.names).toEqual([s.fixture.ftpFile]);
  });

  it('does not take a file for a directory when the URL ends in a slash', async () => {
    const s = need('vsftpd');
    const r = await probe({ url: `ftp://anonymous@127.0.0.1:${s.ports.ftp}/pub/${s.fixture.ftpFile}/` });
    expect([r.status, r.summary]).toEqual([
      'CRITICAL',
      `CWD /pub/${s.fixture.ftpFile}/: 550 Failed to change directory.`,
    ]);
  });

  it('classifies a refused login as bad-status with the 530 reply', async () => {
    const s = need('vsftpd');
    const r = await probe({ url: `ftp://someone:hunter2-secret@127.0.0.1:${s.ports.ftp}/` });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(r.summary).toBe('login as someone: 530 This FTP server is anonymous only.'); // the code once
    expect(lines(r)).toContain('> USER someone');
    expect(JSON.stringify(r)).not.toContain('hunter2-secret');
  });

  it('names a refused connection once vsftpd is stopped', async () => {
    const { daemon, ports } = await privateDaemon('vsftpd');
    const url = `ftp://127.0.0.1:${ports.ftp}/`;
    try {
      expect((await probe({ url })).status).toBe('OK');
    } finally {
      await daemon.stop();
    }
    const r = await probe({ url });
    expect([r.status, r.failure, r.summary]).toEqual(['CRITICAL', 'refused', 'connection refused']);
  });
});

describe('ftp probe: the PASV answer', () => {
  /** Probes a private vsftpd whose PASV replies give `address`, anonymously listing /pub/. */
  async function withPasv(address: string): Promise<{ r: ProbeResult; pasvPort: number }> {
    const { daemon, ports } = await privateDaemon('vsftpd', { ftpPasvAddress: address });
    try {
      const r = await probe({ url: `ftp://anonymous@127.0.0.1:${ports.ftp}/pub/`, timeout: 4 });
      return { r, pasvPort: ports.ftpPasv };
    } finally {
      await daemon.stop();
    }
  }

  it('is asked after the listing (basic-ftp lists with EPSV) and is fine when it names the server', async () => {
    const s = need('vsftpd');
    const r = await probe({ url: `ftp://anonymous@127.0.0.1:${s.ports.ftp}/pub/` });
    expect(r.status, r.summary).toBe('OK');
    expect(lines(r)).toContain('> PASV');
    expect(r.details.pasv).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(r.summary).not.toContain('PASV');
  });

  it('warns when pasv_address is a documentation address no client can reach', async () => {
    const { r } = await withPasv('192.0.2.1');
    expect([r.status, r.failure], r.summary).toEqual(['WARNING', null]);
    expect(r.summary).toMatch(
      /^PASV answers 192\.0\.2\.1:\d+ but the server is 127\.0\.0\.1 \(an address no client can reach\): clients that use PASV cannot open data connections \(vsftpd pasv_address, ProFTPD MasqueradeAddress\?\); banner in \d+ ms, logged in as anonymous, \/pub\/ lists 1 entries$/,
    );
    expect(lines(r).join('\n')).not.toContain('data connection to');
  });

  it('warns when pasv_address is another address that refuses the data connection', async () => {
    const { r, pasvPort } = await withPasv('127.0.0.2');
    expect([r.status, r.failure], r.summary).toEqual(['WARNING', null]);
    expect(r.summary).toMatch(
      /^PASV answers 127\.0\.0\.2:(\d+) but the server is 127\.0\.0\.1 \(connection refused\): clients that use PASV/,
    );
    const port = Number(/127\.0\.0\.2:(\d+)/.exec(r.summary)?.[1]);
    expect(port >= pasvPort && port <= pasvPort + 9, `${port} in ${pasvPort}+9`).toBe(true);
    expect(lines(r)).toContain(`* data connection to 127.0.0.2:${port}: connection refused`);
  });
});

describe('ftp TLS options', () => {
  it('names the server for SNI only when it is a host name, not an address (no warning on stderr)', () => {
    expect(ftpTlsOptions('ftp.example.org', undefined)).toEqual({
      rejectUnauthorized: false,
      servername: 'ftp.example.org',
    });
    expect(ftpTlsOptions('127.0.0.1', undefined)).toEqual({ rejectUnauthorized: false });
    expect(ftpTlsOptions('::1', 'PEM')).toEqual({ rejectUnauthorized: false, ca: 'PEM' });
  });
});
