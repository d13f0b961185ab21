import { makeFifo } from '../../test/helpers/fifo.ts';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  linkTrusted,
  openDirectory,
  openRegular,
  openRegularSync,
  readRegularFile,
  readRegularFileSync,
} from './open.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-open-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function fifo(name: string): string {
  const p = path.join(dir, name);
  makeFifo(p);
  return p;
}

describe('opening input files', () => {
  it('reads a regular file', async () => {
    const p = path.join(dir, 'plain');
    fs.writeFileSync(p, 'hello\n');
    expect(readRegularFileSync(p, 'utf8')).toBe('hello\n');
    expect(readRegularFileSync(p).length).toBe(6);
    const { handle } = await openRegular(p);
    expect(await handle.readFile({ encoding: 'utf8' })).toBe('hello\n');
    await handle.close();
    const { fd, stat } = openRegularSync(p);
    fs.closeSync(fd);
    expect(stat.size).toBe(6);
  });

  it('refuses a FIFO at once instead of waiting for a writer (sync and async)', {
    timeout: 5000,
  }, async () => {
    const p = fifo('pipe');
    expect(() => openRegularSync(p)).toThrow('not a regular file');
    expect(() => readRegularFileSync(p, 'utf8')).toThrow('not a regular file');
    await expect(openRegular(p)).rejects.toThrow('not a regular file');
    await expect(openRegular(p)).rejects.toMatchObject({ code: 'ENOTREG' });
  });

  it('with follow: false refuses a symbolic link at the path (ELOOP) and reads a regular file', async () => {
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'secret\n');
    const link = path.join(dir, 'link');
    fs.symlinkSync(target, link);
    expect(readRegularFileSync(link, 'utf8')).toBe('secret\n');
    expect(() => readRegularFileSync(link, 'utf8', { follow: false })).toThrow(
      expect.objectContaining({ code: 'ELOOP' }),
    );
    await expect(readRegularFile(link, 'utf8', { follow: false })).rejects.toMatchObject({ code: 'ELOOP' });
    expect(await readRegularFile(target, 'utf8', { follow: false })).toBe('secret\n');
    await expect(readRegularFile(fifo('pipe2'), 'utf8')).rejects.toThrow('not a regular file');
  });

  it('refuses a directory as "is a directory" and a device as not a regular file', () => {
    expect(() => openRegularSync(dir)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => openRegularSync('/dev/null')).toThrow('not a regular file');
  });

  it('refuses a socket', { timeout: 5000 }, async () => {
    const p = path.join(dir, 'sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(p, resolve));
    try {
      // open() of a socket fails (ENXIO): said as what it is.
      expect(() => openRegularSync(p)).toThrow('not a regular file');
      await expect(openRegular(p)).rejects.toThrow('not a regular file');
    } finally {
      server.close();
    }
  });

  it('passes on the system error for a missing file', () => {
    expect(() => openRegularSync(path.join(dir, 'missing'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});

describe('the trust rule for symbolic links (protected_symlinks)', () => {
  const root = process.geteuid?.() === 0;
  const why = 'needs root: the links are given to another user with lchown';
  /** A root-only file and a link to it given to `uid` (nobody). */
  function planted(name: string, uid: number): { link: string; secret: string } {
    const secret = path.join(dir, `${name}-secret`);
    fs.writeFileSync(secret, 'root:Hunter2\n', { mode: 0o600 });
    const link = path.join(dir, `${name}.log`);
    fs.symlinkSync(secret, link);
    fs.lchownSync(link, uid, uid);
    return { link, secret };
  }

  it('is pure: root, the running user or the target owner own a trusted link', () => {
    expect(linkTrusted(0, 0, 1000)).toBe(true);
    expect(linkTrusted(13, 13, 0)).toBe(true);
    expect(linkTrusted(1000, 0, 1000)).toBe(true);
    expect(linkTrusted(13, 0, 0)).toBe(false);
  });

  it.runIf(root)(
    `refuses a link another user planted to a root-only file, naming its owner (${why})`,
    async () => {
      const { link } = planted('planted', 65534);
      const refused =
        /^a symbolic link owned by (?:\S+ \()?uid 65534\)? to a file it does not own \(refusing to follow it\)$/;
      expect(() => readRegularFileSync(link, 'utf8')).toThrow(refused);
      await expect(readRegularFile(link, 'utf8')).rejects.toMatchObject({ code: 'EUNTRUSTEDLINK' });
      await expect(openRegular(link)).rejects.toThrow(refused);
      // A path the admin typed may be followed.
      expect(readRegularFileSync(link, 'utf8', { follow: true })).toBe('root:Hunter2\n');
    },
  );

  it.runIf(root)(
    `refuses a root-owned link to a planted one: every link of a chain is judged (${why})`,
    () => {
      const { link } = planted('chain', 65534);
      const outer = path.join(dir, 'chain-outer.log');
      fs.symlinkSync(link, outer);
      expect(() => readRegularFileSync(outer, 'utf8')).toThrow(/uid 65534/);
    },
  );

  it.runIf(root)(
    `follows a root-owned link (an admin's ln -s) and one owned by its target's owner (${why})`,
    async () => {
      const { link } = planted('admin', 0);
      expect(readRegularFileSync(link, 'utf8')).toBe('root:Hunter2\n');
      const own = planted('own', 65534);
      fs.chownSync(own.secret, 65534, 65534);
      expect(readRegularFileSync(own.link, 'utf8')).toBe('root:Hunter2\n');
      const { handle } = await openRegular(own.link);
      await handle.close();
    },
  );
});

describe('opening a directory for work through its descriptor', () => {
  it('opens a directory, and refuses a file as not a directory', async () => {
    const d = path.join(dir, 'a-dir');
    fs.mkdirSync(d);
    const { handle, stat } = await openDirectory(d);
    try {
      expect(stat.isDirectory()).toBe(true);
      expect(fs.readdirSync(`/proc/self/fd/${handle.fd}`)).toEqual([]);
    } finally {
      await handle.close();
    }
    fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
    await expect(openDirectory(path.join(dir, 'not-a-dir'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('with follow: false refuses a link to a directory (ELOOP)', async () => {
    fs.mkdirSync(path.join(dir, 'real-dir'));
    fs.symlinkSync(path.join(dir, 'real-dir'), path.join(dir, 'dir-link'));
    await expect(openDirectory(path.join(dir, 'dir-link'), { follow: false })).rejects.toMatchObject({
      code: 'ELOOP',
    });
  });

  it.runIf(process.geteuid?.() === 0)(
    'refuses a link another user planted to a root directory (needs root: lchown)',
    async () => {
      const target = path.join(dir, 'root-dir');
      fs.mkdirSync(target);
      const l = path.join(dir, 'planted-dir');
      fs.symlinkSync(target, l);
      fs.lchownSync(l, 65534, 65534);
      await expect(openDirectory(l)).rejects.toMatchObject({ code: 'EUNTRUSTEDLINK' });
    },
  );
});

describe('the trust rule for directories on the path', () => {
  it.runIf(process.geteuid?.() === 0)(
    'refuses a file reached through a directory link another user planted, follows an admin one (needs root: lchown)',
    async () => {
      const secretDir = path.join(dir, 'rootonly');
      fs.mkdirSync(secretDir, { mode: 0o700 });
      fs.writeFileSync(path.join(secretDir, 'access.log'), 'root:Hunter2\n', { mode: 0o600 });
      const planted = path.join(dir, 'squid');
      fs.symlinkSync(secretDir, planted);
      fs.lchownSync(planted, 65534, 65534);
      expect(() => readRegularFileSync(path.join(planted, 'access.log'), 'utf8')).toThrow(/uid 65534/);
      await expect(readRegularFile(path.join(planted, 'access.log'), 'utf8')).rejects.toMatchObject({
        code: 'EUNTRUSTEDLINK',
      });
      const admin = path.join(dir, 'squid-admin');
      fs.symlinkSync(secretDir, admin);
      expect(readRegularFileSync(path.join(admin, 'access.log'), 'utf8')).toBe('root:Hunter2\n');
    },
  );
});

describe('opening under --root (the `root` option): links resolve inside the tree', () => {
  /** `root/` (the image) and `outside`, an absolute path the auditing machine has too, each with a wtmp. */
  function image(): { root: string; outside: string } {
    const base = fs.mkdtempSync(path.join(dir, 'tree-'));
    const root = path.join(base, 'root');
    const outside = path.join(base, 'data/log');
    fs.mkdirSync(outside, { recursive: true });
    fs.mkdirSync(path.join(root, outside), { recursive: true });
    fs.mkdirSync(path.join(root, 'var'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'wtmp'), 'HOST\n');
    fs.writeFileSync(path.join(root, outside, 'wtmp'), 'image\n');
    return { root, outside };
  }

  it('opens the image’s file through an absolute directory link (sync and async), never the host’s', async () => {
    const { root, outside } = image();
    fs.symlinkSync(outside, path.join(root, 'var/log'));
    const p = path.join(root, 'var/log/wtmp');
    expect(readRegularFileSync(p, 'utf8', { root })).toBe('image\n');
    expect(await readRegularFile(p, 'utf8', { root })).toBe('image\n');
    // A path the admin typed follows links too, inside the tree.
    expect(readRegularFileSync(p, 'utf8', { root, follow: true })).toBe('image\n');
    // Without the root (the live host's rule) the kernel follows the link out of the tree.
    expect(readRegularFileSync(p, 'utf8')).toBe('HOST\n');
  });

  it('resolves a link at the name itself, absolute or climbing with `..`, inside the tree', () => {
    const { root, outside } = image();
    fs.mkdirSync(path.join(root, 'var/log'));
    const abs = path.join(root, 'var/log/wtmp');
    fs.symlinkSync(path.join(outside, 'wtmp'), abs);
    expect(readRegularFileSync(abs, 'utf8', { root })).toBe('image\n');
    const climbing = path.join(root, 'var/log/btmp');
    fs.symlinkSync(`../../../../../../../../../..${outside}/wtmp`, climbing);
    expect(readRegularFileSync(climbing, 'utf8', { root })).toBe('image\n');
    // follow: false refuses a link at the name, as on the live host.
    expect(() => readRegularFileSync(abs, 'utf8', { root, follow: false })).toThrow(
      expect.objectContaining({ code: 'ELOOP' }),
    );
  });

  it('never opens a file outside the tree while a directory is swapped for a link to the host’s', async () => {
    const { root, outside } = image();
    const log = path.join(root, 'var/log');
    fs.mkdirSync(`${log}.dir`);
    fs.writeFileSync(path.join(`${log}.dir`, 'wtmp'), 'image\n');
    fs.symlinkSync(outside, `${log}.link`);
    // Another process swaps var/log between the image's directory and a link out of the tree, as fast as
    // it can: the resolution and the open race it.
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const l = ${JSON.stringify(log)};
         for (;;) { fs.renameSync(l + '.dir', l); fs.renameSync(l, l + '.dir');
                    fs.renameSync(l + '.link', l); fs.renameSync(l, l + '.link'); }`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const seen = new Set<string>();
      const end = Date.now() + 1500;
      while (Date.now() < end) {
        try {
          seen.add(readRegularFileSync(path.join(log, 'wtmp'), 'utf8', { root }));
        } catch (err) {
          seen.add(String((err as NodeJS.ErrnoException).code));
        }
        try {
          seen.add(await readRegularFile(path.join(log, 'wtmp'), 'utf8', { root }));
        } catch (err) {
          seen.add(String((err as NodeJS.ErrnoException).code));
        }
      }
      expect(seen.has('HOST\n')).toBe(false);
      expect(seen.has('image\n')).toBe(true);
    } finally {
      swapper.kill();
    }
  });
});
