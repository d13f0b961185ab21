import { z } from 'zod';

/** Options of the `logins` check under `checks.logins` in tenken.yaml; defaults live here. */
export const loginsConfig = z.object({}).strict();

/** Parsed `checks.logins` options. */
export type LoginsConfig = z.output<typeof loginsConfig>;
