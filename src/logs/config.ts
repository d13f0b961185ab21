import type { Plan } from '../config/plan.ts';
import type { Status } from '../core/status.ts';
import { z } from 'zod';
import { RUNBOOK_CATEGORIES } from './scan/pack.ts';
import { linearProblem } from './scan/linear.ts';

/**
 * Options of the `logs` check under `checks.logs` in tenken.yaml; defaults live here.
 * User regexes are checked here, at config load, to run in linear time (a hostile log line must not be
 * able to stall a scan), so a bad rule is a config error with its file:line:col, never a slow scan.
 */

const count = z.number().int().nonnegative();

/** Counts that turn a category's hits into WARNING / CRITICAL, per run and per (peak) hour. */
export const logThreshold = z
  .object({
    warn: count.optional(),
    crit: count.optional(),
    warnPerHour: count.optional(),
    critPerHour: count.optional(),
  })
  .strict();

/** A parsed log threshold (same shape as the plan's per-service thresholds). */
export type LogThreshold = z.output<typeof logThreshold>;

/**
 * A user regex: checked for syntax and linear-time execution. Case-sensitive, as JavaScript writes them:
 * V8's linear engine cannot run the `i` flag, and an `i` regex that backtracks could not fall back to it.
 */
const ruleRegex = z
  .string()
  .min(1)
  .superRefine((src, ctx) => {
    const problem = linearProblem(src);
    if (problem) ctx.addIssue({ code: 'custom', message: `regex /${src}/ is not allowed: ${problem}` });
  });

const keyword = z
  .string()
  .min(1)
  .refine((k) => !/[\r\n]/.test(k), 'keywords are matched within one line and cannot contain line breaks');

/** Category ids: lower-case words, as in reports and `--category`. */
const categoryId = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, 'category ids are lower-case letters, digits, _ and -');

/** A user category, or extra rules for a built-in one (same id). */
export const categoryRules = z
  .object({
    title: z.string().optional(),
    /** Case-insensitive substrings, like the runbook's keywords. */
    keywords: z.array(keyword).default([]),
    /** Regexes over the line (trailing CR removed); case-sensitive, linear-time only. */
    regex: z.array(ruleRegex).default([]),
  })
  .strict();

/** One ignore rule: a known-benign line (regex, or case-insensitive keyword, over the message). */
export const ignoreRule = z.union([
  ruleRegex,
  z
    .object({
      regex: ruleRegex.optional(),
      keyword: keyword.optional(),
      /** Only ignore the line for these categories (default: all). */
      categories: z.array(categoryId).optional(),
      /** Only lines of these programs (syslog tags, matched as `services.NAME.syslog` is; default: any line). */
      programs: z.array(z.string().min(1)).optional(),
    })
    .strict()
    .refine(
      (r) => (r.regex === undefined) !== (r.keyword === undefined),
      'give exactly one of regex or keyword',
    ),
]);

/** A parsed ignore rule. */
export type IgnoreRuleConfig = z.output<typeof ignoreRule>;

/**
 * Default thresholds for a small server, per category; `*` applies to categories without their own.
 * Counts are per run (`warn`/`crit`) and for the busiest hour (`warnPerHour`/`critPerHour`).
 * CGI probes and password-file lines are rare on a healthy host, so a single one is worth a look.
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<string, LogThreshold>> = {
  '*': { warn: 50, crit: 500, warnPerHour: 20, critPerHour: 200 },
  error: { warn: 20, crit: 200, warnPerHour: 10, critPerHour: 100 },
  network: { warn: 10, crit: 100, warnPerHour: 10, critPerHour: 60 },
  access: { warn: 20, crit: 200, warnPerHour: 10, critPerHour: 100 },
  invalid: { warn: 20, crit: 200, warnPerHour: 10, critPerHour: 100 },
  cgi: { warn: 1, crit: 20, warnPerHour: 1, critPerHour: 10 },
  portscan: { warn: 5, crit: 50, warnPerHour: 5, critPerHour: 30 },
  bruteforce: { warn: 10, crit: 100, warnPerHour: 10, critPerHour: 60 },
  passwd: { warn: 1, crit: 20, warnPerHour: 1, critPerHour: 10 },
};

/** The programs that change a password as a matter of course (the shadow suite's and PAM's). */
const PASSWORD_PROGRAMS = ['passwd', 'chpasswd', 'usermod'];

/**
 * tenken's own known-benign lines, on unless `builtinIgnore: false`, by service (`*` = all): an ordinary
 * password change (`passwd[1234]: pam_unix(passwd:chauthtok): password changed for kato`, the shadow
 * suite's `password for 'kato' changed by 'kato'`, quoted `` `kato' `` in the 1990s) is no access to the
 * password file worth a WARNING. Only
 * these exact messages, only from these programs, only in `passwd`; a failed change still counts.
 */
export const BUILTIN_IGNORE: Readonly<Record<string, readonly IgnoreRuleConfig[]>> = {
  '*': [
    {
      regex: "^pam_unix\\((?:passwd|chpasswd|usermod):chauthtok\\): password changed for [^\\s']+$",
      categories: ['passwd'],
      programs: PASSWORD_PROGRAMS,
    },
    {
      regex: "^password for [`'][^`']+' changed by [`'][^`']+'$",
      categories: ['passwd'],
      programs: PASSWORD_PROGRAMS,
    },
  ],
};

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * A byte count: a number of bytes, or a string with a binary unit (`2GiB`, `512 MiB`, `64K`, `1.5G`:
 * K, M, G and T are powers of 1024, with or without `iB`/`B`, as in `ls -lh` and logrotate's `size`).
 */
export const byteSize = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\s*\d+(?:\.\d+)?\s*(?:[KMGT](?:i?B)?)?\s*$/i, 'a byte count such as 2147483648, 2GiB, 512M')
    .transform((v) => {
      const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)/i.exec(v) as RegExpExecArray;
      return Math.round(Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] ?? 1));
    }),
]);

/** The default of `maxReadPerRun`: 2 GiB, about 15 s of scanning, so a cron run stays well within its period. */
export const DEFAULT_MAX_READ_PER_RUN = 2 ** 31;

/** Options of the `logs` check. */
export const logsConfig = z
  .object({
    /** Use the runbook's built-in keyword table (categories error, network, access, ...). */
    runbook: z.boolean().default(true),
    /** User categories and extra keywords/regexes for built-in ones, by category id. */
    categories: z.record(categoryId, categoryRules).default({}),
    /** Known-benign lines by service name (`*` = every service, `host` = lines of no service). */
    ignore: z.record(z.string().min(1), z.array(ignoreRule)).default({}),
    /** Apply tenken's own known-benign lines (BUILTIN_IGNORE: an ordinary password change). */
    builtinIgnore: z.boolean().default(true),
    /** Thresholds by category id (`*` = default), merged field by field over DEFAULT_THRESHOLDS. */
    thresholds: z.record(z.union([categoryId, z.literal('*')]), logThreshold).default({}),
    /** Syslog/journal lines whose program belongs to no service: report them under `host`, or drop them. */
    unmatched: z.enum(['host', 'ignore']).default('host'),
    /** Sample lines kept per service and category. */
    samples: z.number().int().min(0).max(50).default(3),
    /** Distinct messages (numbers and ids folded) listed per service and category. */
    top: z.number().int().min(0).max(50).default(5),
    /**
     * New content read per file in one `check` run (logs and attacks), at most; the rest is read by the
     * next run, from where this one stopped, and a WARNING says so. 0: no limit.
     */
    maxReadPerRun: byteSize.default(DEFAULT_MAX_READ_PER_RUN),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const ids = new Set([...(cfg.runbook ? RUNBOOK_CATEGORIES : []), ...Object.keys(cfg.categories)]);
    if (ids.size > 30)
      ctx.addIssue({
        code: 'custom',
        message: `at most 30 categories (got ${ids.size})`,
        path: ['categories'],
      });
    for (const [id, rules] of Object.entries(cfg.categories)) {
      // `/panic/i` is a JavaScript literal: as a rule it would match those slashes and letters literally.
      rules.regex.forEach((r, i) => {
        if (/^\/.+\/[dgimsuvy]+$/.test(r))
          ctx.addIssue({
            code: 'custom',
            message: `regex ${r} looks like a /pattern/flags literal: write the pattern alone (rules are case-sensitive: [Pp]anic)`,
            path: ['categories', id, 'regex', i],
          });
      });
      if (
        !RUNBOOK_CATEGORIES.includes(id as never) &&
        rules.keywords.length === 0 &&
        rules.regex.length === 0
      )
        ctx.addIssue({
          code: 'custom',
          message: `category ${id} needs keywords or regex`,
          path: ['categories', id],
        });
    }
    for (const [svc, rules] of Object.entries(cfg.ignore))
      rules.forEach((r, i) => {
        if (typeof r === 'string') return;
        for (const c of r.categories ?? [])
          if (!ids.has(c))
            ctx.addIssue({
              code: 'custom',
              message: `unknown category ${c}`,
              path: ['ignore', svc, i, 'categories'],
            });
      });
    // A misspelt category's threshold would be ignored without a word.
    for (const id of Object.keys(cfg.thresholds))
      if (id !== '*' && !ids.has(id))
        ctx.addIssue({
          code: 'custom',
          message: `unknown category ${id} (known: ${[...ids].join(', ')}, *)`,
          path: ['thresholds', id],
        });
  });

/** Parsed `checks.logs` options. */
export type LogsConfig = z.output<typeof logsConfig>;

/**
 * The config's ignore rules with the built-in ones before them: tenken's own (BUILTIN_IGNORE, unless
 * `builtinIgnore: false`) and each planned service's profile rules (see Profile.ignore).
 */
export function withBuiltinIgnores(cfg: LogsConfig, plan: Pick<Plan, 'services'>): LogsConfig {
  const withProfiles = plan.services.filter((s) => s.ignore.length > 0);
  if (withProfiles.length === 0 && !cfg.builtinIgnore) return cfg;
  const ignore = { ...cfg.ignore };
  for (const s of withProfiles) ignore[s.name] = [...s.ignore, ...(ignore[s.name] ?? [])];
  if (cfg.builtinIgnore)
    for (const [svc, rules] of Object.entries(BUILTIN_IGNORE))
      ignore[svc] = [...rules, ...(ignore[svc] ?? [])];
  return { ...cfg, ignore };
}

/**
 * Field-by-field merge: defaults for the category (or `*`), then the config's, then the service's. The
 * config's `*` is for the categories without thresholds of their own, built-in or configured (user
 * categories): laid over a runbook category's own defaults it made `cgi` warn at 100 but go CRITICAL at 20.
 */
export function thresholdFor(
  category: string,
  config: Readonly<Record<string, LogThreshold>>,
  service: Readonly<Record<string, LogThreshold>>,
): LogThreshold {
  const own = DEFAULT_THRESHOLDS[category] !== undefined || config[category] !== undefined;
  return {
    ...DEFAULT_THRESHOLDS['*'],
    ...(DEFAULT_THRESHOLDS[category] ?? {}),
    ...(own ? {} : (config['*'] ?? {})),
    ...(config[category] ?? {}),
    ...(service['*'] ?? {}),
    ...(service[category] ?? {}),
  };
}

/** Status of a count and busiest hour under a threshold. */
export function statusFor(count: number, peak: number, t: LogThreshold): Status {
  const over = (n: number, limit: number | undefined) => limit !== undefined && limit > 0 && n >= limit;
  if (over(count, t.crit) || over(peak, t.critPerHour)) return 'CRITICAL';
  if (over(count, t.warn) || over(peak, t.warnPerHour)) return 'WARNING';
  return 'OK';
}
