import { randomBytes } from 'node:crypto';
import { clip } from '../core/sanitize.ts';
import { Conn, credentials, endpoint } from './conn.ts';
import { SMBCLIENT_MISSING, type Share, findSmbclient, listShares, useShare } from './smb-shares.ts';
import { type ProbeKind, type ProbeRun, ProbeFailure } from './types.ts';

/*
 * SMB2 NEGOTIATE and the NetBIOS session request, written by hand: there is no maintained SMB client for
 * Node (the npm `smb2` packages were abandoned years ago, speak only SMB 2.0.2 and do not expose the
 * negotiation), and the probe needs just a few small fixed-layout messages (MS-SMB2 2.2.3/2.2.4, RFC 1002
 * 4.3.2, and the SMB1 NEGOTIATE of MS-CIFS 2.2.4.52 that tells an SMB1-only server apart). Share listing
 * and use need NTLMSSP, tree connects and DCE/RPC srvsvc: smb-shares.ts leaves them to Samba's smbclient.
 */

/** Dialects offered, newest last (MS-SMB2 2.2.3). */
const DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311] as const;

/** Dialect revision → its usual name. */
export function dialectName(d: number): string {
  const names: Record<number, string> = {
    0x0202: '2.0.2',
    0x0210: '2.1',
    0x0300: '3.0',
    0x0302: '3.0.2',
    0x0311: '3.1.1',
  };
  return names[d] ?? `0x${d.toString(16).padStart(4, '0')}`;
}

const CIPHERS: Record<number, string> = {
  1: 'AES-128-CCM',
  2: 'AES-128-GCM',
  3: 'AES-256-CCM',
  4: 'AES-256-GCM',
};
const CAPABILITIES: [number, string][] = [
  [0x01, 'DFS'],
  [0x02, 'LEASING'],
  [0x04, 'LARGE_MTU'],
  [0x08, 'MULTI_CHANNEL'],
  [0x10, 'PERSISTENT_HANDLES'],
  [0x20, 'DIRECTORY_LEASING'],
  [0x40, 'ENCRYPTION'],
];

/** RFC 1001 first-level encoding of a NetBIOS name (15 characters + suffix byte), with length and scope. */
export function netbiosName(name: string, suffix: number): Buffer {
  const raw = Buffer.alloc(16, 0x20);
  raw.write(name.toUpperCase().slice(0, 15), 'ascii');
  raw[15] = suffix;
  const out = Buffer.alloc(34);
  out[0] = 32;
  for (let i = 0; i < 16; i++) {
    const b = raw[i] ?? 0;
    out[1 + 2 * i] = 0x41 + (b >> 4);
    out[2 + 2 * i] = 0x41 + (b & 0x0f);
  }
  out[33] = 0;
  return out;
}

/** NetBIOS SESSION REQUEST (type 0x81) to `*SMBSERVER` from `TENKEN`. */
export function sessionRequest(called = '*SMBSERVER', calling = 'TENKEN'): Buffer {
  const body = Buffer.concat([netbiosName(called, 0x20), netbiosName(calling, 0x00)]);
  const head = Buffer.from([0x81, 0, 0, 0]);
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}

const pad8 = (n: number): number => (8 - (n % 8)) % 8;

/** A complete SMB2 NEGOTIATE request with its 4-byte transport header, offering 2.0.2 to 3.1.1. */
export function negotiateRequest(guid: Buffer = randomBytes(16), salt: Buffer = randomBytes(32)): Buffer {
  const header = Buffer.alloc(64);
  header.write('\xfeSMB', 0, 'latin1');
  header.writeUInt16LE(64, 4); // StructureSize
  header.writeUInt16LE(0, 12); // Command: NEGOTIATE
  header.writeUInt16LE(1, 14); // CreditRequest
  header.writeUInt32LE(0xfeff, 32); // ProcessId
  const fixed = Buffer.alloc(36);
  fixed.writeUInt16LE(36, 0); // StructureSize
  fixed.writeUInt16LE(DIALECTS.length, 2);
  fixed.writeUInt16LE(0x01, 4); // SecurityMode: signing enabled
  fixed.writeUInt32LE(0x44, 8); // Capabilities: LARGE_MTU, ENCRYPTION (servers answer the cipher only then)
  guid.copy(fixed, 12);
  const dialects = Buffer.alloc(DIALECTS.length * 2);
  DIALECTS.forEach((d, i) => dialects.writeUInt16LE(d, i * 2));
  const before = 64 + fixed.length + dialects.length;
  const gap = Buffer.alloc(pad8(before));
  // Negotiate contexts (3.1.1): preauth integrity (SHA-512) is mandatory; encryption lists our ciphers.
  const preauth = Buffer.alloc(8 + 38);
  preauth.writeUInt16LE(0x0001, 0);
  preauth.writeUInt16LE(38, 2);
  preauth.writeUInt16LE(1, 8); // HashAlgorithmCount
  preauth.writeUInt16LE(32, 10); // SaltLength
  preauth.writeUInt16LE(0x0001, 12); // SHA-512
  salt.copy(preauth, 14);
  const preauthPad = Buffer.alloc(pad8(preauth.length));
  const encryption = Buffer.alloc(8 + 10);
  encryption.writeUInt16LE(0x0002, 0);
  encryption.writeUInt16LE(10, 2);
  encryption.writeUInt16LE(4, 8); // CipherCount
  [2, 1, 4, 3].forEach((c, i) => encryption.writeUInt16LE(c, 10 + 2 * i));
  fixed.writeUInt32LE(before + gap.length, 28); // NegotiateContextOffset
  fixed.writeUInt16LE(2, 32); // NegotiateContextCount
  const smb = Buffer.concat([header, fixed, dialects, gap, preauth, preauthPad, encryption]);
  const transport = Buffer.alloc(4);
  transport.writeUInt32BE(smb.length, 0); // first byte 0: session message
  return Buffer.concat([transport, smb]);
}

/** What a NEGOTIATE response says. */
export interface NegotiateInfo {
  status: number;
  dialect: string;
  signingEnabled: boolean;
  signingRequired: boolean;
  capabilities: string[];
  serverGuid: string;
  /** Server clock (ISO), from SystemTime. */
  systemTime: string | null;
  cipher: string | null;
  maxRead: number;
}

/** Parses an SMB2 NEGOTIATE response (the SMB message without the transport header). */
export function parseNegotiate(msg: Buffer): NegotiateInfo {
  if (msg.length >= 4 && msg.readUInt32BE(0) === 0xff534d42) {
    throw new ProbeFailure('protocol', 'the server answered in SMB1 only (no SMB2 support)');
  }
  if (msg.length < 64 || msg.readUInt32BE(0) !== 0xfe534d42) {
    throw new ProbeFailure('protocol', `not an SMB2 reply: ${msg.subarray(0, 16).toString('hex')}`);
  }
  const status = msg.readUInt32LE(8);
  const command = msg.readUInt16LE(12);
  if (command !== 0) throw new ProbeFailure('protocol', `SMB2 reply to command ${command}, not NEGOTIATE`);
  if (status !== 0) {
    throw new ProbeFailure(
      'bad-status',
      `NEGOTIATE failed: NTSTATUS 0x${status.toString(16).padStart(8, '0')}`,
    );
  }
  const b = 64;
  if (msg.length < b + 64 || msg.readUInt16LE(b) !== 65) {
    throw new ProbeFailure('protocol', 'NEGOTIATE response too short or malformed');
  }
  const mode = msg.readUInt16LE(b + 2);
  const dialect = msg.readUInt16LE(b + 4);
  const ctxCount = msg.readUInt16LE(b + 6);
  const caps = msg.readUInt32LE(b + 24);
  const filetime = msg.readBigUInt64LE(b + 40);
  const ms = Number(filetime / 10_000n) - 11_644_473_600_000;
  let cipher: string | null = null;
  if (dialect === 0x0311 && ctxCount > 0) {
    let off = msg.readUInt32LE(b + 60);
    for (let i = 0; i < ctxCount && off + 8 <= msg.length; i++) {
      const type = msg.readUInt16LE(off);
      const len = msg.readUInt16LE(off + 2);
      if (type === 0x0002 && len >= 4 && off + 12 <= msg.length) {
        const id = msg.readUInt16LE(off + 10);
        cipher = id === 0 ? 'none' : (CIPHERS[id] ?? `0x${id.toString(16)}`);
      }
      off += 8 + len;
      off += pad8(off);
    }
  }
  const g = msg.subarray(b + 8, b + 24);
  return {
    status,
    dialect: dialectName(dialect),
    signingEnabled: (mode & 0x01) !== 0,
    signingRequired: (mode & 0x02) !== 0,
    capabilities: CAPABILITIES.filter(([bit]) => (caps & bit) !== 0).map(([, n]) => n),
    serverGuid: g.toString('hex'),
    systemTime: filetime === 0n || !Number.isFinite(ms) ? null : new Date(ms).toISOString(),
    cipher,
    maxRead: msg.readUInt32LE(b + 32),
  };
}

/** Dialects of the SMB1 multi-protocol NEGOTIATE: NT1, then the two that ask an SMB2 server for SMB2. */
const SMB1_DIALECTS = ['NT LM 0.12', 'SMB 2.002', 'SMB 2.???'] as const;

/**
 * An SMB1 multi-protocol NEGOTIATE (MS-CIFS 2.2.4.52.1, MS-SMB2 3.3.5.3.1) with its transport header,
 * offering NT1 and SMB2: a server that speaks SMB2 answers it with an SMB2 NEGOTIATE response, one that
 * speaks only SMB1 with an SMB1 response choosing "NT LM 0.12".
 */
export function smb1NegotiateRequest(): Buffer {
  const header = Buffer.alloc(32);
  header.write('\xffSMB', 0, 'latin1');
  header[4] = 0x72; // SMB_COM_NEGOTIATE
  header[9] = 0x18; // Flags: case-insensitive, canonicalized paths
  header.writeUInt16LE(0xc801, 10); // Flags2: Unicode, NT status, extended security, long names
  header.writeUInt16LE(0xfeff, 26); // PIDLow
  const dialects = Buffer.concat(SMB1_DIALECTS.map((d) => Buffer.from(`\x02${d}\0`, 'latin1')));
  const counts = Buffer.alloc(3);
  counts[0] = 0; // WordCount
  counts.writeUInt16LE(dialects.length, 1); // ByteCount
  const smb = Buffer.concat([header, counts, dialects]);
  const transport = Buffer.alloc(4);
  transport.writeUInt32BE(smb.length, 0);
  return Buffer.concat([transport, smb]);
}

/** What the answer to the SMB1 multi-protocol NEGOTIATE says. */
export type Smb1Answer =
  /** The server answered in SMB2: it speaks SMB2. */
  | { kind: 'smb2' }
  /** The server answered in SMB1, choosing NT1 (it speaks only SMB1). */
  | {
      kind: 'smb1';
      signingEnabled: boolean;
      signingRequired: boolean;
      /** Server clock (ISO), from SystemTime. */
      systemTime: string | null;
    }
  /** An SMB1 answer choosing none of the dialects (an SMB server older than NT1), or failing. */
  | { kind: 'none'; why: string };

/** Parses the answer to smb1NegotiateRequest (the SMB message without the transport header). */
export function parseSmb1Negotiate(msg: Buffer): Smb1Answer {
  if (msg.length >= 4 && msg.readUInt32BE(0) === 0xfe534d42) return { kind: 'smb2' };
  if (msg.length < 35 || msg.readUInt32BE(0) !== 0xff534d42 || msg[4] !== 0x72) {
    throw new ProbeFailure('protocol', `not an SMB NEGOTIATE reply: ${msg.subarray(0, 16).toString('hex')}`);
  }
  const status = msg.readUInt32LE(5);
  if (status !== 0) return { kind: 'none', why: `NTSTATUS 0x${status.toString(16).padStart(8, '0')}` };
  const index = msg.readUInt16LE(33);
  if (index !== 0)
    return { kind: 'none', why: index === 0xffff ? 'no dialect in common' : `dialect ${index}` };
  if (msg[32] !== 17 || msg.length < 67) {
    throw new ProbeFailure('protocol', 'SMB1 NEGOTIATE response too short or malformed');
  }
  const mode = msg[35] ?? 0;
  const filetime = msg.readBigUInt64LE(56);
  const ms = Number(filetime / 10_000n) - 11_644_473_600_000;
  return {
    kind: 'smb1',
    signingEnabled: (mode & 0x04) !== 0,
    signingRequired: (mode & 0x08) !== 0,
    systemTime: filetime === 0n || !Number.isFinite(ms) ? null : new Date(ms).toISOString(),
  };
}

/** What is said of a server that speaks only SMB1. */
export const SMB1_ONLY =
  'speaks only SMB1 (NT1): clients since Windows 10 / Samba 4.11 refuse it by default; allow SMB2 or later (Samba: server max protocol, default SMB3)';

const SESSION_ERRORS: Record<number, string> = {
  0x80: 'not listening on the called name',
  0x81: 'not listening for the calling name',
  0x82: 'called name not present',
  0x83: 'insufficient resources',
  0x8f: 'unspecified error',
};

/** Reads one transport frame, skipping NetBIOS keep-alives; returns its type and payload. */
async function readFrame(conn: Conn, what: string): Promise<{ type: number; body: Buffer }> {
  for (;;) {
    const head = await conn.readBytes(4, what);
    const type = head[0] ?? 0;
    const len = head.readUInt32BE(0) & 0x00ffffff;
    if (len > 1 << 20) {
      throw new ProbeFailure('protocol', `${what}: frame of ${len} bytes (${head.toString('hex')}): not SMB`);
    }
    const body = await conn.readBytes(len, what);
    if (type !== 0x85) return { type, body };
  }
}

async function netbiosSession(p: ProbeRun, conn: Conn): Promise<void> {
  conn.write(sessionRequest(), 'NetBIOS SESSION REQUEST to *SMBSERVER');
  const { type, body } = await readFrame(conn, 'NetBIOS session response');
  if (type === 0x82) {
    p.transcript.received('NetBIOS POSITIVE SESSION RESPONSE');
    p.mark('session');
    return;
  }
  if (type === 0x83) {
    const code = body[0] ?? 0x8f;
    p.transcript.received(`NetBIOS NEGATIVE SESSION RESPONSE 0x${code.toString(16)}`);
    throw new ProbeFailure(
      'bad-status',
      `NetBIOS session refused: ${SESSION_ERRORS[code] ?? `error 0x${code.toString(16)}`}`,
    );
  }
  p.transcript.received(`frame type 0x${type.toString(16)} ${body.subarray(0, 16).toString('hex')}`);
  throw new ProbeFailure('protocol', `NetBIOS session: unexpected frame type 0x${type.toString(16)}`);
}

/** Whether a failed SMB2 NEGOTIATE may be a server that speaks only SMB1 (it hung up, or answered in SMB1). */
function maybeSmb1(err: unknown, body: Buffer | null): boolean {
  if (body !== null) return body.length >= 4 && body.readUInt32BE(0) === 0xff534d42;
  if (err instanceof ProbeFailure) return err.message.startsWith('connection closed by the server');
  return (err as { code?: unknown }).code === 'ECONNRESET';
}

/**
 * Asks again on a new connection with an SMB1 NEGOTIATE offering NT1 and SMB2 (smbd closes the connection
 * on an SMB2 NEGOTIATE when it speaks only SMB1). The SMB1 answer when it speaks only SMB1, else null.
 */
async function smb1Only(
  p: ProbeRun,
  host: string,
  port: number,
): Promise<Extract<Smb1Answer, { kind: 'smb1' }> | null> {
  const conn = await Conn.open(p, host, port, undefined, { mark: false });
  try {
    if (p.spec.netbios ?? port === 139) await netbiosSession(p, conn);
    conn.write(smb1NegotiateRequest(), `SMB1 NEGOTIATE ${SMB1_DIALECTS.join(', ')}`);
    const { body } = await readFrame(conn, 'SMB1 NEGOTIATE response');
    const answer = parseSmb1Negotiate(body);
    p.transcript.received(
      answer.kind === 'smb2'
        ? 'SMB2 NEGOTIATE response'
        : answer.kind === 'smb1'
          ? 'SMB1 NEGOTIATE response: dialect NT LM 0.12'
          : `SMB1 NEGOTIATE response: ${answer.why}`,
    );
    return answer.kind === 'smb1' ? answer : null;
  } catch {
    return null;
  } finally {
    conn.close();
  }
}

/** Clock skew and the signing requirement, as both dialects report them. */
function judgeServer(
  p: ProbeRun,
  info: { signingEnabled: boolean; signingRequired: boolean; systemTime: string | null },
): string {
  const signing = info.signingRequired ? 'required' : info.signingEnabled ? 'enabled' : 'off';
  p.details.signing = signing;
  p.details.serverTime = info.systemTime;
  if (info.systemTime !== null) {
    const skew = Math.round((Date.parse(info.systemTime) - p.now().getTime()) / 1000);
    p.details.clockSkewSeconds = skew;
    if (Math.abs(skew) > 300)
      p.issue('WARNING', null, `server clock ${skew > 0 ? 'ahead' : 'behind'} by ${Math.abs(skew)} s`);
  }
  if (p.spec.signing === 'required' && !info.signingRequired) {
    p.issue('WARNING', null, `signing is ${signing}, not required`);
  }
  return signing;
}

/**
 * Runs the NEGOTIATE (after a NetBIOS session when asked) on its own connection, closed afterwards; when
 * the server hangs up on it or answers in SMB1, asks whether it speaks only SMB1 (a WARNING, not a failure:
 * old clients still use it). Returns whether it speaks only SMB1.
 */
async function negotiate(p: ProbeRun, host: string, port: number, parts: string[]): Promise<boolean> {
  const conn = await Conn.open(p, host, port);
  let body: Buffer | null = null;
  try {
    if (p.spec.netbios ?? port === 139) {
      await netbiosSession(p, conn);
      parts.push('NetBIOS session');
    }
    conn.write(negotiateRequest(), `SMB2 NEGOTIATE ${DIALECTS.map(dialectName).join(' ')}`);
    body = (await readFrame(conn, 'NEGOTIATE response')).body;
    p.mark('negotiate');
    const info = parseNegotiate(body);
    const signing = judgeServer(p, info);
    p.transcript.received(
      `SMB2 NEGOTIATE response: dialect ${info.dialect}, signing ${signing}${info.cipher ? `, cipher ${info.cipher}` : ''}`,
    );
    p.details.dialect = info.dialect;
    p.details.capabilities = info.capabilities;
    p.details.cipher = info.cipher;
    p.details.serverGuid = info.serverGuid;
    parts.push(`SMB ${info.dialect}`, `signing ${signing}`);
    if (info.cipher !== null) parts.push(`cipher ${info.cipher}`);
    parts.push(`in ${Math.round(p.timings.negotiate ?? 0)} ms`);
    return false;
  } catch (err) {
    if (body !== null)
      p.transcript.received(`(${body.length} bytes) ${body.subarray(0, 24).toString('hex')}`);
    if (!maybeSmb1(err, body)) throw err;
    conn.close();
    const smb1 = await smb1Only(p, host, port);
    if (smb1 === null) throw err;
    p.mark('negotiate');
    const signing = judgeServer(p, smb1);
    p.details.dialect = 'NT1';
    p.issue('WARNING', null, SMB1_ONLY);
    parts.push('SMB1 (NT1)', `signing ${signing}`, `in ${Math.round(p.timings.negotiate ?? 0)} ms`);
    return true;
  } finally {
    conn.close();
  }
}

/** Most share names kept in the details (the count says how many there were). */
const MAX_SHARE_NAMES = 50;

/**
 * The share (and directory) a URL's path names: `smb://host/share/dir/sub` → `share`, `dir/sub`
 * (percent-decoded; empty when the path is `/`).
 */
export function urlShare(url: URL): { share: string; dir: string } {
  const decode = (seg: string): string => {
    try {
      return decodeURIComponent(seg);
    } catch {
      return seg;
    }
  };
  const segs = url.pathname
    .split('/')
    .filter((seg) => seg !== '')
    .map(decode);
  return { share: segs[0] ?? '', dir: segs.slice(1).join('/') };
}

/**
 * The share listing, when credentials are given (spec `user`/`password` or `smb://user:pass@host/`): the
 * names go to `details.shares`, `expect` must be one of them (case-insensitive, as SMB names are), and
 * then, when it is a disk share, usable. Without smbclient the listing is not checked and says why
 * (`details.sharesNotChecked`); the NEGOTIATE stands. Returns the listing, null when there was none.
 */
async function shareListing(
  p: ProbeRun,
  target: { host: string; port: number; smb1: boolean },
  tool: string | null,
  parts: string[],
): Promise<Share[] | null> {
  const cred = credentials(p);
  if (cred === null) {
    if (p.spec.expect !== undefined)
      p.issue(
        'WARNING',
        null,
        `share "${clip(p.spec.expect, 60)}" not checked: listing shares needs user and password`,
      );
    return null;
  }
  const shares = tool === null ? null : await listShares(p, { ...target, ...cred }, tool);
  if (shares === null) {
    p.transcript.note(`shares not listed: ${SMBCLIENT_MISSING}`);
    p.details.shares = null;
    p.details.sharesNotChecked = SMBCLIENT_MISSING;
    parts.push(`shares not listed: ${SMBCLIENT_MISSING}`);
    return null;
  }
  p.mark('shares');
  const names = shares.map((s) => s.name);
  p.details.shareCount = names.length;
  p.details.shares = names.slice(0, MAX_SHARE_NAMES);
  const want = p.spec.expect;
  if (want !== undefined && !names.some((n) => n.toLowerCase() === want.toLowerCase())) {
    throw new ProbeFailure(
      'bad-content',
      `share "${clip(want, 60)}" is not listed for ${cred.user} (${names.length} shares: ${clip(names.join(', '), 120)})`,
    );
  }
  parts.push(`${names.length} shares for ${cred.user}: ${clip(names.join(', '), 120)}`);
  return shares;
}

/**
 * Uses the share the URL's path names (`smb://host/share[/dir]`) and the disk share `expect` names, as a
 * client would: connects to each and lists it (`smbclient //host/share -c ls`), with the login, or
 * anonymously (as a guest) without one. A share that is listed but cannot be used (its directory is gone,
 * the user is not among its `valid users`) is CRITICAL with smbclient's NT status.
 */
async function shareUse(
  p: ProbeRun,
  target: { host: string; port: number; smb1: boolean },
  tool: string | null,
  listed: Share[] | null,
  parts: string[],
): Promise<void> {
  const uses: { share: string; dir: string }[] = [];
  const fromUrl = urlShare(p.url);
  if (fromUrl.share !== '') uses.push(fromUrl);
  const want = p.spec.expect?.toLowerCase();
  const entry = want === undefined ? undefined : listed?.find((s) => s.name.toLowerCase() === want);
  // IPC$ and printers are not directories: listed is all a client does with them here.
  if (entry?.type === 'Disk' && !uses.some((u) => u.share.toLowerCase() === want && u.dir === '')) {
    uses.push({ share: entry.name, dir: '' });
  }
  const cred = credentials(p) ?? { user: '', password: '' };
  const used: string[] = [];
  for (const { share, dir } of uses) {
    const shown = `share "${clip(share, 60)}${dir === '' ? '' : `/${clip(dir, 60)}`}"`;
    if (tool === null) {
      if (p.details.sharesNotChecked === undefined) {
        p.transcript.note(`${shown} not used: ${SMBCLIENT_MISSING}`);
        p.details.sharesNotChecked = SMBCLIENT_MISSING;
        parts.push(`${shown} not used: ${SMBCLIENT_MISSING}`);
      }
      return;
    }
    if (!(await useShare(p, { ...target, ...cred }, share, dir, tool))) return;
    p.mark('share');
    used.push(dir === '' ? share : `${share}/${dir}`);
    p.details.sharesUsed = used;
    parts.push(`${shown} listed as ${cred.user === '' ? 'guest' : cred.user}`);
  }
}

/**
 * The smb probe with its smbclient lookup given (tests pass one that finds none): smb://[user:pass@]host[:port]
 * is SMB2 NEGOTIATE (port 445), after a NetBIOS session request on port 139 (or with `netbios: true`): the
 * dialect chosen, whether signing is enabled or required, the cipher, server time (a server that speaks only
 * SMB1 is a WARNING); then, with credentials, the share listing; then the share of the URL's path
 * (`smb://host/share[/dir]`) and the disk share `expect` names are connected to and listed.
 */
export function smbKind(opts: { smbclient: () => string | null }): ProbeKind {
  return {
    name: 'smb',
    description:
      'SMB: NetBIOS session (139), SMB2 NEGOTIATE: dialect, signing, encryption; shares with a login; the share of the URL used',
    defaultPort: () => 445,
    async run(p) {
      const { host, port } = endpoint(p.url, 445);
      const parts: string[] = [];
      const smb1 = await negotiate(p, host, port, parts);
      const target = { host, port, smb1 };
      const needTool = credentials(p) !== null || urlShare(p.url).share !== '';
      const tool = needTool ? opts.smbclient() : null;
      const listed = await shareListing(p, target, tool, parts);
      await shareUse(p, target, tool, listed, parts);
      return { summary: parts.join(', ') };
    },
  };
}

/** The smb probe, listing shares with the installed smbclient. */
export const smb: ProbeKind = smbKind({ smbclient: () => findSmbclient() });
