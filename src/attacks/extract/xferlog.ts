import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { passwdPath } from '../probes.ts';

/**
 * xferlog (wu-ftpd, ProFTPD, vsftpd `xferlog_std_format`): `DDD MMM dd hh:mm:ss yyyy secs HOST size FILE
 * type action direction access user service auth authuser [status]`. Only downloads (`o`) of a password file
 * count; the host is the fixed 7th field and the file name may hold spaces, so the trailing fields are
 * matched from the end. The completion status (`c`/`i`) came with wu-ftpd 2.6: the 2.4/2.5 lines end at
 * `authuser`, and there a transfer that sent bytes is taken as answered.
 */

// The stamp is the line's time (the reader takes it off, and the message starts after it; whole lines too).
const LINE =
  /^(?:\w{3} \w{3} +\d{1,2} \d\d:\d\d:\d\d \d{4} )?\d+ (\S+) (\d+) (.+) [ab] \S+ o [agr] (\S+) \S+ \d \S+(?: ([ci]))?$/;

function extract(line: ParsedLine): Extracted {
  const m = LINE.exec(line.message);
  if (!m || !passwdPath(m[3] as string)) return null;
  const host = hostOf(m[1]);
  const answered = m[5] === undefined ? Number(m[2]) > 0 : m[5] === 'c';
  return host ? event('passwd', 'probe', host, 'ftp', line.time, { path: m[3], user: m[4], answered }) : null;
}

/** xferlog extractor (password file downloads only). */
export const xferlog = {
  description: 'FTP xferlog (with or without the completion status): downloads of the password file',
  programs: [],
  needles: ['passwd', 'shadow'],
  extract,
} satisfies Extractor;
