import { z } from 'zod';

/**
 * One client-style probe as written in a profile or tenken.yaml: a URL (`http://localhost/`,
 * `smtp://localhost:25`, `ftp://...`, `smb://...`, `tcp://host:port`) plus kind-specific options.
 */
export const probeSpec = z
  .object({
    url: z.string().min(1),
    /** Deadline for the whole probe, in seconds. */
    timeout: z.number().positive().max(300).default(10),
  })
  .strict();

/** A parsed probe spec. */
export type ProbeSpec = z.output<typeof probeSpec>;
