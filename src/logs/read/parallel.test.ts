import { appendFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../config/plan.ts';
import { makeHost } from '../../core/host.ts';
import type { CategoryStats } from '../aggregate.ts';
import { logsConfig } from '../config.ts';
import { type EngineInput, type LogsState, planSources, runEngine } from '../engine.ts';
import { compileRules } from '../scan/rules.ts';
import { LineScanner } from '../scan/lines.ts';
import { openLog, type PartOutcome, readLog, type SplitOptions } from './content.ts';
import { scanWorkerPath } from './parallel.ts';
import { servicePlan, testPlan } from '../../../test/helpers/plan.ts';

/*
 * A big log read in parts on worker threads must give exactly what one thread gives: counts, hours,
 * first/last, top messages, samples (with their line numbers), programs, cursors. Parts are made tiny
 * here (minPart) so a small log is cut in several places, through long lines, CRLF and bytes that are not
 * UTF-8. The worker is dist/scan-worker.js, built by the tests' global setup.
 */

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tenken-parallel-'));
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const plan: Plan = testPlan([
  servicePlan('sendmail', { syslog: ['sendmail'] }),
  servicePlan('sshd', { syslog: ['sshd'] }),
]);

/** Deterministic lines of a busy syslog, with the awkward ones every few hundred. */
function lines(n: number, seed: number): Buffer[] {
  let x = seed;
  const r = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const h = String(Math.floor((i / n) * 24)).padStart(2, '0');
    const stamp = `Nov 24 ${h}:${String(i % 60).padStart(2, '0')}:00 gw`;
    const pid = 1000 + Math.floor(r() * 9000);
    const y = r();
    let line: string | Buffer;
    if (i % 397 === 0)
      line = `${stamp} sshd[${pid}]: Failed password for ${'x'.repeat(70_000)} from 192.0.2.1`;
    else if (i > n * 0.7 && i % 50 === 0)
      line = `${stamp} in.telnetd[${pid}]: null connection from 192.0.2.${pid % 250}`; // samples from a late part
    else if (i % 211 === 0)
      line = Buffer.from(`${stamp} kernel: error \xe9\xff in \x00 driver ${pid}`, 'latin1');
    else if (y < 0.2)
      line = `${stamp} sshd[${pid}]: Failed password for root from 192.0.2.${pid % 250} port ${pid}\r`;
    else if (y < 0.3) line = `${stamp} sendmail[${pid}]: j${pid}: SYSERR(root): timeout waiting for input`;
    else if (y < 0.4) line = `${stamp} postfix/smtpd[${pid}]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]`;
    else if (y < 0.45) line = `${stamp} cron[${pid}]: (root) CMD (passwd check ${pid})`;
    else line = `${stamp} systemd[1]: Started session ${pid} of user alice.`;
    out.push(Buffer.isBuffer(line) ? line : Buffer.from(line, 'latin1'));
  }
  return out;
}

const join = (ls: Buffer[], final = true) =>
  Buffer.concat(ls.flatMap((l, i) => (i < ls.length - 1 || final ? [l, Buffer.from('\n')] : [l])));

async function engine(
  mode: EngineInput['mode'],
  threads: number,
  consumeTrailing = false,
  extra: { logs?: Record<string, unknown>; input?: Partial<EngineInput> } = {},
): Promise<Awaited<ReturnType<typeof runEngine>>> {
  const host = makeHost({ root, name: 'gw', now: new Date('2026-11-25T00:00:00Z'), env: { TZ: 'UTC' } });
  const config = logsConfig.parse({ samples: 3, ...extra.logs });
  return runEngine({
    ...extra.input,
    host,
    plan,
    config,
    rules: compileRules(config),
    sources: await planSources(host, plan),
    mode,
    journal: 'off',
    countLines: true,
    consumeTrailing,
    noIgnore: false,
    threads,
    minPart: 64 * 1024,
  });
}

/** Everything a report reads from an engine result. */
function view(r: Awaited<ReturnType<typeof runEngine>>) {
  const cat = (s: CategoryStats) => ({
    count: s.count,
    first: s.first,
    last: s.last,
    perHour: [...s.perHour].sort((a, b) => a[0] - b[0]),
    top: [...s.top].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    samples: s.samples,
    sources: [...s.sources],
  });
  return {
    services: [...r.stats.services].map(([svc, cats]) => [svc, [...cats].map(([id, s]) => [id, cat(s)])]),
    programs: [...r.stats.programs].map(([p, m]) => [p, [...m]]),
    state: r.state,
    bytes: r.bytes,
    problems: r.problems,
  };
}

const live = () => path.join(root, 'var/log/syslog');
const writeLog = (data: Buffer) => {
  writeFileSync(live(), data);
  utimesSync(live(), new Date('2026-11-24T23:59:00Z'), new Date('2026-11-24T23:59:00Z'));
};

describe('reading a big log on worker threads', () => {
  it('has its worker built', () => {
    expect(scanWorkerPath()).not.toBeNull();
  });

  it('gives what one thread gives, cut through long lines, CRLF and non-UTF-8 bytes', async () => {
    const all = lines(6000, 7);
    writeLog(join(all, false)); // the last line has no newline yet
    for (const consumeTrailing of [false, true]) {
      const one = view(await engine({ kind: 'all' }, 1, consumeTrailing));
      const many = view(await engine({ kind: 'all' }, 4, consumeTrailing));
      expect(many).toEqual(one);
      const sshd = one.services.find(([svc]) => svc === 'sshd');
      expect(sshd).toBeDefined(); // the comparison is not between two empty results
    }
  });

  it('resumes from a saved cursor in parts, and picks up where one thread would', async () => {
    const all = lines(9000, 11);
    writeLog(join(all.slice(0, 3000)));
    const first = await engine({ kind: 'resume', state: undefined }, 1);
    appendFileSync(live(), join(all.slice(3000)));
    utimesSync(live(), new Date('2026-11-24T23:59:00Z'), new Date('2026-11-24T23:59:00Z'));
    const state: LogsState = first.state;
    const one = view(await engine({ kind: 'resume', state }, 1));
    const many = view(await engine({ kind: 'resume', state }, 3));
    expect(many).toEqual(one);
    expect(one.bytes).toBeGreaterThan(600 * 1024);
  });

  it('stops at the per-run read limit in parts as one thread does, and the next run goes on from there', async () => {
    const all = lines(9000, 13);
    writeLog(join(all));
    const limit = 1 << 20; // at least the read buffer (1 MiB): every run gets past a line
    const size = join(all).length;
    let state: LogsState | undefined;
    for (let run = 0; ; run++) {
      const one = view(await engine({ kind: 'resume', state }, 1, false, { input: { limit } }));
      const many = view(await engine({ kind: 'resume', state }, 4, false, { input: { limit } }));
      expect(many).toEqual(one);
      expect(one.bytes).toBeLessThanOrEqual(limit);
      const cursor = one.state.sources['/var/log/syslog']?.cursors[0];
      state = one.state;
      if (cursor?.offset === size) {
        expect(one.problems).toEqual([]);
        expect(run).toBeGreaterThan(1);
        break;
      }
      expect(one.problems.map((p) => p.problem)).toEqual(['limited']);
      expect(run).toBeLessThan(10);
    }
  });
});

describe('reading a big log on worker threads, lines without a time of their own', () => {
  /**
   * Samba-style records: a timed header line, then 1 to 30 indented message lines (most line starts are
   * continuation lines, so the cuts between parts fall between a header and its lines), now and then a
   * line longer than the buffer, a CRLF line, and a timeless dump longer than the 64 KiB lookback.
   */
  function samba(n: number, seed: number): Buffer {
    let x = seed;
    const r = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x / 2 ** 32;
    };
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const h = String(Math.floor((i / n) * 24)).padStart(2, '0');
      out.push(
        `[2026/11/24 ${h}:${String(i % 60).padStart(2, '0')}:00.123456,  0] smbd/service.c:make_connection(550)`,
      );
      const k = 1 + Math.floor(r() * 30);
      for (let j = 0; j < k; j++) {
        const y = r();
        if (y < 0.001) out.push(`  dump ${'x'.repeat(70_000)} error`);
        else if (y < 0.0018)
          for (let d = 0; d < 1100; d++) out.push(`  dump row ${d} ${'-'.repeat(50)} timeout`);
        else if (y < 0.1) out.push(`  pass_check_smb failed - invalid password for user [u${j}]\r`);
        else if (y < 0.4) out.push(`  Denied connection from 198.51.100.${j} (${i})`);
        else out.push(`  pc${j} (10.0.1.${j}) connect to service u${j} as user u${j} (pid ${i * 31 + j})`);
      }
    }
    return Buffer.from(`${out.join('\n')}\n`, 'latin1');
  }

  it('gives them the time of the line before that has one, as one thread does, across the cuts', async () => {
    writeLog(samba(1500, 21));
    for (const chunk of [undefined, 64 * 1024]) {
      const input = chunk === undefined ? {} : { chunk };
      const one = view(await engine({ kind: 'all' }, 1, false, { input }));
      const many = view(await engine({ kind: 'all' }, 4, false, { input }));
      expect(many).toEqual(one);
      const host = one.services.find(([svc]) => svc === 'host')?.[1] as [string, { perHour: unknown[] }][];
      // Every category's lines are continuation lines: they have hours only by taking a header's time.
      expect(host.find(([id]) => id === 'access')?.[1].perHour.length).toBeGreaterThan(10);
      const since = Date.parse('2026-11-24T12:00:00Z');
      const oneSince = view(await engine({ kind: 'since', since }, 1, false, { input }));
      expect(view(await engine({ kind: 'since', since }, 4, false, { input }))).toEqual(oneSince);
    }
  });
});

describe('reading a big log on worker threads, with options', () => {
  it('applies --since, --app, ignore rules and user categories in every part as on one thread', async () => {
    writeLog(join(lines(8000, 5)));
    const logs = {
      categories: { kernelerr: { keywords: ['driver'] } },
      ignore: { sshd: [{ regex: 'port 1[0-9]{3}$', categories: ['invalid'] }], '*': ['passwd check'] },
    };
    const since = Date.parse('2026-11-24T09:00:00Z');
    for (const input of [{}, { onlyService: 'sshd' }, { noIgnore: true }]) {
      const one = view(await engine({ kind: 'since', since }, 1, false, { logs, input }));
      const many = view(await engine({ kind: 'since', since }, 3, false, { logs, input }));
      expect(many).toEqual(one);
      expect(one.services.length).toBeGreaterThan(0);
    }
  });
});

describe('a big log whose lines another log of the run also has', () => {
  /** The engine over /var/log/syslog and /var/log/mail.log (both system logs), in parts. */
  async function both(files: { syslog?: Buffer; mail?: Buffer }, threads: number) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-parallel-same-'));
    try {
      mkdirSync(path.join(dir, 'var/log'), { recursive: true });
      for (const [name, data] of [
        ['syslog', files.syslog],
        ['mail.log', files.mail],
      ] as const) {
        if (!data) continue;
        const file = path.join(dir, 'var/log', name);
        writeFileSync(file, data);
        utimesSync(file, new Date('2026-11-24T23:59:00Z'), new Date('2026-11-24T23:59:00Z'));
      }
      const host = makeHost({
        root: dir,
        name: 'gw',
        now: new Date('2026-11-25T00:00:00Z'),
        env: { TZ: 'UTC' },
      });
      const twoLogs = { ...plan, syslogFiles: ['/var/log/syslog', '/var/log/mail.log'] };
      const config = logsConfig.parse({ samples: 3 });
      const r = await runEngine({
        host,
        plan: twoLogs,
        config,
        rules: compileRules(config),
        sources: await planSources(host, twoLogs),
        mode: { kind: 'all' },
        journal: 'off',
        countLines: true,
        consumeTrailing: false,
        noIgnore: false,
        threads,
        minPart: 64 * 1024,
      });
      const { state: _state, bytes: _bytes, problems: _problems, ...rest } = view(r);
      return rest;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('counts each line once when the log read in parts comes first and its copy after', async () => {
    const data = join(lines(6000, 13));
    const alone = await both({ syslog: data }, 1);
    expect(alone.services.length).toBeGreaterThan(0);
    for (const threads of [1, 4]) expect(await both({ syslog: data, mail: data }, threads)).toEqual(alone);
  });

  it('counts each line once when the copy is the big log, and the lines only it has', async () => {
    const all = lines(6000, 17);
    const some = all.filter((_, i) => i % 3 === 0);
    const data = join(all);
    const alone = await both({ mail: data }, 1);
    for (const threads of [1, 4]) {
      const r = await both({ syslog: join(some), mail: data }, threads);
      // Counts, hours, top messages and programs are those of the big log alone; samples and sources
      // come from syslog where it had the line first.
      const counts = (v: typeof alone) =>
        v.services.map(([svc, cats]) => [
          svc,
          (cats as [string, { count: number; perHour: unknown; top: unknown }][]).map(([id, c]) => [
            id,
            c.count,
            c.perHour,
            c.top,
          ]),
        ]);
      expect(counts(r)).toEqual(counts(alone));
      expect(r.programs).toEqual(alone.programs);
    }
  });
});

describe('readLog split into parts', () => {
  const rules = compileRules(logsConfig.parse({}));

  /** Hits and result of reading the live log, with `run` doing the later parts (here, on this thread). */
  async function read(run: SplitOptions['run'] | undefined) {
    const file = await openLog(live(), false, 64);
    const hits: string[] = [];
    try {
      const split: SplitOptions | undefined = run && {
        threads: 3,
        minPart: 64 * 1024,
        run,
        merge: (o: PartOutcome & { hits?: string[] }, lineBase) =>
          hits.push(...(o.hits ?? []).map((h) => h.replace(/^(\d+)/, (n) => String(Number(n) + lineBase)))),
      };
      const result = await readLog(
        file,
        rules,
        {
          start: 0,
          startLine: 0,
          consumeTrailing: false,
          countLines: true,
          tailBytes: 1024,
          ...(split ? { split } : {}),
        },
        (h) => hits.push(`${h.line} ${h.text.slice(0, 60)}`),
      );
      return { hits, result: { ...result, tail: result.tail.toString('latin1') } };
    } finally {
      await file.handle.close();
    }
  }

  /** A part read on this thread, as a worker would (hits as "line text" strings). */
  async function here(task: Parameters<SplitOptions['run']>[0]): Promise<PartOutcome & { hits: string[] }> {
    const file = await openLog(live(), false, 64);
    const hits: string[] = [];
    try {
      const s = new LineScanner(rules, (h) => hits.push(`${h.line} ${h.text.slice(0, 60)}`), {
        startOffset: task.from,
        countLines: task.countLines,
        tailBytes: task.tailBytes,
      });
      const b = Buffer.alloc(task.to - task.from);
      await file.handle.read(b, 0, b.length, task.from);
      s.push(b);
      s.finish(task.consumeTrailing);
      return {
        offset: s.offset,
        end: task.to,
        lines: s.lineCount,
        tail: s.tailContent,
        bytes: b.length,
        hits,
      };
    } finally {
      await file.handle.close();
    }
  }

  it('reads a part here when its thread fails, and stops at a part that hit a read error', async () => {
    writeLog(join(lines(5000, 3)));
    const whole = await read(undefined);
    let calls = 0;
    const failing = await read((task) =>
      ++calls === 1 ? Promise.reject(new Error('worker died')) : here(task),
    );
    expect(calls).toBeGreaterThan(1);
    expect(failing).toEqual(whole);
    calls = 0;
    const unstartable = await read((task) => {
      if (++calls === 1) throw new Error('cannot start a worker');
      return here(task);
    });
    expect(unstartable).toEqual(whole);

    let n = 0;
    let cut: (PartOutcome & { hits: string[] }) | undefined;
    const broken = await read(async (task): Promise<PartOutcome> => {
      const o = await here(task);
      if (++n !== 1) return o;
      // The first worker's part fails at its first read.
      cut = {
        ...o,
        hits: [],
        lines: 0,
        bytes: 0,
        offset: task.from,
        end: task.from,
        error: 'EIO: i/o error, read',
      };
      return cut;
    });
    expect(broken.result.error).toBeInstanceOf(Error);
    expect(broken.result.offset).toBe(cut?.offset);
    expect(broken.result.eof).toBe(false);
    expect(broken.hits.length).toBeLessThan(whole.hits.length);
    // Every hit reported is one of the whole read's, in order, with its line number.
    expect(whole.hits.slice(0, broken.hits.length)).toEqual(broken.hits);
  });
});
