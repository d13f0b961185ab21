import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { need } from '../../test/services/index.ts';
import { lines, probe } from './testing.ts';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** An in-process server for what real daemons do not do (stall, answer garbage). */
async function fake(onConnection: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onConnection(s);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

describe('tcp probe', () => {
  it('connects, sends a request and finds the expected reply from nginx', async () => {
    const s = need('nginx');
    const r = await probe({
      url: `tcp://127.0.0.1:${s.ports.http}`,
      send: 'HEAD / HTTP/1.0\r\n\r\n',
      expect: 'HTTP/1.1 200 OK',
    });
    expect(r.status, r.summary).toBe('OK');
    expect(lines(r)).toContain('< HTTP/1.1 200 OK');
  });

  it('connects only, when nothing is to be sent or expected', async () => {
    const s = need('postfix');
    const r = await probe({ url: `tcp://127.0.0.1:${s.ports.smtp}` });
    expect(r.status, r.summary).toBe('OK');
    expect(r.summary).toMatch(/^connected in \d+ ms$/);
  });

  it('classifies a reply without the expected text as bad-content', async () => {
    const s = need('postfix');
    const r = await probe({ url: `tcp://127.0.0.1:${s.ports.smtp}`, expect: 'SSH-2.0', timeout: 2 });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-content']);
    expect(lines(r).some((l) => l.startsWith('< 220 '))).toBe(true);
  });

  it('times out a server that accepts and never answers (fake: a stalled server)', async () => {
    const port = await fake(() => {});
    const r = await probe({ url: `tcp://127.0.0.1:${port}`, expect: 'hello', timeout: 0.5 });
    expect([r.status, r.failure, r.summary]).toEqual(['CRITICAL', 'timeout', 'no reply within 0.5 s']);
    expect(r.timings.total).toBeGreaterThanOrEqual(450);
    expect(r.timings.total).toBeLessThan(5000);
  });
});

describe('failures real daemons do not show (in-process fakes)', () => {
  it('times out an SMTP server that stalls in the middle of its banner, keeping what it sent', async () => {
    const port = await fake((s) => s.write('220-mail.example ESMTP first line\r\n'));
    const r = await probe({ url: `smtp://127.0.0.1:${port}`, timeout: 0.5 });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'timeout']);
    expect(r.summary).toBe('no banner within 0.5 s');
    expect(lines(r)).toContain('< 220-mail.example ESMTP first line');
  });

  it('classifies garbage instead of a banner as a protocol error', async () => {
    const port = await fake((s) => s.end(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a])));
    for (const scheme of ['smtp', 'pop3', 'imap']) {
      const r = await probe({ url: `${scheme}://127.0.0.1:${port}`, timeout: 2 });
      expect([scheme, r.status, r.failure]).toEqual([scheme, 'CRITICAL', 'protocol']);
    }
  });

  it('classifies a server that closes before greeting as a protocol error naming the step', async () => {
    const port = await fake((s) => s.end());
    const r = await probe({ url: `imap://127.0.0.1:${port}`, timeout: 2 });
    expect([r.failure, r.summary]).toEqual([
      'protocol',
      'connection closed by the server while waiting for greeting',
    ]);
  });

  it('rejects an overlong line as a protocol error instead of buffering forever', async () => {
    const port = await fake((s) => s.write(`220 ${'x'.repeat(20_000)}`));
    const r = await probe({ url: `smtp://127.0.0.1:${port}`, timeout: 2 });
    expect([r.failure, r.summary]).toEqual(['protocol', 'banner: line longer than 16384 bytes']);
  });

  it('times out an HTTP server that sends headers and stalls the body', async () => {
    const port = await fake((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'));
    const r = await probe({ url: `http://127.0.0.1:${port}/`, timeout: 0.5 });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'timeout']);
  });

  it('classifies a malformed HTTP reply as a protocol error', async () => {
    const port = await fake((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    const r = await probe({ url: `http://127.0.0.1:${port}/`, timeout: 2 });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'protocol']);
  });
});
