import type { Command } from 'commander';
import { TenkenError } from '../../core/errors.ts';
import { terminalSafe } from '../../core/sanitize.ts';
import { exitCode, worst } from '../../core/status.ts';
import { readConfig } from '../../config/load.ts';
import { runProbe } from '../../probes/run.ts';
import { redactUrl } from '../../probes/spec.ts';
import { type ProbeSpec, probeSpec } from '../../probes/spec.ts';
import type { ProbeResult } from '../../probes/types.ts';
import { renderProbe } from '../../probes/view.ts';
import { painter, statusLabel, wantColor } from '../../report/style.ts';
import { assertFormat, type App } from '../app.ts';

interface ProbeOptions {
  proxy?: string;
  expect?: string;
  timeout?: string;
  send?: string;
  ca?: string;
  insecure: boolean;
  starttls?: string;
  verbose: boolean;
}

/** Builds the spec of one ad-hoc probe from a URL and the command's options; bad input is a TenkenError. */
export function adHocSpec(url: string, opts: Omit<ProbeOptions, 'verbose'>): ProbeSpec {
  const raw: Record<string, unknown> =
    opts.proxy === undefined ? { url } : { url: opts.proxy, kind: 'proxy', target: url };
  if (opts.timeout !== undefined) {
    const t = Number(opts.timeout);
    if (!Number.isFinite(t) || t <= 0 || t > 300) {
      // 0 is no deadline a probe can meet: "between 0 and 300" read as if 0 were allowed.
      throw new TenkenError(`Bad --timeout ${opts.timeout}: give seconds, more than 0 and at most 300`);
    }
    raw.timeout = t;
  }
  if (opts.expect !== undefined) raw.expect = opts.expect;
  if (opts.send !== undefined) raw.send = opts.send.replace(/\\r/g, '\r').replace(/\\n/g, '\n');
  if (opts.ca !== undefined) raw.ca = opts.ca;
  if (opts.insecure) raw.insecure = true;
  if (opts.starttls !== undefined) raw.starttls = opts.starttls;
  const parsed = probeSpec.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // The spec's fields as this command's words: with --proxy, `url` is the proxy and `target` the URL given.
    const path = issue?.path.join('.') ?? '';
    const field =
      opts.proxy === undefined ? path : path === 'url' ? '--proxy' : path === 'target' ? '' : path;
    // No password: option here: the URL's own percent-encoding is the only way.
    const message = (issue?.message ?? 'invalid').replace(/, or give it as (user|password):$/, '');
    throw new TenkenError(`Cannot probe ${redactUrl(url)}: ${field ? `${field}: ` : ''}${message}`);
  }
  return parsed.data;
}

/** The Nagios plugin line: `PROBE CRITICAL - url: summary | time=0.012s;;;0` per probe, worst first. */
export function nagiosLines(results: ProbeResult[]): string[] {
  const status = worst(results.map((r) => r.status));
  const head = results.find((r) => r.status === status) ?? results[0];
  const perf = results.map(
    (r, i) => `time${results.length > 1 ? i + 1 : ''}=${((r.timings.total ?? 0) / 1000).toFixed(3)}s;;;0`,
  );
  // Plugin output is one line per probe and `|` starts perfdata: neither may come from a server's text.
  const flat = (t: string): string => terminalSafe(t).replace(/\|/g, '/');
  const first = `PROBE ${status} - ${head ? flat(`${head.url}: ${head.summary}`) : 'no probe'} | ${perf.join(' ')}`;
  return [
    first,
    ...results.filter((r) => r !== head).map((r) => `${r.status} ${flat(`${r.url}: ${r.summary}`)}`),
  ];
}

/**
 * `tenken probe URL...`: ad-hoc client probes (http, https, smtp, pop3, imap, ftp, smb, dns, tcp, and any URL
 * through `--proxy`), printed with what each saw; the exit status is the worst one, Nagios style.
 */
export function register(program: Command, app: App): void {
  program
    .command('probe')
    .description(
      'probe services as a client: http(s)://, smtp://, pop3://, imap://, ftp://, smb://, dns://, tcp://',
    )
    .argument('<url...>', 'what to probe (user:password@ in the URL logs in)')
    .option('--proxy <url>', 'fetch the URL(s) through this HTTP proxy (CONNECT for https)')
    .option('--expect <text>', 'text that must appear (page, banner, reply, listing or DNS answer)')
    .option('--timeout <seconds>', 'deadline for each probe (default 10)')
    .option('--send <text>', 'tcp://: text to send after connecting (\\r and \\n are understood)')
    .option('--ca <file>', 'trust this PEM CA bundle (a host path) instead of the system store')
    .option('--insecure', 'accept an untrusted certificate (its expiry is still checked)', false)
    .option('--starttls <mode>', 'auto (default), require or off')
    .option('-v, --verbose', 'show the exchange even when the probe is OK', false)
    .addHelpText(
      'after',
      '\nFormats: text (default), json, nagios.\nExamples:\n  tenken probe https://www.example.org/ --expect Welcome\n' +
        '  tenken probe smtp://localhost:25 imap://user:secret@localhost\n  tenken probe http://example.org/ --proxy http://localhost:3128\n' +
        'Exit status: 0 OK, 1 WARNING, 2 CRITICAL (a refused connection says "connection refused"), 3 UNKNOWN.',
    )
    .action(async (urls: string[], opts: ProbeOptions, cmd: Command) => {
      const g = app.globals(cmd);
      assertFormat(g, 'probe', ['text', 'json', 'nagios']);
      const specs = urls.map((u) => adHocSpec(u, opts));
      // The config's certificate thresholds (checks.probes), as the probes check uses them.
      const cfg = readConfig({ root: g.root ?? '/', config: g.config }).config.checks.probes;
      const defaults = { certWarnDays: cfg.certWarnDays, certCritDays: cfg.certCritDays };
      const results = await Promise.all(specs.map((s) => runProbe(s, { root: g.root ?? '/', defaults })));
      const status = worst(results.map((r) => r.status));
      const code = exitCode(status);
      app.exit(code);
      if (g.quiet && code === 0) return;
      let text: string;
      if (g.format === 'json') text = `${JSON.stringify({ status, probes: results }, null, 2)}\n`;
      else if (g.format === 'nagios') text = `${nagiosLines(results).join('\n')}\n`;
      else {
        const paint = painter(wantColor({ flag: g.color, isTTY: app.io.isTTY, env: app.io.env }));
        const lines = results.flatMap((r) =>
          renderProbe(r, {
            label: (s) => statusLabel(paint, s),
            transcript: opts.verbose || r.status !== 'OK',
          }),
        );
        text = `${lines.join('\n')}\n`;
      }
      await app.io.write(text);
    });
}
