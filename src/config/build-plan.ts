import { expandHostGlob } from '../core/glob.ts';
import { type HostFacts, INIT_SYSTEMS } from './facts.ts';
import type { Plan, ServicePlan } from './plan.ts';
import type { Profile } from './profile.ts';
import type { Config, ServiceConfig } from './schema.ts';

/** Why a profile applies to this host: the detection evidence, or [] when nothing was found. */
export function detect(profile: Profile, facts: HostFacts, root: string): string[] {
  const reasons: string[] = [];
  if (profile.detect.always) reasons.push('always inspected');
  for (const f of profile.detect.files) if (facts.exists(f)) reasons.push(`file ${f}`);
  for (const p of profile.detect.processes) if (facts.processes.has(p)) reasons.push(`process ${p}`);
  for (const port of profile.detect.ports) if (facts.ports.has(port)) reasons.push(`listener :${port}`);
  for (const log of profile.detect.logs) {
    const found = expandHostGlob({ root }, log).filter((p) => facts.exists(p));
    if (found[0]) {
      reasons.push(`log ${found[0]}`);
      break;
    }
  }
  return reasons;
}

/**
 * Why a detected service is only installed, or null when it may be expected to run: none of its processes
 * runs, nothing listens on its ports, it is not started on demand, and init enables none of its boot units
 * (known only where /etc/systemd/system or /etc/rcN.d exists and the profile names its units).
 */
function dormancy(svc: ServicePlan, profile: Profile, facts: HostFacts): string | null {
  if (profile.units.length === 0 || svc.ondemand) return null;
  if (svc.processes.some((p) => facts.processes.has(p)) || svc.ports.some((p) => facts.ports.has(p)))
    return null;
  if (facts.init !== null && !INIT_SYSTEMS.has(facts.init))
    return `installed, but not running, and PID 1 (${facts.init}) is no init system that would start it`;
  if (facts.bootUnits === null || profile.units.some((u) => facts.bootUnits?.has(u))) return null;
  return `installed, but not running and not enabled at boot (${profile.units.join(', ')})`;
}

/** Whether a config entry says the daemon runs here: processes, ports or probes set (or enabled: true). */
function expectsRunning(svc: ServiceConfig | undefined): boolean {
  return (
    svc !== undefined &&
    (svc.enabled === true ||
      svc.processes !== undefined ||
      svc.ports !== undefined ||
      svc.probes !== undefined)
  );
}

function merge(
  name: string,
  profile: Profile | undefined,
  svc: ServiceConfig | undefined,
  reasons: string[],
): ServicePlan {
  return {
    name,
    profile: profile?.name ?? null,
    title: svc?.title ?? profile?.title ?? name,
    processes: svc?.processes ?? profile?.processes ?? [],
    ondemand: svc?.ondemand ?? profile?.ondemand ?? false,
    workers: profile?.workers ?? [],
    logs: svc?.logs ?? profile?.logs ?? [],
    syslog: svc?.syslog ?? profile?.syslog ?? [],
    ports: svc?.ports ?? profile?.ports ?? [],
    ...(svc?.ports === undefined && profile !== undefined ? { defaultPorts: true as const } : {}),
    probes: svc?.probes ?? profile?.probes ?? [],
    thresholds: svc?.thresholds ?? {},
    ignore: profile?.ignore ?? [],
    reasons,
  };
}

/**
 * Decides what to inspect: every configured service (enabled: true, or a custom one), plus each built-in
 * profile detected on the host (binary, process, listener, or log present) unless disabled. Pure given facts.
 */
export function buildPlan(
  config: Config,
  profiles: ReadonlyMap<string, Profile>,
  facts: HostFacts,
  root: string,
): Plan {
  const services: ServicePlan[] = [];
  const skipped: string[] = [];
  const configured = new Map(Object.entries(config.services));
  for (const [name, svc] of configured) {
    if (svc.profile !== undefined && !profiles.has(svc.profile)) {
      throw new Error(`services.${name}.profile: no built-in profile "${svc.profile}"`);
    }
  }
  const found = new Map<string, string[]>();
  for (const [name, profile] of profiles) {
    const svc = configured.get(name);
    if (svc?.enabled === false || svc?.enabled === true) continue;
    found.set(name, config.detect || svc ? detect(profile, facts, root) : []);
  }
  for (const [name, profile] of profiles) {
    const svc = configured.get(name);
    if (svc?.enabled === false) continue;
    if (svc?.enabled === true) {
      services.push(merge(name, profile, svc, ['configured']));
      continue;
    }
    let reasons = found.get(name) ?? [];
    // A shared log alone proves nothing while a daemon that also writes it is detected.
    const yields = profile.detect.logYieldsTo.some((other) => (found.get(other)?.length ?? 0) > 0);
    if (yields && reasons.every((r) => r.startsWith('log '))) reasons = [];
    if (reasons.length) {
      const planned = merge(name, profile, svc, reasons);
      // A service the config says runs here (its processes, ports or probes) is expected: never merely
      // installed. `enabled: auto`, a title or thresholds say nothing about that: the starter config's
      // `sshd: {enabled: auto}` turned a deliberately stopped sshd CRITICAL.
      const why = expectsRunning(svc) ? null : dormancy(planned, profile, facts);
      if (why) planned.dormant = why;
      services.push(planned);
    } else skipped.push(name);
  }
  for (const [name, svc] of configured) {
    if (profiles.has(name) || svc.enabled === false) continue;
    const base = svc.profile === undefined ? undefined : profiles.get(svc.profile);
    services.push(merge(name, base, svc, ['configured']));
  }
  services.sort((a, b) => a.name.localeCompare(b.name));
  return { services, syslogFiles: config.syslog.files, journal: config.syslog.journal, skipped };
}
