import { makeFifo } from '../../../test/helpers/fifo.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { logsConfig } from '../config.ts';
import { compileRules } from '../scan/rules.ts';
import { openLog, readLog } from './content.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-content-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading log content', () => {
  it('refuses a FIFO at once as not a regular file (open would wait for a writer)', {
    timeout: 5000,
  }, async () => {
    const fifo = path.join(dir, 'syslog-fifo');
    makeFifo(fifo);
    await expect(openLog(fifo, false, 1024)).rejects.toThrow('not a regular file');
  });

  it('reads a .gz of several members as one stream, a line split across members included', async () => {
    const file = path.join(dir, 'multi.gz');
    writeFileSync(file, Buffer.concat([gzipSync('a error\nb fa'), gzipSync('il here\nc ok\n')]));
    const f = await openLog(file, true, 1024);
    const hits: [number, string][] = [];
    const rules = compileRules(logsConfig.parse({}));
    const r = await readLog(
      f,
      rules,
      { start: 0, startLine: 0, consumeTrailing: false, countLines: true, tailBytes: 64 },
      (h) => hits.push([h.line, h.text]),
    );
    await f.handle.close();
    expect(hits).toEqual([
      [1, 'a error'],
      [2, 'b fail here'],
    ]);
    expect([r.offset, r.line, r.eof]).toEqual([25, 3, true]);
  });

  it('leaves a final line without newline unconsumed unless asked', async () => {
    const file = path.join(dir, 'partial.log');
    writeFileSync(file, 'x error\ny err');
    const rules = compileRules(logsConfig.parse({}));
    for (const [consume, offset, n] of [
      [false, 8, 1],
      [true, 13, 2],
    ] as const) {
      const f = await openLog(file, false, 1024);
      let count = 0;
      const r = await readLog(
        f,
        rules,
        { start: 0, startLine: 0, consumeTrailing: consume, countLines: true, tailBytes: 64 },
        () => count++,
      );
      await f.handle.close();
      expect([r.offset, count]).toEqual([offset, n]);
    }
  });
});
