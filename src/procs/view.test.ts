import { describe, expect, it } from 'vitest';
import { makeZone } from '../core/tz.ts';
import type { ProcessInfo } from './proc.ts';
import { renderProcessTable } from './view.ts';

const proc = (start: string | null): ProcessInfo => ({
  pid: 812,
  ppid: 1,
  name: 'sshd',
  cmdline: ['/usr/sbin/sshd', '-D'],
  uid: 0,
  user: 'root',
  state: 'S',
  start,
  rssKb: 7000,
  exe: null,
  kernelThread: false,
  loginuid: null,
});

describe('renderProcessTable', () => {
  it("shows start times on the host's clock, as ps does, and names the zone in the heading", () => {
    const [head, row] = renderProcessTable([proc('2026-11-24T15:30:05.000Z')], makeZone('Asia/Tokyo'));
    expect(head).toContain('START (Asia/Tokyo)');
    expect(row).toContain('2026-11-25 00:30:05');
    expect(row).not.toContain('15:30');
  });

  it('shows ? for a process whose start time is unknown', () => {
    const [, row] = renderProcessTable([proc(null)], makeZone('UTC'));
    expect(row).toMatch(/ 7000 \? +\/usr\/sbin\/sshd -D$/);
  });
});
