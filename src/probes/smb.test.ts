import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { FIXTURE } from '../../test/services/daemons.ts';
import { freePort, need, privateDaemon } from '../../test/services/index.ts';
import {
  dialectName,
  negotiateRequest,
  netbiosName,
  parseNegotiate,
  parseSmb1Negotiate,
  SMB1_ONLY,
  sessionRequest,
  smb1NegotiateRequest,
  smbKind,
  urlShare,
} from './smb.ts';
import {
  SMBCLIENT_MISSING,
  findSmbclient,
  listShares,
  parseShareList,
  shareUseArgs,
  smbclientArgs,
  smbclientFailure,
} from './smb-shares.ts';
import { probeSpec } from './spec.ts';
import { lines, probe } from './testing.ts';
import { Transcript } from './transcript.ts';
import { type ProbeRun, ProbeFailure } from './types.ts';

/** A probe run built by hand, for calling a kind or the share listing directly (runProbe takes registered kinds). */
function handRun(spec: Record<string, unknown>): ProbeRun & { issues: string[] } {
  const parsed = probeSpec.parse(spec);
  const start = performance.now();
  const timings: Record<string, number> = {};
  const issues: string[] = [];
  return {
    url: new URL(parsed.url),
    spec: parsed,
    signal: AbortSignal.timeout(parsed.timeout * 1000),
    deadline: start + parsed.timeout * 1000,
    timeoutSeconds: parsed.timeout,
    transcript: new Transcript(() => performance.now() - start),
    timings,
    mark: (step) => {
      timings[step] = performance.now() - start;
    },
    details: {},
    issue: (status, _failure, text) => issues.push(`${status} ${text}`),
    issues,
    root: '/',
    now: () => new Date(),
    defaults: { certWarnDays: 21, certCritDays: 7 },
  };
}

/** Command lines and environments of running smbclient processes (as `ps` and /proc show them). */
function smbclientProcesses(): { cmdline: string; environ: string }[] {
  const out: { cmdline: string; environ: string }[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ');
      if (!/(^|\/)smbclient /.test(cmdline)) continue;
      out.push({ cmdline, environ: readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').join(' ') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

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

  it("warns that a server speaking only SMB1 is refused by today's clients, and still lists its shares", async () => {
    const { daemon, ports } = await privateDaemon('smbd', {
      smbConf: { global: ['server min protocol = NT1', 'server max protocol = NT1'] },
    });
    try {
      for (const port of [ports.smb, ports.netbios]) {
        const r = await probe({ url: `smb://127.0.0.1:${port}`, netbios: port === ports.netbios });
        expect([r.status, r.failure, r.details.dialect], r.summary).toEqual(['WARNING', null, 'NT1']);
        expect(r.summary).toMatch(
          /^speaks only SMB1 \(NT1\): clients since Windows 10 .*; (NetBIOS session, )?SMB1 \(NT1\), signing \w+, in \d+ ms$/,
        );
        expect(lines(r)).toContain('< SMB1 NEGOTIATE response: dialect NT LM 0.12');
      }
      const r = await probe({
        url: `smb://nobody:${FIXTURE.smbPassword}@127.0.0.1:${ports.smb}/${FIXTURE.smbShare}`,
      });
      expect(r.status, r.summary).toBe('WARNING');
      expect(r.summary).toMatch(/, 3 shares for nobody: .*, share "pub" listed as nobody$/);
    } finally {
      await daemon.stop();
    }
  });
});

describe('smb share listing against samba (smbclient)', () => {
  it('lists the shares for a user given in the spec and finds the expected one, case-insensitively', async () => {
    const s = need('smbd');
    const { smbUser, smbPassword, smbAuthShare } = s.fixture;
    const r = await probe({
      url: `smb://127.0.0.1:${s.ports.smb}`,
      user: smbUser,
      password: smbPassword,
      expect: smbAuthShare.toUpperCase(),
    });
    expect(r.status, `${r.summary}\n${lines(r).join('\n')}`).toBe('OK');
    expect(r.details.shares).toEqual(expect.arrayContaining([smbAuthShare, 'IPC$', s.fixture.smbShare]));
    expect(r.details.shareCount).toBe(3);
    expect(r.summary).toMatch(
      new RegExp(`^SMB 3\\.1\\.1, signing required, .* ms, 3 shares for ${smbUser}: .*${smbAuthShare}`),
    );
    expect(lines(r)).toContain(`< Disk|${smbAuthShare}|`);
    expect(lines(r).find((l) => l.startsWith('> smbclient '))).toMatch(/\(password in the environment\)$/);
    expect(JSON.stringify(r)).not.toContain(smbPassword);
  });

  it('takes the login from the URL, through the NetBIOS port too, and shows the URL without the password', async () => {
    const s = need('smbd');
    const { smbUser, smbPassword, smbAuthShare } = s.fixture;
    const r = await probe({
      url: `smb://${smbUser}:${encodeURIComponent(smbPassword)}@127.0.0.1:${s.ports.netbios}/`,
      netbios: true,
    });
    expect(r.status, r.summary).toBe('OK');
    expect(r.url).toBe(`smb://${smbUser}:***@127.0.0.1:${s.ports.netbios}/`);
    expect(r.details.shares).toContain(smbAuthShare);
    expect(r.summary.startsWith('NetBIOS session, SMB 3.1.1')).toBe(true);
    expect(JSON.stringify(r)).not.toContain(smbPassword);
  });

  it('calls a share missing from the listing bad-content, naming the shares seen', async () => {
    const s = need('smbd');
    const r = await probe({
      url: `smb://127.0.0.1:${s.ports.smb}`,
      user: s.fixture.smbUser,
      password: s.fixture.smbPassword,
      expect: 'nosuchshare',
    });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-content']);
    expect(r.summary).toMatch(/^share "nosuchshare" is not listed for nobody \(3 shares: .*IPC\$/);
  });

  it('calls a listed share that cannot be used CRITICAL with its NT status, named in the URL or by expect', async () => {
    const { daemon, ports, dir } = await privateDaemon('smbd', {
      smbConf: {
        shares:
          '[gone]\n  path = @DIR@/does-not-exist\n[denied]\n  path = @DIR@/share\n  valid users = root\n',
      },
    });
    const login = `nobody:${FIXTURE.smbPassword}`;
    const base = `smb://${login}@127.0.0.1:${ports.smb}`;
    try {
      const seen = async (spec: Record<string, unknown>): Promise<[string, unknown, string]> => {
        const r = await probe(spec);
        return [r.status, r.failure, r.summary];
      };
      expect(await seen({ url: `${base}/gone` })).toEqual([
        'CRITICAL',
        'bad-status',
        'share "gone": tree connect failed: NT_STATUS_BAD_NETWORK_NAME',
      ]);
      expect(await seen({ url: `${base}/denied` })).toEqual([
        'CRITICAL',
        'bad-status',
        'share "denied": tree connect failed: NT_STATUS_ACCESS_DENIED',
      ]);
      expect(await seen({ url: `${base}/`, expect: 'GONE' })).toEqual([
        'CRITICAL',
        'bad-status',
        'share "gone": tree connect failed: NT_STATUS_BAD_NETWORK_NAME',
      ]);
      expect(await seen({ url: `${base}/`, expect: 'denied' })).toEqual([
        'CRITICAL',
        'bad-status',
        'share "denied": tree connect failed: NT_STATUS_ACCESS_DENIED',
      ]);
      expect((await seen({ url: `${base}/pub/no-such-dir` })).slice(0, 2)).toEqual([
        'CRITICAL',
        'bad-status',
      ]);
      // A directory whose listing is far past what is kept of smbclient's output (1.6 MB here) is fine.
      mkdirSync(path.join(dir, 'share', 'big'));
      for (let i = 0; i < 8000; i++)
        writeFileSync(path.join(dir, 'share', 'big', `f${i}-${'x'.repeat(150)}`), '');
      expect(await seen({ url: `${base}/pub/big`, timeout: 30 })).toEqual([
        'OK',
        null,
        expect.stringMatching(/, share "pub\/big" listed as nobody$/),
      ]);
      // The share of the URL and the one expect names are both used.
      expect(await seen({ url: `${base}/pub`, expect: 'gone' })).toEqual([
        'CRITICAL',
        'bad-status',
        'share "gone": tree connect failed: NT_STATUS_BAD_NETWORK_NAME',
      ]);
      // IPC$ is listed, not a directory: listed is all a client does with it.
      expect((await seen({ url: `${base}/`, expect: 'IPC$' }))[0]).toBe('OK');
      const ok = await probe({ url: `${base}/${FIXTURE.smbAuthShare}` });
      expect(ok.status, ok.summary).toBe('OK');
      expect(ok.summary).toMatch(/, 5 shares for nobody: .*, share "tenkenshare" listed as nobody$/);
      expect(lines(ok).find((l) => l.startsWith('> smbclient --configfile=/dev/null //'))).toMatch(
        /--command=ls \(password in the environment\)$/,
      );
      expect(JSON.stringify(ok)).not.toContain(FIXTURE.smbPassword);
    } finally {
      await daemon.stop();
    }
  });

  it('uses the guest share named in the URL anonymously, without a login', async () => {
    const s = need('smbd');
    const r = await probe({ url: `smb://127.0.0.1:${s.ports.smb}/${s.fixture.smbShare}` });
    expect(r.status, r.summary).toBe('OK');
    expect(r.summary).toMatch(/ ms, share "pub" listed as guest$/);
    expect(r.details.sharesUsed).toEqual(['pub']);
    const gone = await probe({ url: `smb://127.0.0.1:${s.ports.smb}/${s.fixture.smbAuthShare}` });
    expect([gone.status, gone.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(gone.summary).toMatch(/^share "tenkenshare": tree connect failed: NT_STATUS_/);
  });

  it('warns that an expected share cannot be checked without a login', async () => {
    const s = need('smbd');
    const r = await probe({ url: `smb://127.0.0.1:${s.ports.smb}`, expect: s.fixture.smbAuthShare });
    expect(r.status).toBe('WARNING');
    expect(r.summary).toMatch(
      /^share "tenkenshare" not checked: listing shares needs user and password; SMB/,
    );
  });

  it('reports a wrong password as bad-status with the NT status, never showing the password', async () => {
    const { daemon, ports } = await privateDaemon('smbd');
    const wrong = 'wrong-pw-9c2e7a';
    try {
      const r = await probe({ url: `smb://127.0.0.1:${ports.smb}`, user: 'nobody', password: wrong });
      expect([r.status, r.failure], r.summary).toEqual(['CRITICAL', 'bad-status']);
      expect(r.summary).toBe('share listing: session setup failed: NT_STATUS_LOGON_FAILURE');
      expect(r.details.dialect).toBe('3.1.1');
      expect(lines(r)).toContain('< session setup failed: NT_STATUS_LOGON_FAILURE');
      expect(JSON.stringify(r)).not.toContain(wrong);
    } finally {
      await daemon.stop();
    }
  });

  it('classifies smbclient talking to an HTTP server as a protocol error', async () => {
    const s = need('nginx');
    const tool = findSmbclient();
    expect(tool, SMBCLIENT_MISSING).not.toBeNull();
    const p = handRun({ url: `smb://127.0.0.1:${s.ports.http}` });
    const target = { host: '127.0.0.1', port: s.ports.http, user: 'nobody', password: 'x-pw' };
    const err = await listShares(p, target, tool ?? '').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeFailure);
    expect((err as ProbeFailure).failure).toBe('protocol');
    expect((err as ProbeFailure).message).toMatch(/^share listing: protocol negotiation failed: NT_STATUS_/);
  });

  it('reports a refused listing connection as refused', async () => {
    const tool = findSmbclient();
    expect(tool, SMBCLIENT_MISSING).not.toBeNull();
    const port = await freePort();
    const p = handRun({ url: `smb://127.0.0.1:${port}` });
    const err = await listShares(
      p,
      { host: '127.0.0.1', port, user: 'nobody', password: 'pw-x' },
      tool ?? '',
    ).catch((e: unknown) => e);
    expect([(err as ProbeFailure).failure, (err as ProbeFailure).message]).toEqual([
      'refused',
      'share listing: connection refused (NT_STATUS_CONNECTION_REFUSED)',
    ]);
  });

  it('kills smbclient at the deadline of a silent server; its command line never holds the password', async () => {
    // In-process fake: a real smbd does not stall after accepting a connection.
    const tool = findSmbclient();
    expect(tool, SMBCLIENT_MISSING).not.toBeNull();
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const password = 'never-shown-4b8f0d';
    const p = handRun({ url: `smb://127.0.0.1:${port}`, timeout: 1.5 });
    const seen: { cmdline: string; environ: string }[] = [];
    const started = performance.now();
    try {
      let settled = false;
      const pending = listShares(p, { host: '127.0.0.1', port, user: 'nobody', password }, tool ?? '')
        .catch((e: unknown) => e)
        .finally(() => {
          settled = true;
        });
      // Poll until smbclient shows up (a loaded machine may take a while to start it) or the probe is over.
      while (seen.length === 0 && !settled) {
        seen.push(...smbclientProcesses().filter((x) => x.cmdline.includes(`--port=${port}`)));
        await new Promise((r) => setTimeout(r, 50));
      }
      const err = await pending;
      expect([(err as ProbeFailure).failure, (err as ProbeFailure).message]).toEqual([
        'timeout',
        'no share listing from smbclient within 1.5 s',
      ]);
      // Killed at the 1.5 s deadline, not left to smbclient's own (longer) timeouts; generous for a loaded CI.
      expect(performance.now() - started).toBeLessThan(8000);
    } finally {
      silent.close();
    }
    expect(seen.length).toBe(1);
    expect(seen[0]?.cmdline).toContain('--user=nobody');
    expect(seen[0]?.cmdline).not.toContain(password);
    expect(seen[0]?.environ).toContain(`PASSWD=${password}`);
    expect(smbclientProcesses().filter((x) => x.cmdline.includes(`--port=${port}`))).toEqual([]);
    expect(JSON.stringify(p.transcript.entries())).not.toContain(password);
  });

  it('keeps the NEGOTIATE result and says why when smbclient is not installed', async () => {
    const s = need('smbd');
    const p = handRun({ url: `smb://nobody:whatever-pw@127.0.0.1:${s.ports.smb}` });
    const v = await smbKind({ smbclient: () => null }).run(p);
    expect(v.summary).toMatch(
      /^SMB 3\.1\.1, signing required, .* ms, shares not listed: smbclient is not installed \(Debian package smbclient\)$/,
    );
    expect([p.details.dialect, p.details.shares, p.details.sharesNotChecked]).toEqual([
      '3.1.1',
      null,
      SMBCLIENT_MISSING,
    ]);
    expect(p.issues).toEqual([]);
  });
});

describe('smbclient output', () => {
  // Lines as smbclient 4.17 (Debian 12) printed them against the test smbd, a closed port and nginx.
  it('parses the grepable share list, ignoring the SMB1 browse notice', () => {
    const out = [
      'Disk|pub|',
      'Disk|tenkenshare|read-only | for tests',
      'IPC|IPC$|IPC Service (Samba 4.17.12-Debian)',
      'Printer|lp|',
      'SMB1 disabled -- no workgroup available',
      'Server|TENKENTEST|',
      'Workgroup|TENKEN|TENKENTEST',
    ].join('\n');
    expect(parseShareList(out)).toEqual([
      { type: 'Disk', name: 'pub', comment: '' },
      { type: 'Disk', name: 'tenkenshare', comment: 'read-only | for tests' },
      { type: 'IPC', name: 'IPC$', comment: 'IPC Service (Samba 4.17.12-Debian)' },
      { type: 'Printer', name: 'lp', comment: '' },
    ]);
  });

  it('classifies failures by their NT status', () => {
    const cls = (out: string): [string, string] => {
      const f = smbclientFailure(out, 'exit 1');
      return [f.failure, f.message];
    };
    expect(cls('session setup failed: NT_STATUS_LOGON_FAILURE\n')).toEqual([
      'bad-status',
      'share listing: session setup failed: NT_STATUS_LOGON_FAILURE',
    ]);
    expect(
      cls('\ndo_connect: Connection to 127.0.0.1 failed (Error NT_STATUS_CONNECTION_REFUSED)\n'),
    ).toEqual(['refused', 'share listing: connection refused (NT_STATUS_CONNECTION_REFUSED)']);
    expect(cls('protocol negotiation failed: NT_STATUS_IO_TIMEOUT\n')[0]).toBe('timeout');
    expect(cls('protocol negotiation failed: NT_STATUS_CONNECTION_DISCONNECTED\n')[0]).toBe('protocol');
    expect(cls('do_connect: Connection to nowhere.invalid failed (Error NT_STATUS_UNSUCCESSFUL)\n')[0]).toBe(
      'protocol',
    );
    expect(cls('tree connect failed: NT_STATUS_ACCESS_DENIED')[0]).toBe('bad-status');
    expect(cls('Segmentation fault\n')).toEqual([
      'protocol',
      'share listing failed (smbclient exit 1): Segmentation fault',
    ]);
  });

  it('takes the share and directory from the URL path, percent-decoded', () => {
    expect(urlShare(new URL('smb://h/'))).toEqual({ share: '', dir: '' });
    expect(urlShare(new URL('smb://h'))).toEqual({ share: '', dir: '' });
    expect(urlShare(new URL('smb://h/My%20Docs/a/b/'))).toEqual({ share: 'My Docs', dir: 'a/b' });
    expect(urlShare(new URL('smb://h/bad%zzname'))).toEqual({ share: 'bad%zzname', dir: '' });
  });

  it('builds the arguments that use a share: anonymous without a login, into a directory, in SMB1 when needed', () => {
    const t = { host: '127.0.0.1', port: 445, user: 'ann', password: 'pw-secret' };
    expect(shareUseArgs(t, 'docs', '', 4.5)).toEqual([
      '--configfile=/dev/null',
      '//127.0.0.1/docs',
      '--port=445',
      '--user=ann',
      '--max-protocol=SMB3',
      '--timeout=5',
      '--ip-address=127.0.0.1',
      '--command=ls',
    ]);
    const anon = shareUseArgs({ ...t, user: '', password: '', smb1: true }, 'pub', 'a/b', 2);
    expect(anon).toEqual(
      expect.arrayContaining(['--user=%', '--no-pass', '--directory=a/b', '--max-protocol=NT1']),
    );
    expect(anon).toContain('--option=client min protocol=NT1');
  });

  it('builds arguments without the password, and --no-pass for an empty one', () => {
    const args = smbclientArgs({ host: '::1', port: 445, user: 'DOM\\ann', password: 'pw-secret' }, 2.2);
    expect(args).toEqual([
      '--configfile=/dev/null',
      '--list=//[::1]',
      '--port=445',
      '--user=DOM\\ann',
      '--max-protocol=SMB3',
      '--grepable',
      '--timeout=3',
      '--ip-address=::1',
    ]);
    expect(smbclientArgs({ host: 'files', port: 139, user: 'ann', password: '' }, 10).at(-1)).toBe(
      '--no-pass',
    );
  });
});

describe('SMB and NetBIOS encoding', () => {
  it('builds an SMB1 NEGOTIATE offering NT1 and SMB2, and tells SMB1-only answers from SMB2 ones', () => {
    const req = smb1NegotiateRequest();
    expect(req.readUInt32BE(0)).toBe(req.length - 4);
    expect(req.subarray(4, 9).toString('latin1')).toBe('\xffSMBr');
    expect(req.subarray(4 + 35).toString('latin1')).toBe('\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???\0');
    expect(parseSmb1Negotiate(Buffer.from('\xfeSMB@\0', 'latin1'))).toEqual({ kind: 'smb2' });
    const nt1 = Buffer.alloc(67);
    nt1.write('\xffSMBr', 0, 'latin1');
    nt1[32] = 17;
    nt1[35] = 0x0c; // signing enabled and required
    nt1.writeBigUInt64LE(133_000_000_000_000_000n, 56);
    expect(parseSmb1Negotiate(nt1)).toEqual({
      kind: 'smb1',
      signingEnabled: true,
      signingRequired: true,
      systemTime: '2022-06-18T04:26:40.000Z',
    });
    const none = Buffer.alloc(35);
    none.write('\xffSMBr', 0, 'latin1');
    none[32] = 1;
    none.writeUInt16LE(0xffff, 33);
    expect(parseSmb1Negotiate(none)).toEqual({ kind: 'none', why: 'no dialect in common' });
    expect(() => parseSmb1Negotiate(Buffer.from('HTTP/1.1 400 Bad'))).toThrow(/not an SMB NEGOTIATE reply/);
    expect(SMB1_ONLY).toMatch(/^speaks only SMB1 \(NT1\)/);
  });

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
