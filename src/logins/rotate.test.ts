import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { runCli } from '../../test/helpers/cli.ts';
import { register } from '../cli/commands/wtmp.ts';
import { StateStore, stateDirFor } from '../state/store.ts';
import { IncompleteRotationError, rotateFile } from './rotate.ts';
import { runCommand } from './testing.ts';
import { encodeRecords } from './utmp.ts';
import { openWtmp, recordsForward } from './wtmp-file.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-rotate-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const logins = (from: number, n: number): Uint8Array =>
  encodeRecords(
    Array.from({ length: n }, (_, i) => ({
      type: 7,
      pid: from + i,
      line: 'pts/0',
      user: 'alice',
      sec: 1_700_000_000 + from + i,
    })),
  );

async function pids(file: string): Promise<number[]> {
  const f = await openWtmp(file);
  try {
    return [...recordsForward(f)].map((r) => r.pid);
  } finally {
    f.close();
  }
}

describe('rotateFile', () => {
  it('moves every record to wtmp.1 and leaves an empty wtmp with the same mode', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, logins(0, 10));
    fs.chmodSync(wtmp, 0o664);
    const r = await rotateFile(wtmp, { keep: 2, compress: false });
    expect(r).toMatchObject({ recordsBefore: 10, recordsRotated: 10, recordsLive: 0 });
    expect(await pids(`${wtmp}.1`)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(fs.statSync(wtmp).size).toBe(0);
    expect(fs.statSync(wtmp).mode & 0o7777).toBe(0o664);
  });

  it('keeps N backups, gzips those older than .1 and verifies them', async () => {
    const wtmp = path.join(dir, 'wtmp');
    for (let round = 0; round < 4; round++) {
      fs.appendFileSync(wtmp, logins(round * 100, 3));
      await rotateFile(wtmp, { keep: 3, compress: true });
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['wtmp', 'wtmp.1', 'wtmp.2.gz', 'wtmp.3.gz']);
    expect(await pids(`${wtmp}.1`)).toEqual([300, 301, 302]);
    expect(await pids(`${wtmp}.2.gz`)).toEqual([200, 201, 202]);
    expect(await pids(`${wtmp}.3.gz`)).toEqual([100, 101, 102]);
  });

  it('refuses a symbolic link and a missing file with one-line messages', async () => {
    fs.writeFileSync(path.join(dir, 'real'), logins(0, 1));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'wtmp'));
    await expect(
      rotateFile(path.join(dir, 'wtmp'), { keep: 1, compress: false, display: '/var/log/wtmp' }),
    ).rejects.toThrow('Cannot rotate /var/log/wtmp: is a symbolic link');
    await expect(
      rotateFile(path.join(dir, 'nope'), { keep: 1, compress: false, display: '/var/log/nope' }),
    ).rejects.toThrow('Cannot rotate /var/log/nope: no such file or directory');
  });

  it('removes its temporary archive when the disk fills while compressing, so the next rotation works', async () => {
    // A 64 KiB tmpfs filled up (the tests run as root, as CI does; mounting needs it).
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-rotate-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    try {
      const wtmp = path.join(mnt, 'wtmp');
      fs.writeFileSync(wtmp, logins(0, 2));
      await rotateFile(wtmp, { keep: 3, compress: false });
      fs.writeFileSync(wtmp, logins(10, 2));
      const filler = path.join(mnt, 'filler');
      try {
        fs.writeFileSync(filler, Buffer.alloc(1 << 20));
      } catch {
        // ENOSPC once full
      }
      await expect(rotateFile(wtmp, { keep: 3, compress: true, display: '/var/log/wtmp' })).rejects.toThrow(
        /^Cannot compress \/var\/log\/wtmp\.2: no space left on device$/,
      );
      expect(fs.readdirSync(mnt).sort()).toEqual(['filler', 'wtmp', 'wtmp.1', 'wtmp.2']);
      fs.unlinkSync(filler);
      fs.writeFileSync(wtmp, logins(20, 2));
      const r = await rotateFile(wtmp, { keep: 3, compress: true, display: '/var/log/wtmp' });
      expect(r.compressed).toEqual(['/var/log/wtmp.2.gz', '/var/log/wtmp.3.gz']);
      expect(fs.readdirSync(mnt).sort()).toEqual(['wtmp', 'wtmp.1', 'wtmp.2.gz', 'wtmp.3.gz']);
      expect(await pids(path.join(mnt, 'wtmp.3.gz'))).toEqual([0, 1]);
      expect(await pids(path.join(mnt, 'wtmp.2.gz'))).toEqual([10, 11]);
    } finally {
      execFileSync('umount', [mnt]);
      fs.rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('changes nothing when the file system has no inode left for the new file (the oldest backup is kept)', async () => {
    // A tmpfs with 3 inodes (its root, wtmp, wtmp.1), as on a log2ram-style /var/log. The rotation once dropped
    // wtmp.1 first and then failed to create the new file: that history was lost.
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-rotate-inodes-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=3', 'tmpfs', mnt]);
    try {
      const wtmp = path.join(mnt, 'wtmp');
      fs.writeFileSync(path.join(mnt, 'wtmp.1'), logins(0, 3));
      fs.writeFileSync(wtmp, logins(10, 2));
      await expect(rotateFile(wtmp, { keep: 1, compress: false, display: '/var/log/wtmp' })).rejects.toThrow(
        /^Cannot rotate \/var\/log\/wtmp: no space left on device$/,
      );
      expect(fs.readdirSync(mnt).sort()).toEqual(['wtmp', 'wtmp.1']);
      expect(await pids(path.join(mnt, 'wtmp.1'))).toEqual([0, 1, 2]);
      expect(await pids(wtmp)).toEqual([10, 11]);
    } finally {
      execFileSync('umount', [mnt]);
      fs.rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('replaces a temporary archive left by a crashed run instead of refusing to compress', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, logins(0, 3));
    await rotateFile(wtmp, { keep: 2, compress: true });
    fs.writeFileSync(`${wtmp}.2.gz.tenken-tmp`, 'half an archive');
    fs.writeFileSync(wtmp, logins(10, 1));
    const r = await rotateFile(wtmp, { keep: 2, compress: true });
    expect(r.compressed).toEqual([`${wtmp}.2.gz`]);
    expect(fs.readdirSync(dir).sort()).toEqual(['wtmp', 'wtmp.1', 'wtmp.2.gz']);
    expect(await pids(`${wtmp}.2.gz`)).toEqual([0, 1, 2]);
  });

  it('shifts only the backups that exist, up to the first gap, however large --keep is', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(`${wtmp}.1`, logins(100, 1));
    fs.writeFileSync(`${wtmp}.999.gz`, 'oldest');
    fs.writeFileSync(`${wtmp}.1000`, 'beyond');
    fs.writeFileSync(`${wtmp}.1x`, 'not a backup');
    fs.writeFileSync(wtmp, logins(0, 2));
    const started = Date.now();
    const r = await rotateFile(wtmp, { keep: 1000, compress: false });
    expect(Date.now() - started).toBeLessThan(1000);
    // .999.gz and .1000 lie beyond a gap: they stay (shifting them would drop .1000 inside --keep).
    expect(r.removed).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual([
      'wtmp',
      'wtmp.1',
      'wtmp.1000',
      'wtmp.1x',
      'wtmp.2',
      'wtmp.999.gz',
    ]);
    expect(await pids(`${wtmp}.2`)).toEqual([100]);
    expect(fs.readFileSync(`${wtmp}.999.gz`, 'utf8')).toBe('oldest');
    await expect(rotateFile(wtmp, { keep: 1001, compress: false })).rejects.toThrow(
      `Cannot rotate ${wtmp}: --keep must be from 1 to 1000`,
    );
  });

  it('loses no record appended by an updwtmp-like writer while rotating again and again', async () => {
    const wtmp = path.join(dir, 'wtmp');
    fs.writeFileSync(wtmp, '');
    const total = 3000;
    // The writer opens the path for each record without O_CREAT, as glibc's updwtmp does, and counts the
    // times the path was missing (which would drop the record).
    const writer = `
      const fs = require('node:fs');
      const rec = Buffer.alloc(384);
      let missing = 0;
      for (let i = 0; i < ${total}; i++) {
        rec.writeInt16LE(7, 0); rec.writeInt32LE(i, 4); rec.write('pts/1', 8); rec.write('bob', 44);
        rec.writeInt32LE(1700000000 + i, 340);
        try {
          const fd = fs.openSync(${JSON.stringify(wtmp)}, fs.constants.O_WRONLY | fs.constants.O_APPEND);
          fs.writeSync(fd, rec); fs.closeSync(fd);
        } catch (e) { missing++; i--; }
        if (i % 50 === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
      }
      process.stdout.write(String(missing));
    `;
    const child = spawn(process.execPath, ['-e', writer], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    let running = true;
    void done.then(() => {
      running = false;
    });
    let rotations = 0;
    while (running) {
      await rotateFile(wtmp, { keep: 50, compress: rotations % 3 === 0 });
      rotations++;
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(await done).toBe(0);
    expect(out).toBe('0');
    expect(rotations).toBeGreaterThan(3);
    const seen: number[] = [];
    for (const name of fs.readdirSync(dir)) seen.push(...(await pids(path.join(dir, name))));
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
  });
});

/** `n` logins of user `tag` (LIVE, GEN1, ...), as the auditor's fixture has them, pids from `from`. */
const tagged = (tag: string, n: number, from = 0): Uint8Array =>
  encodeRecords(
    Array.from({ length: n }, (_, i) => ({
      type: 7,
      pid: 10_000 + from + i,
      line: 'pts/0',
      user: tag,
      sec: 1_767_225_600 + from + i,
    })),
  );

/** The bytes of a backup as `zcat`/`cat` give them. */
const bytesOf = (file: string): Buffer =>
  file.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(file)) : fs.readFileSync(file);

/**
 * Each file in `d`: its records per user, by the repo's decoder and (as an independent oracle) by util-linux
 * `utmpdump`, which must agree; plus whether two names share an inode and any stray (temporary) file.
 */
async function survey(
  d: string,
): Promise<{ files: Record<string, Record<string, number>>; shared: string[] }> {
  const files: Record<string, Record<string, number>> = {};
  const inodes = new Map<number, string>();
  const shared: string[] = [];
  for (const entry of fs.readdirSync(d).sort()) {
    const file = path.join(d, entry);
    const ino = fs.lstatSync(file).ino;
    const twin = inodes.get(ino);
    if (twin) shared.push(`${twin}=${entry}`);
    inodes.set(ino, entry);
    const ours: Record<string, number> = {};
    const f = await openWtmp(file);
    try {
      for (const r of recordsForward(f)) ours[r.user] = (ours[r.user] ?? 0) + 1;
    } finally {
      f.close();
    }
    const theirs: Record<string, number> = {};
    const dump = execFileSync('utmpdump', [], { input: bytesOf(file), stdio: ['pipe', 'pipe', 'ignore'] });
    for (const row of dump.toString('latin1').split('\n')) {
      const user = row.split('] [')[3]?.trim();
      if (user) theirs[user] = (theirs[user] ?? 0) + 1;
    }
    expect(theirs, `utmpdump of ${entry}`).toEqual(ours);
    files[entry] = ours;
  }
  return { files, shared };
}

/** The auditor's tree: wtmp LIVE:5, wtmp.1 GEN1:4, wtmp.2 GEN2:3, wtmp.3 GEN3:2 (--keep 3). */
function auditTree(): string {
  const log = path.join(dir, 'var/log');
  fs.mkdirSync(log, { recursive: true });
  fs.writeFileSync(path.join(log, 'wtmp'), tagged('LIVE', 5));
  fs.writeFileSync(path.join(log, 'wtmp.1'), tagged('GEN1', 4));
  fs.writeFileSync(path.join(log, 'wtmp.2'), tagged('GEN2', 3));
  fs.writeFileSync(path.join(log, 'wtmp.3'), tagged('GEN3', 2));
  return log;
}

/**
 * What a run killed by SIGKILL at its K-th rename left (strace -e inject=rename:signal=SIGKILL:when=K on the
 * auditor's tree, --keep 3): the new file and the held second name of wtmp made, wtmp.3 unlinked, then the
 * renames .2 → .3, .1 → .2, held → .1 in that order, of which the first K-1 were done.
 */
function killedAtRename(log: string, k: number): void {
  const p = (n: string): string => path.join(log, n);
  fs.writeFileSync(p('.wtmp.tenken-new'), '');
  fs.linkSync(p('wtmp'), p('.wtmp.tenken-old'));
  fs.unlinkSync(p('wtmp.3'));
  const renames: [string, string][] = [
    ['wtmp.2', 'wtmp.3'],
    ['wtmp.1', 'wtmp.2'],
    ['.wtmp.tenken-old', 'wtmp.1'],
  ];
  for (const [from, to] of renames.slice(0, k - 1)) fs.renameSync(p(from), p(to));
}

describe('rotateFile after a rotation killed part-way', () => {
  const afterOneRotation = {
    wtmp: {},
    'wtmp.1': { LIVE: 5 },
    'wtmp.2': { GEN1: 4 },
    'wtmp.3': { GEN2: 3 },
  };

  it('finishes a rotation killed before its last rename (wtmp and wtmp.1 one file) without a duplicate or a lost generation', async () => {
    const log = auditTree();
    killedAtRename(log, 4);
    expect(fs.statSync(path.join(log, 'wtmp')).ino).toBe(fs.statSync(path.join(log, 'wtmp.1')).ino);
    const wtmp = path.join(log, 'wtmp');
    const r = await rotateFile(wtmp, { keep: 3, compress: false, display: '/var/log/wtmp' });
    expect(r).toMatchObject({ recordsBefore: 5, recordsRotated: 5, recordsLive: 0, removed: [] });
    expect(r.repaired).toEqual([
      'finished the rotation an interrupted run left (/var/log/wtmp was also /var/log/wtmp.1)',
    ]);
    expect(await survey(log)).toEqual({ files: afterOneRotation, shared: [] });
    // New logins go to wtmp alone, and the next rotation is a normal one.
    fs.appendFileSync(wtmp, tagged('NEW', 2, 100));
    await rotateFile(wtmp, { keep: 3, compress: false });
    expect(await survey(log)).toEqual({
      files: { wtmp: {}, 'wtmp.1': { NEW: 2 }, 'wtmp.2': { LIVE: 5 }, 'wtmp.3': { GEN1: 4 } },
      shared: [],
    });
  });

  it.each([
    [3, 'after the backups were shifted, before wtmp.1 was made'],
    [2, 'in the middle of the shift (wtmp.2 moved, wtmp.1 not)'],
    [1, 'after the oldest backup was dropped, before any rename'],
  ])('keeps every generation inside --keep when killed at rename %i (%s)', async (k) => {
    const log = auditTree();
    killedAtRename(log, k);
    const r = await rotateFile(path.join(log, 'wtmp'), { keep: 3, compress: false });
    expect(r.repaired).toEqual(['redid the rotation an interrupted run left part-way']);
    expect(await survey(log)).toEqual({ files: afterOneRotation, shared: [] });
  });

  it('removes a backup left beside its complete archive (killed between the rename and the unlink) and compresses the rest', async () => {
    const log = auditTree();
    const wtmp = path.join(log, 'wtmp');
    await rotateFile(wtmp, { keep: 3, compress: false });
    // compressVerified of wtmp.2 killed after rename(wtmp.2.gz.tenken-tmp, wtmp.2.gz), before unlink(wtmp.2).
    fs.writeFileSync(`${wtmp}.2.gz`, zlib.gzipSync(fs.readFileSync(`${wtmp}.2`)));
    fs.appendFileSync(wtmp, tagged('NEW', 2, 100));
    const r = await rotateFile(wtmp, { keep: 3, compress: true, display: '/var/log/wtmp' });
    expect(r.repaired).toEqual([
      'removed /var/log/wtmp.2 (/var/log/wtmp.2.gz holds its bytes: its compression was interrupted)',
    ]);
    expect(r.compressed).toEqual(['/var/log/wtmp.2.gz']);
    expect(r.removed).toEqual(['/var/log/wtmp.3']);
    expect(await survey(log)).toEqual({
      files: { wtmp: {}, 'wtmp.1': { NEW: 2 }, 'wtmp.2.gz': { LIVE: 5 }, 'wtmp.3.gz': { GEN1: 4 } },
      shared: [],
    });
  });

  it('keeps both a backup and an archive of the same number that differ, rotates, and says so in one line', async () => {
    const log = auditTree();
    const wtmp = path.join(log, 'wtmp');
    // An archive of only part of wtmp.2 (its records beyond are in the plain file alone).
    fs.writeFileSync(`${wtmp}.2.gz`, zlib.gzipSync(tagged('GEN2', 1)));
    const err = await rotateFile(wtmp, { keep: 4, compress: true, display: '/var/log/wtmp' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IncompleteRotationError);
    expect((err as Error).message).toBe(
      'Cannot compress /var/log/wtmp.3: /var/log/wtmp.3.gz exists already and holds other bytes (both kept)',
    );
    expect((err as IncompleteRotationError).result).toMatchObject({ recordsRotated: 5 });
    expect(await survey(log)).toEqual({
      files: {
        wtmp: {},
        'wtmp.1': { LIVE: 5 },
        'wtmp.2.gz': { GEN1: 4 },
        'wtmp.3': { GEN2: 3 },
        'wtmp.3.gz': { GEN2: 1 },
        'wtmp.4.gz': { GEN3: 2 },
      },
      shared: [],
    });
  });

  it('removes the second name an older tenken left when it rotated after such a kill (wtmp.1 and wtmp.2 one file)', async () => {
    const log = auditTree();
    const wtmp = path.join(log, 'wtmp');
    // The old rotation from the state above: GEN2 dropped, GEN1 to .3, the live file to .2 and .1.
    fs.unlinkSync(`${wtmp}.3`);
    fs.unlinkSync(`${wtmp}.2`);
    fs.renameSync(`${wtmp}.1`, `${wtmp}.3`);
    fs.renameSync(wtmp, `${wtmp}.1`);
    fs.linkSync(`${wtmp}.1`, `${wtmp}.2`);
    fs.writeFileSync(wtmp, tagged('NEW', 2, 100));
    const r = await rotateFile(wtmp, { keep: 3, compress: false, display: '/var/log/wtmp' });
    expect(r.repaired).toEqual([
      'removed /var/log/wtmp.2 (a second name of /var/log/wtmp.1, left by an interrupted rotation)',
    ]);
    expect(await survey(log)).toEqual({
      files: { wtmp: {}, 'wtmp.1': { NEW: 2 }, 'wtmp.2': { LIVE: 5 }, 'wtmp.3': { GEN1: 4 } },
      shared: [],
    });
  });

  it('refuses, changing nothing, when the held name an interrupted run left is no longer the live file', async () => {
    const log = auditTree();
    const wtmp = path.join(log, 'wtmp');
    fs.linkSync(wtmp, path.join(log, '.wtmp.tenken-old'));
    fs.renameSync(wtmp, path.join(log, 'elsewhere'));
    fs.writeFileSync(wtmp, tagged('NEW', 1, 100));
    fs.unlinkSync(path.join(log, 'elsewhere'));
    await expect(rotateFile(wtmp, { keep: 3, compress: false, display: '/var/log/wtmp' })).rejects.toThrow(
      /^Cannot rotate \/var\/log\/wtmp: \/var\/log\/\.wtmp\.tenken-old, left by an interrupted rotation, is no longer \/var\/log\/wtmp \(its records may be nowhere else/,
    );
    expect((await survey(log)).files).toEqual({
      '.wtmp.tenken-old': { LIVE: 5 },
      wtmp: { NEW: 1 },
      'wtmp.1': { GEN1: 4 },
      'wtmp.2': { GEN2: 3 },
      'wtmp.3': { GEN3: 2 },
    });
  });
});

describe('tenken wtmp rotate', () => {
  it('waits for the run lock a check holds and gives up with exit 3 and one line, rotating nothing', async () => {
    const log = auditTree();
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-rotate-state-'));
    const release = new StateStore(stateDirFor(state, dir)).lock();
    try {
      const run = await runCli(['--root', dir, 'wtmp', 'rotate', '--keep', '3', '--wait', '0'], { state });
      expect(run.stderr).toBe(
        `tenken: Another tenken run holds ${stateDirFor(state, dir)}/lock: pid ${process.pid} is still running\n`,
      );
      expect(run.code).toBe(3);
      expect(run.stdout).toBe('');
      expect((await survey(log)).files).toEqual({
        wtmp: { LIVE: 5 },
        'wtmp.1': { GEN1: 4 },
        'wtmp.2': { GEN2: 3 },
        'wtmp.3': { GEN3: 2 },
      });
    } finally {
      release();
    }
    const run = await runCli(['--root', dir, 'wtmp', 'rotate', '--keep', '3', '--wait', '0'], { state });
    expect(run.code).toBe(0);
    expect(fs.readdirSync(path.join(stateDirFor(state, dir)))).not.toContain('lock');
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('rotates once the run holding the lock has finished, within --wait, and says it waited', async () => {
    const log = auditTree();
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-rotate-state-'));
    const lockDir = stateDirFor(state, dir);
    const release = new StateStore(lockDir).lock();
    setTimeout(release, 300);
    const run = await runCli(['--root', dir, 'wtmp', 'rotate', '--keep', '3', '--wait', '10'], { state });
    expect(run.stderr).toBe(
      `tenken: Another tenken run holds ${lockDir}/lock: pid ${process.pid} is still running: waiting up to 10 s for it to finish\n`,
    );
    expect(run.code).toBe(0);
    expect((await survey(log)).files).toEqual({
      wtmp: {},
      'wtmp.1': { LIVE: 5 },
      'wtmp.2': { GEN1: 4 },
      'wtmp.3': { GEN2: 3 },
    });
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('says the rotation it finished after a killed compression and exits 0', async () => {
    const log = auditTree();
    await rotateFile(path.join(log, 'wtmp'), { keep: 3, compress: false });
    fs.writeFileSync(path.join(log, 'wtmp.2.gz'), zlib.gzipSync(fs.readFileSync(path.join(log, 'wtmp.2'))));
    const run = await runCommand([{ register }], ['wtmp', 'rotate', '--keep', '3', '--compress'], {
      root: dir,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      '/var/log/wtmp: 0 records rotated to /var/log/wtmp.1 (0 there now, 0 in the new file); removed /var/log/wtmp.2 (/var/log/wtmp.2.gz holds its bytes: its compression was interrupted); compressed /var/log/wtmp.2.gz; removed /var/log/wtmp.3\n',
    );
  });

  it('rotates wtmp and btmp under --root and says how many records moved', async () => {
    fs.mkdirSync(path.join(dir, 'var/log'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'var/log/wtmp'), logins(0, 4));
    fs.writeFileSync(path.join(dir, 'var/log/btmp'), logins(0, 2));
    const run = await runCommand([{ register }], ['wtmp', 'rotate', '--keep', '2'], { root: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      '/var/log/wtmp: 4 records rotated to /var/log/wtmp.1 (4 there now, 0 in the new file)\n' +
        '/var/log/btmp: 2 records rotated to /var/log/btmp.1 (2 there now, 0 in the new file)\n',
    );
  });

  it('compresses a backup it cannot decode (verified by bytes), and rotates btmp when wtmp fails', async () => {
    const log = path.join(dir, 'var/log');
    fs.mkdirSync(log, { recursive: true });
    fs.writeFileSync(path.join(log, 'wtmp'), logins(0, 4));
    const junk = Buffer.alloc(4000, 0xff);
    fs.writeFileSync(path.join(log, 'wtmp.1'), junk);
    fs.writeFileSync(path.join(log, 'btmp'), logins(0, 2));
    const run = await runCommand([{ register }], ['wtmp', 'rotate', '--keep', '3', '--compress'], {
      root: dir,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(execFileSync('gzip', ['-dc', path.join(log, 'wtmp.2.gz')])).toEqual(junk);
    expect(fs.existsSync(path.join(log, 'btmp.1'))).toBe(true);
    // A wtmp that cannot be compressed (an archive of that name exists): said with the file's name, and btmp
    // is rotated all the same.
    fs.writeFileSync(path.join(log, 'wtmp.2'), logins(10, 1));
    fs.writeFileSync(path.join(log, 'btmp'), logins(0, 3));
    const again = await runCommand([{ register }], ['wtmp', 'rotate', '--keep', '4', '--compress'], {
      root: dir,
    });
    expect(again.stderr).toBe(
      'tenken: Cannot compress /var/log/wtmp.3: /var/log/wtmp.3.gz exists already and holds other bytes (both kept)\n',
    );
    expect(again.code).toBe(3);
    // The rotation itself was done, and is said.
    expect(again.stdout).toContain('/var/log/wtmp: 0 records rotated to /var/log/wtmp.1');
    expect(again.stdout).toContain('/var/log/btmp: 3 records rotated to /var/log/btmp.1');
    expect(await pids(path.join(log, 'btmp.1'))).toEqual([0, 1, 2]);
  });

  it('rejects --keep 0', async () => {
    const run = await runCommand([{ register }], ['wtmp', 'rotate', '--keep', '0'], { root: dir });
    expect(run.stderr).toBe("tenken: Cannot rotate: --keep must be a whole number from 1 to 1000, not '0'\n");
    expect(run.code).toBe(3);
  });

  it('rejects a --keep too large to be meant (it used to probe every number up to it) at once', async () => {
    fs.mkdirSync(path.join(dir, 'var/log'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'var/log/wtmp'), logins(0, 1));
    const started = Date.now();
    const run = await runCommand([{ register }], ['wtmp', 'rotate', '--keep', '100000000'], { root: dir });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(run.stderr).toBe(
      "tenken: Cannot rotate: --keep must be a whole number from 1 to 1000, not '100000000'\n",
    );
    expect(run.code).toBe(3);
    expect(fs.readdirSync(path.join(dir, 'var/log'))).toEqual(['wtmp']);
  });
});
