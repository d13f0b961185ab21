import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ignoreRule } from '../logs/config.ts';
import { probeSpec } from '../probes/spec.ts';
import { packageRoot } from '../core/package.ts';
import { parseYaml } from './yaml.ts';

/**
 * A built-in service profile: what a daemon looks like on disk and at run time (data, not code, so adding
 * a daemon means adding a YAML file). Paths are host paths; `*` and `?` glob within one path segment.
 */
export const profileSchema = z
  .object({
    title: z.string(),
    /** `runbook` (the 1990s manual's software), `modern`, or `both`. */
    era: z.enum(['runbook', 'modern', 'both']),
    detect: z
      .object({
        files: z.array(z.string().startsWith('/')).default([]),
        processes: z.array(z.string()).default([]),
        /** Log files only this daemon writes (shared logs such as xferlog or mail.log prove nothing). */
        logs: z.array(z.string().startsWith('/')).default([]),
        /**
         * Profiles whose detection outranks a log found for this one: wu-ftpd's xferlog is also what vsftpd
         * (RHEL's default config) and ProFTPD write, so with one of those detected it proves nothing.
         */
        logYieldsTo: z.array(z.string()).default([]),
        ports: z.array(z.number().int()).default([]),
        /** Always applies (the kernel): no detection needed. */
        always: z.boolean().default(false),
      })
      .strict(),
    processes: z.array(z.string()),
    /**
     * Names under which init starts the daemon at boot: systemd units (without `.service`) and SysV
     * scripts (`/etc/rcN.d/S??NAME`). None enabled, and not running: installed only, not expected to run.
     */
    units: z.array(z.string()).default([]),
    ondemand: z.boolean().default(false),
    /**
     * Processes the daemon starts and stops by itself, per connection, session or mail (postfix's smtpd and
     * cleanup, dovecot's imap per user, sshd's and vsftpd's per-session copies): never recorded in a baseline
     * nor reported as new, missing or out of range (`*` and `?` glob), as the procs ignore list. Whether the
     * daemon runs and listens is still checked from `processes` and `ports`.
     */
    workers: z.array(z.string()).default([]),
    logs: z.array(z.string().startsWith('/')),
    syslog: z.array(z.string()),
    ports: z.array(z.number().int()),
    probes: z.array(probeSpec),
    /**
     * Lines the daemon writes on a healthy day that hit a runbook keyword (`checks.logs.ignore` rules for
     * it, applied before the config's own): nginx's `open() ... failed (2: No such file or directory)` for
     * every missing favicon is an error only by its words.
     */
    ignore: z.array(ignoreRule).default([]),
  })
  .strict();

/** A parsed profile. */
export type Profile = z.output<typeof profileSchema> & { name: string };

/** Directory of the built-in profiles (src/config/profiles in the package, from source or from dist). */
export function profilesDir(): string {
  return path.join(packageRoot(), 'src', 'config', 'profiles');
}

let cache: Map<string, Profile> | undefined;

/**
 * The profiles as plain data, embedded by the bundler (scripts/build.mjs) so the built CLI does not parse
 * twenty YAML files at every start; undefined when running from source (tests), which reads the YAML.
 */
declare const __TENKEN_PROFILES__: Record<string, unknown> | undefined;

/** Loads and validates every built-in profile, once; a broken profile is a bug, reported with file:line:col. */
export function builtinProfiles(dir?: string): Map<string, Profile> {
  if (cache && dir === undefined) return cache;
  const out = new Map<string, Profile>();
  if (dir === undefined && typeof __TENKEN_PROFILES__ !== 'undefined') {
    for (const [name, data] of Object.entries(__TENKEN_PROFILES__)) {
      const r = profileSchema.safeParse(data);
      if (!r.success)
        throw new Error(`Built-in profile ${name}.yaml is invalid: ${r.error.issues[0]?.message ?? ''}`);
      out.set(name, { ...r.data, name });
    }
    cache = out;
    return out;
  }
  dir ??= profilesDir();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const full = path.join(dir, file);
    const parsed = parseYaml(readFileSync(full, 'utf8'), full, profileSchema);
    if (!parsed.ok) throw new Error(`Built-in profile ${file} is invalid:\n${parsed.errors.join('\n')}`);
    out.set(file.slice(0, -'.yaml'.length), { ...parsed.value, name: file.slice(0, -'.yaml'.length) });
  }
  if (dir === profilesDir()) cache = out;
  return out;
}
