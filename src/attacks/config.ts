import { z } from 'zod';

/** Options of the `attacks` check under `checks.attacks` in tenken.yaml; defaults live here. */
export const attacksConfig = z.object({}).strict();

/** Parsed `checks.attacks` options. */
export type AttacksConfig = z.output<typeof attacksConfig>;
