import { hostname } from 'node:os';
import { TenkenError, describe, errnoCode } from '../core/errors.ts';
import { type Host, hostPath, makeHost } from '../core/host.ts';
import { readRegularFileSync } from '../core/open.ts';
import { buildPlan } from './build-plan.ts';
import { gatherFacts } from './facts.ts';
import type { Plan } from './plan.ts';
import { builtinProfiles } from './profile.ts';
import { type Config, configSchema } from './schema.ts';
import { parseYaml } from './yaml.ts';

/** The default config file, as a host path (resolved under --root). */
export const DEFAULT_CONFIG = '/etc/tenken/tenken.yaml';

/** Parses config text; throws a TenkenError listing every problem as file:line:col. */
export function parseConfig(text: string, file: string): Config {
  const r = parseYaml(text, file, configSchema);
  if (!r.ok) throw new TenkenError(`Invalid config ${file}:\n${r.errors.join('\n')}`);
  return withHostZone(r.value);
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
  let text: string;
  try {
    text = readRegularFileSync(local, 'utf8');
  } catch (err) {
    if (!explicit && errnoCode(err) === 'ENOENT') return { config: configSchema.parse({}), path: null };
    throw new TenkenError(describe(`Cannot read config ${local}`, err));
  }
  return { config: parseConfig(text, local), path: local };
}

/** The host's name: config, else its /etc/hostname under the root, else this machine's. */
export function hostName(root: string, config: Config): string {
  if (config.host) return config.host;
  if (root !== '/') {
    try {
      const n = readRegularFileSync(hostPath({ root }, '/etc/hostname'), 'utf8').trim();
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
