import { expandHostGlob } from '../core/glob.ts';
import type { HostFacts } from './facts.ts';
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
    logs: svc?.logs ?? profile?.logs ?? [],
    syslog: svc?.syslog ?? profile?.syslog ?? [],
    ports: svc?.ports ?? profile?.ports ?? [],
    probes: svc?.probes ?? profile?.probes ?? [],
    thresholds: svc?.thresholds ?? {},
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
  for (const [name, profile] of profiles) {
    const svc = configured.get(name);
    if (svc?.enabled === false) continue;
    if (svc?.enabled === true) {
      services.push(merge(name, profile, svc, ['configured']));
      continue;
    }
    const reasons = config.detect || svc ? detect(profile, facts, root) : [];
    if (reasons.length) services.push(merge(name, profile, svc, reasons));
    else skipped.push(name);
  }
  for (const [name, svc] of configured) {
    if (profiles.has(name) || svc.enabled === false) continue;
    const base = svc.profile === undefined ? undefined : profiles.get(svc.profile);
    services.push(merge(name, base, svc, ['configured']));
  }
  services.sort((a, b) => a.name.localeCompare(b.name));
  return { services, syslogFiles: config.syslog.files, journal: config.syslog.journal, skipped };
}
