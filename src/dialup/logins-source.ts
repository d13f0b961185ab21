/**
 * Login records for the dial-up correlation, from wtmp, through src/logins's decoder (both glibc layouts,
 * byte-order and garbage detection). This adapter only maps its records to the small LoginRecord shape
 * correlate.ts needs, so the correlation does not depend on the decoder's internals.
 */
import { decodeRecord, detectLayout, fieldText, typeName } from '../logins/utmp.ts';
import type { LoginRecord, UtType } from './correlate.ts';

const KNOWN: readonly UtType[] = [
  'EMPTY',
  'RUN_LVL',
  'BOOT_TIME',
  'NEW_TIME',
  'OLD_TIME',
  'INIT_PROCESS',
  'LOGIN_PROCESS',
  'USER_PROCESS',
  'DEAD_PROCESS',
  'ACCOUNTING',
];

/** The name of a numeric `ut_type` (unknown numbers become `UNKNOWN`). */
export function utTypeName(n: number): UtType {
  const name = typeName(n) as UtType;
  return KNOWN.includes(name) ? name : 'UNKNOWN';
}

/** Result of decoding a wtmp file. */
export type WtmpDecoded =
  | {
      ok: true;
      records: LoginRecord[];
      /** Bytes at the end that do not make a whole record (a torn write). */
      trailingBytes: number;
    }
  | { ok: false; reason: string };

/** Decodes a wtmp file's bytes into login records; `source` is its host path, for evidence. */
export function decodeWtmp(bytes: Uint8Array, source: string): WtmpDecoded {
  const detection = detectLayout(bytes.subarray(0, 64 * 400), bytes.length);
  if (!detection.ok) return { ok: false, reason: detection.message };
  const { layout } = detection;
  const records: LoginRecord[] = [];
  const whole = Math.floor(bytes.length / layout.size);
  for (let i = 0; i < whole; i++) {
    const r = decodeRecord(bytes, i * layout.size, layout, i);
    records.push({
      type: utTypeName(r.type),
      pid: r.pid,
      line: fieldText(r.line),
      user: fieldText(r.user),
      host: fieldText(r.host),
      time: new Date(r.sec * 1000 + Math.floor(r.usec / 1000)),
      source,
      index: i + 1,
    });
  }
  return { ok: true, records, trailingBytes: bytes.length - whole * layout.size };
}
