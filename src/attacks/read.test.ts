import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeJournal } from '../../test/helpers/journal.ts';
import { makeZone } from '../core/tz.ts';
import { spawnJournalctl } from '../logs/read/journal.ts';
import type { SourcedEvent } from './detect.ts';
import { accountJournal, accountLog } from './read.ts';

const NOW = new Date(Date.UTC(2026, 10, 26));

/** A journal entry of sshd-session (it logs through syslog(3), so SYSLOG_PID is set). */
function entry(n: number, pid: number, message: string) {
  return {
    at: NOW.getTime() - 3_600_000 + n * 1000,
    _HOSTNAME: 'srv',
    SYSLOG_IDENTIFIER: 'sshd-session',
    SYSLOG_PID: pid,
    _PID: pid,
    MESSAGE: message,
  };
}

/** The events of these entries, written to a real journal and read back by the real journalctl. */
async function account(entries: ReturnType<typeof entry>[]): Promise<SourcedEvent[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
  writeJournal(dir, entries);
  const events: SourcedEvent[] = [];
  await accountJournal({
    runner: spawnJournalctl,
    directory: dir,
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

describe('accountLog', () => {
  it('never dates a year-less line after the inspection: a future mtime (copied tree) counts as now', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-future-'));
    const file = path.join(dir, 'auth.log');
    fs.writeFileSync(
      file,
      'Nov 24 10:00:00 gw sshd[9]: Failed password for root from 203.0.113.7 port 4000 ssh2\n',
    );
    // Written "a year on" by a clock set ahead, or checked out with its time kept.
    const ahead = new Date('2027-11-26T12:00:00Z');
    fs.utimesSync(file, ahead, ahead);
    const events: SourcedEvent[] = [];
    await accountLog(file, {
      mode: { kind: 'whole' },
      now: NOW,
      zone: makeZone('UTC'),
      hints: [],
      display: (p) => p,
      onEvent: (e) => events.push(e),
    });
    expect(events.map((e) => new Date(e.event.time ?? 0).toISOString())).toEqual([
      '2026-11-24T10:00:00.000Z',
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
