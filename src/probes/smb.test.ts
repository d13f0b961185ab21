import { describe, expect, it } from 'vitest';
import { need, privateDaemon } from '../../test/services/index.ts';
import { dialectName, negotiateRequest, netbiosName, parseNegotiate, sessionRequest } from './smb.ts';
import { lines, probe } from './testing.ts';

describe('smb probe against samba', () => {
  it('negotiates SMB 3.1.1 on the SMB port and sees signing required', async () => {
    const s = need('smbd');
    const r = await probe({ url: `smb://127.0.0.1:${s.ports.smb}`, signing: 'required' });
    expect(r.status, r.summary).toBe('OK');
    expect(r.details.dialect).toBe('3.1.1');
    expect(r.details.signing).toBe('required');
    expect(r.summary).toMatch(/^SMB 3\.1\.1, signing required, cipher AES-\d+-(GCM|CCM), in \d+ ms$/);
    expect(Math.abs(Number(r.details.clockSkewSeconds))).toBeLessThan(5);
  });

  it('opens a NetBIOS session first on the NetBIOS port', async () => {
    const s = need('smbd');
    const r = await probe({ url: `smb://127.0.0.1:${s.ports.netbios}`, netbios: true });
    expect(r.status, r.summary).toBe('OK');
    expect(lines(r)).toEqual(
      expect.arrayContaining([
        '> NetBIOS SESSION REQUEST to *SMBSERVER',
        '< NetBIOS POSITIVE SESSION RESPONSE',
      ]),
    );
    expect(r.summary.startsWith('NetBIOS session, SMB 3.1.1')).toBe(true);
  });

  it('warns when signing is only enabled but the probe wants it required; refused once stopped', async () => {
    const { daemon, ports } = await privateDaemon('smbd');
    const url = `smb://127.0.0.1:${ports.smb}`;
    try {
      const r = await probe({ url, signing: 'required' });
      expect([r.status, r.details.signing]).toEqual(['WARNING', 'enabled']);
      expect(r.summary).toMatch(/^signing is enabled, not required; SMB 3\.1\.1/);
    } finally {
      await daemon.stop();
    }
    const r = await probe({ url });
    expect([r.status, r.failure, r.summary]).toEqual(['CRITICAL', 'refused', 'connection refused']);
  });

  it('classifies SMB spoken to an HTTP server as a protocol error', async () => {
    const s = need('nginx');
    const r = await probe({ url: `smb://127.0.0.1:${s.ports.http}` });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'protocol']);
  });
});

describe('SMB and NetBIOS encoding', () => {
  it('encodes NetBIOS names as RFC 1001 first-level encoding', () => {
    // RFC 1001 14.1: "FRED" padded with spaces, suffix 0x20 → EGFCEFEECACACACACACACACACACACACA
    expect(netbiosName('FRED', 0x20).subarray(1, 33).toString('ascii')).toBe(
      'EGFCEFEECACACACACACACACACACACACA',
    );
    const req = sessionRequest();
    expect([req[0], req.readUInt16BE(2), req.length]).toEqual([0x81, 68, 72]);
  });

  it('builds a NEGOTIATE whose contexts start 8-byte aligned and offer five dialects', () => {
    const req = negotiateRequest(Buffer.alloc(16, 1), Buffer.alloc(32, 2));
    const smb = req.subarray(4);
    expect(req.readUInt32BE(0)).toBe(smb.length);
    expect(smb.subarray(0, 4).toString('latin1')).toBe('\xfeSMB');
    const ctxOff = smb.readUInt32LE(64 + 28);
    expect(ctxOff % 8).toBe(0);
    expect(smb.readUInt16LE(ctxOff)).toBe(1);
    expect(smb.readUInt16LE(64 + 2)).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => dialectName(smb.readUInt16LE(64 + 36 + 2 * i)))).toEqual([
      '2.0.2',
      '2.1',
      '3.0',
      '3.0.2',
      '3.1.1',
    ]);
  });

  it('rejects SMB1 and garbage replies as protocol errors and failures as bad-status', () => {
    expect(() => parseNegotiate(Buffer.from('\xffSMBr\0\0\0\0', 'latin1'))).toThrow(/SMB1 only/);
    expect(() => parseNegotiate(Buffer.from('HTTP/1.1 400 Bad Request'))).toThrow(/not an SMB2 reply/);
    const failed = Buffer.alloc(64);
    failed.write('\xfeSMB', 0, 'latin1');
    failed.writeUInt32LE(0xc0000022, 8);
    expect(() => parseNegotiate(failed)).toThrow(/NTSTATUS 0xc0000022/);
  });
});
