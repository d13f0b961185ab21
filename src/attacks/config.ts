import { z } from 'zod';
import { CIDR_MESSAGE, parseCidr } from './local.ts';

/** A duration in seconds: a number, or `90s`, `10m`, `2h`, `1d`. */
const duration = z
  .union([z.number().int().positive(), z.string().regex(/^\d+[smhd]$/, 'a duration like 90s, 10m, 2h or 1d')])
  .transform((v) =>
    typeof v === 'number'
      ? v
      : Number(v.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86400 }[v.slice(-1) as 's' | 'm' | 'h' | 'd'],
  );

const positive = z.number().int().positive();

/**
 * Options of the `attacks` check under `checks.attacks` in tenken.yaml; defaults live here. The brute-force
 * defaults follow fail2ban's jail defaults (maxretry 5 within findtime 10 minutes).
 */
export const attacksConfig = z
  .object({
    /** Dictionary attacks: failures from one source within `findtime` that make a finding. */
    bruteforce: z
      .object({
        maxretry: positive.default(5),
        findtime: duration.default(600),
        /** How long a source that crossed the threshold is remembered: its login within that time is CRITICAL. */
        remember: duration.default(7 * 86400),
      })
      .strict()
      .prefault({}),
    /**
     * Distributed brute force (a botnet): failed logins of sources that made no brute-force finding of their
     * own, `perHour` of them from at least `sources` distinct sources (an IPv6 /64 is one) within `window`.
     */
    distributed: z
      .object({
        perHour: positive.default(100),
        sources: positive.default(10),
        window: duration.default(3600),
      })
      .strict()
      .prefault({}),
    /** Port scans: distinct ports/services (`targets`) or refused connections (`maxretry`) within `findtime`. */
    portscan: z
      .object({
        targets: positive.default(5),
        maxretry: positive.default(20),
        findtime: duration.default(300),
      })
      .strict()
      .prefault({}),
    /**
     * Web probes: probe requests from one source that make a finding; below `warnProbes` unanswered ones it
     * is INFO (a public site sees a few scanners' `/.env` and `/wp-login.php` 404s every day).
     */
    webprobe: z
      .object({ minProbes: positive.default(1), warnProbes: positive.default(20) })
      .strict()
      .prefault({}),
    /**
     * Open proxies: relays for clients outside these addresses or CIDRs (besides loopback, the private ranges
     * and this host's own addresses) are an open proxy. List the proxy's intended remote users here.
     */
    openproxy: z
      .object({
        allow: z.array(z.string().refine((s) => parseCidr(s) !== null, CIDR_MESSAGE)).default([]),
      })
      .strict()
      .prefault({}),
    /**
     * Sources never reported: exactly as logged (your own monitoring, a NAT gateway's name), or every address
     * of a CIDR (`198.51.100.0/24`).
     */
    ignore: z
      .array(
        z
          .string()
          .min(1)
          .refine((s) => !s.includes('/') || parseCidr(s) !== null, `a CIDR with a '/': ${CIDR_MESSAGE}`),
      )
      .default([]),
    /** Sample lines kept as evidence per finding. */
    evidence: z.number().int().min(0).max(100).default(5),
  })
  .strict();

/** Parsed `checks.attacks` options. */
export type AttacksConfig = z.output<typeof attacksConfig>;
