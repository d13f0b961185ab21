import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/cli.ts';
import { writeFileAtomic, writeOutputFile } from './atomic.ts';

describe('writeOutputFile', () => {
  it('writes into a character device in place and leaves /dev/null a character device', () => {
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    writeOutputFile('/dev/null', 'the report\n');
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('refuses a FIFO with a one-line message and leaves it a FIFO', () => {
    const fifo = path.join(tempDir(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(() => writeOutputFile(fifo, 'x')).toThrow(
      new RegExp(`^Cannot write ${fifo}: not a regular file$`),
    );
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('writes a regular file atomically and refuses a directory', () => {
    const dir = tempDir();
    const out = path.join(dir, 'report.txt');
    writeFileSync(out, 'old');
    writeOutputFile(out, 'new');
    expect(readFileSync(out, 'utf8')).toBe('new');
    expect(statSync(out).mode & 0o777).toBe(0o644);
    mkdirSync(path.join(dir, 'sub'));
    expect(() => writeOutputFile(path.join(dir, 'sub'), 'x')).toThrow(/: is a directory$/);
  });
});

describe('writeFileAtomic', () => {
  it('refuses to replace a FIFO (or any file that is not regular)', () => {
    const fifo = path.join(tempDir(), 'logs.json');
    execFileSync('mkfifo', [fifo]);
    expect(() => writeFileAtomic(fifo, '{}')).toThrow(`Cannot write ${fifo}: not a regular file`);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});

describe('temp files of a killed writer', () => {
  it('are removed by the next write of the same file; a live writer’s temp and other files stay', () => {
    const dir = tempDir();
    const state = path.join(dir, 'logs.json');
    const dead = spawnSync('true').pid; // exited and reaped: a run killed by kill -9
    const stale = [`.logs.json.${dead}.m1abc.tmp`, `.logs.json.${dead}.m1abd.tmp`];
    const kept = [`.logs.json.${process.ppid}.m1abe.tmp`, '.attacks.json.1.m1.tmp', 'logs.json.bak'];
    for (const name of [...stale, ...kept]) writeFileSync(path.join(dir, name), '{"half":');
    writeFileAtomic(state, '{}');
    expect(readdirSync(dir).sort()).toEqual([...kept, 'logs.json'].sort());
    // the same for a report written with -o
    const out = path.join(dir, 'report.txt');
    writeFileSync(path.join(dir, `.report.txt.${dead}.m1abf.tmp`), 'half a report');
    writeOutputFile(out, 'the report\n');
    expect(readdirSync(dir).filter((n) => n.startsWith('.report.txt.'))).toEqual([]);
  });
});
