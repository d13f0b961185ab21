import { hostname } from 'node:os';
import { CHECK_KIND_NAMES } from '../checks/registry.ts';
import { TenkenError, describe, errnoCode } from '../core/errors.ts';
import { type Host, hostPath, makeHost } from '../core/host.ts';
import { resolveInRoot } from '../core/inroot.ts';
import { readRegularFileSync } from '../core/open.ts';
import { buildPlan } from './build-plan.ts';
import { gatherFacts } from './facts.ts';
import type { Plan } from './plan.ts';
import { RUNBOOK_CATEGORIES } from '../logs/scan/pack.ts';
import { builtinProfiles } from './profile.ts';
import { type Config, configSchema } from './schema.ts';
import { parseYaml } from './yaml.ts';

/** The default config file, as a host path (resolved under --root). */
export const DEFAULT_CONFIG = '/etc/tenken/tenken.yaml';

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Encodings a Japanese config saved by an old editor is likely in, tried to say which one it is. */
const LEGACY = ['EUC-JP', 'Shift_JIS'] as const;

/**
 * The config file's bytes as text, or a TenkenError `FILE:LINE:COL: not UTF-8 (...)` at the first bad byte.
 * Reading with 'utf8' replaced bad bytes silently: an EUC-JP config was "valid", its titles U+FFFD and its
 * keywords never matching. The column counts characters (UTF-16 units) from 1, as the YAML errors do.
 */
export function configText(bytes: Uint8Array, file: string): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    // Find the first bad byte: the longest valid prefix (a binary search over fatal decodes).
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (validPrefix(bytes, mid)) lo = mid;
      else hi = mid - 1;
    }
    // The valid text before the bad byte (a character begun at `lo` and not finished is the bad one).
    const good = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, lo), {
      stream: true,
    });
    const bad = Buffer.byteLength(good);
    const lineStart = good.lastIndexOf('\n') + 1;
    const line = good.length === 0 ? 1 : good.split('\n').length;
    const col = good.length - lineStart + 1;
    // The bad byte and the non-ASCII ones after it (up to 4): what the editor shows as one odd character.
    let end = bad + 1;
    while (end < bytes.length && end < bad + 4 && (bytes[end] as number) >= 0x80) end++;
    const shown = [...bytes.subarray(bad, end)].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
    const guess = LEGACY.filter((enc) => {
      try {
        new TextDecoder(enc, { fatal: true }).decode(bytes);
        return true;
      } catch {
        return false;
      }
    });
    const as = guess.length > 0 ? `, it reads as ${guess.join(' or ')}` : '';
    throw new TenkenError(`${file}:${line}:${col}: not UTF-8 (bytes ${shown}${as}): save the file as UTF-8`);
  }
}

/** Whether the first `n` bytes are valid UTF-8, allowing a character cut at the end. */
function validPrefix(bytes: Uint8Array, n: number): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Parses config text; throws a TenkenError listing every problem as file:line:col. */
export function parseConfig(text: string, file: string): Config {
  const r = parseYaml(text, file, checkedConfig);
  if (!r.ok) throw new TenkenError(`Invalid config ${file}:\n${r.errors.join('\n')}`);
  return withHostZone(r.value);
}

/**
 * The schema plus what it cannot know by itself: check kind names in `disable`, built-in profile names, and
 * the categories services' thresholds name. Said at load with file:line:col (and by `config check`), not
 * at the first run (a `disable: [probe]` failed every cron run) or never (a misspelt category).
 */
const checkedConfig = configSchema.superRefine((c, ctx) => {
  const kinds: readonly string[] = CHECK_KIND_NAMES;
  c.disable.forEach((k, i) => {
    if (!kinds.includes(k))
      ctx.addIssue({
        code: 'custom',
        message: `unknown check kind ${k} (known: ${kinds.join(', ')})`,
        path: ['disable', i],
      });
  });
  const profiles = new Set(builtinProfiles().keys());
  const logs = c.checks.logs;
  const categories = new Set([
    ...(logs.runbook ? RUNBOOK_CATEGORIES : []),
    ...Object.keys(logs.categories),
    '*',
  ]);
  // Ignore rules for a service that does not exist (a misspelt `sshdd`) would never apply.
  const services = new Set([...profiles, ...Object.keys(c.services), '*', 'host']);
  for (const key of Object.keys(logs.ignore))
    if (!services.has(key))
      ctx.addIssue({
        code: 'custom',
        message: `no service ${key} (a built-in profile, a configured service, * or host)`,
        path: ['checks', 'logs', 'ignore', key],
      });
  for (const [name, svc] of Object.entries(c.services)) {
    // A service of no profile and nothing of its own (`wu-ftp:` for wu-ftpd) was "OK" on every run while
    // its lines went to `host`.
    const own = [svc.processes, svc.logs, svc.syslog, svc.ports, svc.probes].some(
      (l) => (l?.length ?? 0) > 0,
    );
    // `host` (the lines of no service) takes thresholds like a service, and has nothing else to check.
    if (
      svc.profile === undefined &&
      !profiles.has(name) &&
      !own &&
      svc.enabled !== false &&
      name !== 'host'
    ) {
      const near = [...profiles].filter((p) => editDistance(p, name) <= 2 || p.startsWith(name));
      ctx.addIssue({
        code: 'custom',
        message: `service ${name} has nothing to check: no built-in profile of that name, and no processes, logs, syslog, ports or probes${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}`,
        path: ['services', name],
      });
    }
    if (svc.profile !== undefined && !profiles.has(svc.profile))
      ctx.addIssue({
        code: 'custom',
        message: `no built-in profile ${svc.profile} (known: ${[...profiles].sort().join(', ')})`,
        path: ['services', name, 'profile'],
      });
    for (const id of Object.keys(svc.thresholds ?? {}))
      if (!categories.has(id))
        ctx.addIssue({
          code: 'custom',
          message: `unknown category ${id} (known: ${[...categories].join(', ')})`,
          path: ['services', name, 'thresholds', id],
        });
  }
});

/** Levenshtein distance (for "did you mean"): names are short, so the plain table is enough. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The top-level `timeZone` as the default of the checks that have their own (logins, dialup). */
function withHostZone(config: Config): Config {
  const tz = config.timeZone;
  if (tz === undefined) return config;
  const { logins, dialup } = config.checks;
  return {
    ...config,
    checks: {
      ...config.checks,
      logins: { ...logins, timeZone: logins.timeZone ?? tz },
      dialup: { ...dialup, timeZone: dialup.timeZone ?? tz },
    },
  };
}

/**
 * Reads the config: the --config file (must exist), else /etc/tenken/tenken.yaml under the root if present,
 * else built-in defaults. `shown` is the path as reported to the user.
 */
export function readConfig(opts: { root: string; config?: string | undefined }): {
  config: Config;
  path: string | null;
} {
  const explicit = opts.config !== undefined;
  const local = explicit ? (opts.config as string) : hostPath({ root: opts.root }, DEFAULT_CONFIG);
  let bytes: Buffer;
  try {
    bytes = readRegularFileSync(local);
  } catch (err) {
    if (!explicit && errnoCode(err) === 'ENOENT') return { config: configSchema.parse({}), path: null };
    throw new TenkenError(describe(`Cannot read config ${local}`, err));
  }
  return { config: parseConfig(configText(bytes, local), local), path: local };
}

/** The host's name: config, else its /etc/hostname under the root (links resolved inside it), else this machine's. */
export function hostName(root: string, config: Config): string {
  if (config.host) return config.host;
  if (root !== '/') {
    try {
      const n = readRegularFileSync(resolveInRoot({ root }, '/etc/hostname'), 'utf8').trim();
      if (n) return n;
    } catch {
      // fall through
    }
  }
  return hostname();
}

/** Loads everything a run needs: config, host, plan (detection runs here, once). */
export function loadAll(opts: {
  root: string;
  config?: string | undefined;
  now?: Date;
  env: Record<string, string | undefined>;
}): { config: Config; configPath: string | null; host: Host; plan: Plan } {
  const { config, path } = readConfig(opts);
  const host = makeHost({
    root: opts.root,
    name: hostName(opts.root, config),
    env: opts.env,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const profiles = builtinProfiles();
  let plan: Plan;
  try {
    plan = buildPlan(config, profiles, gatherFacts(host.root), host.root);
  } catch (err) {
    throw new TenkenError(describe(`Invalid config ${path ?? '(defaults)'}`, err));
  }
  return { config, configPath: path, host, plan };
}
