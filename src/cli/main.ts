import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { loadAll } from '../config/load.ts';
import { CHECK_KIND_NAMES } from '../checks/registry.ts';
import { invocationWords } from '../core/command.ts';
import { describe, errnoCode, TenkenError } from '../core/errors.ts';
import { terminalSafe } from '../core/sanitize.ts';
import { version } from '../core/package.ts';
import { defaultStateDir, stateDirFor } from '../state/store.ts';
import type { App, Format, GlobalOptions, Io } from './app.ts';
import { commands } from './commands/index.ts';

const FORMATS: Format[] = ['text', 'json', 'ndjson', 'html', 'nagios'];

function list(value: string, prev: string[] | undefined): string[] {
  return [
    ...(prev ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** Builds the program with its global options and every registered command. */
export function buildProgram(app: App): Command {
  const program = new Command('tenken')
    .description(
      'Routine inspection of a small Linux server: services as a client uses them, logs, attacks, ' +
        'processes, logins and dial-up lines.\nExit status follows Nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
    )
    .version(version(), '-V, --version')
    .option(
      '--root <dir>',
      'inspect the tree under DIR as if it were / (every host path is resolved under it)',
    )
    .option(
      '--config <file>',
      'config file (default: /etc/tenken/tenken.yaml under the root, else built-in defaults)',
    )
    .option(
      '--state <dir>',
      'state directory (default: /var/lib/tenken as root, else $XDG_STATE_HOME/tenken)',
    )
    .addOption(
      new Option('--format <format>', 'output format (each command lists the ones it supports)')
        .choices(FORMATS)
        .default('text'),
    )
    .option('--only <kinds>', 'run only these check kinds, comma-separated (tenken check)', list)
    .option(
      '-q, --quiet',
      `print nothing when everything is OK, for cron (${QUIET_COMMANDS.join(', ')})`,
      false,
    )
    .option('--no-color', 'never colour the output (colour is used only on a terminal)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride();
  program.configureOutput({
    writeOut: (s) => void app.io.write(s),
    writeErr: (s) => app.io.error(s.replace(/\n$/, '')),
  });
  for (const c of commands) c.register(program, app);
  // A global option the command would ignore is refused: `tenken -q scan` in a cron job printed every
  // line, and `--only logs last` printed all of wtmp, each without a word.
  program.hook('preAction', (_, action) => {
    const name = commandPath(action);
    const o = program.opts<{ only?: string[]; quiet: boolean }>();
    if (o.only !== undefined && name !== 'check')
      throw new TenkenError(
        `--only is for \`tenken check\`: \`tenken ${name}\` has no check kinds to choose`,
      );
    if (o.quiet && !QUIET_COMMANDS.includes(name))
      throw new TenkenError(
        `--quiet is not for \`tenken ${name}\`: it prints what it is asked for (--quiet is for ${QUIET_COMMANDS.join(', ')})`,
      );
  });
  return program;
}

/** Commands that honour `--quiet` (print nothing when all is OK): the ones a cron job runs. */
const QUIET_COMMANDS = [
  'check',
  'attacks',
  'procs',
  'probe',
  'dialup',
  'baseline record',
  'baseline approve',
  'wtmp rotate',
  'logins mail',
];

/** A command's name under the program: `check`, `baseline record`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Checks `--root DIR` once for all commands: it must be an existing directory. */
function checkRoot(root: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(root).isDirectory();
  } catch (err) {
    throw new TenkenError(describe(`Cannot use root ${root}`, err));
  }
  if (!isDir) throw new TenkenError(`Cannot use root ${root}: not a directory`);
}

/** Checks `--only`: at least one kind (an empty list would run no check and report OK). */
function checkOnly(only: string[] | undefined): void {
  if (only !== undefined && only.length === 0)
    throw new TenkenError(`Invalid --only: no check kind given (kinds: ${CHECK_KIND_NAMES.join(', ')})`);
}

/** Finds the root program (global options live there). */
function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/**
 * Runs tenken with `argv` (without node and script) against `io`; resolves to the exit code. Every error a
 * user can cause prints one line; anything else is a bug and says so.
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let code = 0;
  const pending: Promise<void>[] = [];
  /** The reader of stdout went away (`tenken last | head -1`): the run stops quietly, as `last` does. */
  let stdoutClosed = false;
  const trackedIo: Io = {
    ...io,
    write: (text) => {
      const p = io.write(text);
      pending.push(
        p.catch((err: unknown) => {
          if (errnoCode(err) === 'EPIPE') stdoutClosed = true;
        }),
      );
      return p;
    },
  };
  const app: App = {
    io: trackedIo,
    exit: (c) => {
      code = c;
    },
    globals(cmd) {
      const o = rootOf(cmd).opts<{
        root?: string;
        config?: string;
        state?: string;
        format: Format;
        only?: string[];
        quiet: boolean;
        color: boolean;
      }>();
      const root = o.root === undefined ? '/' : path.resolve(io.cwd, o.root);
      if (o.root !== undefined) checkRoot(root);
      checkOnly(o.only);
      // Found when a command needs it: without HOME and a passwd entry there is no default, which only the
      // commands that keep state need to hear about (`last` and `scan` keep none).
      let state: string | undefined;
      const config = o.config === undefined ? undefined : path.resolve(io.cwd, o.config);
      const g: GlobalOptions = {
        root: o.root === undefined ? undefined : root,
        config,
        get state() {
          state ??= stateDirFor(
            o.state === undefined ? defaultStateDir(io.env) : path.resolve(io.cwd, o.state),
            root,
          );
          return state;
        },
        format: o.format,
        only: o.only,
        quiet: o.quiet,
        color: o.color,
        invocation: invocationWords({
          root: o.root === undefined ? undefined : root,
          config,
          state: o.state === undefined ? undefined : path.resolve(io.cwd, o.state),
        }),
      };
      return g;
    },
    load(cmd) {
      const g = app.globals(cmd);
      const now = io.now?.();
      return Promise.resolve(
        loadAll({ root: g.root ?? '/', config: g.config, env: io.env, ...(now ? { now } : {}) }),
      ).then((loaded) => ({ ...loaded, invocation: g.invocation ?? [] }));
    },
  };
  try {
    // Built inside the try: what building needs (the version) failing is one line too, never a stack.
    await buildProgram(app).parseAsync([...argv], { from: 'user' });
  } catch (err) {
    await Promise.all(pending);
    if (stdoutClosed) return SIGPIPE_STATUS;
    if (err instanceof CommanderError) {
      code =
        err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
          ? 0
          : 3;
    } else if (err instanceof TenkenError) {
      // Messages may quote a file's bytes (a broken baseline, a config): never raw control characters.
      trackedIo.error(`tenken: ${err.message.split('\n').map(terminalSafe).join('\n')}`);
      code = err.exitCode;
    } else {
      const e = err instanceof Error ? err : new Error(String(err));
      trackedIo.error(`tenken: internal error (a bug, please report it): ${e.message}`);
      if (io.env.TENKEN_DEBUG) trackedIo.error(e.stack ?? '');
      code = 3;
    }
  }
  await Promise.all(pending);
  return stdoutClosed ? SIGPIPE_STATUS : code;
}

/** The status of a program a closed pipe stopped (128 + SIGPIPE), as util-linux `last | head -1` exits. */
const SIGPIPE_STATUS = 141;

/** Process I/O: stdout writes resolve when flushed (so state is committed only after delivery). */
export function processIo(): Io {
  return {
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
      }),
    error: (text) => {
      process.stderr.write(`${text}\n`);
    },
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

/**
 * Whether this module is the program node was asked to run (the bundle, or main.ts from the sources) under
 * whatever name it is called: a symlink `tenken-hourly` in a cron directory, a copy, npm's bin link. A name
 * pattern missed those and made them exit 0 having done nothing.
 */
function isEntry(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  process.stdout.on('error', () => undefined);
  void main(process.argv.slice(2), processIo()).then((code) => {
    process.exit(code);
  });
}
