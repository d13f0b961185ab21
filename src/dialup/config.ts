import { z } from 'zod';

/** Options of the `dialup` check under `checks.dialup` in tenken.yaml; defaults live here. */
export const dialupConfig = z.object({}).strict();

/** Parsed `checks.dialup` options. */
export type DialupConfig = z.output<typeof dialupConfig>;
