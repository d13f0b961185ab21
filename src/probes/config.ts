import { z } from 'zod';

/** Options of the `probes` check under `checks.probes` in tenken.yaml; defaults live here. */
export const probesConfig = z
  .object({
    /** Probes run at the same time (each has its own deadline). */
    concurrency: z.number().int().min(1).max(32).default(4),
    /**
     * Under `--root` (a copy of another machine's tree) probes of localhost would test this machine, not
     * that one, so they are reported as not checked; true runs them anyway (a demo with local daemons).
     */
    localUnderRoot: z.boolean().default(false),
    /** Default certificate days left below which a probe warns / is critical (a probe may override). */
    certWarnDays: z.number().int().min(0).max(3650).default(21),
    certCritDays: z.number().int().min(0).max(3650).default(7),
  })
  .strict();

/** Parsed `checks.probes` options. */
export type ProbesConfig = z.output<typeof probesConfig>;
