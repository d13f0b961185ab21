import { describe, expect, it } from 'vitest';
import {
  addrFromText,
  decodeRecord,
  detectLayout,
  encodeRecord,
  encodeRecords,
  fieldText,
  LAYOUTS,
  recordProblem,
  type UtmpRecordInput,
} from './utmp.ts';

const login: UtmpRecordInput = {
  type: 7,
  pid: 4242,
  line: 'pts/3',
  id: 'ts/3',
  user: 'yanagi',
  host: '192.0.2.7',
  addr: addrFromText('192.0.2.7'),
  exitTermination: 1,
  exitStatus: 2,
  session: 77,
  sec: 1_700_000_000,
  usec: 123_456,
};

/** Big-endian image of a 384-byte record, as written on s390x/ppc: what the .BE fixtures hold. */
function bigEndian(rec: UtmpRecordInput): Uint8Array {
  const le = encodeRecord(rec);
  const be = new Uint8Array(le);
  const swap = (off: number, size: number): void => be.set(le.slice(off, off + size).reverse(), off);
  swap(0, 2);
  swap(4, 4);
  swap(332, 2);
  swap(334, 2);
  for (const off of [336, 340, 344]) swap(off, 4);
  return be;
}

describe('utmp records', () => {
  it('decodes what it encodes, in both layouts, at the glibc offsets', () => {
    for (const layout of Object.values(LAYOUTS)) {
      const buf = encodeRecord(login, layout);
      expect(buf.length).toBe(layout.size);
      expect(decodeRecord(buf, 0, layout, 5)).toEqual({ ...login, index: 5 });
    }
    const x86 = encodeRecord(login);
    const view = new DataView(x86.buffer);
    expect(view.getInt32(340, true)).toBe(1_700_000_000);
    expect(view.getInt32(344, true)).toBe(123_456);
    expect([...x86.slice(348, 352)]).toEqual([192, 0, 2, 7]);
    expect(Buffer.from(x86.slice(44, 50)).toString()).toBe('yanagi');
  });

  it('keeps a full 32-byte user without a NUL and cuts longer input', () => {
    const user = 'u'.repeat(40);
    const rec = decodeRecord(encodeRecord({ user }), 0, LAYOUTS['glibc-384'], 0);
    expect(rec.user).toBe('u'.repeat(32));
  });

  it('keeps bytes as a byte string and decodes them as UTF-8 for reports', () => {
    const user = Buffer.from('山田', 'utf8').toString('latin1');
    const rec = decodeRecord(encodeRecord({ user }), 0, LAYOUTS['glibc-384'], 0);
    expect(rec.user).toHaveLength(6);
    expect(fieldText(rec.user)).toBe('山田');
  });

  it('parses IPv4 and IPv6 addresses into network-order words', () => {
    expect(addrFromText('10.1.2.3')).toEqual([0x0a010203, 0, 0, 0]);
    expect(addrFromText('2001:503:ba3e::2:30')).toEqual([0x20010503, 0xba3e0000, 0, 0x00020030]);
    expect(addrFromText('::ffff:1.2.3.4')).toEqual([0, 0, 0xffff, 0x01020304]);
    expect(() => addrFromText('example.org')).toThrow('not an IP address');
  });
});

describe('layout detection', () => {
  it('recognises the 384 and the 400 byte layouts from their records', () => {
    for (const layout of Object.values(LAYOUTS)) {
      const file = encodeRecords([login, { ...login, type: 8, sec: (login.sec as number) + 60 }], layout);
      const det = detectLayout(file, file.length);
      expect(det.ok && det.layout.name).toBe(layout.name);
    }
  });

  it('reads one 384-byte record and 16 stray bytes as that record, not as a 400-byte record of 1970', () => {
    // Found by utmp.property.test.ts: both layouts decode the 400 bytes plausibly, and the file size fits 400.
    const rec = encodeRecords([{ type: 1, pid: 0, line: 'pts/0', user: 'root', host: '', sec: 1 }]);
    const file = Buffer.concat([rec, Buffer.alloc(16, 0x41)]);
    const det = detectLayout(file, file.length);
    expect(det.ok && det.layout.name).toBe('glibc-384');
    // A genuine 400-byte file of the same size is still read as one.
    const wide = encodeRecords([{ ...login, sec: 1 }], LAYOUTS['glibc-400']);
    const detWide = detectLayout(wide, wide.length);
    expect(detWide.ok && detWide.layout.name).toBe('glibc-400');
  });

  it('refuses big-endian records with a clear message', () => {
    const file = Buffer.concat([bigEndian(login), bigEndian({ ...login, type: 8 })]);
    const det = detectLayout(file, file.length);
    expect(det).toMatchObject({ ok: false, why: 'big-endian' });
    expect(!det.ok && det.message).toMatch(/^big-endian utmp records \(glibc-384/);
  });

  it('refuses text and random bytes as a foreign file', () => {
    const text = Buffer.from('Nov 26 01:00:00 host sshd[1]: Accepted password for root\n'.repeat(20));
    expect(detectLayout(text, text.length)).toMatchObject({ ok: false, why: 'unknown-layout' });
  });

  it('takes an empty or all-zero file as the usual layout, marked as a guess', () => {
    expect(detectLayout(new Uint8Array(0), 0)).toMatchObject({
      ok: true,
      guessed: true,
      layout: { size: 384 },
    });
    const zeros = new Uint8Array(800);
    expect(detectLayout(zeros, 800)).toMatchObject({ ok: true, guessed: true, layout: { size: 400 } });
  });
});

describe('recordProblem', () => {
  const layout = LAYOUTS['glibc-384'];
  it('accepts a normal record', () => {
    expect(recordProblem(encodeRecord(login), 0, layout)).toBeNull();
  });
  it.each([
    ['zeroed', new Uint8Array(384)],
    ['partly-zeroed', encodeRecord({ user: 'root', line: 'pts/0' })],
    ['unknown-type', encodeRecord({ ...login, type: 300 })],
    ['bad-usec', encodeRecord({ ...login, usec: 2_000_000 })],
    ['bad-time', encodeRecord({ ...login, sec: -5 })],
    ['control-characters', encodeRecord({ ...login, user: 'ro\u001bot' })],
  ])('names a %s record', (problem, buf) => {
    expect(recordProblem(buf, 0, layout)).toBe(problem);
  });
});
