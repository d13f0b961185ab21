import type { ProbeSpec } from '../probes/spec.ts';
import type { IgnoreRuleConfig } from '../logs/config.ts';
import type { Threshold } from './schema.ts';

/**
 * One service to inspect, after merging its built-in profile, the user's config and detection.
 * Checks read only this (never the raw config) for what a service is: its processes, logs, tags, probes.
 */
export interface ServicePlan {
  /** The service's name in reports (`sendmail`, `nginx`, or a user-defined name). */
  name: string;
  /** Built-in profile it came from, or null for a service defined only in the config. */
  profile: string | null;
  title: string;
  /** Process names (as in /proc/PID/comm) expected while the service runs. */
  processes: string[];
  /** Started on demand (inetd, xinetd, systemd socket): no process while idle is normal. */
  ondemand: boolean;
  /** Processes it starts and stops by itself (per connection or session): outside the baseline. */
  workers: string[];
  /** Host paths or globs of the service's own log files. */
  logs: string[];
  /** Syslog program names (tags) whose lines belong to the service. */
  syslog: string[];
  /** TCP ports the service listens on when up. */
  ports: number[];
  /** The ports are the profile's defaults (the config names none): a daemon may be configured otherwise. */
  defaultPorts?: true;
  probes: ProbeSpec[];
  /** Per-category thresholds, merged over the global ones. */
  thresholds: Record<string, Threshold>;
  /** The profile's known-benign lines (log ignore rules), before the config's own. */
  ignore: IgnoreRuleConfig[];
  /** Why the service is inspected: `configured`, `binary /usr/sbin/sshd`, `process sshd`, ... */
  reasons: string[];
  /**
   * Set when a detected service is only installed: not running, nothing on its ports, and none of its boot
   * units enabled. Then it is not expected to run: no CRITICAL for its absence, no probes.
   */
  dormant?: string;
}

/** Everything a run inspects, derived once from config + profiles + detection. */
export interface Plan {
  services: ServicePlan[];
  /** Host paths or globs of the system log files (syslog, messages, ...). */
  syslogFiles: string[];
  /** Whether to read the systemd journal (`auto`: when no syslog file exists and journalctl is there). */
  journal: 'auto' | 'on' | 'off';
  /** Profiles that were considered but not detected, for `--verbose` and the JSON report. */
  skipped: string[];
}
