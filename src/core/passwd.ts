/** One /etc/passwd entry. */
export interface PasswdEntry {
  name: string;
  uid: number;
  home: string;
  shell: string;
}

/**
 * The entries of an /etc/passwd text, in file order. Comments, NIS `+`/`-` lines and lines without a
 * numeric uid are skipped; missing home or shell fields read as ''. One parser for every check that needs
 * user names, uids or shells (logins, procs).
 */
export function passwdEntries(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    const name = f[0];
    if (!name || name.startsWith('#') || name.startsWith('+') || name.startsWith('-') || f.length < 3)
      continue;
    if (f[2] === '' || !Number.isInteger(Number(f[2]))) continue;
    out.push({ name, uid: Number(f[2]), home: f[5] ?? '', shell: (f[6] ?? '').trim() });
  }
  return out;
}
