import { z } from 'zod';

/** Options of the `probes` check under `checks.probes` in tenken.yaml; defaults live here. */
export const probesConfig = z.object({}).strict();

/** Parsed `checks.probes` options. */
export type ProbesConfig = z.output<typeof probesConfig>;
