import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_ROOT, runCli, tempDir } from '../../test/helpers/cli.ts';
import { writeFileAtomic } from './atomic.ts';
import { StateStore, stateDirFor } from './store.ts';

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp file behind', () => {
    const dir = tempDir();
    const f = path.join(dir, 'x.json');
    writeFileAtomic(f, 'one');
    writeFileAtomic(f, 'two');
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(existsSync(path.join(dir, `.x.json.${process.pid}`))).toBe(false);
  });

  it('refuses to write through a symbolic link', () => {
    const dir = tempDir();
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, path.join(dir, 'logs.json'));
    expect(() => writeFileAtomic(path.join(dir, 'logs.json'), 'evil')).toThrow(/symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
  });

  it('says what failed and why when the directory is missing', () => {
    expect(() => writeFileAtomic('/nonexistent-dir/x.json', 'a')).toThrow(
      /^Cannot write \/nonexistent-dir\/x\.json: no such file or directory$/,
    );
  });
});

describe('StateStore', () => {
  it('treats a corrupt state file as absent and reports it', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'logs.json'), '{"half": ');
    const s = new StateStore(dir);
    expect(s.read('logs')).toBeUndefined();
    expect(s.problems[0]?.reason).toMatch(/not valid JSON/);
  });

  it('locks runs against each other and takes over a stale lock', () => {
    const dir = tempDir();
    const s = new StateStore(dir);
    const release = s.lock();
    expect(() => new StateStore(dir).lock()).toThrow(new RegExp(`pid ${process.pid} is still running`));
    release();
    writeFileSync(path.join(dir, 'lock'), '999999999\n');
    const again = new StateStore(dir).lock();
    expect(readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    again();
    expect(existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('counts a lock without a pid (written on a full disk) as held for an hour, then takes it over', () => {
    const dir = tempDir();
    const lock = path.join(dir, 'lock');
    writeFileSync(lock, '');
    expect(() => new StateStore(dir).lock()).toThrow(
      /holds .*lock: taken at .* without a pid \(a full disk\?\)$/,
    );
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(lock, old, old);
    const release = new StateStore(dir).lock();
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(existsSync(lock)).toBe(false);
  });

  it('refuses a state base or its roots directory that is a symbolic link when --root is given', () => {
    const dir = tempDir();
    const real = path.join(dir, 'real');
    mkdirSync(real);
    const link = path.join(dir, 'statelink');
    symlinkSync(real, link);
    expect(() => new StateStore(stateDirFor(link, '/srv/demo')).lock()).toThrow(
      new RegExp(`^Cannot use state directory ${link}: it is a symbolic link$`),
    );
    const base = path.join(dir, 'base');
    mkdirSync(base);
    symlinkSync(real, path.join(base, 'roots'));
    expect(() => new StateStore(stateDirFor(base, '/srv/demo')).commit('logs', {})).toThrow(
      new RegExp(`^Cannot use state directory ${base}/roots: it is a symbolic link$`),
    );
    expect(readdirSync(real)).toEqual([]);
  });

  it('check --root with --state a symbolic link says so in one line and writes nothing through it', async () => {
    const dir = tempDir();
    const real = path.join(dir, 'real');
    mkdirSync(real);
    const link = path.join(dir, 'statelink');
    symlinkSync(real, link);
    const r = await runCli(['--root', DEMO_ROOT, 'check'], { state: link });
    expect(r.stderr).toBe(`tenken: Cannot use state directory ${link}: it is a symbolic link\n`);
    expect(r.code).toBe(3);
    expect(readdirSync(real)).toEqual([]);
  });

  it('keeps a --root tree apart from the live host', () => {
    expect(stateDirFor('/var/lib/tenken', '/')).toBe('/var/lib/tenken');
    expect(stateDirFor('/var/lib/tenken', '/srv/demo')).toMatch(
      /^\/var\/lib\/tenken\/roots\/demo-[0-9a-f]{12}$/,
    );
  });
});
