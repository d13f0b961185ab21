import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logsConfig } from '../config.ts';
import { foldHash, foldKey } from '../fold.ts';
import { KeywordKernel } from './kernel.ts';
import { type LineHit, LineScanner } from './lines.ts';
import { compileRules, type RuleSet } from './rules.ts';

/** The same rules without the kernel's keyword list: the scanner falls back to the regex path. */
function regexOnly(rules: RuleSet): RuleSet {
  const { keywordList: _, ...rest } = rules;
  return rest;
}

function scanAll(rules: RuleSet, bytes: Buffer, chunk: number, pieces: number[]): LineHit[] {
  const hits: LineHit[] = [];
  // The folder and the lines before are valid during the callback only (and the regex path has no folder).
  const scanner = new LineScanner(rules, ({ folder: _, before: __, ...h }) => hits.push(h), {
    chunk,
    countLines: true,
  });
  let at = 0;
  for (const p of pieces) {
    scanner.push(bytes.subarray(at, at + p));
    at += p;
  }
  scanner.push(bytes.subarray(at));
  scanner.finish(true);
  return hits;
}

const WORDS = ['err', 'Fail', 'timed out', '/php', 'passwd', 'login incorrect', 'eof received', 'denied'];
const byteArb = fc.oneof(
  fc.constantFrom(...WORDS.map((w) => Buffer.from(w))),
  fc.constantFrom(...WORDS.map((w) => Buffer.from(w.toUpperCase()))),
  fc.uint8Array({ minLength: 0, maxLength: 40 }).map((a) => Buffer.from(a)),
  fc.constantFrom(
    Buffer.from('\n'),
    Buffer.from('\r\n'),
    Buffer.from(' er r '),
    Buffer.from('fai'),
    Buffer.from([0xe9, 0x52, 0x52, 0xc9]),
    Buffer.from('caf\u00e9 \u00e9t\u00e9'),
  ),
);

describe('the SIMD keyword kernel', () => {
  it('is available on this Node (else scans silently fall back to the slower regex path)', () => {
    const rules = compileRules(logsConfig.parse({}));
    expect(KeywordKernel.create(rules.keywordList ?? [], 1 << 16)).not.toBeNull();
  });

  it('finds the same lines, line numbers and categories as the regex path', () => {
    fc.assert(
      fc.property(
        fc.array(byteArb, { maxLength: 120 }),
        fc.constantFrom(64, 100, 1000, 1 << 16),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 6 }),
        fc.array(fc.constantFrom('x', 'Ok', 'caf\u00e9', '\u00e9t\u00e9', 'R\u00c9', 'a b', '/'), {
          maxLength: 3,
        }),
        (parts, chunk, pieces, extra) => {
          const cfg = logsConfig.parse({ categories: extra.length ? { mine: { keywords: extra } } : {} });
          const rules = compileRules(cfg);
          const bytes = Buffer.concat(parts);
          expect(scanAll(rules, bytes, chunk, pieces)).toEqual(
            scanAll(regexOnly(rules), bytes, chunk, pieces),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds the same lines with a single category, where a matched line’s other keywords are skipped', () => {
    // One category: a line's first match gives it every category bit, so the kernel drops the line's
    // later candidates, also across its 16-byte steps. Short keywords shrink the hashed prefix.
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            byteArb,
            fc.constantFrom(
              Buffer.from('x'.repeat(40)),
              Buffer.from('errerr'),
              Buffer.from('err\nerr\n'),
              Buffer.from('\nOk'),
            ),
          ),
          {
            maxLength: 120,
          },
        ),
        fc.constantFrom(64, 1000, 1 << 16),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 6 }),
        fc.subarray([...WORDS, 'x', 'Ok', 'r\u00c9', 'a b'], { minLength: 1 }),
        (parts, chunk, pieces, keywords) => {
          const rules = compileRules(logsConfig.parse({ runbook: false, categories: { one: { keywords } } }));
          const bytes = Buffer.concat(parts);
          expect(scanAll(rules, bytes, chunk, pieces)).toEqual(
            scanAll(regexOnly(rules), bytes, chunk, pieces),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts a keyword that crosses the kernel’s 64 KiB steps and one at the very end', () => {
    const rules = compileRules(logsConfig.parse({}));
    const line = `${'a'.repeat((1 << 16) - 3)}passwd tail\n`;
    const bytes = Buffer.from(`${line}${'b'.repeat(200)}\nlast err`, 'latin1');
    const hits = scanAll(rules, bytes, 1 << 20, []);
    expect(hits.map((h) => [h.line, h.offset, h.mask])).toEqual([
      [1, 0, rules.categories.find((c) => c.id === 'passwd')?.bit],
      [3, line.length + 201, rules.categories.find((c) => c.id === 'error')?.bit],
    ]);
    expect(hits).toEqual(scanAll(regexOnly(rules), bytes, 1 << 20, []));
  });

  it('keys a message from its bytes exactly as foldHash keys its latin1 text', () => {
    const kernel = KeywordKernel.create([{ bytes: 'err', mask: 1 }], 4096) as KeywordKernel;
    const piece = fc.oneof(
      fc.constantFrom(
        'err',
        'sshd[123]:',
        '192.0.2.7',
        'j4P1a2b3c',
        '#',
        ' ',
        '\t',
        'x-1',
        'a.b:c_d',
        '\u00e9',
        '\u00ff',
      ),
      fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a).toString('latin1')),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.nat({ max: 100 }),
        fc.nat(),
        fc.nat(),
        (pieces, at, a, b) => {
          const text = pieces.join('');
          const start = text.length ? a % (text.length + 1) : 0;
          const end = start + (text.length ? b % (text.length - start + 1) : 0);
          kernel.data.write(text, at, 'latin1');
          kernel.folder.at = at;
          const low = kernel.folder.key(start, end);
          expect([low, kernel.folder.high]).toEqual([foldHash(text, start, end), foldKey.high]);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
