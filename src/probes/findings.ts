import type { DetailValue, FailureClass, ProbeStatus } from './types.ts';

/** What a `probe` finding carries: the probe's verdict as data; its exchange is the finding's evidence. */
export interface ProbeFindingData {
  /** Probe kind (`http`, `smtp`, `smb`, ...). */
  probe: string;
  /** The probed URL, password removed. */
  url: string;
  /** The probe's own status (the finding's status may be lowered, never raised). */
  result: ProbeStatus;
  /** refused | timeout | dns | tls | bad-status | bad-content | protocol, or null when it succeeded. */
  failure: FailureClass | null;
  /** Milliseconds per step and `total`. */
  timings: Record<string, number>;
  /** Kind-specific facts: `httpStatus`, `banner`, `dialect`, `signing`, `certDaysLeft`, `deliveryMs`, ... */
  details: Record<string, DetailValue>;
}

/**
 * Finding kinds of the `probes` check, to merge into src/core/findings.ts FindingDataMap
 * (`export interface FindingDataMap extends ProbesFindings { ... }`).
 */
export interface ProbesFindings {
  /** One client-style probe of a service: OK, WARNING (slow, certificate expiring) or CRITICAL (failed). */
  probe: ProbeFindingData;
}
