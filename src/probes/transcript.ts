import { clip } from '../core/sanitize.ts';
import type { TranscriptEntry } from './types.ts';

/** Longest text kept for one transcript line. */
export const LINE_MAX = 240;
const HEAD = 30;
const TAIL = 20;

/**
 * Records an exchange with a server, bounded: the first lines (banner, greeting) and the last ones (where a
 * failure shows) are kept, the middle is counted. Text is stored raw (untrusted); renderers neutralise it.
 */
export class Transcript {
  readonly #clock: () => number;
  readonly #head: TranscriptEntry[] = [];
  #tail: TranscriptEntry[] = [];
  #dropped = 0;

  /** `clock` gives milliseconds since the probe started. */
  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** Something tenken sent; `secret` lines (passwords, AUTH payloads) keep only their first word(s). */
  sent(text: string, opts: { secret?: string } = {}): void {
    this.#add('sent', opts.secret ?? text);
  }

  /** Something the server sent. */
  received(text: string): void {
    this.#add('received', text);
  }

  /** An event: connected, TLS established, a step skipped. */
  note(text: string): void {
    this.#add('note', text);
  }

  /** The kept entries in order, with one note standing for the lines left out. */
  entries(): TranscriptEntry[] {
    if (this.#dropped === 0) return [...this.#head, ...this.#tail];
    const first = this.#tail[0];
    const gap: TranscriptEntry = {
      at: first?.at ?? 0,
      dir: 'note',
      text: `(${this.#dropped} line${this.#dropped === 1 ? '' : 's'} left out)`,
    };
    return [...this.#head, gap, ...this.#tail];
  }

  #add(dir: TranscriptEntry['dir'], text: string): void {
    const entry = {
      at: Math.round(this.#clock() * 10) / 10,
      dir,
      text: clip(text.replace(/\r?\n$/, ''), LINE_MAX),
    };
    if (this.#head.length < HEAD) {
      this.#head.push(entry);
      return;
    }
    this.#tail.push(entry);
    if (this.#tail.length > TAIL) {
      this.#tail = this.#tail.slice(1);
      this.#dropped++;
    }
  }
}
