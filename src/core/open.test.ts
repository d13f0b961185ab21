import { makeFifo } from '../../test/helpers/fifo.ts';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRegular, openRegularSync, readRegularFile, readRegularFileSync } from './open.ts';

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
