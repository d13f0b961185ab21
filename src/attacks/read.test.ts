import { describe, expect, it } from 'vitest';
import { makeZone } from '../core/tz.ts';
import type { JournalRunner } from '../logs/read/journal.ts';
import type { SourcedEvent } from './detect.ts';
import { accountJournal } from './read.ts';

const NOW = new Date(Date.UTC(2026, 10, 26));

/** A journal entry as `journalctl -o json` prints it (sshd-session logs through syslog(3): SYSLOG_PID set). */
function entry(n: number, pid: number | null, message: string): string {
  return JSON.stringify({
    __CURSOR: `c${n}`,
    __REALTIME_TIMESTAMP: String((NOW.getTime() - 3_600_000 + n * 1000) * 1000),
    _HOSTNAME: 'srv',
    SYSLOG_IDENTIFIER: 'sshd-session',
    ...(pid === null ? {} : { SYSLOG_PID: String(pid), _PID: String(pid) }),
    MESSAGE: message,
  });
}

async function account(lines: string[]): Promise<SourcedEvent[]> {
  const runner: JournalRunner = async function* () {
    await Promise.resolve(); // journalctl's output arrives asynchronously
    yield* lines;
  };
  const events: SourcedEvent[] = [];
  await accountJournal({
    runner,
    start: { all: true },
    now: NOW,
    zone: makeZone('UTC'),
    onEvent: (e) => events.push(e),
  });
  return events;
}

describe('attack accounting over the journal', () => {
  it('joins a held failure with its own connection’s close by the entry’s pid, not the next close of any', async () => {
    // Connection 101 hits the limit (sshd names no host there); connection 202 closes first, then 101.
    const events = await account([
      entry(1, 101, 'Disconnecting: Too many authentication failures [preauth]'),
      entry(2, 202, 'Connection closed by 203.0.113.9 port 5000 [preauth]'),
      entry(3, 101, 'Connection closed by 198.51.100.7 port 4000 [preauth]'),
    ]);
    const counted = events.filter((e) => e.event.attempts > 0).map((e) => e.event.host);
    expect(counted).toContain('198.51.100.7');
    expect(counted).not.toContain('203.0.113.9');
  });
});
