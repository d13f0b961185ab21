import { FOLD_WORDS, type LineFolder, SEED1, SEED2 } from '../fold.ts';

/**
 * The keyword kernel: a small WebAssembly SIMD program that finds every line containing a keyword
 * (ASCII case folded like `LC_ALL=C grep -i`, other bytes exact) in a byte range, 16 bytes per step,
 * and returns one record per matching line: line start, newlines before it, and the OR of the
 * matched keywords' category bits.
 *
 * Why hand-written: V8's best JavaScript option, one case-insensitive alternation regex over a latin1
 * string, measured ~0.4 GB/s here with the runbook's 21 keywords, slower than GNU grep's DFA; a byte
 * loop in JavaScript tops out near 1 GB/s for the simplest test. No maintained npm package scans bytes
 * for many case-folded literals with offsets. The kernel is the "Teddy" filter of Rust's
 * aho-corasick/regex crates (nibble tables looked up with a byte shuffle over the first three bytes of
 * each keyword, in 8 buckets), followed by an exact, case-folded compare of each candidate, plus
 * newline counting in the same pass. It is emitted below from a readable listing (no wasm toolchain is
 * needed to build tenken) and checked against the regex path and grep by the tests.
 *
 * Memory layout (one WebAssembly.Memory per scanner; addresses in bytes):
 *   0     fold table: byte → lower-case ASCII letter, or the byte itself
 *   256   nibble tables L0 H0 L1 H1 L2 H2 (16 bytes each): bucket bits per low/high nibble of byte j
 *   352   scratch (16 bytes): the candidate vector of the current step
 *   368   state: last newline address (i32), newlines counted (i32)
 *   376   address of the keyword descriptors (i32), address of the output records (i32)
 *   384   buckets: 8 × (first keyword index, end index) (i32 pairs)
 *   448   fold output: the high half of the last message key (i32)
 *   452   prefilter: address of the prefix bitmap (i32), mask of the prefix bytes it hashes (i32), OR of
 *         every keyword's category bits (i32: a line holding them all needs no more compares)
 *   512   word classes for message folding: byte → 0 (other), 1 (word character), 2 (digit)
 *   768   keyword descriptors: n × (bytes address, length, category bits, first four bytes folded,
 *         their case bits, their byte mask, how many of them the keyword has) (seven i32)
 *   ...   keyword bytes (lower-cased), the prefix bitmap (8 KiB), output records (line start,
 *         newlines before, bits), data
 */

const FOLD = 0;
const TABLES = 256;
const SCRATCH = 352;
const STATE = 368;
const HEADER = 376;
const BUCKETS = 384;
const FOLD_OUT = 448;
const FILTER = 452;
const FILTER_MASK = 456;
const FULL = 460;
const WORDS = 512;
const DESCRIPTORS = 768;
/** Output record size in bytes: line start, newlines before it, category bits. */
const RECORD = 12;
/** Keyword descriptor size in bytes: bytes address, length, category bits, prefix, its case bits, byte mask, length. */
const DESCRIPTOR = 28;
/** Bits of the prefix bitmap's index (the bitmap is 2^16 bits: 8 KiB). */
const FILTER_BITS = 16;
/** Multiplier of the prefix hash (Fibonacci hashing: the top bits of the product are well mixed). */
const GOLDEN = 0x9e3779b1 | 0;
/** Bytes scanned per kernel call: bounds the output records (at most one per 2 bytes). */
const STEP = 1 << 16;
const RECORDS_CAP = STEP / 2 + 16;
/** Bytes readable past the data end (the kernel loads 16 bytes at offsets up to +2). */
const PAD = 64;
/** More keywords than this: candidates would need too many compares; the regex path is used instead. */
const MAX_KEYWORDS = 256;

// --- a minimal WebAssembly binary encoder (only what the kernel uses) ---

function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];

const I32 = 0x7f;
const V128 = 0x7b;
/** Instructions used by the kernel (opcodes from the WebAssembly core and SIMD specs). */
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  const: (n: number) => [0x41, ...sleb(n)],
  load: (offset = 0) => [0x28, 2, ...uleb(offset)],
  load8: (offset = 0) => [0x2d, 0, ...uleb(offset)],
  store: (offset = 0) => [0x36, 2, ...uleb(offset)],
  eqz: [0x45],
  eq: [0x46],
  ne: [0x47],
  ltU: [0x49],
  leU: [0x4d],
  geU: [0x4f],
  clz: [0x67],
  ctz: [0x68],
  popcnt: [0x69],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  or: [0x72],
  xor: [0x73],
  shl: [0x74],
  shrU: [0x76],
  vload: (offset = 0) => [0xfd, 0x00, 0, ...uleb(offset)],
  vstore: (offset = 0) => [0xfd, 0x0b, 0, ...uleb(offset)],
  swizzle: [0xfd, 0x0e],
  splat8: [0xfd, 0x0f],
  eq8: [0xfd, 0x23],
  ne8: [0xfd, 0x24],
  vand: [0xfd, 0x4e],
  bitmask8: [0xfd, 0x64],
  shrU8: [0xfd, 0x6d],
};

/**
 * `scan(from, to, limit) → records`: finds keyword starts in [from, to) whose keyword ends by `limit`,
 * continuing the newline state at STATE; writes one record per matching line (lines split across
 * calls get one record per call: the caller merges them).
 */
function kernelBytes(): Uint8Array {
  // Locals: params 0..2, then 29 i32 locals, then 10 v128 locals (declared in this order below).
  const [from, to, limit] = [0, 1, 2];
  let next = 3;
  const local = (): number => next++;
  // biome-ignore format: the locals in declaration order: 29 i32, then 10 v128 (see `locals` below)
  const i = local(), lastNL = local(), nl = local(), cnt = local(), nlm = local(), cm = local(),
    t = local(), p = local(), bits = local(), b = local(), k = local(), kend = local(), ka = local(),
    ko = local(), kl = local(), q = local(), mask = local(), ls = local(), pm = local(),
    prevLS = local(), kd = local(), out = local(), flt = local(), fmask = local(), full = local(),
    skip = local(), lm = local(), nx = local(), h = local(),
    M = local(), L0 = local(), H0 = local(), L1 = local(), H1 = local(), L2 = local(), H2 = local(),
    NIB = local(), NL = local(), ZERO = local();
  const tables = [L0, H0, L1, H1, L2, H2];
  /** Bucket bits of the 16 positions starting at i + j: L_j[low nibble] & H_j[high nibble]. */
  const fingerprint = (j: number) => [
    ...op.get(tables[2 * j] as number),
    ...op.get(i),
    ...op.vload(j),
    ...op.get(NIB),
    ...op.vand,
    ...op.swizzle,
    ...op.get(tables[2 * j + 1] as number),
    ...op.get(i),
    ...op.vload(j),
    ...op.const(4),
    ...op.shrU8,
    ...op.swizzle,
    ...op.vand,
  ];
  // biome-ignore format: a listing, one source step per row (as in a .wat file)
  const body = [
    ...op.const(HEADER), ...op.load(0), ...op.set(kd),
    ...op.const(HEADER), ...op.load(4), ...op.set(out),
    ...op.const(STATE), ...op.load(0), ...op.set(lastNL),
    ...op.const(STATE), ...op.load(4), ...op.set(nl),
    ...op.const(-1), ...op.set(prevLS),
    ...op.const(FILTER), ...op.load(0), ...op.set(flt),
    ...op.const(FILTER_MASK), ...op.load(0), ...op.set(fmask),
    ...op.const(FULL), ...op.load(0), ...op.set(full),
    ...op.const(0), ...op.set(skip),
    ...tables.flatMap((local, j) => [...op.const(TABLES + 16 * j), ...op.vload(0), ...op.set(local)]),
    ...op.const(15), ...op.splat8, ...op.set(NIB),
    ...op.const(10), ...op.splat8, ...op.set(NL),
    ...op.get(from), ...op.set(i),
    ...op.block,
    ...op.loop,
    ...op.get(i), ...op.get(to), ...op.geU, ...op.brIf(1),
    ...fingerprint(0), ...fingerprint(1), ...op.vand, ...fingerprint(2), ...op.vand, ...op.set(M),
    ...op.get(M), ...op.get(ZERO), ...op.ne8, ...op.bitmask8, ...op.set(cm),
    ...op.get(i), ...op.vload(0), ...op.get(NL), ...op.eq8, ...op.bitmask8, ...op.set(nlm),
    // A last step that reaches past `to`: drop its lanes beyond the end.
    ...op.get(to), ...op.get(i), ...op.sub, ...op.tee(q), ...op.const(16), ...op.ltU,
    ...op.if,
    ...op.const(1), ...op.get(q), ...op.shl, ...op.const(1), ...op.sub, ...op.tee(pm),
    ...op.get(cm), ...op.and, ...op.set(cm),
    ...op.get(pm), ...op.get(nlm), ...op.and, ...op.set(nlm),
    ...op.end,
    // The line this step starts in already holds every category: its candidates need no compare.
    ...op.get(skip),
    ...op.if,
    ...op.get(nlm),
    ...op.if,
    ...op.get(cm), ...op.const(0), ...op.get(nlm), ...op.const(0), ...op.get(nlm), ...op.sub, ...op.and,
    ...op.const(1), ...op.shl, ...op.sub, ...op.and, ...op.set(cm),
    ...op.const(0), ...op.set(skip),
    ...op.else,
    ...op.const(0), ...op.set(cm),
    ...op.end,
    ...op.end,
    ...op.get(cm),
    ...op.if,
    ...op.const(SCRATCH), ...op.get(M), ...op.vstore(0),
    // For each candidate lane t …
    ...op.block,
    ...op.loop,
    ...op.get(cm), ...op.eqz, ...op.brIf(1),
    ...op.get(cm), ...op.ctz, ...op.set(t),
    ...op.get(cm), ...op.get(cm), ...op.const(1), ...op.sub, ...op.and, ...op.set(cm),
    ...op.get(i), ...op.get(t), ...op.add, ...op.set(p),
    // The prefix bitmap: a lane whose first bytes (ORed with 0x20: a superset of case folding) hash to
    // no keyword's is dropped before any bucket's keywords are compared.
    ...op.get(p), ...op.load(0), ...op.get(fmask), ...op.and, ...op.const(0x20202020), ...op.or,
    ...op.const(GOLDEN), ...op.mul, ...op.const(32 - FILTER_BITS), ...op.shrU, ...op.tee(h),
    ...op.const(3), ...op.shrU, ...op.get(flt), ...op.add, ...op.load8(0),
    ...op.get(h), ...op.const(7), ...op.and, ...op.shrU, ...op.const(1), ...op.and,
    ...op.eqz, ...op.brIf(0),
    ...op.const(SCRATCH), ...op.get(t), ...op.add, ...op.load8(0), ...op.set(bits),
    ...op.const(0), ...op.set(mask),
    // … for each bucket b of the lane …
    ...op.block,
    ...op.loop,
    ...op.get(bits), ...op.eqz, ...op.brIf(1),
    ...op.get(bits), ...op.ctz, ...op.set(b),
    ...op.get(bits), ...op.get(bits), ...op.const(1), ...op.sub, ...op.and, ...op.set(bits),
    ...op.const(BUCKETS), ...op.get(b), ...op.const(3), ...op.shl, ...op.add, ...op.tee(q),
    ...op.load(0), ...op.set(k),
    ...op.get(q), ...op.load(4), ...op.set(kend),
    // … for each keyword k of the bucket: compare, case folded.
    ...op.block,
    ...op.loop,
    ...op.get(k), ...op.get(kend), ...op.geU, ...op.brIf(1),
    ...op.get(kd), ...op.get(k), ...op.const(DESCRIPTOR), ...op.mul, ...op.add, ...op.tee(ka),
    ...op.load(0), ...op.set(ko),
    ...op.get(ka), ...op.load(4), ...op.set(kl),
    ...op.get(p), ...op.get(kl), ...op.add, ...op.get(limit), ...op.leU,
    ...op.if,
    // The first (up to) four bytes at once: masked, case bits set, compared with the folded prefix.
    ...op.get(p), ...op.load(0), ...op.get(ka), ...op.load(20), ...op.and, ...op.get(ka), ...op.load(16),
    ...op.or, ...op.get(ka), ...op.load(12), ...op.eq,
    ...op.if,
    ...op.get(ka), ...op.load(24), ...op.set(q),
    ...op.block,
    ...op.loop,
    ...op.get(q), ...op.get(kl), ...op.geU, ...op.brIf(1),
    ...op.get(p), ...op.get(q), ...op.add, ...op.load8(0), ...op.load8(FOLD),
    ...op.get(ko), ...op.get(q), ...op.add, ...op.load8(0),
    ...op.ne, ...op.brIf(1),
    ...op.get(q), ...op.const(1), ...op.add, ...op.set(q),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...op.get(q), ...op.get(kl), ...op.eq,
    ...op.if,
    ...op.get(mask), ...op.get(ka), ...op.load(8), ...op.or, ...op.set(mask),
    ...op.end,
    ...op.end,
    ...op.end,
    ...op.get(k), ...op.const(1), ...op.add, ...op.set(k),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...op.br(0),
    ...op.end,
    ...op.end,
    // A match: its line starts after the last newline before p.
    ...op.get(mask),
    ...op.if,
    ...op.get(nlm), ...op.const(1), ...op.get(t), ...op.shl, ...op.const(1), ...op.sub, ...op.and,
    ...op.tee(pm),
    ...op.if,
    ...op.get(i), ...op.const(32), ...op.get(pm), ...op.clz, ...op.sub, ...op.add, ...op.set(ls),
    ...op.else,
    ...op.get(lastNL), ...op.const(1), ...op.add, ...op.set(ls),
    ...op.end,
    ...op.get(ls), ...op.get(prevLS), ...op.eq,
    ...op.if,
    ...op.get(out), ...op.get(cnt), ...op.const(1), ...op.sub, ...op.const(RECORD), ...op.mul, ...op.add,
    ...op.tee(q), ...op.get(q), ...op.load(8), ...op.get(mask), ...op.or, ...op.store(8),
    ...op.get(lm), ...op.get(mask), ...op.or, ...op.set(lm),
    ...op.else,
    ...op.get(out), ...op.get(cnt), ...op.const(RECORD), ...op.mul, ...op.add, ...op.tee(q),
    ...op.get(ls), ...op.store(0),
    ...op.get(q), ...op.get(nl), ...op.get(pm), ...op.popcnt, ...op.add, ...op.store(4),
    ...op.get(q), ...op.get(mask), ...op.store(8),
    ...op.get(cnt), ...op.const(1), ...op.add, ...op.set(cnt),
    ...op.get(ls), ...op.set(prevLS),
    ...op.get(mask), ...op.set(lm),
    ...op.end,
    // The line holds every category: drop its other candidates (up to its newline, or this step's end
    // and the next steps' until a newline).
    ...op.get(lm), ...op.get(full), ...op.and, ...op.get(full), ...op.eq,
    ...op.if,
    ...op.get(nlm), ...op.const(0), ...op.const(2), ...op.get(t), ...op.shl, ...op.sub, ...op.and,
    ...op.tee(nx),
    ...op.if,
    ...op.get(cm), ...op.const(0), ...op.get(nx), ...op.const(0), ...op.get(nx), ...op.sub, ...op.and,
    ...op.const(1), ...op.shl, ...op.sub, ...op.and, ...op.set(cm),
    ...op.else,
    ...op.const(0), ...op.set(cm),
    ...op.const(1), ...op.set(skip),
    ...op.end,
    ...op.end,
    ...op.end,
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...op.end,
    // Newlines of this step.
    ...op.get(nlm),
    ...op.if,
    ...op.get(i), ...op.const(31), ...op.get(nlm), ...op.clz, ...op.sub, ...op.add, ...op.set(lastNL),
    ...op.get(nl), ...op.get(nlm), ...op.popcnt, ...op.add, ...op.set(nl),
    ...op.end,
    ...op.get(i), ...op.const(16), ...op.add, ...op.set(i),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...op.const(STATE), ...op.get(lastNL), ...op.store(0),
    ...op.const(STATE), ...op.get(nl), ...op.store(4),
    ...op.get(cnt),
    ...op.end,
  ];
  const locals = vec([
    [...uleb(29), I32],
    [...uleb(10), V128],
  ]);
  const code = [...locals, ...body];
  const fold = foldBody();
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])],
        [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([[I32]])],
      ]),
    ),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([uleb(0), uleb(1)])),
    ...section(
      7,
      vec([
        [...name('scan'), 0x00, ...uleb(0)],
        [...name('fold'), 0x00, ...uleb(1)],
      ]),
    ),
    ...section(
      10,
      vec([
        [...uleb(code.length), ...code],
        [...uleb(fold.length), ...fold],
      ]),
    ),
  ]);
}

/**
 * `fold(start, end, seed1, seed2) → low`: the key of a message's folded form over bytes [start, end), the
 * same computation as fold.ts's foldHash over the latin1 string (the high half goes to FOLD_OUT).
 */
function foldBody(): number[] {
  const [start, end, h, g] = [0, 1, 2, 3];
  let next = 4;
  const local = (): number => next++;
  // biome-ignore format: the locals in declaration order (6 i32)
  const i = local(), c = local(), w = local(), digit = local(), rh = local(), rg = local();
  const FNV = 0x01000193;
  const MUR = 0x5bd1e995 | 0;
  /** x = (x ^ char) * FNV on the first hash, y = mix(y + char) on the second; char from `ch` (a local or const). */
  // biome-ignore format: a listing, one source step per row
  const mix = (x: number, y: number, ch: number[]) => [
    ...op.get(x), ...ch, ...op.xor, ...op.const(FNV), ...op.mul, ...op.set(x),
    ...op.get(y), ...ch, ...op.add, ...op.const(MUR), ...op.mul, ...op.tee(y),
    ...op.get(y), ...op.const(15), ...op.shrU, ...op.xor, ...op.set(y),
  ];
  // biome-ignore format: a listing, one source step per row (as in a .wat file)
  const body = [
    ...op.get(start), ...op.set(i),
    ...op.block,
    ...op.loop,
    ...op.get(i), ...op.get(end), ...op.geU, ...op.brIf(1),
    ...op.get(i), ...op.load8(0), ...op.tee(c), ...op.load8(WORDS), ...op.tee(w),
    ...op.if,
    // A run of word characters: hashed as itself, or as `#` when it holds a digit.
    ...op.const(0), ...op.set(digit),
    ...op.get(h), ...op.set(rh),
    ...op.get(g), ...op.set(rg),
    ...op.block,
    ...op.loop,
    ...op.get(digit), ...op.get(w), ...op.const(2), ...op.eq, ...op.or, ...op.set(digit),
    ...mix(rh, rg, op.get(c)),
    ...op.get(i), ...op.const(1), ...op.add, ...op.tee(i), ...op.get(end), ...op.geU, ...op.brIf(1),
    ...op.get(i), ...op.load8(0), ...op.tee(c), ...op.load8(WORDS), ...op.tee(w),
    ...op.brIf(0),
    ...op.end,
    ...op.end,
    ...op.get(digit),
    ...op.if,
    ...mix(h, g, op.const(35)),
    ...op.else,
    ...op.get(rh), ...op.set(h),
    ...op.get(rg), ...op.set(g),
    ...op.end,
    ...op.else,
    ...mix(h, g, op.get(c)),
    ...op.get(i), ...op.const(1), ...op.add, ...op.set(i),
    ...op.end,
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...op.const(FOLD_OUT), ...op.get(g), ...op.store(0),
    ...op.get(h),
    ...op.end,
  ];
  return [...vec([[...uleb(6), I32]]), ...body];
}

/** The part of the WebAssembly JS API used here (the project's `lib` has no DOM/WebAssembly values). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (then the regex path is used). */
function kernelModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(kernelBytes()) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled ?? null;
}

/** A keyword (latin1 string of its bytes) and the category bits it gives a line. */
export interface KernelKeyword {
  bytes: string;
  mask: number;
}

const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/** Tables of a keyword list, laid out from DESCRIPTORS; shared by every scanner of a rule set. */
interface Tables {
  bytes: Uint8Array;
}

const tablesCache = new WeakMap<readonly KernelKeyword[], Tables | null>();

function buildTables(keywords: readonly KernelKeyword[]): Tables | null {
  if (keywords.length === 0 || keywords.length > MAX_KEYWORDS) return null;
  if (keywords.some((k) => k.bytes.length === 0)) return null;
  const folded = keywords.map((k) => ({ bytes: Buffer.from(k.bytes, 'latin1').map(lower), mask: k.mask }));
  const fp = Math.min(3, ...folded.map((k) => k.bytes.length));
  const buckets = assignBuckets(
    folded.map((k) => k.bytes),
    fp,
  );
  const kws = buckets.flatMap((b) => b.map((n) => folded[n] as { bytes: Uint8Array; mask: number }));
  const kwBytes = kws.reduce((n, k) => n + k.bytes.length, 0);
  const filterAt = align(DESCRIPTORS + kws.length * DESCRIPTOR + kwBytes, 16);
  const size = filterAt + (1 << (FILTER_BITS - 3));
  const mem = new Uint8Array(size);
  const view = new DataView(mem.buffer);
  for (let c = 0; c < 256; c++) mem[FOLD + c] = lower(c);
  mem.set(FOLD_WORDS, WORDS);
  // Positions the fingerprint does not use accept every byte.
  for (let j = fp; j < 3; j++) mem.fill(0xff, TABLES + 32 * j, TABLES + 32 * j + 32);
  let at = DESCRIPTORS + kws.length * DESCRIPTOR;
  let n = 0;
  const hashed = Math.min(4, ...kws.map((k) => k.bytes.length));
  let full = 0;
  for (const [bucket, members] of buckets.entries()) {
    view.setInt32(BUCKETS + 8 * bucket, n, true);
    for (const index of members) {
      const k = folded[index] as { bytes: Uint8Array; mask: number };
      for (let j = 0; j < fp; j++)
        for (const v of variants(k.bytes[j] as number)) {
          const lo = TABLES + 32 * j + (v & 15);
          const hi = TABLES + 32 * j + 16 + (v >> 4);
          mem[lo] = (mem[lo] as number) | (1 << bucket);
          mem[hi] = (mem[hi] as number) | (1 << bucket);
        }
      view.setInt32(DESCRIPTORS + DESCRIPTOR * n, at, true);
      view.setInt32(DESCRIPTORS + DESCRIPTOR * n + 4, k.bytes.length, true);
      view.setInt32(DESCRIPTORS + DESCRIPTOR * n + 8, k.mask, true);
      const head = prefix(k.bytes, Math.min(4, k.bytes.length));
      view.setInt32(DESCRIPTORS + DESCRIPTOR * n + 12, head.word, true);
      view.setInt32(DESCRIPTORS + DESCRIPTOR * n + 16, head.caseBits, true);
      view.setInt32(DESCRIPTORS + DESCRIPTOR * n + 20, head.mask, true);
      view.setInt32(DESCRIPTORS + DESCRIPTOR * n + 24, Math.min(4, k.bytes.length), true);
      // The bitmap hashes the first `hashed` bytes ORed with 0x20 (what the kernel computes per lane).
      const h = Math.imul(prefix(k.bytes, hashed).word | 0x20202020, GOLDEN) >>> (32 - FILTER_BITS);
      mem[filterAt + (h >> 3)] = (mem[filterAt + (h >> 3)] as number) | (1 << (h & 7));
      full |= k.mask;
      mem.set(k.bytes, at);
      at += k.bytes.length;
      n++;
    }
    view.setInt32(BUCKETS + 8 * bucket + 4, n, true);
  }
  view.setInt32(HEADER, DESCRIPTORS, true);
  view.setInt32(FILTER, filterAt, true);
  view.setInt32(FILTER_MASK, prefix(new Uint8Array(4).fill(0xff), hashed).word, true);
  view.setInt32(FULL, full, true);
  return { bytes: mem };
}

/**
 * The first `n` (<= 4) bytes of a folded keyword as the little-endian word the kernel loads, with the
 * bits that make a loaded word's letters lower case (0x20 where the keyword has a-z) and the byte mask.
 */
function prefix(bytes: Uint8Array, n: number): { word: number; caseBits: number; mask: number } {
  let word = 0;
  let caseBits = 0;
  let mask = 0;
  for (let j = 0; j < n; j++) {
    const c = bytes[j] as number;
    word |= c << (8 * j);
    if (c >= 0x61 && c <= 0x7a) caseBits |= 0x20 << (8 * j);
    mask |= 0xff << (8 * j);
  }
  return { word, caseBits, mask };
}

/** The bytes a folded keyword byte matches: both cases of an ASCII letter (same low nibble). */
function variants(c: number): number[] {
  return c >= 0x61 && c <= 0x7a ? [c, c - 0x20] : [c];
}

/**
 * Puts keywords (folded bytes) into 8 buckets so that few byte triples pass the nibble filter: each
 * bucket accepts every combination of its low and high nibbles per position, so greedily add each
 * keyword where that count grows least (a few orders tried, the best kept). Returns keyword indexes.
 */
function assignBuckets(words: readonly Uint8Array[], fp: number): number[][] {
  const accepted = (sets: Set<number>[]) => sets.reduce((p, s) => p * s.size, 1);
  const orders = [
    words.map((_, n) => n),
    words.map((_, n) => n).sort((a, b) => Buffer.compare(words[a] as Uint8Array, words[b] as Uint8Array)),
    words.map((_, n) => n).sort((a, b) => (words[b] as Uint8Array).length - (words[a] as Uint8Array).length),
  ];
  let best: { cost: number; buckets: number[][] } | undefined;
  for (const order of orders) {
    const sets = Array.from({ length: 8 }, () => Array.from({ length: 2 * fp }, () => new Set<number>()));
    const buckets: number[][] = Array.from({ length: 8 }, () => []);
    for (const n of order) {
      const w = words[n] as Uint8Array;
      let pick = 0;
      let pickGrowth = Number.POSITIVE_INFINITY;
      for (let b = 0; b < 8; b++) {
        const grown = (sets[b] as Set<number>[]).map((s) => new Set(s));
        for (let j = 0; j < fp; j++)
          for (const v of variants(w[j] as number)) {
            (grown[2 * j] as Set<number>).add(v & 15);
            (grown[2 * j + 1] as Set<number>).add(v >> 4);
          }
        const before = (buckets[b] as number[]).length ? accepted(sets[b] as Set<number>[]) : 0;
        const growth = accepted(grown) - before;
        if (growth < pickGrowth) {
          pick = b;
          pickGrowth = growth;
        }
      }
      for (let j = 0; j < fp; j++)
        for (const v of variants(w[j] as number)) {
          (sets[pick]?.[2 * j] as Set<number>).add(v & 15);
          (sets[pick]?.[2 * j + 1] as Set<number>).add(v >> 4);
        }
      (buckets[pick] as number[]).push(n);
    }
    const cost = sets.reduce((sum, s, b) => sum + ((buckets[b] as number[]).length ? accepted(s) : 0), 0);
    if (!best || cost < best.cost) best = { cost, buckets };
  }
  return (best as { buckets: number[][] }).buckets;
}

/** One matching line found by the kernel (offsets relative to the data buffer). */
export interface KernelLine {
  start: number;
  /** Newlines in the buffer before the line. */
  newlines: number;
  mask: number;
}

/** A kernel instance with its own memory: `data` is where bytes to scan are put. */
export class KeywordKernel {
  /** The scan buffer (a view of the kernel's memory). */
  readonly data: Buffer;
  private readonly dataAt: number;
  private readonly i32: Int32Array;
  private readonly outAt: number;
  private readonly scanFn: (from: number, to: number, limit: number) => number;
  /** Keys messages of the line being reported: set `at` to the line's start in `data`. */
  readonly folder: LineFolder & { at: number };

  /** A kernel for `keywords` with a `size`-byte buffer, or null when it cannot be used. */
  static create(keywords: readonly KernelKeyword[], size: number): KeywordKernel | null {
    const module = kernelModule();
    if (!module) return null;
    let tables = tablesCache.get(keywords);
    if (tables === undefined) tablesCache.set(keywords, (tables = buildTables(keywords)));
    if (!tables) return null;
    return wasm ? new KeywordKernel(wasm, module, tables, size) : null;
  }

  private constructor(wasmApi: WasmApi, module: object, tables: Tables, size: number) {
    const outAt = align(tables.bytes.length, 16);
    const dataAt = align(outAt + RECORDS_CAP * RECORD, 64);
    const pages = Math.ceil((dataAt + size + PAD) / 65536);
    const memory = new wasmApi.Memory({ initial: pages, maximum: pages });
    new Uint8Array(memory.buffer).set(tables.bytes);
    this.i32 = new Int32Array(memory.buffer);
    this.i32[(HEADER + 4) >> 2] = outAt;
    const instance = new wasmApi.Instance(module, { env: { mem: memory } });
    this.scanFn = instance.exports.scan as (from: number, to: number, limit: number) => number;
    this.outAt = outAt;
    this.dataAt = dataAt;
    const foldFn = instance.exports.fold as (start: number, end: number, s1: number, s2: number) => number;
    const i32 = this.i32;
    this.folder = {
      at: 0,
      high: 0,
      key(start: number, end: number): number {
        const base = dataAt + this.at;
        const low = foldFn(base + start, base + end, SEED1, SEED2);
        this.high = i32[FOLD_OUT >> 2] as number;
        return low;
      },
    };
    this.data = Buffer.from(memory.buffer, dataAt, size);
  }

  /**
   * Calls `onLine` for every line of data[0, end) holding a keyword, in order, and returns the number
   * of newlines in that range. Keywords must end by `end`.
   */
  scan(end: number, onLine: (start: number, newlines: number, mask: number) => void): number {
    const i32 = this.i32;
    const base = this.dataAt;
    i32[STATE >> 2] = base - 1;
    i32[(STATE + 4) >> 2] = 0;
    let pendingStart = -1;
    let pendingNl = 0;
    let pendingMask = 0;
    for (let from = 0; from < end; from += STEP) {
      const to = Math.min(end, from + STEP);
      const n = this.scanFn(base + from, base + to, base + end);
      let r = this.outAt >> 2;
      for (let x = 0; x < n; x++, r += 3) {
        const start = (i32[r] as number) - base;
        const mask = i32[r + 2] as number;
        if (start === pendingStart) {
          pendingMask |= mask;
          continue;
        }
        if (pendingStart >= 0) onLine(pendingStart, pendingNl, pendingMask);
        pendingStart = start;
        pendingNl = i32[r + 1] as number;
        pendingMask = mask;
      }
    }
    if (pendingStart >= 0) onLine(pendingStart, pendingNl, pendingMask);
    return i32[(STATE + 4) >> 2] as number;
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
