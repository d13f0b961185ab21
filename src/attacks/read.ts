import { createReadStream } from 'node:fs';
import { describe as describeError } from '../core/errors.ts';
import { TenkenError } from '../core/errors.ts';
import type { Accountant, LocatedEvent } from './account.ts';

/**
 * Thin I/O: streams one file through an Accountant in chunks of whole lines, decoded as latin1 so bytes map
 * 1:1 to characters (bad UTF-8 cannot throw, offsets stay byte offsets). Temporary until the log reader
 * (src/logs) hands the attack check its lines with offsets and rotation handling.
 */
export async function accountFile(
  file: string,
  displayName: string,
  acc: Accountant,
  onEvent: (e: LocatedEvent & { source: string }) => void,
): Promise<{ lines: number }> {
  let carry = '';
  let lineNo = 1;
  try {
    const stream = createReadStream(file, { encoding: 'latin1', highWaterMark: 1 << 20 });
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = carry + chunk;
      const cut = text.lastIndexOf('\n');
      if (cut < 0) {
        carry = text;
        continue;
      }
      const whole = text.slice(0, cut);
      acc.scanText(whole, lineNo, (e) => onEvent({ ...e, source: displayName }));
      lineNo += countNewlines(whole) + 1;
      carry = text.slice(cut + 1);
    }
    if (carry !== '') {
      acc.scanText(carry, lineNo, (e) => onEvent({ ...e, source: displayName }));
      lineNo++;
    }
  } catch (err) {
    throw new TenkenError(describeError(`Cannot read ${displayName}`, err));
  }
  return { lines: lineNo - 1 };
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
