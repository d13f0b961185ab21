import {
  appendFileSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
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
