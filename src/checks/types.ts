import type { Config } from '../config/schema.ts';
import type { Plan } from '../config/plan.ts';
import type { Host } from '../core/host.ts';
import type { CheckResult } from '../core/report.ts';

/** Run-wide options a check may honour. */
export interface RunOptions {
  /** Rescan everything from the start, ignoring (and not updating) saved offsets. */
  all: boolean;
  /** Only consider events at or after this time. */
  since?: Date;
}

/** What a check receives: the inspected host, the plan, its own saved state from the last committed run. */
export interface CheckContext {
  host: Host;
  config: Config;
  plan: Plan;
  /** This check kind's state as committed by the last delivered run, or undefined on the first run. */
  state: unknown;
  options: RunOptions;
  /** tenken's state directory for this root (baselines and other files a check manages itself). */
  stateDir?: string;
  /** The config file the run uses (relative paths in it are taken from its directory), or null for defaults. */
  configPath?: string | null;
  /** This run's `--root`, `--config`, `--state` as argv words, for commands a finding suggests (tenkenCommand). */
  invocation?: readonly string[];
  /** Aborted when the run's overall deadline passes. */
  signal: AbortSignal;
  /**
   * The check kinds of this run (after `--only` and the config's `disable`), when run by the runner: a kind
   * may leave to another what that one judges (the logs check leaves attack lines to the attacks check).
   */
  kinds?: readonly string[];
}

/** What a check returns: results per service, and state to commit only after the report was delivered. */
export interface CheckOutcome {
  results: CheckResult[];
  /** JSON-serialisable; omitted = keep the previous state. */
  state?: unknown;
}

/**
 * One kind of check (logs, logins, procs, ...). `run` returns data; "service down" is a finding,
 * an exception means a bug or a broken environment and shows the kind as UNKNOWN.
 */
export interface CheckKind {
  /** One line for `--help` and the report. */
  description: string;
  run(ctx: CheckContext): Promise<CheckOutcome>;
  /**
   * Whether a saved state is one this kind reads (kinds with state). One that is not (another version's, a
   * hand-edited one) is set aside by the runner with a WARNING, so "this run starts afresh" is always said.
   */
  readsState?: (raw: unknown) => boolean;
}
