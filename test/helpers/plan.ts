import type { Plan, ServicePlan } from '../../src/config/plan.ts';

/** A service plan for tests: nothing expected of it but its name, plus `over`. */
export function servicePlan(name: string, over: Partial<ServicePlan> = {}): ServicePlan {
  return {
    name,
    profile: name,
    title: name,
    processes: [],
    ondemand: false,
    workers: [],
    logs: [],
    syslog: [],
    ports: [],
    probes: [],
    thresholds: {},
    ignore: [],
    reasons: ['configured'],
    ...over,
  };
}

/** A plan of these services and system logs, journal off, nothing skipped. */
export function testPlan(services: ServicePlan[], syslogFiles: string[] = ['/var/log/syslog']): Plan {
  return { services, syslogFiles, journal: 'off', skipped: [] };
}
