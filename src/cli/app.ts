import type { Command } from 'commander';
import { TenkenError } from '../core/errors.ts';
import type { Plan } from '../config/plan.ts';
import type { Config } from '../config/schema.ts';
import type { Host } from '../core/host.ts';

/** Output formats a command may offer; each command declares the subset it supports. */
export type Format = 'text' | 'json' | 'ndjson' | 'html' | 'nagios';

/** Options every command accepts (declared once on the root program). */
export interface GlobalOptions {
  /** Directory standing for `/` of the inspected host (absolute). */
  root: string | undefined;
  /** Config file given with --config, else undefined (then /etc/tenken/tenken.yaml under root, then defaults). */
  config: string | undefined;
  /** State directory (offsets, baselines, history). */
  state: string;
  format: Format;
  only: string[] | undefined;
  quiet: boolean;
  color: boolean;
  /**
   * `--root`, `--config`, `--state` as given (absolute), as argv words: what a command suggested in a
   * message must carry (core/command.ts tenkenCommand), or it would act on the live host or elsewhere.
   */
  invocation?: string[];
}

/** What a loaded configuration gives a command. */
export interface Loaded {
  config: Config;
  /** The file it came from (as given), or null for built-in defaults. */
  configPath: string | null;
  host: Host;
  plan: Plan;
  /** This run's choosing global options as argv words (GlobalOptions.invocation), for suggested commands. */
  invocation?: readonly string[];
}

/** The process's I/O, injectable so tests run commands in-process. */
export interface Io {
  /** Writes to stdout and resolves once the bytes were handed to the OS (rejects on EPIPE and the like). */
  write(text: string): Promise<void>;
  /** Writes a line to stderr. */
  error(text: string): void;
  /** Whether stdout is a terminal (colours, widths). */
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Overridable clock for tests; defaults to the real time. */
  now?: () => Date;
}

/**
 * What main.ts gives every command: the I/O, the global options, and one way to load config + host + plan.
 * Commands set their exit code with `exit(code)`; the last call wins, and main returns it.
 */
export interface App {
  io: Io;
  globals(cmd: Command): GlobalOptions;
  /** Loads config (file:line:col errors become a TenkenError), builds the Host and the Plan. */
  load(cmd: Command): Promise<Loaded>;
  exit(code: number): void;
}

/** A CLI command module: adds its command(s) to the program. Registered in commands/index.ts. */
export interface CommandModule {
  register(program: Command, app: App): void;
}

/**
 * Checks the --format a command was given against those it can write; a one-line error otherwise
 * (`tenken: procs cannot write --format html: use text or json` once printed). Narrows `g.format` for the caller.
 */
export function assertFormat<F extends Format>(
  g: GlobalOptions,
  command: string,
  allowed: readonly F[],
): asserts g is GlobalOptions & { format: F } {
  if ((allowed as readonly Format[]).includes(g.format)) return;
  const list =
    allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : allowed.join('');
  throw new TenkenError(`${command} cannot write --format ${g.format}: use ${list}`);
}
