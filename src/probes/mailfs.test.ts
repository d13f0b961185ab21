import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEntry, type MailEntry, MailboxRefusal, MailDirectory } from './mailfs.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-mailfs-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function opened(p: string): Promise<MailDirectory> {
  const d = await MailDirectory.open(p, p);
  if (d === null) throw new Error(`${p} missing`);
  return d;
}

async function entryOf(d: MailDirectory, name: string): Promise<MailEntry> {
  const e = await d.entry(name);
  if (e === null || !isEntry(e)) throw new Error(`${name}: ${JSON.stringify(e)}`);
  return e;
}

describe('a mailbox directory worked through its descriptor', () => {
  it('removes the entry from the directory it opened, though its path now leads to another directory', async () => {
    const cur = path.join(dir, 'cur');
    const other = path.join(dir, 'etc');
    fs.mkdirSync(cur);
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(cur, 'msg'), 'mail');
    fs.writeFileSync(path.join(other, 'msg'), 'victim');
    const d = await opened(cur);
    try {
      const e = await entryOf(d, 'msg');
      expect(await d.read(e, 0, 100)).toBe('mail');
      fs.renameSync(cur, `${cur}.real`);
      fs.symlinkSync(other, cur);
      expect(await d.remove(e)).toBe(true);
    } finally {
      await d.close();
    }
    expect(fs.readFileSync(path.join(other, 'msg'), 'utf8')).toBe('victim');
    expect(fs.readdirSync(`${cur}.real`)).toEqual([]);
  });

  it('neither reads nor removes a file put in place of the one looked at', async () => {
    fs.writeFileSync(path.join(dir, 'msg'), 'mail');
    const d = await opened(dir);
    try {
      const e = await entryOf(d, 'msg');
      fs.renameSync(path.join(dir, 'msg'), path.join(dir, 'msg.old'));
      fs.writeFileSync(path.join(dir, 'msg'), 'another');
      expect(await d.read(e, 0, 100)).toEqual({ name: 'msg', why: 'replaced while being read' });
      expect(await d.remove(e)).toBe(false);
      expect(fs.readFileSync(path.join(dir, 'msg'), 'utf8')).toBe('another');
    } finally {
      await d.close();
    }
  });

  it('says what is not a regular file, without opening it', async () => {
    fs.symlinkSync('/etc/passwd', path.join(dir, 'link'));
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    fs.mkdirSync(path.join(dir, 'sub'));
    const d = await opened(dir);
    try {
      expect(await d.entry('link')).toEqual({
        name: 'link',
        why: 'a symbolic link (never followed inside a mailbox)',
      });
      expect(await d.entry('fifo')).toEqual({ name: 'fifo', why: 'a FIFO (not a regular file)' });
      expect(await d.entry('sub')).toEqual({ name: 'sub', why: 'a directory' });
      expect(await d.entry('gone')).toBeNull();
      await expect(d.entry('../x')).rejects.toBeInstanceOf(MailboxRefusal);
    } finally {
      await d.close();
    }
  });

  it('refuses a subdirectory that is a link, and says a missing one is missing', async () => {
    fs.symlinkSync(os.tmpdir(), path.join(dir, 'new'));
    const d = await opened(dir);
    try {
      await expect(d.sub('new')).rejects.toThrow(
        new MailboxRefusal(`${dir}/new`, 'a symbolic link (never followed inside a mailbox)'),
      );
      expect(await d.sub('cur')).toBeNull();
    } finally {
      await d.close();
    }
    expect(await MailDirectory.open(path.join(dir, 'none'), 'x')).toBeNull();
  });

  it.runIf(process.geteuid?.() === 0)(
    "takes in a user's directory only that user's files; in root's spool, any user's (needs root: chown)",
    async () => {
      const home = path.join(dir, 'home');
      fs.mkdirSync(home);
      fs.chownSync(home, 65534, 65534);
      fs.writeFileSync(path.join(home, 'mine'), '');
      fs.chownSync(path.join(home, 'mine'), 65534, 65534);
      fs.writeFileSync(path.join(home, 'roots'), '');
      const d = await opened(home);
      try {
        expect(isEntry((await d.entry('mine')) ?? { name: '', why: '' })).toBe(true);
        expect(await d.entry('roots')).toEqual({
          name: 'roots',
          why: `owned by root (uid 0), not by nobody (uid 65534) who owns ${home}`,
        });
      } finally {
        await d.close();
      }
      fs.chmodSync(dir, 0o755);
      const spool = await opened(dir);
      try {
        expect(isEntry((await spool.entry('home')) ?? { name: '', why: '' })).toBe(false); // a directory
        fs.writeFileSync(path.join(dir, 'alice'), '');
        fs.chownSync(path.join(dir, 'alice'), 65534, 65534);
        expect(isEntry((await spool.entry('alice')) ?? { name: '', why: '' })).toBe(true);
        fs.chmodSync(dir, 0o1777); // world-writable: anyone could have put it there
        const open = await opened(dir);
        try {
          expect(await open.entry('alice')).toMatchObject({ why: /^owned by nobody/ });
        } finally {
          await open.close();
        }
      } finally {
        await spool.close();
      }
    },
  );
});
