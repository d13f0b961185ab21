/**
 * A small direct-mapped string cache: the same host or user text cut out of many lines becomes one string
 * object. The detectors then hash each host once (V8 keeps a string's hash in the string) and compare keys
 * by identity, which halves their cost per event; a miss only replaces the slot. Hand-written because the
 * point is to avoid creating the string before looking it up, which a Map cannot do.
 */
export class Interner {
  private readonly slots: string[];
  private readonly mask: number;

  constructor(bits = 12) {
    this.slots = new Array<string>(1 << bits).fill('');
    this.mask = (1 << bits) - 1;
  }

  /** `s.slice(from, to)`, as an already cached string when it is one. */
  slice(s: string, from: number, to: number): string {
    const n = to - from;
    let h = n;
    for (let i = from; i < to; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
    const k = (h ^ (h >>> 12)) & this.mask;
    const c = this.slots[k] as string;
    if (c.length === n && n > 0 && s.startsWith(c, from)) return c;
    const v = s.slice(from, to);
    this.slots[k] = v;
    return v;
  }

  /** `s` itself, or the cached string with the same text. */
  of(s: string): string {
    return this.slice(s, 0, s.length);
  }
}
