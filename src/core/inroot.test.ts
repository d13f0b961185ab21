import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHost } from './host.ts';
import { MAX_LINK_HOPS, resolveInRoot } from './inroot.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A scratch directory holding `root/` (the inspected tree) and `outside/` (the auditing machine's files). */
function scratch(): { root: string; outside: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-inroot-'));
  dirs.push(base);
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'etc/squid/conf.d'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'accel.conf'), 'outside\n');
  return { root, outside };
}

const read = (file: string) => fs.readFileSync(file, 'utf8');

describe('resolveInRoot: symbolic links resolved inside --root, as a chroot would', () => {
  it('reads an absolute link as a path of the tree, never of the auditing machine', () => {
    const { root, outside } = scratch();
    fs.writeFileSync(path.join(root, 'etc/squid/real.conf'), 'inside\n');
    // The same absolute path exists on the auditing machine (outside): the tree's own file is meant.
    fs.mkdirSync(path.join(outside, 'etc/squid'), { recursive: true });
    fs.symlinkSync('/etc/squid/real.conf', path.join(root, 'etc/squid/squid.conf'));
    const got = resolveInRoot(makeHost({ root, name: 'x' }), '/etc/squid/squid.conf');
    expect(got).toBe(path.join(root, 'etc/squid/real.conf'));
    expect(read(got)).toBe('inside\n');
    // A link to a file that only exists outside the tree resolves to a missing file inside it.
    fs.symlinkSync(path.join(outside, 'accel.conf'), path.join(root, 'etc/squid/out.conf'));
    const out = resolveInRoot(makeHost({ root, name: 'x' }), '/etc/squid/out.conf');
    expect(out.startsWith(`${root}/`)).toBe(true);
    expect(() => read(out)).toThrow(/ENOENT/);
  });

  it('stops a relative `../../..` target, and `..` in the path itself, at the root', () => {
    const { root } = scratch();
    fs.writeFileSync(path.join(root, 'accel.conf'), 'top of the tree\n');
    fs.symlinkSync('../../../../../../../../accel.conf', path.join(root, 'etc/squid/squid.conf'));
    const host = makeHost({ root, name: 'x' });
    expect(resolveInRoot(host, '/etc/squid/squid.conf')).toBe(path.join(root, 'accel.conf'));
    expect(resolveInRoot(host, '/../../../../accel.conf')).toBe(path.join(root, 'accel.conf'));
  });

  it('follows a link to a directory and resolves the rest of the path after it, physically', () => {
    const { root } = scratch();
    fs.mkdirSync(path.join(root, 'srv/squid'), { recursive: true });
    fs.writeFileSync(path.join(root, 'srv/squid/site.conf'), 'site\n');
    fs.writeFileSync(path.join(root, 'srv/top.conf'), 'top\n');
    fs.symlinkSync('/srv/squid', path.join(root, 'etc/squid/sites'));
    const host = makeHost({ root, name: 'x' });
    expect(read(resolveInRoot(host, '/etc/squid/sites/site.conf'))).toBe('site\n');
    // `..` after a link climbs from its target, as the kernel does (not back to /etc/squid).
    expect(read(resolveInRoot(host, '/etc/squid/sites/../top.conf'))).toBe('top\n');
    expect(fs.readdirSync(resolveInRoot(host, '/etc/squid/sites'))).toEqual(['site.conf']);
  });

  it('refuses links that loop or chain past the kernel’s bound (ELOOP), without hanging', () => {
    const { root } = scratch();
    fs.symlinkSync('b.conf', path.join(root, 'etc/squid/a.conf'));
    fs.symlinkSync('/etc/squid/a.conf', path.join(root, 'etc/squid/b.conf'));
    const host = makeHost({ root, name: 'x' });
    expect(() => resolveInRoot(host, '/etc/squid/a.conf')).toThrow(
      expect.objectContaining({ code: 'ELOOP', message: 'too many levels of symbolic links' }),
    );
    // A chain just within the bound resolves.
    fs.writeFileSync(path.join(root, 'etc/squid/l0'), 'end\n');
    for (let i = 1; i <= MAX_LINK_HOPS; i++) fs.symlinkSync(`l${i - 1}`, path.join(root, `etc/squid/l${i}`));
    expect(read(resolveInRoot(host, `/etc/squid/l${MAX_LINK_HOPS}`))).toBe('end\n');
    fs.symlinkSync(`l${MAX_LINK_HOPS}`, path.join(root, 'etc/squid/l-over'));
    expect(() => resolveInRoot(host, '/etc/squid/l-over')).toThrow(
      expect.objectContaining({ code: 'ELOOP' }),
    );
  });

  it('leaves a missing component for the open to report (ENOENT, not a guess)', () => {
    const { root } = scratch();
    const host = makeHost({ root, name: 'x' });
    const got = resolveInRoot(host, '/etc/nothere/../squid/squid.conf');
    expect(got).toBe(`${path.join(root, 'etc/nothere')}/../squid/squid.conf`);
    expect(() => read(got)).toThrow(/ENOENT/);
  });

  it.runIf(process.geteuid?.() === 0)(
    'applies the link trust rule inside the tree: another user’s link to a root file is refused (needs root: lchown)',
    () => {
      const { root } = scratch();
      fs.writeFileSync(path.join(root, 'etc/shadow'), 'secret\n');
      const link = path.join(root, 'etc/squid/squid.conf');
      fs.symlinkSync('/etc/shadow', link);
      fs.lchownSync(link, 65534, 65534);
      expect(() => resolveInRoot(makeHost({ root, name: 'x' }), '/etc/squid/squid.conf')).toThrow(
        expect.objectContaining({ code: 'EUNTRUSTEDLINK' }),
      );
    },
  );

  it('leaves the live host’s paths as they were (the kernel resolves its links)', () => {
    const host = makeHost({ name: 'x' });
    expect(resolveInRoot(host, '/etc/squid/../squid/squid.conf')).toBe('/etc/squid/squid.conf');
    expect(resolveInRoot(host, '/../../etc/passwd')).toBe('/etc/passwd');
  });
});
