import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { displayPath } from '../../core/host.ts';
import { logsConfig } from '../config.ts';
import type { Cursor } from '../cursor.ts';
import { compileRules } from '../scan/rules.ts';
import { familyOf } from './family.ts';
import { expandGlob } from './glob.ts';
import { readSource, readWholeFile, type SourceReadOptions } from './source.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A scratch `root/` (the inspected image) and `outside` (an absolute path that exists on the auditing machine
 * too, as `/data/log` would on both): the image's links to `outside` mean `root/<outside>`.
 */
function scratch(): { root: string; outside: string; image: string } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'tenken-logroot-'));
  dirs.push(base);
  const root = path.join(base, 'root');
  const outside = path.join(base, 'data/log');
  const image = path.join(root, outside);
  mkdirSync(outside, { recursive: true });
  mkdirSync(image, { recursive: true });
  mkdirSync(path.join(root, 'var'), { recursive: true });
  return { root, outside, image };
}

const rules = compileRules(logsConfig.parse({}));

function options(root: string, cursors?: Cursor[]): SourceReadOptions {
  return {
    rules,
    mode: cursors ? { kind: 'resume', cursors } : { kind: 'all' },
    identity: { fpBytes: 1024, tailBytes: 1024 },
    countLines: true,
    consumeTrailing: false,
    display: (p) => displayPath({ root }, p),
    root,
  };
}

/** Every matching line read, with the host path of the file it came from. */
async function linesOf(live: string, opts: SourceReadOptions) {
  const got: string[] = [];
  const r = await readSource(live, opts, (hit, file) => got.push(`${opts.display(file.path)}: ${hit.text}`));
  return { got, r };
}

describe('logs under --root: the image’s links resolve inside the image', () => {
  it('reads /var/log -> /data/log (absolute) as the image’s /data/log, rotated family and .gz included', async () => {
    const { root, outside, image } = scratch();
    symlinkSync(outside, path.join(root, 'var/log'));
    writeFileSync(path.join(image, 'syslog'), 'image live error\n');
    writeFileSync(path.join(image, 'syslog.1'), 'image older error\n');
    writeFileSync(path.join(image, 'syslog.2.gz'), gzipSync('image oldest error\n'));
    // The auditing machine's own /data/log, which the old code read instead.
    writeFileSync(path.join(outside, 'syslog'), 'HOST error\n');
    writeFileSync(path.join(outside, 'syslog.1'), 'HOST older error\n');
    const live = path.join(root, 'var/log/syslog');
    const { got, r } = await linesOf(live, options(root));
    expect(got).toEqual([
      '/var/log/syslog.2.gz: image oldest error',
      '/var/log/syslog.1: image older error',
      '/var/log/syslog: image live error',
    ]);
    // Cursors: host paths as the image names them, identity of the file actually read.
    const liveCursor = r.cursors.find((c) => c.path === '/var/log/syslog');
    const st = statSync(path.join(image, 'syslog'));
    expect(liveCursor).toMatchObject({ dev: st.dev, ino: st.ino });
    // And they resume there: a line appended to the image's file is the only one read next.
    writeFileSync(path.join(image, 'syslog'), 'image live error\nimage next error\n');
    expect((await linesOf(live, options(root, r.cursors))).got).toEqual([
      '/var/log/syslog: image next error',
    ]);
  });

  it('reads the live name’s link target (`auth.log -> /srv/x/auth.log`) and its rotated siblings in the image', async () => {
    const { root, outside, image } = scratch();
    mkdirSync(path.join(root, 'var/log'));
    symlinkSync(path.join(outside, 'auth.log'), path.join(root, 'var/log/auth.log'));
    writeFileSync(path.join(image, 'auth.log'), 'image auth error\n');
    writeFileSync(path.join(image, 'auth.log.1'), 'image auth older error\n');
    writeFileSync(path.join(outside, 'auth.log'), 'HOST auth error\n');
    writeFileSync(path.join(outside, 'auth.log.1'), 'HOST auth older error\n');
    const { got } = await linesOf(path.join(root, 'var/log/auth.log'), options(root));
    expect(got).toEqual([
      `${outside}/auth.log.1: image auth older error`,
      '/var/log/auth.log: image auth error',
    ]);
  });

  it('stops a relative link climbing with `..` at the root', async () => {
    const { root, outside, image } = scratch();
    mkdirSync(path.join(root, 'var/log'));
    // From root/var/log, `../../../../../../..` climbs past the root on the old code: to the host's file.
    symlinkSync(`../../../../../../../../..${outside}/syslog`, path.join(root, 'var/log/syslog'));
    writeFileSync(path.join(image, 'syslog'), 'image error\n');
    writeFileSync(path.join(outside, 'syslog'), 'HOST error\n');
    const { got } = await linesOf(path.join(root, 'var/log/syslog'), options(root));
    expect(got).toEqual(['/var/log/syslog: image error']);
    // A file named on the command line (`scan /var/log/syslog` under --root) too.
    const whole: string[] = [];
    await readWholeFile(path.join(root, 'var/log/syslog'), options(root), (hit) => whole.push(hit.text));
    expect(whole).toEqual(['image error']);
  });

  it('expands a glob through a linked directory inside the image, paths as the image names them', async () => {
    const { root, outside, image } = scratch();
    symlinkSync(outside, path.join(root, 'var/log'));
    writeFileSync(path.join(image, 'mgetty.ttyS0'), 'x\n');
    writeFileSync(path.join(outside, 'mgetty.ttyS9'), 'host\n');
    expect(await expandGlob(path.join(root, 'var/log/mgetty.*'), root)).toEqual([
      path.join(root, 'var/log/mgetty.ttyS0'),
    ]);
    expect((await familyOf(path.join(root, 'var/log/mgetty.ttyS0'), root)).map((m) => m.path)).toEqual([
      path.join(root, 'var/log/mgetty.ttyS0'),
    ]);
  });

  it('leaves the live host as it was: its links are the kernel’s', async () => {
    const { outside } = scratch();
    const base = path.dirname(path.dirname(outside));
    const linked = path.join(base, 'linked');
    symlinkSync(outside, linked);
    writeFileSync(path.join(outside, 'syslog'), 'HOST error\n');
    const { got } = await linesOf(path.join(linked, 'syslog'), options('/'));
    expect(got).toEqual([`${linked}/syslog: HOST error`]);
  });
});
