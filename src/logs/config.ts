import { z } from 'zod';

/** Options of the `logs` check under `checks.logs` in tenken.yaml; defaults live here. */
export const logsConfig = z.object({}).strict();

/** Parsed `checks.logs` options. */
export type LogsConfig = z.output<typeof logsConfig>;
