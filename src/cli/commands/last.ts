/**
 * `tenken last [USER|TTY...]` and `tenken lastb`: util-linux `last`/`lastb` (same options, byte-identical
 * text under LANG=C and the same TZ), plus `--format json`, merged backups (`-f` repeatable, .gz read in
 * place) and wtmpdb. Thin: options → LastRun → src/logins/last-run.ts.
 */
import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { TenkenError } from '../../core/errors.ts';
import { argPath, hostPath, makeHost } from '../../core/host.ts';
import { inTree } from '../../core/inroot.ts';
import { hostZoneChoice, type Zone, zoneFromTZ, zoneNotice } from '../../core/tz.ts';
import { readConfig } from '../../config/load.ts';
import { hostZone } from '../../logins/check.ts';
import { TIME_FORMATS, type TimeFormat, utf8Locale } from '../../logins/last-format.ts';
import { type LastInput, runLast } from '../../logins/last-run.ts';
import { livePidAlive } from '../../logins/live.ts';
import { parseTimestamp } from '../../logins/timestamp.ts';
import type { App, GlobalOptions } from '../app.ts';

interface LastOpts {
  file?: string[];
  limit?: string;
  system?: boolean;
  ip?: boolean;
  nohostname?: boolean;
  hostlast?: boolean;
  fullnames?: boolean;
  fulltimes?: boolean;
  timeFormat?: string;
  since?: string;
  until?: string;
  present?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function exists(p: string, root: string): boolean {
  try {
    fs.statSync(inTree(root, p));
    return true;
  } catch {
    return false;
  }
}

/** Where `-f FILE` is: absolute paths are host paths (under --root), relative ones are relative to cwd. */
function inputOf(file: string, root: string, cwd: string): LastInput {
  return { local: argPath({ root }, cwd, file), display: file, root };
}

/**
 * The zone `last` prints times in and reads `-s`/`-t`/`-p` in: TZ when set, as util-linux `last` (glibc)
 * reads it; else the inspected host's, as `tenken logins report` and the checks take it (the config's
 * `timeZone`, else the tree's /etc/localtime, which is what glibc reads on a live host). The config is read
 * only then, so `TZ=... tenken last` works as util-linux's does whatever the config holds.
 */
function lastZone(app: App, g: GlobalOptions, root: string, warn: (m: string) => void): Zone {
  const tz = app.io.env.TZ;
  if (tz !== undefined) return zoneFromTZ(tz);
  const { config } = readConfig({ root, config: g.config });
  const host = makeHost({ root, name: '', env: app.io.env });
  // On stderr, so that stdout stays util-linux's: the times are UTC because the tree's zone is unknown.
  const notice = zoneNotice(hostZoneChoice(host, config.checks.logins.timeZone));
  if (notice !== null) warn(notice);
  return hostZone(host, config.checks.logins.timeZone);
}

function define(program: Command, app: App, name: 'last' | 'lastb'): void {
  const lastb = name === 'lastb';
  const file = lastb ? '/var/log/btmp' : '/var/log/wtmp';
  program
    .command(name)
    .description(
      lastb
        ? 'list failed logins from btmp, like util-linux lastb'
        : 'list logins and reboots from wtmp, like util-linux last',
    )
    .argument('[names...]', 'user names or ttys to show')
    .option(
      '-f, --file <file>',
      `read FILE instead of ${file} (repeatable: files are merged into one history)`,
      collect,
    )
    .option('-n, --limit <number>', 'show at most this many lines (also -<number>)')
    .option('-x, --system', 'show shutdown and run-level entries too')
    .option('-i, --ip', 'show the address (ut_addr_v6) instead of the host name')
    .option('-R, --nohostname', 'do not show the host column')
    .option('-a, --hostlast', 'show the host in the last column')
    .option('-w, --fullnames', 'show full user and host names')
    .option('-F, --fulltimes', 'show full login and logout times and dates')
    .addOption(new Option('--time-format <format>', 'notime|short|full|iso').choices(TIME_FORMATS))
    .option('-s, --since <time>', 'show entries since this time (2013-08-28 02:20, yesterday, -5days, ...)')
    .option('-t, --until <time>', 'show entries until this time')
    .option('-p, --present <time>', 'show who was present at this time')
    .allowUnknownOption()
    .action(async (names: string[], opts: LastOpts, cmd: Command) => {
      const g = app.globals(cmd);
      if (g.format !== 'text' && g.format !== 'json') {
        throw new TenkenError(
          `Cannot run tenken ${name}: --format ${g.format} is not supported here (text, json)`,
        );
      }
      // util-linux also takes `-<number>` for -n; commander hands it over as an unknown option.
      let limit = 0;
      const show: string[] = [];
      for (const n of names) {
        if (/^-\d+$/.test(n)) limit = Number(n.slice(1));
        else if (n.startsWith('-')) throw new TenkenError(`Cannot run tenken ${name}: unknown option '${n}'`);
        else show.push(n);
      }
      if (opts.limit !== undefined) {
        if (!/^\s*[-+]?\d+\s*$/.test(opts.limit))
          throw new TenkenError(`Cannot run tenken ${name}: failed to parse number: '${opts.limit}'`);
        limit = Math.max(0, Number(opts.limit));
      }
      if (opts.fulltimes && opts.timeFormat) {
        throw new TenkenError(
          `Cannot run tenken ${name}: --fulltimes and --time-format are mutually exclusive`,
        );
      }
      const timeFormat: TimeFormat = opts.fulltimes
        ? 'full'
        : ((opts.timeFormat as TimeFormat | undefined) ?? 'short');
      const root = g.root ?? '/';
      const nowMs = (app.io.now?.() ?? new Date()).getTime();
      const now = Math.floor(nowMs / 1000);
      const zone = lastZone(app, g, root, (m) => app.io.error(`tenken ${name}: ${m}`));
      const time = (flag: string, v: string | undefined): number => {
        if (v === undefined) return 0;
        const t = parseTimestamp(v, now, zone);
        if (t === null)
          throw new TenkenError(`Cannot run tenken ${name}: invalid time value "${v}" for ${flag}`);
        return t;
      };
      let inputs: LastInput[];
      if (opts.file && opts.file.length > 0) inputs = opts.file.map((f) => inputOf(f, root, app.io.cwd));
      else {
        const wtmp = { local: hostPath({ root }, file), display: file, root };
        const db = {
          local: hostPath({ root }, '/var/lib/wtmpdb/wtmp.db'),
          display: '/var/lib/wtmpdb/wtmp.db',
          root,
        };
        inputs = [!lastb && !exists(wtmp.local, root) && exists(db.local, root) ? db : wtmp];
      }
      await runLast(
        {
          inputs,
          lastb,
          extended: opts.system === true,
          limit,
          since: time('--since', opts.since),
          until: time('--until', opts.until),
          present: time('--present', opts.present),
          show,
          json: g.format === 'json',
          format: {
            timeFormat,
            showHost: opts.nohostname !== true,
            hostLast: opts.hostlast === true,
            useIp: opts.ip === true,
            fullNames: opts.fullnames === true,
            now,
            zone,
            utf8: utf8Locale(app.io.env),
          },
          pidAlive: livePidAlive(root, nowMs),
        },
        { write: (t) => app.io.write(t), warn: (m) => app.io.error(`tenken ${name}: ${m}`) },
      );
      app.exit(0);
    });
}

/** Adds `tenken last` and `tenken lastb`. */
export function register(program: Command, app: App): void {
  define(program, app, 'last');
  define(program, app, 'lastb');
}
