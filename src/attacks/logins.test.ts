import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHost } from '../core/host.ts';
import { addrFromText, encodeRecords, UT } from '../logins/utmp.ts';
import type { FailedLoginRecord } from './detect.ts';
import { type BtmpMark, type BtmpMode, readBtmp, serviceOfLogin } from './logins.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NOW = new Date(Date.UTC(2026, 11, 1, 12, 0, 0));
const T0 = Date.UTC(2026, 10, 26, 9, 0, 0) / 1000;

/** A fake root with /var/log; `btmp` the live file's local path. */
function tree() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-btmp-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  return { root, btmp: path.join(root, 'var/log/btmp') };
}

let serial = 0;
/** `n` failed ssh logins from `ip`, each 5 s after the previous one written by this test file. */
function fails(n: number, ip: string): Uint8Array {
  return encodeRecords(
    Array.from({ length: n }, () => {
      serial++;
      return {
        type: UT.LOGIN_PROCESS,
        pid: 3000 + serial,
        line: 'ssh:notty',
        user: 'root',
        host: ip,
        addr: addrFromText(ip),
        sec: T0 + 5 * serial,
      };
    }),
  );
}

/** One resumed run: the records it read (by source) and the mark to give the next run. */
async function run(root: string, mark: BtmpMark | undefined, mode?: BtmpMode) {
  const got: FailedLoginRecord[] = [];
  const r = await readBtmp(makeHost({ root, name: 'srv', now: NOW }), mode ?? { kind: 'resume', mark }, (x) =>
    got.push(x),
  );
  return { ...r, hosts: got.map((x) => x.host), sources: [...new Set(got.map((x) => x.source))] };
}

describe('btmp across rotation', () => {
  it('finishes btmp.1 after a create-style rotation, then reads the new btmp', async () => {
    const { root, btmp } = tree();
    writeFileSync(btmp, fails(2, '192.0.2.1'));
    const r1 = await run(root, undefined);
    expect(r1.records).toBe(2);
    appendFileSync(btmp, fails(3, '192.0.2.1'));
    renameSync(btmp, `${btmp}.1`);
    writeFileSync(btmp, fails(3, '192.0.2.1'));
    const r2 = await run(root, r1.mark);
    expect(r2.records).toBe(6);
    expect(r2.sources).toEqual(['/var/log/btmp.1', '/var/log/btmp']);
    expect((await run(root, r2.mark)).records).toBe(0);
  });

  it('finishes a dateext member (RHEL: btmp-20261201) the same way', async () => {
    const { root, btmp } = tree();
    writeFileSync(btmp, fails(2, '192.0.2.2'));
    const r1 = await run(root, undefined);
    appendFileSync(btmp, fails(3, '192.0.2.2'));
    renameSync(btmp, `${btmp}-20261201`);
    writeFileSync(btmp, fails(3, '192.0.2.2'));
    const r2 = await run(root, r1.mark);
    expect(r2.records).toBe(6);
    expect(r2.sources).toEqual(['/var/log/btmp-20261201', '/var/log/btmp']);
    expect((await run(root, r2.mark)).records).toBe(0);
  });

  it('keeps its place while btmp is missing (between the rotation and the new file), and reads the rest once', async () => {
    const { root, btmp } = tree();
    writeFileSync(btmp, fails(2, '192.0.2.3'));
    const r1 = await run(root, undefined);
    appendFileSync(btmp, fails(6, '192.0.2.3'));
    renameSync(btmp, `${btmp}.1`);
    const gap = await run(root, r1.mark);
    expect(gap.problem).toBeUndefined();
    expect(gap.records).toBe(6);
    expect(gap.mark).toBeDefined();
    writeFileSync(btmp, fails(1, '192.0.2.3'));
    const r3 = await run(root, gap.mark);
    expect(r3.records).toBe(1);
    expect(r3.sources).toEqual(['/var/log/btmp']);
    expect((await run(root, r3.mark)).records).toBe(0);
  });

  it('keeps the saved mark when there is no btmp at all', async () => {
    const { root } = tree();
    const mark = { dev: 1, ino: 2, records: 3, first: 'x' };
    const r = await run(root, mark);
    expect(r).toMatchObject({ mark, records: 0 });
    expect(r.problem).toBeUndefined();
  });

  it('reads a btmp truncated in place (: > btmp) from its start, even once regrown past the old count', async () => {
    const { root, btmp } = tree();
    writeFileSync(btmp, fails(3, '192.0.2.4'));
    const r1 = await run(root, undefined);
    truncateSync(btmp, 0);
    appendFileSync(btmp, fails(8, '192.0.2.5'));
    const r2 = await run(root, r1.mark);
    expect(r2.records).toBe(8);
    expect(new Set(r2.hosts)).toEqual(new Set(['192.0.2.5']));
    expect((await run(root, r2.mark)).records).toBe(0);
  });

  it('finishes the copy of a copytruncate rotation, then reads the truncated file from its start', async () => {
    const { root, btmp } = tree();
    writeFileSync(btmp, fails(2, '192.0.2.6'));
    const r1 = await run(root, undefined);
    appendFileSync(btmp, fails(2, '192.0.2.6'));
    writeFileSync(`${btmp}.1`, readFileSync(btmp));
    truncateSync(btmp, 0);
    appendFileSync(btmp, fails(1, '192.0.2.7'));
    const r2 = await run(root, r1.mark);
    expect(r2.hosts).toEqual(['192.0.2.6', '192.0.2.6', '192.0.2.7']);
  });

  it('finishes a copytruncate copy even while the truncated btmp is still empty', async () => {
    const { root, btmp } = tree();
    writeFileSync(btmp, fails(3, '192.0.2.20'));
    const r1 = await run(root, undefined);
    appendFileSync(btmp, fails(4, '192.0.2.21'));
    writeFileSync(`${btmp}.1`, readFileSync(btmp));
    truncateSync(btmp, 0);
    const r2 = await run(root, r1.mark);
    expect(r2.hosts).toEqual(Array(4).fill('192.0.2.21'));
    appendFileSync(btmp, fails(1, '192.0.2.22'));
    const r3 = await run(root, r2.mark);
    expect(r3.hosts).toEqual(['192.0.2.22']);
    expect((await run(root, r3.mark)).records).toBe(0);
  });

  it("reads what is new when the marked file's inode now belongs to a new btmp (two rotations between runs)", async () => {
    const { root, btmp } = tree();
    writeFileSync(btmp, fails(2, '192.0.2.30'));
    const r1 = await run(root, undefined);
    // rotate 1, twice: the marked file is deleted, the file between is btmp.1, and the new btmp happens to
    // get the freed inode (ext4 hands it out again).
    renameSync(btmp, `${btmp}.1`);
    writeFileSync(btmp, fails(8, '192.0.2.31'));
    rmSync(`${btmp}.1`);
    renameSync(btmp, `${btmp}.1`);
    writeFileSync(btmp, fails(1, '192.0.2.32'));
    const { ino, dev } = statSync(btmp);
    const reused = { ...(r1.mark as BtmpMark), ino, dev };
    const r2 = await run(root, reused);
    expect(r2.hosts).toEqual([...Array(8).fill('192.0.2.31'), '192.0.2.32']);
    expect((await run(root, r2.mark)).records).toBe(0);
  });

  it('finishes a member compressed before the new btmp was created', async () => {
    const { root, btmp } = tree();
    writeFileSync(btmp, fails(2, '192.0.2.40'));
    const r1 = await run(root, undefined);
    appendFileSync(btmp, fails(3, '192.0.2.41'));
    writeFileSync(`${btmp}.1.gz`, gzipSync(readFileSync(btmp)));
    rmSync(btmp);
    writeFileSync(btmp, fails(1, '192.0.2.42'));
    const r2 = await run(root, r1.mark);
    expect(r2.hosts).toEqual([...Array(3).fill('192.0.2.41'), '192.0.2.42']);
  });

  it('reads a .gz member cut short as far as it inflates, says so, and still reads the newer members', async () => {
    const { root, btmp } = tree();
    const gz = gzipSync(fails(40, '192.0.2.50'));
    writeFileSync(`${btmp}.2.gz`, gz.subarray(0, Math.floor(gz.length * 0.75)));
    writeFileSync(`${btmp}.1`, fails(2, '192.0.2.51'));
    writeFileSync(btmp, fails(3, '192.0.2.52'));
    const r = await run(root, undefined, { kind: 'all' });
    expect(r.sources).toEqual(['/var/log/btmp.2.gz', '/var/log/btmp.1', '/var/log/btmp']);
    const cut = r.hosts.filter((h) => h === '192.0.2.50').length;
    expect(cut).toBeGreaterThan(0);
    expect(cut).toBeLessThan(40);
    expect(r.hosts.slice(cut)).toEqual([...Array(2).fill('192.0.2.51'), ...Array(3).fill('192.0.2.52')]);
    expect(r.problem).toEqual({
      path: '/var/log/btmp.2.gz',
      reason: `cut short or corrupt (unexpected end of file): read its ${cut} records up to that point, as zcat does`,
    });
  });

  it('reads every member with --all', async () => {
    const { root, btmp } = tree();
    writeFileSync(`${btmp}-20261101`, fails(1, '192.0.2.8'));
    writeFileSync(`${btmp}-20261201`, fails(2, '192.0.2.8'));
    writeFileSync(btmp, fails(3, '192.0.2.8'));
    const r = await run(root, undefined, { kind: 'all' });
    expect(r.records).toBe(6);
    expect(r.sources).toEqual(['/var/log/btmp-20261101', '/var/log/btmp-20261201', '/var/log/btmp']);
  });
});

describe('the service of a wtmp login', () => {
  it('is sshd for a pseudo-terminal with a remote host (where sshd is inspected), as the auth log says', () => {
    expect(serviceOfLogin('pts/3', '203.0.113.51', 'sshd')).toBe('sshd');
    expect(serviceOfLogin('pts/3', '2001:db8::5', 'sshd')).toBe('sshd');
    // Without sshd, the same record is telnetd's login.
    expect(serviceOfLogin('pts/3', '203.0.113.51', 'login')).toBe('login');
  });
  it('is login on a console, a serial line or an X display; cockpit for its web console; ftp and ssh lines by name', () => {
    expect(serviceOfLogin('tty1', '', 'sshd')).toBe('login');
    expect(serviceOfLogin('ttyS0', '', 'sshd')).toBe('login');
    expect(serviceOfLogin('pts/0', ':0', 'sshd')).toBe('login');
    expect(serviceOfLogin('pts/0', '', 'sshd')).toBe('login');
    expect(serviceOfLogin('web console', '192.0.2.10', 'sshd')).toBe('cockpit');
    expect(serviceOfLogin('ftp4711', '192.0.2.10', 'sshd')).toBe('ftp');
    expect(serviceOfLogin('ssh:notty', '192.0.2.10', 'sshd')).toBe('sshd');
  });
});
