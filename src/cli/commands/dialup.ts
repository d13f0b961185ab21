import type { Command } from 'commander';
import { describe, TenkenError } from '../../core/errors.ts';
import { terminalSafe } from '../../core/sanitize.ts';
import { exitCode, worst } from '../../core/status.ts';
import { asFindings, inspectDialup, unknownLines } from '../../dialup/check.ts';
import { renderDialupText } from '../../dialup/render.ts';
import { painter, wantColor } from '../../report/style.ts';
import { assertFormat, type App } from '../app.ts';

interface DialupOptions {
  tty: string[];
  mgettyLog: string[];
  file: string[];
  verbose: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `tenken dialup`: mgetty's calls compared with wtmp's logins per serial line (a login with no call is
 * CRITICAL), calls that led to no login, calls outside the line's hours, and the modem's health.
 */
export function register(program: Command, app: App): void {
  program
    .command('dialup')
    .description("dial-up lines: mgetty's calls compared with logins, and the modem's health")
    .option(
      '--tty <line>',
      'only this line, e.g. ttyS0 (repeatable); a line the host does not know is an error',
      collect,
      [],
    )
    .option(
      '--mgetty-log <file>',
      "read this mgetty log instead of the host's (repeatable; syslog lines are understood too)",
      collect,
      [],
    )
    .option(
      '-f, --file <wtmp>',
      "read logins from this wtmp file (or wtmpdb database) instead of the host's (repeatable)",
      collect,
      [],
    )
    .option('-v, --verbose', 'show every evidence line and the line summaries in full', false)
    .addHelpText(
      'after',
      '\nFormats: text (default), json.\nLogs default to checks.dialup.logs (/var/log/mgetty.ttyS0, /var/log/mgetty/*, ...) ' +
        "plus mgetty's syslog lines; wtmp to /var/log/wtmp and its rotated backups, or /var/lib/wtmpdb/wtmp.db where there is no wtmp. Absolute paths given here are host paths (under --root).\n" +
        'This shows the whole history and keeps no state; the dialup kind of `tenken check` reports only what is new since its last run.\n' +
        'Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
    )
    .action(async (opts: DialupOptions, cmd: Command) => {
      const g = app.globals(cmd);
      assertFormat(g, 'dialup', ['text', 'json']);
      const loaded = await app.load(cmd);
      const insp = await inspectDialup(loaded.host, loaded.config.checks.dialup, loaded.plan, {
        logs: opts.mgettyLog,
        wtmp: opts.file,
        ttys: opts.tty,
        cwd: app.io.cwd,
      });
      // A line asked for that the host does not know is a typo, not a clean line (without any mgetty log,
      // the report says that instead).
      const unknown = insp.enabled ? unknownLines(opts.tty, insp.knownLines) : [];
      if (unknown.length)
        throw new TenkenError(
          `no dial-up line ${unknown.join(', ')} (lines: ${insp.knownLines.join(', ') || 'none'})`,
        );
      const findings = [...insp.problems, ...asFindings(insp.findings)];
      const status = worst(findings.map((f) => f.status));
      const code = exitCode(status);
      app.exit(code);
      if (g.quiet && code === 0) return;
      let text: string;
      if (g.format === 'json') {
        const doc = {
          host: loaded.host.name,
          root: loaded.host.root === '/' ? null : loaded.host.root,
          time: loaded.host.now.toISOString(),
          status,
          timeZone: insp.timeZone ?? null,
          logs: insp.logs,
          wtmp: insp.wtmp,
          findings,
        };
        text = `${JSON.stringify(doc, null, 2)}\n`;
      } else {
        const paint = painter(wantColor({ flag: g.color, isTTY: app.io.isTTY, env: app.io.env }));
        const root = loaded.host.root === '/' ? '' : ` (root ${terminalSafe(loaded.host.root)})`;
        const header = `Dial-up lines of ${terminalSafe(loaded.host.name)}${root} at ${loaded.host.now.toISOString()}`;
        text = `${renderDialupText(insp, header, status, { paint, verbose: opts.verbose }).join('\n')}\n`;
      }
      try {
        await app.io.write(text);
      } catch (err) {
        throw new TenkenError(describe('Cannot write to stdout', err));
      }
    });
}
