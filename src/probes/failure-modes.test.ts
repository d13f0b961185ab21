import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RECEIVED } from './conn.ts';
import { probe } from './testing.ts';

/*
 * Failure modes no real daemon can be made to show, on small in-process servers: a proxy that accepts
 * CONNECT and never answers, and a server that never ends its reply.
 */

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

/** A TCP server on a free loopback port; every accepted socket is destroyed when the test ends. */
async function serve(onSocket: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  const close = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('probe deadlines and limits', () => {
  it('ends a proxy probe whose proxy never answers CONNECT at its deadline (undici waited 300 s)', async () => {
    const port = await serve(() => {});
    const r = await probe({
      url: `http://127.0.0.1:${port}`,
      kind: 'proxy',
      target: 'https://example.invalid/',
      timeout: 1,
    });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'timeout']);
    expect(r.summary).toMatch(/within 1 s/);
  });

  it('gives up on a reply that never ends instead of filling memory', async () => {
    const port = await serve((s) => {
      const line = Buffer.from(`220-${'x'.repeat(1000)}\r\n`.repeat(64));
      const pump = (): void => {
        while (!s.destroyed && s.write(line));
        if (!s.destroyed) s.once('drain', pump);
      };
      pump();
    });
    const r = await probe({ url: `smtp://127.0.0.1:${port}`, timeout: 20 });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'protocol']);
    expect(r.summary).toBe(
      `the server sent more than ${MAX_RECEIVED / 1024 / 1024} MiB without finishing its answer`,
    );
  });
});

describe('probe configuration mistakes', () => {
  it('says a CA bundle without a certificate holds none (OpenSSL only said it could not verify)', async () => {
    const ca = path.join(mkdtempSync(path.join(tmpdir(), 'tenken-ca-')), 'hostname');
    writeFileSync(ca, 'gauntlet\n');
    const r = await probe({ url: 'https://127.0.0.1:1/', ca });
    expect([r.status, r.failure, r.summary]).toEqual([
      'CRITICAL',
      'tls',
      `Cannot use CA bundle ${ca}: it holds no PEM certificate`,
    ]);
  });
});
