import type { Plan } from '../config/plan.ts';
import { utf8FromLatin1 } from '../core/sanitize.ts';
import type { Host } from '../core/host.ts';
import type { LogsConfig } from '../logs/config.ts';
import type { LineEvent, LogSource } from '../logs/engine.ts';
import { hostZoneName, makeZone, type Zone } from '../core/tz.ts';
import { Accountant, readerNeedles } from './account.ts';
import { planServiceName } from './check.ts';
import { detectorsOf, serviceLabel } from './detect.ts';
import { FAMILIES, type Family } from './extract/registry.ts';
import { fileHints, hostAddresses, isSquidLog, selfNames, sourceHints, squidAccelerated } from './read.ts';

/**
 * The attack detectors inside `tenken scan --format ndjson`: a line a detector counts gains `host`, `user`
 * (when known), `service` (the plan's name for it, as `tenken attacks` and the scan's summaries say it:
 * `httpd`, not the extractor's `web`) and `detector` (`openproxy` for a request a proxy relayed for an outside client), plus `detectors` when more than one counts it (a web
 * probe that reads /etc/passwd), and is printed even without any of the runbook's keywords. The
 * scan's rules get one extra keyword category, the extractors' needles, so the engine hands over every line
 * a detector may count (and the lines the sshd joiner needs); that category is never shown.
 */

/** Id of the hidden category (a name no user category can take: ids are lower-case, this has a dot). */
export const NEEDLE_CATEGORY = 'attack.needles';

/** The fields a counted line gains. */
export interface AttackFields {
  host: string;
  user?: string;
  service: string;
  /** The detector that counts the line (the first of `detectors` when there are several). */
  detector: string;
  /** Every detector that counts the line, only when there are more than one (`tenken attacks` counts it in each). */
  detectors?: string[];
}

/** Per-run decoration state: one accounting stream per log source, in the order the engine reads lines. */
export class AttackDecorator {
  private readonly streams = new Map<string, Accountant>();
  private readonly zone: Zone;
  /** This host's names and addresses (a proxy's request for one is for this host). */
  private readonly self: readonly string[];
  /** This host's own addresses (a proxy's client on one is local). */
  private readonly addresses: readonly string[];
  /** `reverse`: the log is a reverse proxy's (an accelerator-only Squid), whose requests are no relays. */
  private readonly byPath: { path: string; hints: Family[]; reverse: boolean }[];
  private readonly label: (service: string) => string;

  /**
   * `sources`: what the scan reads; `given` when they are files named on the command line (their names
   * then suggest the format: `access.log` is read as a web access log).
   */
  constructor(
    plan: Plan,
    private readonly host: Host,
    sources: readonly LogSource[],
    given: boolean,
    timeZone?: string,
    /** `checks.attacks.openproxy.allow`: a proxy's intended remote users (their relays are counted by none). */
    private readonly allow: readonly string[] = [],
  ) {
    this.zone = makeZone(hostZoneName(host, timeZone));
    this.self = selfNames(host);
    this.addresses = hostAddresses(host);
    const accelerated = squidAccelerated(host);
    const serviceName = planServiceName(plan);
    this.label = (s) => serviceLabel(serviceName, s);
    this.byPath = sources
      .map((s) => {
        const hints = s.owners.length > 0 ? sourceHints(plan, s) : given ? fileHints(s.local, host.root) : [];
        const profiles = s.owners.map((n) => plan.services.find((v) => v.name === n)?.profile ?? n);
        return { path: s.path, hints, reverse: accelerated && isSquidLog(s.local, hints, profiles) };
      })
      // Longest first, so `/var/log/auth.log.1` finds `/var/log/auth.log`, not a shorter prefix.
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** The logs config with the needles added as the hidden category (a new object; the input is not touched). */
  logsConfig(cfg: LogsConfig): LogsConfig {
    const hints = new Set<Family>(this.byPath.flatMap((s) => s.hints));
    const keywords = readerNeedles(FAMILIES.filter((f) => hints.has(f)));
    return { ...cfg, categories: { ...cfg.categories, [NEEDLE_CATEGORY]: { keywords, regex: [] } } };
  }

  private stream(path: string): Accountant {
    // Rotated members (`auth.log.1`, `auth.log-20240101.gz`) continue their live file's stream.
    const src = this.byPath.find((s) => path === s.path || path.startsWith(s.path));
    const key = src?.path ?? path;
    let acc = this.streams.get(key);
    if (!acc) {
      acc = new Accountant({
        now: this.host.now,
        zone: this.zone,
        hints: src?.hints ?? [],
        self: this.self,
        allow: this.allow,
        addresses: this.addresses,
        ...(src?.reverse ? { reverseProxy: true } : {}),
      });
      this.streams.set(key, acc);
    }
    return acc;
  }

  /**
   * Feeds one line the engine matched (every line, in reading order) and returns what its record gains:
   * the attack fields when a detector counted it, and its categories without the hidden one.
   */
  decorate(ev: LineEvent): { categories: string[]; attack?: AttackFields } {
    const categories = ev.categories.includes(NEEDLE_CATEGORY)
      ? ev.categories.filter((c) => c !== NEEDLE_CATEGORY)
      : ev.categories;
    // A journal entry comes split (its text is the message): the accounting takes its program and pid.
    const e =
      ev.path === 'journal'
        ? this.stream(ev.path).parsed({
            program: ev.program ?? '',
            pid: ev.pid,
            message: ev.text,
            text: ev.text,
            time: ev.time,
          })
        : this.stream(ev.path).hit(ev.text, ev.line);
    // attempts 0: a login that worked, or a line repeating an attempt counted already: counted by no detector.
    if (e === null || e.attempts === 0) return { categories };
    // The fields in a fixed order (host, user, service, detector, detectors), as the ndjson lines print them.
    const attack: AttackFields = {
      host: e.host,
      // The user as the line has it, in UTF-8 like the line's text (the accounting reads bytes as latin1).
      ...(e.user !== undefined ? { user: utf8FromLatin1(e.user) } : {}),
      service: this.label(e.service),
      detector: e.detector,
    };
    const detectors = detectorsOf(e);
    if (detectors.length > 1) attack.detectors = detectors;
    return { categories, attack };
  }
}
