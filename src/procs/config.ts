import { z } from 'zod';

/** Options of the `procs` check under `checks.procs` in tenken.yaml; defaults live here. */
export const procsConfig = z.object({}).strict();

/** Parsed `checks.procs` options. */
export type ProcsConfig = z.output<typeof procsConfig>;
