/**
 * Lines of a log streamed in chunks, as src/logs reads them: each line's bytes (without the `\n`), a line
 * over 1 MiB cut to its first 64 KiB, so no line (a log padded with a few hundred MB of NULs) costs more
 * memory than that. Pure: the caller feeds the bytes.
 */

/** A line longer than this (in bytes) is kept as its first LONG_LINE_HEAD bytes only. */
export const MAX_LINE_BYTES = 1 << 20;
/** What is kept of a line over MAX_LINE_BYTES. */
export const LONG_LINE_HEAD_BYTES = 64 << 10;

/** Splits chunks of a file into lines (1-based numbers), capped as above. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private long = false;
  private lineNo = 0;

  /** `onLine` gets each line (its own copy of the bytes) and its number in the file. */
  constructor(private readonly onLine: (line: Buffer, lineNo: number) => void) {}

  /** Feeds the next bytes of the file (they are copied: the caller may reuse the buffer). */
  push(chunk: Uint8Array): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.add(chunk.subarray(start));
        return;
      }
      this.add(chunk.subarray(start, nl));
      this.emit();
      start = nl + 1;
    }
  }

  /** Ends the file: its last line, if it does not end with `\n`. */
  end(): void {
    if (this.size > 0 || this.long) this.emit();
  }

  private add(part: Uint8Array): void {
    if (this.long || part.length === 0) return;
    const room = MAX_LINE_BYTES + 1 - this.size;
    const kept = part.length > room ? part.subarray(0, room) : part;
    this.parts.push(Buffer.from(kept));
    this.size += kept.length;
    if (this.size > MAX_LINE_BYTES) {
      this.long = true;
      this.parts = [Buffer.concat(this.parts).subarray(0, LONG_LINE_HEAD_BYTES)];
    }
  }

  private emit(): void {
    const line = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.long = false;
    this.lineNo++;
    this.onLine(line, this.lineNo);
  }
}
