import { isTimeZone } from '../core/tz.ts';
import { z } from 'zod';
import { attacksConfig } from '../attacks/config.ts';
import { dialupConfig } from '../dialup/config.ts';
import { loginsConfig } from '../logins/config.ts';
import { type LogThreshold, logThreshold, logsConfig } from '../logs/config.ts';
import { probesConfig } from '../probes/config.ts';
import { procsConfig } from '../procs/config.ts';
import { probeSpec } from '../probes/spec.ts';

/**
 * The tenken.yaml schema. It is the config type (z.output), holds every default, and is `.strict()`
 * everywhere so a misspelt key is an error with its file:line:col instead of a silently ignored setting.
 */

/** Counts that turn a category's hits into WARNING / CRITICAL, per run and per hour (the logs check's). */
export const threshold = logThreshold;

/** A parsed threshold. */
export type Threshold = LogThreshold;

const hostPathString = z.string().min(1).regex(/^\//, 'must be an absolute path (host paths start with /)');

/** A service entry: everything optional, merged over the built-in profile of the same name. */
export const serviceSchema = z
  .object({
    /** Built-in profile to start from; defaults to the service's own name when such a profile exists. */
    profile: z.string().optional(),
    /** `auto` (default): inspect when detected; true: always; false: never. */
    enabled: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    title: z.string().optional(),
    processes: z.array(z.string().min(1)).optional(),
    ondemand: z.boolean().optional(),
    logs: z.array(hostPathString).optional(),
    syslog: z.array(z.string().min(1)).optional(),
    ports: z.array(z.number().int().min(1).max(65535)).optional(),
    probes: z.array(probeSpec).optional(),
    thresholds: z.record(z.string(), threshold).optional(),
  })
  .strict();

/** A parsed service entry. */
export type ServiceConfig = z.output<typeof serviceSchema>;

const serviceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'service names are lower-case letters, digits, . _ -');

/** The whole tenken.yaml. */
export const configSchema = z
  .object({
    /** Host name for reports (default: the machine's, or the demo tree's /etc/hostname under --root). */
    host: z.string().min(1).optional(),
    /**
     * The host's time zone (IANA name) for year-less and offset-less log stamps, login hours and `--since`
     * dates; default: the host's /etc/localtime (a link, or a copied zone file named by its bytes), else
     * /etc/timezone (a live host: TZ first); see hostZoneChoice.
     */
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'not a time zone name this system knows (e.g. Asia/Tokyo)' })
      .optional(),
    /** Auto-detect services from the built-in profiles (binaries, processes, logs, listeners). */
    detect: z.boolean().default(true),
    /** Services to inspect or override, by name. */
    services: z.record(serviceName, serviceSchema).default({}),
    /** System logs shared by many daemons. */
    syslog: z
      .object({
        files: z
          .array(hostPathString)
          .default([
            '/var/log/syslog',
            '/var/log/messages',
            '/var/log/auth.log',
            '/var/log/secure',
            '/var/log/maillog',
            '/var/log/mail.log',
          ]),
        journal: z.enum(['auto', 'on', 'off']).default('auto'),
      })
      .strict()
      .prefault({}),
    /** Check kinds to run (default: all); `--only` narrows further. */
    disable: z.array(z.string()).default([]),
    /** Per-check options. */
    checks: z
      .object({
        logs: logsConfig.prefault({}),
        attacks: attacksConfig.prefault({}),
        logins: loginsConfig.prefault({}),
        procs: procsConfig.prefault({}),
        probes: probesConfig.prefault({}),
        dialup: dialupConfig.prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** A parsed, defaulted tenken.yaml. */
export type Config = z.output<typeof configSchema>;
