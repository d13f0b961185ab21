import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readProcesses } from './proc.ts';
import {
  decodeAddress,
  isListening,
  listenerKey,
  parseNetTable,
  readListeners,
  socketInode,
} from './sockets.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'captured');
const manifest = JSON.parse(readFileSync(path.join(FIXTURE, 'manifest.json'), 'utf8')) as {
  roles: Record<string, number>;
  ports: Record<string, number>;
  ss: string[];
};

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** The local address:port column of `ss -H -n -l -t -u -p` as our listener key. */
function ssKey(line: string): string {
  const f = line.split(/\s+/);
  const proto = f[0] as string;
  const local = f[4] as string;
  const v6 = local.startsWith('[');
  return `${proto}${v6 ? '6' : ''} ${local}`;
}

describe('listeners of the captured tree', () => {
  it('finds exactly the listening sockets ss listed, all held by the listener process', async () => {
    const pids = (await readProcesses({ root: FIXTURE })).map((p) => p.pid);
    const { listeners, unreadable } = await readListeners({ root: FIXTURE }, pids, true);
    expect(unreadable).toBe(0);
    expect(listeners.map(listenerKey).sort()).toEqual(manifest.ss.map(ssKey).sort());
    for (const l of listeners) expect(l.pids).toEqual([manifest.roles.listener]);
  });

  it('decodes each bound port and address the server asked for, IPv6 included', async () => {
    const { listeners } = await readListeners({ root: FIXTURE }, [manifest.roles.listener as number], true);
    const keys = new Set(listeners.map(listenerKey));
    const p = manifest.ports;
    expect(keys).toContain(`tcp 127.0.0.1:${p.tcp4Loopback}`);
    expect(keys).toContain(`tcp 0.0.0.0:${p.tcp4Any}`);
    expect(keys).toContain(`tcp6 [::1]:${p.tcp6Loopback}`);
    expect(keys).toContain(`udp 127.0.0.1:${p.udp4Loopback}`);
    expect(keys).toContain(`udp6 [::]:${p.udp6Any}`);
    // A connected UDP socket and an established TCP client are not listeners.
    expect([...keys].some((k) => k.endsWith(`:${p.udpConnected}`) || k.endsWith(`:${p.tcpClient}`))).toBe(
      false,
    );
  });

  it('keeps the established connection rows but does not call them listening', () => {
    const rows = parseNetTable(readFileSync(path.join(FIXTURE, 'proc/net/tcp'), 'latin1'), 'tcp', true);
    const client = rows.find((r) => r.localPort === manifest.ports.tcpClient);
    expect(client?.remotePort).toBe(manifest.ports.tcp4Loopback);
    expect(client && isListening(client)).toBe(false);
    const udp = parseNetTable(readFileSync(path.join(FIXTURE, 'proc/net/udp'), 'latin1'), 'udp', true);
    const connected = udp.find((r) => r.localPort === manifest.ports.udpConnected);
    expect(connected?.remotePort).toBe(9);
    expect(connected && isListening(connected)).toBe(false);
  });

  it('maps fds given as plain files holding socket:[inode] (a demo tree) like real links', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-sockets-'));
    temps.push(root);
    mkdirSync(path.join(root, 'proc/net'), { recursive: true });
    mkdirSync(path.join(root, 'proc/77/fd'), { recursive: true });
    mkdirSync(path.join(root, 'proc/78/fd'), { recursive: true });
    const header = readFileSync(path.join(FIXTURE, 'proc/net/tcp'), 'latin1').split('\n')[0];
    writeFileSync(
      path.join(root, 'proc/net/tcp'),
      `${header}\n   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n`,
    );
    writeFileSync(path.join(root, 'proc/77/fd/3'), 'socket:[4242]');
    writeFileSync(path.join(root, 'proc/78/fd/3'), 'socket:[4242]\n');
    writeFileSync(path.join(root, 'proc/78/fd/4'), 'socket:[9]');
    const { listeners } = await readListeners({ root }, [77, 78, 79], true);
    expect(listeners).toHaveLength(1);
    expect(listeners[0]?.pids).toEqual([77, 78]);
    expect(listenerKey(listeners[0] as never)).toBe('tcp 0.0.0.0:22');
  });
});

/** Encodes network-order bytes the way the kernel prints them on a little-endian host. */
function kernelHex(bytes: number[]): string {
  let out = '';
  for (let w = 0; w < bytes.length; w += 4) {
    out += bytes
      .slice(w, w + 4)
      .reverse()
      .map((b) => b.toString(16).padStart(2, '0').toUpperCase())
      .join('');
  }
  return out;
}

describe('addresses', () => {
  it('reads the words in host order: little- and big-endian kernels print 127.0.0.1 differently', () => {
    expect(decodeAddress('0100007F:0016', true)).toEqual(['127.0.0.1', 22]);
    expect(decodeAddress('7F000001:0016', false)).toEqual(['127.0.0.1', 22]);
    expect(decodeAddress('00000000000000000000000001000000:0035', true)).toEqual(['::1', 53]);
    expect(decodeAddress('0000000000000000FFFF00000100007F:0050', true)).toEqual(['::ffff:127.0.0.1', 80]);
    expect(decodeAddress('B80D0120000000000000000001000000:01BB', true)).toEqual(['2001:db8::1', 443]);
    expect(decodeAddress('nonsense', true)).toBeNull();
  });

  it('formats any IPv6 address as the WHATWG URL parser does (RFC 5952 compression)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), {
          minLength: 16,
          maxLength: 16,
        }),
        (bytes) => {
          const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
          fc.pre(!mapped);
          // The full, uncompressed form built independently, canonicalised by the URL parser.
          const full: string[] = [];
          for (let i = 0; i < 16; i += 2)
            full.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
          const canonical = new URL(`http://[${full.join(':')}]/`).hostname.slice(1, -1);
          expect(decodeAddress(`${kernelHex(bytes)}:0001`, true)).toEqual([canonical, 1]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads socket:[inode] fd targets and nothing else', () => {
    expect(socketInode('socket:[12345]')).toBe(12345);
    expect(socketInode('pipe:[12345]')).toBeNull();
    expect(socketInode('/dev/null')).toBeNull();
  });
});
