import path from 'node:path';
import type { Command } from 'commander';
import { TenkenError, describe } from '../../core/errors.ts';
import { terminalSafe } from '../../core/sanitize.ts';
import { exitCode, worst } from '../../core/status.ts';
import { inspectedZone } from '../../core/tz.ts';
import { painter, statusLabel, wantColor } from '../../report/style.ts';
import { zonedTime } from '../../report/time.ts';
import {
  approveCommand,
  baselinePathFor,
  judge,
  loadBaseline,
  observe,
  recordCommand,
  snapshotOf,
} from '../../procs/check.ts';
import { renderListeners, renderProcessTable, renderResults } from '../../procs/view.ts';
import { assertFormat, type App } from '../app.ts';

interface ProcsOptions {
  list: boolean;
  verbose: boolean;
  baseline?: string;
}

/**
 * `tenken procs`: processes and listening sockets now, judged like the `procs` check of `tenken check`
 * (services' processes, on-demand listeners, the baseline diff), with an optional `ps`-like listing.
 */
export function register(program: Command, app: App): void {
  program
    .command('procs')
    .description('processes and listening sockets now, compared with the recorded baseline')
    .option('--list', 'also list every process and listener', false)
    .option('-v, --verbose', 'also show what is OK', false)
    .option(
      '--baseline <file>',
      'baseline file (default: checks.procs.baseline, else baseline.json in the state directory)',
    )
    .addHelpText(
      'after',
      '\nFormats: text (default), json.\nRecord the healthy state first with `tenken baseline record`.\n' +
        'Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
    )
    .action(async (opts: ProcsOptions, cmd: Command) => {
      const g = app.globals(cmd);
      assertFormat(g, 'procs', ['text', 'json']);
      const loaded = await app.load(cmd);
      const cfg = loaded.config.checks.procs;
      const file =
        opts.baseline !== undefined
          ? path.resolve(app.io.cwd, opts.baseline)
          : baselinePathFor(cfg, { stateDir: g.state, configPath: loaded.configPath, cwd: app.io.cwd });
      const named = opts.baseline === undefined || file === null ? undefined : file;
      const obs = await observe(loaded.host, cfg);
      const base = await loadBaseline(file);
      const selfPid = loaded.host.live ? process.pid : undefined;
      const results = judge(obs, loaded.plan, cfg, base, {
        now: loaded.host.now,
        hostName: loaded.host.name,
        // With this run's --root/--config/--state, and --baseline's file: as written, they record and approve
        // this baseline (not the live host's, nor the default state directory's).
        record: recordCommand(g.invocation, named),
        approve: (item) => approveCommand(g.invocation, named, item),
        ...(selfPid === undefined ? {} : { selfPid }),
      });
      const status = worst(results.map((r) => r.status));
      const code = exitCode(status);
      app.exit(code);
      if (g.quiet && code === 0) return;
      const snap = snapshotOf(obs, cfg, selfPid, loaded.plan);
      let text: string;
      if (g.format === 'json') {
        const doc = {
          host: loaded.host.name,
          root: loaded.host.root === '/' ? null : loaded.host.root,
          time: loaded.host.now.toISOString(),
          status,
          baseline: {
            path: base.path,
            state: base.state,
            ...(base.state === 'ok' ? { updated: base.baseline.updated } : {}),
          },
          results,
          ...(opts.list ? { processes: obs.processes, listeners: obs.listeners } : {}),
        };
        text = `${JSON.stringify(doc, null, 2)}\n`;
      } else {
        const paint = painter(wantColor({ flag: g.color, isTTY: app.io.isTTY, env: app.io.env }));
        const zone = inspectedZone(loaded.host, loaded.config.timeZone);
        const where =
          base.state === 'ok'
            ? `baseline ${base.path} of ${zonedTime(base.baseline.updated, zone)}`
            : 'no baseline';
        const lines = [
          paint(
            'bold',
            `Processes of ${terminalSafe(loaded.host.name)} at ${zonedTime(loaded.host.now.toISOString(), zone)} (${terminalSafe(where)})`,
          ),
          `${statusLabel(paint, status, 0)}: ${snap.processes.length} processes, ${snap.listeners.length} listeners`,
          '',
          ...renderResults(results, paint, opts.verbose),
        ];
        if (opts.list)
          lines.push(
            '',
            ...renderProcessTable(obs.processes, zone),
            '',
            ...renderListeners(obs.listeners, snap.all),
          );
        text = `${lines.join('\n')}\n`;
      }
      try {
        await app.io.write(text);
      } catch (err) {
        throw new TenkenError(describe('Cannot write to stdout', err));
      }
    });
}
