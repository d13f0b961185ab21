import {
  appendFileSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { logsConfig } from '../config.ts';
import type { Cursor } from '../cursor.ts';
import { compileRules } from '../scan/rules.ts';
import { readSource, readWholeFile, type SourceReadOptions } from './source.ts';

describe('reading a log family', () => {
  it('reads a rotated .gz cut short before the saved offset as far as it goes, with a finding', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-cutgz-'));
    try {
      const live = path.join(dir, 'app.log');
      const lines = Array.from({ length: 4000 }, (_, i) => `line ${i} error ${(i * 7919) % 10007}\n`).join(
        '',
      );
      const rules = compileRules(logsConfig.parse({}));
      const opts = (cursors: Cursor[]): SourceReadOptions => ({
        rules,
        mode: { kind: 'resume', cursors },
        identity: { fpBytes: 1024, tailBytes: 1024 },
        countLines: true,
        consumeTrailing: false,
        display: (p) => p,
        root: '/',
      });
      writeFileSync(live, lines);
      const first = await readSource(live, opts([]), () => {});
      // Rotated and compressed, but the .gz was cut (disk full, a copy interrupted): it decompresses to
      // less than the saved offset, so it cannot be recognised, and must not stop the run.
      const gz = gzipSync(readFileSync(live));
      writeFileSync(`${live}.1.gz`, gz.subarray(0, gz.length >> 1));
      unlinkSync(live);
      writeFileSync(live, 'new error\n');
      const fromLive: string[] = [];
      const r = await readSource(live, opts(first.cursors), (hit, file) => {
        if (file.path === live) fromLive.push(hit.text);
      });
      expect(fromLive).toEqual(['new error']);
      expect(r.problems.map((p) => [path.basename(p.path), p.problem])).toContainEqual([
        'app.log.1.gz',
        'corrupt',
      ]);
      expect(r.cursors).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A directory with app.log, read once with 3 error lines, 2 more appended since (unread). */
  function rotating(tag: string) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `tenken-${tag}-`));
    const live = path.join(dir, 'app.log');
    const rules = compileRules(logsConfig.parse({}));
    let n = 0;
    const lines = (k: number) => Array.from({ length: k }, () => `line ${++n} error\n`).join('');
    const opts = (cursors: Cursor[]): SourceReadOptions => ({
      rules,
      mode: { kind: 'resume', cursors },
      identity: { fpBytes: 1024, tailBytes: 1024 },
      countLines: true,
      consumeTrailing: false,
      display: (p) => p,
      root: '/',
    });
    const read = async (cursors: Cursor[]) => {
      const hits: string[] = [];
      const r = await readSource(live, opts(cursors), (hit) => hits.push(hit.text));
      return { hits, problems: r.problems, cursors: r.cursors };
    };
    return { dir, live, lines, read };
  }

  for (const suffix of ['-2026-11-26', '-20261126-1764150000', '.20261126', '_20261126', '-20261126.gz']) {
    it(`reads what was left in a member rotated by logrotate's dateformat to app.log${suffix}`, async () => {
      const { dir, live, lines, read } = rotating('dateformat');
      try {
        writeFileSync(live, lines(3));
        const first = await read([]);
        appendFileSync(live, lines(2));
        const rotated = `${live}${suffix}`;
        if (suffix.endsWith('.gz')) {
          writeFileSync(rotated, gzipSync(readFileSync(live)));
          unlinkSync(live);
        } else renameSync(live, rotated);
        writeFileSync(live, lines(4));
        const second = await read(first.cursors);
        expect(second.hits).toEqual([4, 5, 6, 7, 8, 9].map((i) => `line ${i} error`));
        expect(second.problems).toEqual([]);
        expect((await read(second.cursors)).hits).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("follows Samba's own rotation (log.smbd → log.smbd.old): the lines left in it are read, once", async () => {
    const { dir, live, lines, read } = rotating('samba-old');
    try {
      writeFileSync(live, lines(3));
      const first = await read([]);
      appendFileSync(live, lines(2));
      renameSync(live, `${live}.old`);
      writeFileSync(live, lines(4));
      const second = await read(first.cursors);
      expect(second.hits).toEqual([4, 5, 6, 7, 8, 9].map((i) => `line ${i} error`));
      expect(second.problems).toEqual([]);
      // The next rotation replaces .old: nothing read twice.
      appendFileSync(live, lines(1));
      renameSync(live, `${live}.old`);
      writeFileSync(live, '');
      const third = await read(second.cursors);
      expect(third.hits).toEqual(['line 10 error']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads Samba's .old before a .1 that logrotate wrote after it: the lines come in the order written", async () => {
    const { dir, live, lines, read } = rotating('samba-old-then-1');
    try {
      writeFileSync(live, lines(3));
      const first = await read([]);
      // Friday: Samba passes max log size and renames log.smbd to .old.
      appendFileSync(live, lines(2));
      renameSync(live, `${live}.old`);
      utimesSync(`${live}.old`, new Date('2026-11-20T10:00:00Z'), new Date('2026-11-20T10:00:00Z'));
      // Sunday: logrotate's weekly rotation renames the next log.smbd to .1.
      writeFileSync(live, lines(3));
      renameSync(live, `${live}.1`);
      utimesSync(`${live}.1`, new Date('2026-11-22T06:25:00Z'), new Date('2026-11-22T06:25:00Z'));
      writeFileSync(live, lines(1));
      const second = await read(first.cursors);
      expect(second.hits).toEqual([4, 5, 6, 7, 8, 9].map((i) => `line ${i} error`));
      expect(second.problems).toEqual([]);
      expect((await read(second.cursors)).hits).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the file read last time was renamed to a name it does not take for a rotation', async () => {
    const { dir, live, lines, read } = rotating('unknown-name');
    try {
      writeFileSync(live, lines(3));
      const first = await read([]);
      appendFileSync(live, lines(2));
      renameSync(live, `${live}.bak`);
      writeFileSync(live, lines(4));
      const second = await read(first.cursors);
      expect(second.hits).toEqual([6, 7, 8, 9].map((i) => `line ${i} error`));
      expect(second.problems.map((p) => [p.path, p.problem])).toEqual([[live, 'rotated']]);
      expect(second.problems[0]?.reason).toContain(`renamed ${live}.bak, a name tenken does not take`);
      expect((await read(second.cursors)).problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the file read last time is gone, replaced by a new live file', async () => {
    const { dir, live, lines, read } = rotating('gone');
    try {
      writeFileSync(live, lines(3));
      const first = await read([]);
      appendFileSync(live, lines(2));
      // The new file exists before the old one is unlinked: it cannot take over its inode.
      writeFileSync(`${live}.new`, lines(4));
      renameSync(`${live}.new`, live);
      const second = await read(first.cursors);
      expect(second.hits).toEqual([6, 7, 8, 9].map((i) => `line ${i} error`));
      expect(second.problems.map((p) => [p.path, p.problem])).toEqual([[live, 'rotated']]);
      expect(second.problems[0]?.reason).toMatch(/^the file read last time is gone/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the rotated members of a symbolically linked live log where its target lives', async () => {
    const { dir, live, lines, read } = rotating('symlinked');
    try {
      mkdirSync(path.join(dir, 'srv'));
      const target = path.join(dir, 'srv/app.log');
      writeFileSync(target, lines(3));
      symlinkSync('srv/app.log', live);
      const first = await read([]);
      expect(first.hits).toHaveLength(3);
      appendFileSync(target, lines(2));
      renameSync(target, `${target}.1`); // rotated in /srv, the link left as it is
      writeFileSync(target, lines(4));
      const second = await read(first.cursors);
      expect(second.hits).toEqual([4, 5, 6, 7, 8, 9].map((i) => `line ${i} error`));
      expect(second.problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says a live log that is a symbolic link to nothing is one, and reads its rotated members', async () => {
    const { dir, live, lines, read } = rotating('dangling');
    try {
      symlinkSync('/nonexistent/app.log', live);
      expect((await read([])).problems).toEqual([
        { path: live, problem: 'dangling', reason: 'dangling symbolic link to /nonexistent/app.log' },
      ]);
      unlinkSync(live);
      writeFileSync(live, lines(3));
      const first = await read([]);
      appendFileSync(live, lines(2));
      renameSync(live, `${live}.1`);
      symlinkSync('/nonexistent/app.log', live);
      const second = await read(first.cursors);
      expect(second.hits).toEqual([4, 5].map((i) => `line ${i} error`));
      expect(second.problems.map((p) => p.problem)).toEqual(['dangling']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('symbolic links at log names', () => {
  it.runIf(process.geteuid?.() === 0)(
    'refuses a planted link found by tenken, follows one named on the command line (needs root: lchown)',
    async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-planted-'));
      try {
        writeFileSync(path.join(dir, 'secret'), 'passwd error Hunter2\n', { mode: 0o600 });
        const live = path.join(dir, 'access.log');
        symlinkSync(path.join(dir, 'secret'), live);
        lchownSync(live, 65534, 65534);
        const common = {
          rules: compileRules(logsConfig.parse({})),
          identity: { fpBytes: 1024, tailBytes: 1024 },
          countLines: true,
          consumeTrailing: false,
          display: (p: string) => p,
          root: '/',
        };
        const hits: string[] = [];
        const found = await readSource(live, { ...common, mode: { kind: 'resume', cursors: [] } }, (h) =>
          hits.push(h.text),
        );
        expect(hits).toEqual([]);
        expect(found.problems.map((p) => [p.path, p.problem])).toEqual([[live, 'untrusted']]);
        await readWholeFile(live, common, (h) => hits.push(h.text));
        expect(hits).toEqual(['passwd error Hunter2']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('a line that never ends, and the per-run read limit', () => {
  /**
   * A log read through the real reader and cursors with a tiny buffer (64 bytes: the long-line limit) and
   * identity sizes to match, so that "over the limit" takes kilobytes, not megabytes.
   */
  function tiny(tag: string, limit?: number, pressure?: () => string | null) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `tenken-${tag}-`));
    const live = path.join(dir, 'app.log');
    const rules = compileRules(logsConfig.parse({}));
    const read = async (cursors: Cursor[] | null) => {
      const hits: string[] = [];
      const r = await readSource(
        live,
        {
          rules,
          mode: cursors === null ? { kind: 'first' } : { kind: 'resume', cursors },
          identity: { fpBytes: 32, tailBytes: 32 },
          countLines: true,
          consumeTrailing: false,
          chunk: 64,
          ...(limit !== undefined ? { limit } : {}),
          ...(pressure !== undefined ? { pressure } : {}),
          display: (p) => p,
          root: '/',
        },
        (hit, file) =>
          hits.push(`${path.basename(file.path)}:${hit.line} ${hit.text.replace(/\0+/g, '<NUL>')}`),
      );
      return { ...r, hits };
    };
    const cursorOf = (r: { cursors: Cursor[] }, name = 'app.log') =>
      r.cursors.find((c) => path.basename(c.path) === name) as Cursor;
    return { dir, live, read, cursorOf, done: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('reports an unfinished line over the long-line limit once, and the next run reads none of it again', async () => {
    const t = tiny('endless');
    try {
      // `truncate -s` on a log: a sparse file of NULs with no newline, after a line and a line head.
      writeFileSync(t.live, 'first error\nendless error ');
      truncateSync(t.live, 8192);
      const one = await t.read(null);
      expect(one.hits).toEqual(['app.log:1 first error', 'app.log:2 endless error <NUL>']);
      expect(one.bytes).toBe(8192);
      expect(t.cursorOf(one)).toMatchObject({ offset: 8192, inLine: true, line: 2, eof: true });
      // Nothing new: nothing read, nothing said again.
      const two = await t.read(one.cursors);
      expect(two.bytes).toBe(0);
      expect(two.hits).toEqual([]);
      expect(t.cursorOf(two)).toMatchObject({ offset: 8192, inLine: true });
      // The line grows, still without an end: only the new bytes are read, and not reported.
      appendFileSync(t.live, Buffer.alloc(1000));
      const three = await t.read(two.cursors);
      expect([three.bytes, three.hits]).toEqual([1000, []]);
      expect(t.cursorOf(three)).toMatchObject({ offset: 9192, inLine: true, line: 2 });
      // It ends at last: its rest is skipped (not a line of its own), the lines after it are read.
      appendFileSync(t.live, 'rest error\nnext error\n');
      const four = await t.read(three.cursors);
      expect(four.hits).toEqual(['app.log:3 next error']);
      expect(t.cursorOf(four)).toMatchObject({ inLine: false, line: 3, eof: true });
      expect(four.problems).toEqual([]);
    } finally {
      t.done();
    }
  });

  it('leaves a short unfinished line unconsumed until it is complete (a daemon mid-write)', async () => {
    const t = tiny('short');
    try {
      writeFileSync(t.live, 'a error\nb err');
      const one = await t.read(null);
      expect(one.hits).toEqual(['app.log:1 a error']);
      expect(t.cursorOf(one)).toMatchObject({ offset: 8, inLine: false });
      appendFileSync(t.live, 'or done\n');
      const two = await t.read(one.cursors);
      expect(two.hits).toEqual(['app.log:2 b error done']);
    } finally {
      t.done();
    }
  });

  it('reads the lines after an endless line that ended in the file rotated by create, and the new file whole', async () => {
    const t = tiny('longrot');
    try {
      writeFileSync(t.live, 'first error\nendless error ');
      truncateSync(t.live, 4096);
      const one = await t.read(null);
      // The daemon ends the line and writes one more before logrotate renames the file.
      appendFileSync(t.live, 'rest error\nlast error\n');
      renameSync(t.live, `${t.live}.1`);
      writeFileSync(t.live, 'new error\n');
      const two = await t.read(one.cursors);
      expect(two.hits).toEqual(['app.log.1:3 last error', 'app.log:1 new error']);
      expect(t.cursorOf(two, 'app.log.1')).toMatchObject({ inLine: false, eof: true });
    } finally {
      t.done();
    }
  });

  it('reads a file truncated (copytruncate) or replaced while inside an endless line from its start, skipping nothing', async () => {
    for (const regrow of [false, true]) {
      const t = tiny('longtrunc');
      try {
        writeFileSync(t.live, 'first error\nendless error ');
        truncateSync(t.live, 4096);
        const one = await t.read(null);
        expect(t.cursorOf(one).inLine).toBe(true);
        // Truncated in place, then written again: shorter than the offset, or past it (the tail differs).
        truncateSync(t.live, 0);
        const again = Array.from({ length: regrow ? 400 : 1 }, (_, i) => `fresh ${i} error\n`).join('');
        writeFileSync(t.live, again);
        const two = await t.read(one.cursors);
        expect(two.hits[0]).toBe('app.log:1 fresh 0 error');
        expect(two.hits).toHaveLength(regrow ? 400 : 1);
        expect(t.cursorOf(two)).toMatchObject({ inLine: false, offset: again.length });
      } finally {
        t.done();
      }
    }
  });

  it('stops a run at the read limit and goes on from there in the next, each line reported once', async () => {
    const t = tiny('limit', 1000);
    try {
      const all = Array.from({ length: 300 }, (_, i) => `line ${i} error\n`);
      writeFileSync(t.live, all.join(''));
      const seen: string[] = [];
      let cursors: Cursor[] | null = null;
      const offsets: number[] = [];
      for (let run = 0; run < 10; run++) {
        const r = await t.read(cursors);
        seen.push(...r.hits);
        offsets.push(t.cursorOf(r).offset);
        cursors = r.cursors;
        expect(r.bytes).toBeLessThanOrEqual(1000);
        if (r.problems.length === 0) break;
        expect(r.problems).toEqual([
          {
            path: t.live,
            problem: 'limited',
            reason: `${Math.ceil((statSync(t.live).size - t.cursorOf(r).offset) / 1e3)} kB not read in this run (over the 1000 bytes per-run limit); the next run goes on from here`,
          },
        ]);
        expect(t.cursorOf(r).eof).toBe(false);
      }
      expect(seen).toEqual(all.map((l, i) => `app.log:${i + 1} ${l.trimEnd()}`));
      // Each run stopped at a line end within the limit, and went on from there.
      expect(offsets.length).toBeGreaterThan(4);
      for (const [i, o] of offsets.entries()) expect(o - (offsets[i - 1] ?? 0)).toBeLessThanOrEqual(1000);
      expect(offsets.at(-1)).toBe(statSync(t.live).size);
    } finally {
      t.done();
    }
  });

  it('stops a run when the caller runs short of memory and goes on from there in the next, each line once', async () => {
    // The caller's memory allows three chunks a run (the attacks check's heapPressure, made small).
    let chunks = 0;
    const t = tiny('pressure', undefined, () => (++chunks > 3 ? 'memory: too many sources' : null));
    try {
      const all = Array.from({ length: 100 }, (_, i) => `line ${i} error\n`);
      writeFileSync(t.live, all.join(''));
      const seen: string[] = [];
      let cursors: Cursor[] | null = null;
      let runs = 0;
      for (; runs < 100; runs++) {
        chunks = 0;
        const r = await t.read(cursors);
        seen.push(...r.hits);
        cursors = r.cursors;
        if (r.problems.length === 0) break;
        expect(r.problems).toEqual([
          {
            path: t.live,
            problem: 'limited',
            reason: expect.stringMatching(
              /^\d+ kB not read in this run \(memory: too many sources\); the next run goes on from here$/,
            ),
          },
        ]);
        expect(t.cursorOf(r).eof).toBe(false);
      }
      expect(runs).toBeGreaterThan(3);
      expect(seen).toEqual(all.map((l, i) => `app.log:${i + 1} ${l.trimEnd()}`));
      expect(t.cursorOf({ cursors: cursors ?? [] }).offset).toBe(statSync(t.live).size);
    } finally {
      t.done();
    }
  });

  it('stops inside a long line at the read limit: its head once, its rest skipped over later runs', async () => {
    const t = tiny('limitlong', 1000);
    try {
      writeFileSync(t.live, `a error\nlong error ${'x'.repeat(3000)}\nb error\n`);
      const seen: string[] = [];
      let cursors: Cursor[] | null = null;
      const inLine: boolean[] = [];
      for (let run = 0; run < 10; run++) {
        const r = await t.read(cursors);
        seen.push(...r.hits);
        cursors = r.cursors;
        inLine.push(t.cursorOf(r).inLine);
        if (r.problems.length === 0) break;
        expect(r.problems.map((p) => p.problem)).toEqual(['limited']);
      }
      // Stopped inside the long line, then skipping its rest, 1000 bytes a run, then past it.
      expect(inLine).toEqual([true, true, true, false]);
      expect(seen).toEqual([
        'app.log:1 a error',
        `app.log:2 long error ${'x'.repeat(64 - 11)}`,
        'app.log:3 b error',
      ]);
    } finally {
      t.done();
    }
  });
});
