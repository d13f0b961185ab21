import { attackLines } from '../attacks/attack-lines.ts';
import { attacksCheck } from '../attacks/check.ts';
import { dialupCheck } from '../dialup/check.ts';
import { loginsCheck } from '../logins/check.ts';
import { makeLogsCheck } from '../logs/check.ts';
import { probesCheck } from '../probes/check.ts';
import { procsCheck } from '../procs/check.ts';
import { servicesCheck } from './services.ts';
import type { CheckKind } from './types.ts';

/**
 * Every check kind, in report order. The one place a kind is registered: the CLI's `--only`, the config's
 * `disable` and the report derive their kind names from this object.
 */
export const checkKinds = {
  services: servicesCheck,
  // With the attacks check in the same run, the lines it judges do not raise the logs check's categories.
  logs: makeLogsCheck({
    attackLines: {
      kind: 'attacks',
      make: (ctx) => attackLines(ctx.host, ctx.plan, ctx.config.checks.attacks, ctx.config.timeZone),
    },
  }),
  attacks: attacksCheck,
  logins: loginsCheck,
  procs: procsCheck,
  probes: probesCheck,
  dialup: dialupCheck,
} satisfies Record<string, CheckKind>;

/** Name of a registered check kind. */
export type CheckKindName = keyof typeof checkKinds;

/** All kind names, in report order. */
export const CHECK_KIND_NAMES = Object.keys(checkKinds) as CheckKindName[];
