import type { ServicePlan } from '../../src/config/plan.ts';

/** A service plan for tests: nothing expected of it but its name, plus `over`. */
export function servicePlan(name: string, over: Partial<ServicePlan> = {}): ServicePlan {
  return {
    name,
    profile: name,
    title: name,
    processes: [],
    ondemand: false,
    logs: [],
    syslog: [],
    ports: [],
    probes: [],
    thresholds: {},
    reasons: ['configured'],
    ...over,
  };
}
