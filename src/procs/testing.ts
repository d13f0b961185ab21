import { servicePlan } from '../../test/helpers/plan.ts';
/**
 * Test helpers for the procs check: generated /proc trees (make-demo-proc.mjs, imported) and
 * service plans. Used by tests only.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServicePlan } from '../config/plan.ts';
import { configSchema } from '../config/schema.ts';
import type { ProcsConfig } from './config.ts';
import { type Spec, type SpecProcess, healthyOnly, writeProcTree } from './fixtures/make-demo-proc.mjs';

/** The generator script, for tests that run it as a program (its real interface). */
export const GENERATOR = path.join(import.meta.dirname, 'fixtures', 'make-demo-proc.mjs');

export type { Spec, SpecProcess } from './fixtures/make-demo-proc.mjs';

/** The demo spec shipped for examples/demo-root. */
export function demoSpec(): Spec {
  return JSON.parse(
    readFileSync(path.join(import.meta.dirname, 'fixtures', 'demo-proc.json'), 'utf8'),
  ) as Spec;
}

const PASSWD =
  'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nyanagi:x:1001:1001::/home/yanagi:/bin/sh\n';

/** Writes a fresh root (etc/passwd + extra files) and generates its /proc from the spec; returns the root. */
export function makeRoot(
  spec: Spec,
  opts: { healthy?: boolean; files?: Record<string, string> } = {},
): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-procs-root-'));
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  writeFileSync(path.join(root, 'etc/passwd'), PASSWD);
  for (const [rel, text] of Object.entries(opts.files ?? {})) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  regenerate(root, spec, opts.healthy ?? false);
  return root;
}

/** Rewrites a root's /proc from a spec (the generator replaces what it made before). */
export function regenerate(root: string, spec: Spec, healthy = false): void {
  writeProcTree(healthy ? healthyOnly(spec) : spec, root);
}

/** Removes a temp root. */
export function removeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** Default procs options, with overrides. */
export function procsOptions(over: Partial<ProcsConfig> = {}): ProcsConfig {
  return { ...configSchema.parse({}).checks.procs, ...over };
}

/** A service plan with only what the procs check reads: its process is its name. */
export function service(name: string, over: Partial<ServicePlan> = {}): ServicePlan {
  return servicePlan(name, { processes: [name], ...over });
}

/** A root `nc -l` started 30 s before `now`: younger than the baseline's minimum age (short-lived noise). */
export function youngNc(now: Date): SpecProcess {
  return {
    pid: 7000,
    ppid: 1,
    name: 'nc',
    uid: 0,
    cmdline: ['nc', '-l', '-p', '4444'],
    exe: '/usr/bin/nc',
    started: new Date(now.getTime() - 30_000).toISOString(),
  };
}

/** The accounts of intrusionRoot: root, a daemon's (nobody), and two people, carol and scanner. */
const INTRUSION_PASSWD =
  'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' +
  'carol:x:1002:1002:Carol:/home/carol:/bin/bash\nscanner:x:1003:1003::/home/scanner:/bin/bash\n';

/**
 * The RHEL week's processes reduced: sshd and crond (root; crond's binary replaced on disk by an upgrade), and,
 * marked `intruder` so that `healthy` leaves them out: carol's rootless podman port (`pasta.avx2`, tcp and
 * tcp6 8080, in her login session), scanner's miner from a deleted binary in /dev/shm (in a session too), and
 * a backdoor of nobody from /var/tmp listening on tcp/31337.
 */
export function intrusionSpec(): Spec {
  const started = '2026-11-20T08:00:00Z';
  return {
    btime: '2026-11-20T07:59:00Z',
    processes: [
      {
        pid: 1,
        ppid: 0,
        name: 'systemd',
        uid: 0,
        cmdline: ['/usr/lib/systemd/systemd'],
        exe: '/usr/lib/systemd/systemd',
        started,
      },
      {
        pid: 800,
        ppid: 1,
        name: 'sshd',
        uid: 0,
        cmdline: ['/usr/sbin/sshd', '-D'],
        exe: '/usr/sbin/sshd',
        started,
        listen: [{ proto: 'tcp', addr: '0.0.0.0', port: 22 }],
      },
      {
        pid: 810,
        ppid: 1,
        name: 'crond',
        uid: 0,
        cmdline: ['/usr/sbin/crond', '-n'],
        exe: '/usr/sbin/crond',
        deleted: true,
        started,
      },
      {
        pid: 37010,
        ppid: 1,
        name: 'pasta.avx2',
        uid: 1002,
        loginuid: 1002,
        intruder: true,
        cmdline: ['/usr/bin/pasta', '--config-net', '-t', '8080-8080:8080-8080'],
        exe: '/usr/bin/pasta.avx2',
        started,
        listen: [
          { proto: 'tcp', addr: '0.0.0.0', port: 8080 },
          { proto: 'tcp6', addr: '::', port: 8080 },
        ],
      },
      {
        pid: 46088,
        ppid: 1,
        name: 'kdevtmpfsi',
        uid: 1003,
        loginuid: 1003,
        intruder: true,
        cmdline: ['/dev/shm/.x/kdevtmpfsi', '-o', 'pool.supportxmr.com:443', '--background'],
        exe: '/dev/shm/.x/kdevtmpfsi',
        deleted: true,
        started,
      },
      {
        pid: 46100,
        ppid: 1,
        name: 'kworkerd',
        uid: 65534,
        intruder: true,
        cmdline: ['[kworker/0:2]'],
        exe: '/var/tmp/.k/kworkerd',
        started,
        listen: [{ proto: 'tcp', addr: '0.0.0.0', port: 31337 }],
      },
    ],
  };
}

/**
 * A root with intrusionSpec's /proc (only the healthy part with `healthy`), its accounts, and crond's
 * upgraded binary at its path (so crond's deleted one is `replaced`).
 */
export function intrusionRoot(healthy = false): string {
  return makeRoot(intrusionSpec(), {
    healthy,
    files: {
      'etc/passwd': INTRUSION_PASSWD,
      'etc/login.defs': 'UID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\n',
      'etc/hostname': 'office9\n',
      'usr/sbin/crond': 'upgraded\n',
    },
  });
}
