/**
 * `tenken last` / `lastb` end to end: open the files (wtmp, rotated or gzip backups, or a wtmpdb), merge them
 * into one history ordered by their first record, run `last`'s pairing newest first, select (`NAME...`, `-p`,
 * `-n`) and write text or JSON in bounded chunks. The CLI command only parses options into `LastRun`.
 */
import path from 'node:path';
import { TenkenError } from '../core/errors.ts';
import { addrText, type FormatOptions, formatEntry, trailer } from './last-format.ts';
import { type LastEntry, lastEntries, matchesShow, presentAt, type RecordBatch } from './sessions.ts';
import { decodeRecord, fieldText, recordNumber, type UtmpRecord } from './utmp.ts';
import { chunksBackward, misalignedText, openWtmp, type WtmpFile } from './wtmp-file.ts';
import { truncatedText } from './history.ts';
import { damageText, isSqlite, openWtmpdb } from './wtmpdb.ts';

/** One input file: where it is on this machine and how the host names it. */
export interface LastInput {
  local: string;
  display: string;
  /** The host's root (absent: `/`): under --root, the file's links resolve inside the tree. */
  root?: string;
}

/** Everything one `last` run needs; times in seconds. */
export interface LastRun {
  inputs: LastInput[];
  lastb: boolean;
  extended: boolean;
  /** `-n`; 0 = all. */
  limit: number;
  since: number;
  until: number;
  present: number;
  show: string[];
  json: boolean;
  format: FormatOptions;
  pidAlive: (rec: UtmpRecord) => boolean;
}

/** Where output goes: stdout (awaited, for back-pressure) and stderr lines. */
export interface LastSink {
  write(text: string): Promise<void>;
  warn(text: string): void;
}

function* merged(files: WtmpFile[]): Generator<RecordBatch> {
  for (let i = files.length - 1; i >= 0; i--) {
    for (const records of chunksBackward(files[i] as WtmpFile)) yield { records, file: i };
  }
}

/** util-linux's `begins` time: the first record's, or the file's ctime when it has no whole record. */
function beginsOf(f: WtmpFile): number {
  // From byte 0, as util-linux reads it, even when the records are aligned from the end.
  return f.head ? decodeRecord(f.head, 0, f.layout, 0).sec : f.ctime;
}

/** An entry as JSON data (strings decoded as UTF-8; times ISO in UTC). */
export function entryJson(e: LastEntry, files: readonly string[], now: number): Record<string, unknown> {
  const iso = (sec: number): string | null => {
    const d = new Date(sec * 1000);
    return Number.isNaN(d.getTime()) ? null : d.toISOString().replace('.000Z', 'Z');
  };
  const open = e.end === 'still-logged-in' || e.end === 'gone' || e.end === 'timechange';
  const running = e.logout === now;
  return {
    kind: e.kind,
    user: fieldText(e.record.user),
    tty: fieldText(e.line),
    host: fieldText(e.record.host),
    address: addrText(e.record.addr),
    pid: e.record.pid,
    login: iso(e.record.sec),
    logout: open || running || !e.logout ? null : iso(e.logout),
    end: running && e.end !== 'still-logged-in' && e.end !== 'gone' ? 'running' : e.end,
    seconds: open || running || !e.logout ? null : e.logout - e.record.sec,
    file: files[e.file] ?? null,
    // A wtmp record's number in its file; a wtmpdb row's ID (`select * from wtmp where ID=N`), as evidence says.
    record: e.row ?? recordNumber(e.record.index),
  };
}

class Buffered {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly sink: LastSink) {}
  /** Queues text; true when a flush is due (kept synchronous: one await per line costs a microtask each). */
  add(s: string): boolean {
    this.parts.push(s);
    this.size += s.length;
    return this.size >= 1 << 16;
  }
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.sink.write(text);
  }
}

/** Runs `last` over the inputs and writes its output. Throws TenkenError for unreadable or foreign files. */
export async function runLast(run: LastRun, sink: LastSink): Promise<void> {
  if (run.inputs.length === 0) throw new TenkenError('Cannot run last: no input file');
  const dbs = run.inputs.filter((i) => isSqlite(i.local, i.root));
  if (dbs.length > 0 && dbs.length !== run.inputs.length) {
    throw new TenkenError(`Cannot merge ${dbs[0]?.display}: a wtmpdb cannot be merged with wtmp files`);
  }
  const out = new Buffered(sink);
  let shown = 0;
  const wanted = (e: LastEntry): boolean => matchesShow(e, run.show) && presentAt(e, run.present);
  const warned = new Set<string>();
  const warn = (m: string): void => {
    if (!warned.has(m)) sink.warn(m);
    warned.add(m);
  };
  const emitAll = async (entries: Iterable<LastEntry>, names: string[]): Promise<void> => {
    if (run.json) out.add('"entries":[');
    for (const e of entries) {
      if (!wanted(e)) continue;
      const full = run.json
        ? out.add(`${shown ? ',' : ''}\n${JSON.stringify(entryJson(e, names, run.format.now))}`)
        : out.add(formatEntry(e, run.format));
      if (full) await out.flush();
      shown++;
      if (run.limit && shown >= run.limit) break;
    }
    if (run.json) out.add(shown ? '\n]' : ']');
  };

  if (dbs.length > 0) {
    for (const input of run.inputs) {
      const db = openWtmpdb(input.local, input.display, input.root);
      try {
        if (run.json)
          out.add(`{"files":[${JSON.stringify({ path: input.display, format: 'wtmpdb', rows: db.rows })}],`);
        await emitAll(
          db.entries({
            now: run.format.now,
            extended: run.extended,
            since: run.since,
            until: run.until,
            pidAlive: run.pidAlive,
          }),
          [input.display],
        );
        // A cut or damaged database reads as what its pages still say (rows of NULLs): said in one line
        // (one that fails part-way was said by the read's own error instead).
        const damage = damageText(db, db.quickCheck());
        if (damage !== null) warn(damage);
        if (run.json) out.add('}\n');
        else out.add(trailer(path.basename(input.display), db.begins ?? run.format.now, run.format));
      } finally {
        db.close();
      }
    }
    await out.flush();
    return;
  }

  const files: WtmpFile[] = [];
  try {
    for (const input of run.inputs)
      files.push(
        await openWtmp(input.local, {
          display: input.display,
          readTruncated: true,
          ...(input.root !== undefined ? { root: input.root } : {}),
        }),
      );
    for (const f of files) {
      if (f.truncated)
        warn(
          truncatedText({
            file: f.display,
            records: f.records,
            reason: f.damage ?? 'unexpected end of file',
          }),
        );
      if (f.tail)
        warn(
          f.tail.misaligned
            ? `${f.display}: ${misalignedText(f.tail)}`
            : `${f.display}: ${f.tail.length} stray bytes after the last whole record (offset ${f.tail.offset}) ignored`,
        );
    }
    // One history: files ordered by where they begin (a backup before the live file), read newest first.
    const order = files
      .map((f, i) => ({ f, i, begins: beginsOf(f) }))
      .sort((a, b) => a.begins - b.begins || a.i - b.i);
    const sorted = order.map((o) => o.f);
    const names = sorted.map((f) => f.display);
    if (run.json) {
      const meta = order.map((o) => ({
        path: o.f.display,
        layout: o.f.layout.name,
        records: o.f.records,
        compressed: o.f.compressed,
        strayTail: o.f.tail,
      }));
      out.add(`{"files":${JSON.stringify(meta)},`);
    }
    const entries = lastEntries(merged(sorted), {
      now: run.format.now,
      extended: run.extended,
      lastb: run.lastb,
      since: run.since,
      until: run.until,
      pidAlive: run.pidAlive,
      warn,
    });
    await emitAll(entries, names);
    const first = order[0];
    if (run.json) out.add('}\n');
    else if (first) out.add(trailer(path.basename(first.f.display), first.begins, run.format));
    await out.flush();
  } finally {
    for (const f of files) f.close();
  }
}
