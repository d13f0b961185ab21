import type { ExeConcern } from './proc.ts';

/** A process group as a finding shows it: name, instance count, pids, users. */
export interface ProcessGroupData {
  name: string;
  count: number;
  pids: number[];
  users: string[];
}

/**
 * Finding kinds of the `procs` check, to merge into src/core/findings.ts FindingDataMap
 * (`export interface FindingDataMap extends ProcsFindings { ... }` or by copying the members).
 */
export interface ProcsFindings {
  /** A service is up: its processes run, or it is idle and started on demand with its listener present. */
  'service-processes': {
    processes: ProcessGroupData[];
    /** Where the on-demand definition is (`xinetd /etc/xinetd.d/telnet:5`), or null for a daemon. */
    ondemand: string | null;
    /** Listener keys seen for the service's ports (`tcp 0.0.0.0:23`). */
    listeners: string[];
  };
  /** An expected process is not running: one of a service's (plan) or one the baseline recorded. */
  'process-missing': { process: string; user: string | null; expected: 'service' | 'baseline' };
  /** More or fewer instances than the baseline's range. */
  'process-count': { process: string; user: string; count: number; min: number; max: number; pids: number[] };
  /**
   * A process (name and user) that the baseline does not have. `session`: the person whose login session
   * it belongs to (said once per process), else null; absent in reports of older versions. `remedy`: what
   * silences it when it is intended (the approve command with the run's options).
   */
  'process-new': {
    process: string;
    user: string;
    pids: number[];
    command: string;
    exe: string | null;
    session?: string | null;
    remedy?: string;
  };
  /** A process running from a deleted binary, an anonymous memfd, or a temp directory. */
  'process-exe': {
    pid: number;
    process: string;
    user: string;
    exe: string;
    concerns: ExeConcern[];
    command: string;
  };
  /** A listening socket that the baseline does not have, with the processes holding it. */
  'listener-new': {
    listener: string;
    proto: string;
    addr: string;
    port: number;
    pids: number[];
    processes: string[];
    users: string[];
    /** What silences it when it is intended: the approve command, or `checks.procs.ignoreListeners`. */
    remedy?: string;
  };
  /** An expected listener is absent: an idle on-demand service's, a running service's port, or a baseline's. */
  'listener-missing': {
    proto: 'tcp' | 'udp';
    port: number;
    addr: string | null;
    expected: 'ondemand' | 'service' | 'baseline';
  };
  /** No baseline to compare with (INFO, with the command that records one), or it is unreadable (UNKNOWN). */
  'baseline-absent': { path: string; reason: string; command: string };
}
