import { pruneTop } from '../core/top.ts';
import type { Evidence } from '../core/report.ts';
import { lineText } from '../core/sanitize.ts';
import { FOLD_CLIP, foldHash, foldKey, foldRange, type LineFolder, trimEnd, trimStart } from './fold.ts';

/**
 * Per-service, per-category statistics of matching lines. Pure: lines in, numbers out (and nothing of
 * the config's schema, so the scan worker's bundle stays small).
 */

/** Most distinct folded messages kept per category before rare ones are dropped (approximate top list). */
const TOP_CAP = 2000;

/** One category's numbers for one service. */
export interface CategoryStats {
  count: number;
  /** Hour start (epoch ms) → lines. */
  perHour: Map<number, number>;
  first: number | null;
  last: number | null;
  /** Folded message → lines. */
  top: Map<string, number>;
  samples: Evidence[];
  /** Host paths the lines came from. */
  sources: Set<string>;
  /**
   * Of `count`, the lines an attack detector counts (see Router's `attackLines`): judged by the attacks
   * check, so not by this category's thresholds. 0 when no such test was given.
   */
  attack: number;
  /** Hour start (epoch ms) → attack lines (a part of `perHour`). */
  attackPerHour: Map<number, number>;
}

/** A matching line as the aggregator sees it. */
export interface AggregateLine {
  source: string;
  line: number;
  time: number | null;
  /** latin1 text of the line and where its message starts. */
  text: string;
  messageStart: number;
}

/*
 * How the numbers are kept (the engine adds every matching line, millions in a keyword-dense log, so a
 * line costs a few counter updates and no allocation):
 * - per service and category *mask* (the set of categories a line is in; a log has few distinct masks):
 *   count, first/last, per-hour counts (the current hour as a plain counter: lines come in time order),
 *   the source paths. Per category they are sums over the masks holding it, built when read.
 * - folded messages: each service interns the distinct folded forms it has seen, found by their 64-bit
 *   key computed from the line (fold.ts), so no string is built for a message seen before; each keeps its
 *   count per mask. A category cannot go over TOP_CAP distinct messages before its service has, so
 *   until then the per-category maps are exactly the sums. When a service's distinct messages would go
 *   over TOP_CAP, its per-category maps are built once and from then on updated line by line, keeping the
 *   TOP_CAP most frequent whenever one holds twice that (`addCapped`; memory stays bounded).
 * - samples: the first `samples` lines per category, checked with one mask test per line.
 */

interface FoldEntry {
  folded: string;
  /** High half of the key (the low half is the table's key). */
  high: number;
  /** Next entry with the same low half. */
  next: FoldEntry | null;
  /** The first mask seen with this message and its count; other masks in `more`. */
  mask: number;
  n: number;
  more: Map<number, number> | null;
}

class MaskStats {
  count = 0;
  first: number | null = null;
  last: number | null = null;
  readonly sources = new Set<string>();
  lastSource: string | null = null;
  /** The current hour and its count, not yet in perHour. */
  hour = Number.NaN;
  hourCount = 0;
  readonly perHour = new Map<number, number>();
  /** Of `count`, the attack lines (see CategoryStats.attack), and those per hour. */
  attack = 0;
  readonly attackPerHour = new Map<number, number>();
  constructor(readonly mask: number) {}
}

class ServiceStats {
  /** Category bits seen, and their indexes in first-seen order (the per-service map's order). */
  seen = 0;
  readonly order: number[] = [];
  readonly masks = new Map<number, MaskStats>();
  lastMask: MaskStats | null = null;
  /** Bits of categories that still take samples. */
  needSamples: number;
  readonly samples: Evidence[][] = [];
  /** Interned folded messages by the low half of their key, until the service is exact. */
  table: Map<number, FoldEntry> | null = new Map();
  distinct = 0;
  /** Per category index, its top map once the service went over TOP_CAP. */
  exact: Map<string, number>[] | null = null;
  constructor(samples: number) {
    this.needSamples = samples > 0 ? -1 : 0;
  }
}

class ProgramStats {
  seen = 0;
  readonly order: number[] = [];
  readonly masks = new Map<number, number>();
  counted = false;
  constructor(readonly name: string) {}
}

/** Bit indexes of a mask, lowest first (rule order). */
function bitsOf(mask: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 32; i++) if (mask & (1 << i)) out.push(i);
  return out;
}

/**
 * Adds `n` to a top map; when it holds twice TOP_CAP messages, keeps the TOP_CAP most frequent (`pruneTop`).
 * It used to drop its count-1 entries whenever it held over TOP_CAP: an attacker who first logged 2,001
 * distinct messages twice left no room, so every later message (500,000 disk errors among them) was added
 * at 1 and dropped at once, and each line rescanned the whole map. Now a message that comes more often than
 * one in TOP_CAP new ones survives the prune and keeps counting.
 */
export function addCapped(top: Map<string, number>, folded: string, n: number): void {
  top.set(folded, (top.get(folded) ?? 0) + n);
  if (top.size > 2 * TOP_CAP) pruneTop(top, TOP_CAP);
}

/** One folded message of a part: its counts per mask. */
export interface FoldPart {
  folded: string;
  counts: [mask: number, n: number][];
}

/** One service's counters in a part. */
export interface ServicePart {
  name: string;
  order: number[];
  masks: {
    mask: number;
    count: number;
    first: number | null;
    last: number | null;
    sources: string[];
    perHour: [hour: number, n: number][];
    attack: number;
    attackPerHour: [hour: number, n: number][];
  }[];
  samples: Evidence[][];
  /** Interned messages, or null once the service went over TOP_CAP. */
  folds: FoldPart[] | null;
  /** Per category index, its top map, once over TOP_CAP. */
  exact: [folded: string, n: number][][] | null;
}

/** A LogStats as plain data (see LogStats.toPart). */
export interface StatsPart {
  services: ServicePart[];
  programs: { name: string; order: number[]; masks: [mask: number, n: number][] }[];
}

/**
 * Stats by service, then by category id, and per program. Lines are added with their category mask (bit
 * `i` is `categoryIds[i]`, as RuleSet.categories numbers them); `services` and `programs` are built from
 * the counters when read.
 */
export class LogStats {
  private readonly byService = new Map<string, ServiceStats>();
  private readonly byProgram = new Map<string, ProgramStats>();
  /** Programs in the order they were first counted. */
  private readonly programOrder: ProgramStats[] = [];
  private built: { services: Map<string, Map<string, CategoryStats>> } | undefined;
  private builtPrograms: Map<string, Map<string, number>> | undefined;

  constructor(
    private readonly samples: number,
    private readonly categoryIds: readonly string[],
  ) {}

  /**
   * Counts one line for a service in the categories of `mask` (not 0); `folder` keys it from its bytes;
   * `attack`: an attack detector counts it (still counted everywhere, and also as an attack line).
   */
  addLine(
    service: string,
    mask: number,
    source: string,
    line: number,
    time: number | null,
    text: string,
    messageStart: number,
    folder?: LineFolder,
    attack = false,
  ): void {
    this.built = undefined;
    let svc = this.byService.get(service);
    if (!svc) this.byService.set(service, (svc = new ServiceStats(this.samples)));
    if ((mask & ~svc.seen) !== 0) {
      for (const i of bitsOf(mask & ~svc.seen)) svc.order.push(i);
      svc.seen |= mask;
    }
    let m = svc.lastMask;
    if (m === null || m.mask !== mask) {
      m = svc.masks.get(mask) ?? null;
      if (m === null) svc.masks.set(mask, (m = new MaskStats(mask)));
      svc.lastMask = m;
    }
    m.count++;
    if (source !== m.lastSource) {
      m.sources.add(source);
      m.lastSource = source;
    }
    if (time !== null) {
      const hour = Math.floor(time / 3_600_000) * 3_600_000;
      if (hour === m.hour) m.hourCount++;
      else {
        if (m.hourCount > 0) m.perHour.set(m.hour, (m.perHour.get(m.hour) ?? 0) + m.hourCount);
        m.hour = hour;
        m.hourCount = 1;
      }
      if (m.first === null || time < m.first) m.first = time;
      if (m.last === null || time > m.last) m.last = time;
    }
    if (attack) {
      m.attack++;
      if (time !== null) {
        const hour = Math.floor(time / 3_600_000) * 3_600_000;
        m.attackPerHour.set(hour, (m.attackPerHour.get(hour) ?? 0) + 1);
      }
    }
    this.countMessage(svc, m, text, messageStart, folder);
    if ((mask & svc.needSamples) !== 0) {
      for (const i of bitsOf(mask & svc.needSamples)) {
        const list = (svc.samples[i] ??= []);
        list.push(evidence({ source, line, time, text, messageStart }));
        if (list.length >= this.samples) svc.needSamples &= ~(1 << i);
      }
    }
  }

  private countMessage(
    svc: ServiceStats,
    m: MaskStats,
    text: string,
    messageStart: number,
    folder: LineFolder | undefined,
  ): void {
    const clip = Math.min(text.length, messageStart + FOLD_CLIP);
    const start = trimStart(text, messageStart, clip);
    const end = trimEnd(text, start, clip);
    if (svc.table !== null) {
      const low = folder ? folder.key(start, end) : foldHash(text, start, end);
      const high = folder ? folder.high : foldKey.high;
      if (this.countKeyed(svc, m.mask, low, high, 1, text, start, end)) return;
    }
    this.countExact(svc, m.mask, foldRange(text, start, end), 1);
  }

  /**
   * Adds `n` lines of `mask` to the interned message with key (low, high), interning `s[start, end)`'s
   * folded form when new; false when the service just went over TOP_CAP (count it with countExact).
   */
  private countKeyed(
    svc: ServiceStats,
    mask: number,
    low: number,
    high: number,
    n: number,
    s: string,
    start: number,
    end: number,
  ): boolean {
    const table = svc.table as Map<number, FoldEntry>;
    const head = table.get(low) ?? null;
    let e = head;
    while (e !== null && e.high !== high) e = e.next;
    if (e === null) {
      if (svc.distinct >= TOP_CAP) {
        svc.exact = this.topMaps(svc);
        svc.table = null;
        return false;
      }
      svc.distinct++;
      e = { folded: foldRange(s, start, end), high, next: head, mask, n: 0, more: null };
      table.set(low, e);
    }
    if (e.mask === mask) e.n += n;
    else {
      const more = (e.more ??= new Map());
      more.set(mask, (more.get(mask) ?? 0) + n);
    }
    return true;
  }

  /** Per-category counting past TOP_CAP distinct messages (see `addCapped`). */
  private countExact(svc: ServiceStats, mask: number, folded: string, n: number): void {
    const exact = svc.exact as Map<string, number>[];
    for (const i of bitsOf(mask)) addCapped((exact[i] ??= new Map()), folded, n);
  }

  /** Per category index, folded message → lines (exact sums while the service is under TOP_CAP). */
  private topMaps(svc: ServiceStats): Map<string, number>[] {
    if (svc.exact) return svc.exact;
    const maps: Map<string, number>[] = [];
    const add = (folded: string, mask: number, n: number) => {
      for (const i of bitsOf(mask)) {
        const top = (maps[i] ??= new Map());
        top.set(folded, (top.get(folded) ?? 0) + n);
      }
    };
    for (const head of (svc.table as Map<number, FoldEntry>).values())
      for (let e: FoldEntry | null = head; e !== null; e = e.next) {
        add(e.folded, e.mask, e.n);
        if (e.more) for (const [mask, n] of e.more) add(e.folded, mask, n);
      }
    return maps;
  }

  /** The program record a line's counts go to (`-` for lines without one); hold it to skip a lookup. */
  program(program: string | null): ProgramStats {
    const key = program ?? '-';
    let p = this.byProgram.get(key);
    if (!p) this.byProgram.set(key, (p = new ProgramStats(key)));
    return p;
  }

  /** Counts one line for its program in the categories of `mask` (not 0). */
  addProgram(p: ProgramStats, mask: number): void {
    this.builtPrograms = undefined;
    if (!p.counted) {
      p.counted = true;
      this.programOrder.push(p);
    }
    if ((mask & ~p.seen) !== 0) {
      for (const i of bitsOf(mask & ~p.seen)) p.order.push(i);
      p.seen |= mask;
    }
    p.masks.set(mask, (p.masks.get(mask) ?? 0) + 1);
  }

  /** The counters as plain data (structured-clone safe): what a worker thread sends back for `merge`. */
  toPart(): StatsPart {
    const services: ServicePart[] = [];
    for (const [name, svc] of this.byService) {
      const folds: FoldPart[] = [];
      if (svc.table !== null)
        for (const head of svc.table.values())
          for (let e: FoldEntry | null = head; e !== null; e = e.next)
            folds.push({ folded: e.folded, counts: [[e.mask, e.n], ...(e.more ?? [])] });
      services.push({
        name,
        order: [...svc.order],
        masks: [...svc.masks.values()].map((m) => {
          const perHour = new Map(m.perHour);
          if (m.hourCount > 0) perHour.set(m.hour, (perHour.get(m.hour) ?? 0) + m.hourCount);
          return {
            mask: m.mask,
            count: m.count,
            first: m.first,
            last: m.last,
            sources: [...m.sources],
            perHour: [...perHour],
            attack: m.attack,
            attackPerHour: [...m.attackPerHour],
          };
        }),
        samples: svc.samples.map((list) => list ?? []),
        // Their order does not matter: top lists sort by count, then message.
        folds: svc.table !== null ? folds : null,
        exact: svc.exact ? svc.exact.map((top) => (top ? [...top] : [])) : null,
      });
    }
    const programs = this.programOrder.map((p) => ({
      name: p.name,
      order: [...p.order],
      masks: [...p.masks],
    }));
    return { services, programs };
  }

  /**
   * Adds the counters of the part of a log that follows everything added so far (parts merged in file
   * order give what one pass gives; only past TOP_CAP distinct messages may the rare ones differ). The
   * part's line numbers were counted from its start: `lineBase` lines precede it.
   */
  merge(part: StatsPart, lineBase: number): void {
    this.built = undefined;
    this.builtPrograms = undefined;
    for (const ps of part.services) {
      let svc = this.byService.get(ps.name);
      if (!svc) this.byService.set(ps.name, (svc = new ServiceStats(this.samples)));
      for (const i of ps.order)
        if ((svc.seen & (1 << i)) === 0) {
          svc.order.push(i);
          svc.seen |= 1 << i;
        }
      for (const mp of ps.masks) {
        let m = svc.masks.get(mp.mask);
        if (!m) svc.masks.set(mp.mask, (m = new MaskStats(mp.mask)));
        m.count += mp.count;
        for (const src of mp.sources) m.sources.add(src);
        if (mp.first !== null && (m.first === null || mp.first < m.first)) m.first = mp.first;
        if (mp.last !== null && (m.last === null || mp.last > m.last)) m.last = mp.last;
        for (const [h, n] of mp.perHour) m.perHour.set(h, (m.perHour.get(h) ?? 0) + n);
        m.attack += mp.attack;
        for (const [h, n] of mp.attackPerHour) m.attackPerHour.set(h, (m.attackPerHour.get(h) ?? 0) + n);
      }
      ps.samples.forEach((list, i) => {
        for (const e of list) {
          if ((svc.needSamples & (1 << i)) === 0) break;
          const mine = (svc.samples[i] ??= []);
          mine.push(e.line === undefined ? e : { ...e, line: e.line + lineBase });
          if (mine.length >= this.samples) svc.needSamples &= ~(1 << i);
        }
      });
      for (const f of ps.folds ?? [])
        for (const [mask, n] of f.counts) {
          if (svc.table !== null) {
            const low = foldHash(f.folded, 0, f.folded.length);
            if (this.countKeyed(svc, mask, low, foldKey.high, n, f.folded, 0, f.folded.length)) continue;
          }
          this.countExact(svc, mask, f.folded, n);
        }
      if (ps.exact) {
        if (svc.table !== null) {
          svc.exact = this.topMaps(svc);
          svc.table = null;
        }
        const exact = svc.exact as Map<string, number>[];
        ps.exact.forEach((top, i) => {
          for (const [folded, n] of top) addCapped((exact[i] ??= new Map()), folded, n);
        });
      }
    }
    for (const pp of part.programs) {
      const p = this.program(pp.name === '-' ? null : pp.name);
      if (!p.counted) {
        p.counted = true;
        this.programOrder.push(p);
      }
      for (const i of pp.order)
        if ((p.seen & (1 << i)) === 0) {
          p.order.push(i);
          p.seen |= 1 << i;
        }
      for (const [mask, n] of pp.masks) p.masks.set(mask, (p.masks.get(mask) ?? 0) + n);
    }
  }

  /** Stats by service (in the order services were first counted), then by category id (first counted). */
  get services(): Map<string, Map<string, CategoryStats>> {
    if (this.built) return this.built.services;
    const services = new Map<string, Map<string, CategoryStats>>();
    for (const [name, svc] of this.byService) {
      const cats = new Map<string, CategoryStats>();
      const tops = this.topMaps(svc);
      for (const i of svc.order) {
        const bit = 1 << i;
        const s: CategoryStats = {
          count: 0,
          perHour: new Map(),
          first: null,
          last: null,
          top: new Map(tops[i] ?? []),
          samples: [...(svc.samples[i] ?? [])],
          sources: new Set(),
          attack: 0,
          attackPerHour: new Map(),
        };
        for (const m of svc.masks.values()) {
          if ((m.mask & bit) === 0) continue;
          s.count += m.count;
          for (const src of m.sources) s.sources.add(src);
          if (m.first !== null && (s.first === null || m.first < s.first)) s.first = m.first;
          if (m.last !== null && (s.last === null || m.last > s.last)) s.last = m.last;
          for (const [h, n] of m.perHour) s.perHour.set(h, (s.perHour.get(h) ?? 0) + n);
          if (m.hourCount > 0) s.perHour.set(m.hour, (s.perHour.get(m.hour) ?? 0) + m.hourCount);
          s.attack += m.attack;
          for (const [h, n] of m.attackPerHour) s.attackPerHour.set(h, (s.attackPerHour.get(h) ?? 0) + n);
        }
        cats.set(this.categoryIds[i] ?? String(i), s);
      }
      services.set(name, cats);
    }
    this.built = { services };
    return services;
  }

  /** Matching lines of a service, each once (a line in two categories is counted in both, but is one line). */
  linesOf(service: string): number {
    let n = 0;
    for (const m of this.byService.get(service)?.masks.values() ?? []) n += m.count;
    return n;
  }

  /** Lines per program and category (syslog tag, or `-` for lines without one), for scan summaries. */
  get programs(): Map<string, Map<string, number>> {
    if (this.builtPrograms) return this.builtPrograms;
    const programs = new Map<string, Map<string, number>>();
    for (const p of this.programOrder) {
      const counts = new Map<string, number>();
      for (const i of p.order) {
        let n = 0;
        for (const [mask, c] of p.masks) if (mask & (1 << i)) n += c;
        counts.set(this.categoryIds[i] ?? String(i), n);
      }
      programs.set(p.name, counts);
    }
    this.builtPrograms = programs;
    return programs;
  }
}

/** A line as evidence: host path, line number, time, decoded text. */
export function evidence(l: AggregateLine): Evidence {
  const e: Evidence = { source: l.source, text: lineText(Buffer.from(l.text, 'latin1')) };
  if (l.line > 0) e.line = l.line;
  if (l.time !== null) e.time = new Date(l.time).toISOString();
  return e;
}

/** The busiest hour's count. */
export function peakOf(s: CategoryStats): number {
  let peak = 0;
  for (const n of s.perHour.values()) if (n > peak) peak = n;
  return peak;
}

/** The top `n` folded messages, most frequent first (ties by message, for stable output). */
export function topOf(s: CategoryStats, n: number): { message: string; count: number }[] {
  return [...s.top]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([message, count]) => ({ message: lineText(Buffer.from(message, 'latin1'), 300), count }));
}
