import type { Command } from 'commander';
import { configText, DEFAULT_CONFIG, parseConfig } from '../../config/load.ts';
import { STARTER_CONFIG } from '../../config/starter.ts';
import { invocationWords, tenkenCommand } from '../../core/command.ts';
import { TenkenError, describe, errnoCode } from '../../core/errors.ts';
import { hostPath } from '../../core/host.ts';
import { readRegularFileSync } from '../../core/open.ts';
import { writeFileAtomic } from '../../state/atomic.ts';
import { assertFormat, type App, type GlobalOptions } from '../app.ts';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The other `config` command for the same file, to suggest: with the run's --root and --config (without
 * them it would check or write the live host's /etc/tenken/tenken.yaml), and the file when one was named.
 */
function sibling(
  g: GlobalOptions,
  command: 'init' | 'check',
  file: string | undefined,
  target: string,
): string {
  const given = invocationWords({ root: g.root, config: g.config });
  return tenkenCommand(given, 'config', command, ...(file === undefined ? [] : [target]));
}

/** `tenken config init|check`: write a commented starter config; validate one with file:line:col errors. */
export function register(program: Command, app: App): void {
  const config = program.command('config').description('write or validate the configuration file');

  config
    .command('init')
    .description(
      'write a commented starter config (to FILE, --config, or /etc/tenken/tenken.yaml; - for stdout)',
    )
    .argument('[file]', 'where to write it')
    .option('--force', 'overwrite an existing file', false)
    .action(async (file: string | undefined, opts: { force: boolean }, cmd: Command) => {
      const g = app.globals(cmd);
      assertFormat(g, 'config init', ['text']);
      if (file === '-') {
        await app.io.write(STARTER_CONFIG);
        return;
      }
      const target =
        file !== undefined
          ? path.resolve(app.io.cwd, file)
          : (g.config ?? hostPath({ root: g.root ?? '/' }, DEFAULT_CONFIG));
      if (existsSync(target) && !opts.force)
        throw new TenkenError(`Cannot write ${target}: it exists (use --force to overwrite)`);
      try {
        mkdirSync(path.dirname(target), { recursive: true });
      } catch (err) {
        throw new TenkenError(describe(`Cannot create ${path.dirname(target)}`, err));
      }
      writeFileAtomic(target, STARTER_CONFIG, 0o644);
      await app.io.write(`Wrote ${target}\nEdit it, then run: ${sibling(g, 'check', file, target)}\n`);
    });

  config
    .command('check')
    .description('validate a config file; prints every error as file:line:col (exit 3 when invalid)')
    .argument('[file]', 'the file (default: --config, else /etc/tenken/tenken.yaml under the root)')
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const g = app.globals(cmd);
      assertFormat(g, 'config check', ['text']);
      const target =
        file !== undefined
          ? path.resolve(app.io.cwd, file)
          : (g.config ?? hostPath({ root: g.root ?? '/' }, DEFAULT_CONFIG));
      let bytes: Buffer;
      try {
        bytes = readRegularFileSync(target);
      } catch (err) {
        const hint =
          errnoCode(err) === 'ENOENT' ? ` (\`${sibling(g, 'init', file, target)}\` writes a starter)` : '';
        throw new TenkenError(`${describe(`Cannot read ${target}`, err)}${hint}`);
      }
      let services: number;
      try {
        services = Object.keys(parseConfig(configText(bytes, target), target).services).length;
      } catch (err) {
        if (!(err instanceof TenkenError)) throw err;
        // parseConfig's message is a heading and one error a line; configText's is the one error.
        const all = err.message.split('\n');
        const lines = all.length > 1 ? all.slice(1) : all;
        for (const l of lines) app.io.error(l);
        app.io.error(`${lines.length} error${lines.length === 1 ? '' : 's'} in ${target}`);
        app.exit(3);
        return;
      }
      await app.io.write(`${target}: valid (${services} service${services === 1 ? '' : 's'} configured)\n`);
    });
}
