import type { CommandModule } from '../app.ts';
import * as attacks from './attacks.ts';
import * as baseline from './baseline.ts';
import * as check from './check.ts';
import * as config from './config.ts';
import * as dialup from './dialup.ts';
import * as last from './last.ts';
import * as logins from './logins.ts';
import * as probe from './probe.ts';
import * as procs from './procs.ts';
import * as scan from './scan.ts';
import * as wtmp from './wtmp.ts';

/** Every CLI command, in help order. The one place a command is registered. */
export const commands: readonly CommandModule[] = [
  check,
  config,
  scan,
  attacks,
  last,
  wtmp,
  logins,
  baseline,
  procs,
  probe,
  dialup,
];
