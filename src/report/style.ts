import { styleText } from 'node:util';
import type { Status } from '../core/status.ts';

type Fmt = Parameters<typeof styleText>[0];

/** A styler: colours when enabled, identity otherwise (decided once per run: TTY, --no-color, NO_COLOR). */
export type Paint = (fmt: Fmt, text: string) => string;

/** Makes a Paint; node:util styleText does the escapes, so colour needs no dependency. */
export function painter(color: boolean): Paint {
  return color ? (fmt, text) => styleText(fmt, text, { validateStream: false }) : (_fmt, text) => text;
}

const STATUS_FMT: Record<Status, Fmt> = {
  OK: 'green',
  INFO: 'cyan',
  WARNING: 'yellow',
  UNKNOWN: 'magenta',
  CRITICAL: ['bold', 'red'],
};

/** A status word, padded to a column, in its colour. */
export function statusLabel(paint: Paint, s: Status, width = 8): string {
  return paint(STATUS_FMT[s], s.padEnd(width));
}

/** Whether to colour output: a TTY, not --no-color, no NO_COLOR; FORCE_COLOR=1+ forces it. */
export function wantColor(opts: {
  flag: boolean;
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
}): boolean {
  if (!opts.flag) return false;
  const force = opts.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0') return true;
  if (opts.env.NO_COLOR !== undefined && opts.env.NO_COLOR !== '') return false;
  return opts.isTTY && opts.env.TERM !== 'dumb';
}
