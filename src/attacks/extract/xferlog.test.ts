import { describe, expect, it } from 'vitest';
import { Accountant } from '../account.ts';

const NOW = new Date(2024, 5, 30, 12, 0, 0);

function one(line: string) {
  return new Accountant({ now: NOW, hints: ['xferlog'] }).line(line);
}

describe('xferlog password-file downloads', () => {
  it('reads wu-ftpd 2.4/2.5 lines, which end at the authuser field (no completion status)', () => {
    const e = one('Wed Nov 25 02:31:10 2026 1 dialup66.example.net 652 /etc/passwd a _ o a mozilla@ ftp 0 *');
    expect(e).toMatchObject({
      detector: 'passwd',
      host: 'dialup66.example.net',
      path: '/etc/passwd',
      user: 'mozilla@',
      answered: true,
    });
    expect(e?.time).toBe(new Date(2026, 10, 25, 2, 31, 10).getTime());
  });

  it('takes a status-less transfer that sent no bytes as not answered', () => {
    const e = one('Wed Nov 25 02:31:10 2026 1 198.51.100.66 0 /etc/passwd a _ o a mozilla@ ftp 0 *');
    expect(e).toMatchObject({ detector: 'passwd', host: '198.51.100.66', answered: false });
  });

  it('keeps reading the status of wu-ftpd 2.6+ lines (i: incomplete, not answered)', () => {
    expect(
      one('Thu Jun 27 10:00:00 2024 1 198.51.100.23 1321 /etc/passwd a _ o a guest@ ftp 0 * i'),
    ).toMatchObject({
      answered: false,
    });
    expect(
      one('Thu Jun 27 10:00:00 2024 1 198.51.100.23 1321 /etc/passwd a _ o a guest@ ftp 0 * c'),
    ).toMatchObject({
      answered: true,
    });
  });

  it('does not count uploads or other files, with or without the status', () => {
    expect(
      one('Thu Jun 27 10:00:00 2024 1 198.51.100.23 1321 /etc/passwd a _ i a guest@ ftp 0 *'),
    ).toBeNull();
    expect(
      one('Thu Jun 27 10:00:00 2024 1 198.51.100.23 1321 /pub/README a _ o a guest@ ftp 0 *'),
    ).toBeNull();
  });
});
