import { z } from 'zod';

/**
 * Process names (as in /proc/PID/comm; `*` and `?` glob) that are never recorded in a baseline nor reported
 * as new, missing or out of range: interactive shells and tools an admin's session brings and takes away.
 * They are still checked for running from a deleted binary or a temp directory, and their listeners are
 * always reported: a backdoor may well be called `bash`. A shell of an account nobody logs in as (a daemon's:
 * www-data, nobody) is not ignored: that is a web shell's first step, not an admin's session.
 */
export const DEFAULT_IGNORE = [
  'bash',
  'sh',
  'dash',
  'zsh',
  'ksh',
  'csh',
  'tcsh',
  'fish',
  'sudo',
  'su',
  'login',
  'sshd-session',
  'sshd-auth',
  '(sd-pam)',
  'screen',
  'tmux: *',
  'less',
  'more',
  'vi',
  'vim',
  'nano',
  'top',
  'htop',
  'ps',
  'man',
  'tail',
  'sleep',
  'watch',
];

/** Options of the `procs` check under `checks.procs` in tenken.yaml; defaults live here. */
export const procsConfig = z
  .object({
    /**
     * Baseline file (a local path, not under --root: it is tenken's own state). Default: `baseline.json` in
     * the state directory (--state). Set it to keep one baseline per inspected tree.
     */
    baseline: z.string().min(1).optional(),
    /** Process names never recorded or reported as new/missing (replaces the default list). */
    ignore: z.array(z.string().min(1)).default(DEFAULT_IGNORE),
    /** Extra names to ignore on top of `ignore` (keeps the defaults). */
    ignoreMore: z.array(z.string().min(1)).default([]),
    /** Listeners never reported as new: `tcp/631`, `udp/5353` (tcp/udp cover IPv4 and IPv6). */
    ignoreListeners: z
      .array(z.string().regex(/^(tcp|udp)6?\/\d{1,5}$/, 'write listeners as tcp/PORT or udp/PORT'))
      .default([]),
    /**
     * Unconnected UDP sockets on ephemeral ports (/proc/sys/net/ipv4/ip_local_port_range) are client
     * sockets (resolvers, NTP clients), not services: leave them out of listeners unless false.
     */
    ignoreEphemeralUdp: z.boolean().default(true),
    /** New processes younger than this are short-lived noise (cron jobs, an admin's commands): not reported. */
    minAgeSeconds: z.number().int().nonnegative().default(120),
    /** Directories a daemon never runs from (world-writable): a process whose program is there is CRITICAL. */
    tempDirs: z
      .array(z.string().regex(/^\//, 'must be an absolute path'))
      .default(['/tmp', '/var/tmp', '/dev/shm']),
  })
  .strict();

/** Parsed `checks.procs` options. */
export type ProcsConfig = z.output<typeof procsConfig>;
