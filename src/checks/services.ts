import { accessSync, constants, statSync } from 'node:fs';
import { describe } from '../core/errors.ts';
import { expandHostGlob } from '../core/glob.ts';
import { resolveInRoot } from '../core/inroot.ts';
import type { CheckResult, Finding } from '../core/report.ts';
import type { CheckContext, CheckKind, CheckOutcome } from './types.ts';

/** Whether a host path can be read (under --root, its links resolved inside the tree): null when it can, else the reason. */
function unreadable(root: string, p: string): string | null {
  try {
    const local = resolveInRoot({ root }, p);
    if (statSync(local).isDirectory()) return 'is a directory';
    accessSync(local, constants.R_OK);
    return null;
  } catch (err) {
    return describe('', err).replace(/^: /, '');
  }
}

/**
 * The `services` check: which services were found and why, which of their logs exist, and what cannot be
 * read (not root, missing files). It makes "what tenken could not check, and why" part of every report.
 */
export const servicesCheck: CheckKind = {
  description: 'Which services were detected, and which of their logs can be read',
  run(ctx: CheckContext): Promise<CheckOutcome> {
    const { host, plan } = ctx;
    const results: CheckResult[] = [];
    for (const svc of plan.services) {
      const findings: Finding[] = [];
      const logs: string[] = [];
      const seen = new Set<string>();
      for (const pattern of svc.logs) {
        for (const p of expandHostGlob(host, pattern)) {
          if (seen.has(p)) continue;
          seen.add(p);
          const why = unreadable(host.root, p);
          if (why === null) logs.push(p);
          else if (!/no such file/.test(why)) {
            findings.push({
              kind: 'not-checked',
              status: 'WARNING',
              service: svc.name,
              summary: `Cannot read ${p}: ${why}`,
              evidence: [],
              data: { what: 'log', path: p, reason: why },
            });
          }
        }
      }
      findings.unshift({
        kind: 'service-detected',
        status: 'OK',
        service: svc.name,
        summary: `${svc.title}: ${svc.reasons.join(', ')}`,
        evidence: [],
        data: { profile: svc.profile, reasons: svc.reasons, logs, processes: svc.processes },
      });
      if (!logs.length && !svc.syslog.length && svc.logs.length) {
        findings.push({
          kind: 'not-checked',
          status: 'INFO',
          service: svc.name,
          summary: `No log file found (looked for ${svc.logs.join(', ')})`,
          evidence: [],
          data: { what: 'log', reason: 'no such file' },
        });
      }
      const bad = findings.filter((f) => f.status === 'WARNING').length;
      results.push({
        service: svc.name,
        status: bad ? 'WARNING' : 'OK',
        summary: `${svc.reasons.join(', ')}${svc.dormant ? ` (${svc.dormant})` : ''}${logs.length ? `; logs: ${logs.join(', ')}` : ''}`,
        findings,
      });
    }
    const sys: Finding[] = [];
    for (const pattern of plan.syslogFiles) {
      for (const p of expandHostGlob(host, pattern)) {
        const why = unreadable(host.root, p);
        if (why !== null && !/no such file/.test(why)) {
          sys.push({
            kind: 'not-checked',
            status: 'WARNING',
            service: 'host',
            summary: `Cannot read ${p}: ${why}`,
            evidence: [],
            data: { what: 'syslog', path: p, reason: why },
          });
        }
      }
    }
    if (host.live && (process.getuid?.() ?? 0) !== 0) {
      sys.push({
        kind: 'not-checked',
        status: 'INFO',
        service: 'host',
        summary:
          "Not running as root: some logs, wtmp/btmp and other users' process details may be unreadable",
        evidence: [],
        data: { what: 'privileges', reason: 'not root' },
      });
    }
    if (sys.length) {
      results.push({
        service: 'host',
        status: sys.some((f) => f.status === 'WARNING') ? 'WARNING' : 'OK',
        summary: `${sys.length} note${sys.length === 1 ? '' : 's'} about what could not be read`,
        findings: sys,
      });
    }
    return Promise.resolve({ results });
  },
};
