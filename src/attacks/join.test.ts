import { describe, expect, it } from 'vitest';
import { Accountant } from './account.ts';

const NOW = new Date(Date.UTC(2024, 5, 30, 12, 0, 0));

/** The attempts each line counts, through the fast path or the RegExp extractors only. */
function attempts(lines: readonly string[], fast: boolean): number[] {
  const acc = new Accountant({ now: NOW, fast });
  return lines.map((l, i) => acc.hit(l, i + 1)?.attempts ?? 0);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Six connections from one host, one password each for an unknown user, as OpenSSH logs them. */
const UNKNOWN_USER_CONNECTIONS = [0, 1, 2, 3, 4, 5].flatMap((i) => [
  `Nov 26 10:1${i}:00 r6 sshd[${9000 + i}]: Invalid user u${i} from 203.0.113.9 port 4000${i}`,
  `Nov 26 10:1${i}:00 r6 sshd[${9000 + i}]: Failed password for invalid user u${i} from 203.0.113.9 port 4000${i} ssh2`,
  `Nov 26 10:1${i}:00 r6 sshd[${9000 + i}]: Connection closed by invalid user u${i} 203.0.113.9 port 4000${i} [preauth]`,
]);

describe.each([true, false])('sshd attempts of an unknown user (fast path %s)', (fast) => {
  it('counts `Invalid user` and the `Failed ... for invalid user` after it as one attempt', () => {
    expect(sum(attempts(UNKNOWN_USER_CONNECTIONS, fast))).toBe(6);
  });

  it('counts each further `Failed` line of the connection, and its sysklogd repeats', () => {
    const got = attempts(
      [
        'Jun 30 10:00:00 srv sshd[77]: Invalid user admin from 192.0.2.7 port 5000',
        'Jun 30 10:00:01 srv sshd[77]: Failed none for invalid user admin from 192.0.2.7 port 5000 ssh2',
        'Jun 30 10:00:02 srv sshd[77]: Failed password for invalid user admin from 192.0.2.7 port 5000 ssh2',
        'Jun 30 10:00:03 srv last message repeated 2 times',
        'Jun 30 10:00:04 srv sshd[77]: Connection closed by invalid user admin 192.0.2.7 port 5000 [preauth]',
      ],
      fast,
    );
    // `Failed none` (the client asking which methods there are) is the attempt `Invalid user` counted.
    expect(got).toEqual([1, 0, 1, 2, 0]);
  });

  it('repeats an uncounted `Failed` line for `last message repeated` right after it', () => {
    const got = attempts(
      [
        'Jun 30 10:00:00 srv sshd[78]: Invalid user admin from 192.0.2.8 port 5000',
        'Jun 30 10:00:01 srv sshd[78]: Failed password for invalid user admin from 192.0.2.8 port 5000 ssh2',
        'Jun 30 10:00:02 srv last message repeated 2 times',
      ],
      fast,
    );
    expect(got).toEqual([1, 0, 2]);
  });

  it('counts `Invalid user` alone, and a pam failure after it as the same attempt', () => {
    const got = attempts(
      [
        'Jun 30 10:00:00 srv sshd[80]: Invalid user ftp from 192.0.2.1',
        'Jun 30 10:00:01 srv sshd[81]: Invalid user test from 192.0.2.2 port 3000',
        'Jun 30 10:00:01 srv sshd[81]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.2',
        'Jun 30 10:00:02 srv sshd[81]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.2',
        'Jun 30 10:00:03 srv sshd[81]: Connection closed by invalid user test 192.0.2.2 port 3000 [preauth]',
      ],
      fast,
    );
    // Two pam failures, no `Failed` line: the first is the attempt `Invalid user` counted.
    expect(got).toEqual([1, 1, 0, 0, 1]);
  });

  it('does not take a `Failed` line of another host on the same pid for the repeat', () => {
    const got = attempts(
      [
        'Jun 30 10:00:00 srv sshd[90]: Invalid user a from 192.0.2.1 port 1',
        'Jun 30 10:00:01 srv sshd[90]: Failed password for invalid user a from 192.0.2.99 port 2 ssh2',
      ],
      fast,
    );
    expect(got).toEqual([1, 1]);
  });

  it('still counts a change of user after `Invalid user` (a second guess)', () => {
    const got = attempts(
      [
        'Mar 19 16:47:48 test sshd[5672]: Invalid user admin from 192.0.2.117 port 44004',
        'Mar 19 16:47:49 test sshd[5672]: Disconnecting invalid user admin 192.0.2.117 port 44004: Change of username or service not allowed: (admin,ssh-connection) -> (user,ssh-connection) [preauth]',
      ],
      fast,
    );
    expect(got).toEqual([1, 1]);
  });
});

describe.each([true, false])('sshd MaxAuthTries (fast path %s)', (fast) => {
  it('adds no attempt for `maximum authentication attempts exceeded` after the `Failed` lines', () => {
    const failed = Array.from(
      { length: 6 },
      (_, i) => `Jun 30 10:00:0${i} srv sshd[300]: Failed password for root from 192.0.2.30 port 6000 ssh2`,
    );
    const got = attempts(
      [
        ...failed,
        'Jun 30 10:00:06 srv sshd[300]: error: maximum authentication attempts exceeded for root from 192.0.2.30 port 6000 ssh2 [preauth]',
        'Jun 30 10:00:06 srv sshd[300]: Disconnecting authenticating user root 192.0.2.30 port 6000: Too many authentication failures [preauth]',
      ],
      fast,
    );
    expect(got).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('adds none either for an unknown user (the demo: one Failed line, then the maximum)', () => {
    const got = attempts(
      [
        'Nov 24 03:10:38 gauntlet sshd[9111]: Invalid user test from 203.0.113.45 port 40011',
        'Nov 24 03:10:39 gauntlet sshd[9111]: Failed password for invalid user test from 203.0.113.45 port 40011 ssh2',
        'Nov 24 03:10:39 gauntlet sshd[9111]: error: maximum authentication attempts exceeded for invalid user test from 203.0.113.45 port 40011 ssh2 [preauth]',
      ],
      fast,
    );
    expect(got).toEqual([1, 0, 0]);
  });

  it('adds none for the older `Disconnecting: Too many authentication failures` after the `Failed` lines', () => {
    const got = attempts(
      [
        'Feb 12 04:09:20 srv sshd[400]: Failed password for root from 115.249.163.77 port 51353 ssh2',
        'Feb 12 04:09:21 srv sshd[400]: Disconnecting: Too many authentication failures for root [preauth]',
        'Feb 12 04:09:21 srv sshd[400]: Connection closed by 115.249.163.77 port 51353 [preauth]',
      ],
      fast,
    );
    expect(got).toEqual([1, 0, 0]);
  });

  it('counts the maximum as the attempt when no failure line of the connection was logged', () => {
    const got = attempts(
      [
        'Jun 30 10:00:00 srv sshd[300]: Failed password for root from 192.0.2.30 port 6000 ssh2',
        'Jun 30 10:00:01 srv sshd[300]: Connection closed by authenticating user root 192.0.2.30 port 6000 [preauth]',
        // A later connection whose pid is the same (LogLevel ERROR: the maximum is all there is).
        'Jun 30 11:00:00 srv sshd[300]: error: maximum authentication attempts exceeded for root from 192.0.2.30 port 7000 ssh2 [preauth]',
        'Jun 30 11:00:00 srv sshd[301]: error: maximum authentication attempts exceeded for root from 192.0.2.31 port 7001 ssh2 [preauth]',
      ],
      fast,
    );
    expect(got).toEqual([1, 0, 1, 1]);
  });
});

describe.each([true, false])('old OpenSSH keyboard-interactive through PAM (fast path %s)', (fast) => {
  it('counts `PAM: Authentication failure` and the `Failed keyboard-interactive/pam` after it as one attempt', () => {
    const got = attempts(
      [
        'Jan  5 10:00:05 srv sshd[2002]: error: PAM: Authentication failure for root from 192.0.2.7',
        'Jan  5 10:00:05 srv sshd[2002]: Failed keyboard-interactive/pam for root from 192.0.2.7 port 4243 ssh2',
        'Jan  5 10:00:09 srv sshd[2002]: error: PAM: Authentication failure for root from 192.0.2.7',
        'Jan  5 10:00:09 srv sshd[2002]: Failed keyboard-interactive/pam for root from 192.0.2.7 port 4243 ssh2',
      ],
      fast,
    );
    expect(got).toEqual([1, 0, 1, 0]);
  });

  it('counts an illegal user once over `Illegal user`, the PAM error and the `Failed` line', () => {
    const got = attempts(
      [
        'Jan  5 10:00:01 srv sshd[2001]: Illegal user admin from 192.0.2.7',
        'Jan  5 10:00:03 srv sshd[2001]: error: PAM: User not known to the underlying authentication module for illegal user admin from 192.0.2.7',
        'Jan  5 10:00:03 srv sshd[2001]: Failed keyboard-interactive/pam for illegal user admin from 192.0.2.7 port 4242 ssh2',
        'Jan  5 10:00:06 srv sshd[2001]: error: PAM: Authentication failure for illegal user admin from 192.0.2.7',
        'Jan  5 10:00:06 srv sshd[2001]: Failed keyboard-interactive/pam for illegal user admin from 192.0.2.7 port 4242 ssh2',
      ],
      fast,
    );
    expect(got).toEqual([1, 0, 0, 1, 0]);
  });

  it('counts each PAM error of a connection that logs no `Failed` lines (macOS)', () => {
    const got = attempts(
      [
        'Apr 29 12:53:38 mac sshd[47831]: error: PAM: authentication error for james from 192.0.2.88 via 192.168.1.201',
        'Apr 29 12:53:40 mac sshd[47831]: error: PAM: authentication error for james from 192.0.2.88 via 192.168.1.201',
        'Apr 29 12:53:42 mac sshd[47831]: error: PAM: authentication error for james from 192.0.2.88 via 192.168.1.201',
      ],
      fast,
    );
    expect(got).toEqual([1, 1, 1]);
  });

  it('still counts a `Failed keyboard-interactive` line with no PAM error before it', () => {
    const got = attempts(
      [
        'Apr 29 20:13:08 mac sshd[63814]: Failed keyboard-interactive for james from 192.0.2.42 port 54520 ssh2',
        'Apr 29 20:13:09 mac sshd[63814]: error: PAM: Authentication failure for james from 192.0.2.43',
        'Apr 29 20:13:10 mac sshd[63814]: Failed keyboard-interactive/pam for james from 192.0.2.42 port 54520 ssh2',
      ],
      fast,
    );
    // The PAM error names another host: it is not the third line's attempt.
    expect(got).toEqual([1, 1, 1]);
  });
});
