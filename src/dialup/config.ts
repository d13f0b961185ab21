import { z } from 'zod';
import { isTimeZone } from '../core/tz.ts';
import { parseHours } from './time.ts';

const hostPathString = z.string().min(1).regex(/^\//, 'must be an absolute path (host paths start with /)');

const hours = z.string().refine((s) => parseHours(s) !== null, {
  message: 'hours are HH:MM-HH:MM ranges in local time, comma-separated (e.g. "08:00-18:00, 20:00-22:00")',
});

/** Options of the `dialup` check under `checks.dialup` in tenken.yaml; defaults live here. */
export const dialupConfig = z
  .object({
    /** mgetty/vgetty per-line logs (globs); rotated copies (`.1`, `.gz`) beside them are read too. */
    logs: z
      .array(hostPathString)
      .default([
        '/var/log/mgetty.tty*',
        '/var/log/mgetty.log.tty*',
        '/var/log/mgetty/*',
        '/var/log/log_mg.tty*',
        '/var/log/vgetty.log.tty*',
      ]),
    /** Also read mgetty's audit and error lines from the system logs (the plan's syslog files). */
    syslog: z.boolean().default(true),
    /** Login records: each wtmp with its rotated backups beside it (`wtmp.1`, `wtmp.2.gz`, `wtmp-20261101`). */
    wtmp: z.array(hostPathString).default(['/var/log/wtmp']),
    /** A login must follow its call within this many seconds. */
    windowSeconds: z.number().int().positive().max(3600).default(120),
    /** Hours each line is used, per tty (`ttyS0`) or `*` for all; calls outside them are reported. */
    hours: z
      .record(z.string().regex(/^(\*|[A-Za-z][\w.-]*)$/, 'a tty name like ttyS0, or *'), hours)
      .default({}),
    /** The host's time zone (IANA name) for the logs' local times; default: the host's /etc/timezone. */
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'not a time zone name this system knows (e.g. Asia/Tokyo)' })
      .optional(),
  })
  .strict();

/** Parsed `checks.dialup` options. */
export type DialupConfig = z.output<typeof dialupConfig>;
