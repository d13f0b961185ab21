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
