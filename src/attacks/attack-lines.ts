import type { Plan } from '../config/plan.ts';
import type { Host } from '../core/host.ts';
import { hostZoneName, makeZone } from '../core/tz.ts';
import type { AttackLines, AttackLineTest, Where } from '../logs/route.ts';
import { Accountant } from './account.ts';
import type { AttacksConfig } from './config.ts';
import { normHost, sourceKey } from './host.ts';
import { IgnoredSources, LocalClients } from './local.ts';
import { hostAddresses, isSquidLog, selfNames, sourceHints, squidAccelerated } from './read.ts';

/**
 * The attacks check's reading of lines, for the logs check of the same run (src/checks/registry.ts gives it;
 * src/logs does not import src/attacks): whether a line the logs check counted is one an attack detector
 * counts. Each file is read as the attacks check reads it (its own Accountant: the families its services'
 * logs are read with, this host's names and addresses for a proxy's requests), through the same anchored
 * extractors, so a line no extractor reads (a forged or odd one) is no attack line.
 *
 * Only sources the attacks check judges as attackers defer a line: a line from a local source (loopback,
 * private, CGNAT, link-local, ULA, this host's own addresses and names: LocalClients without the proxy's
 * allow list) or from one in `checks.attacks.ignore` stays the logs check's. Twelve office machines failing
 * their logins after a PAM upgrade, LAN clients refused by postfix or by a firewall rule are an outage,
 * not an attack, and the attacks check never reports an ignored source.
 */

/** The attack-line tests of a run: every file and the journal get one (any tagged line may be a daemon's). */
export interface AttackLineTests extends AttackLines {
  file(where: Where): AttackLineTest;
  journal(): AttackLineTest;
}

/** Files whose tests are kept (one Accountant each); past it, a file's lines are tested by a fresh one. */
const FILE_CAP = 1000;

/** The attack-line tests of one run on `host` with `plan`. */
export function attackLines(
  host: Host,
  plan: Plan,
  cfg: Pick<AttacksConfig, 'openproxy' | 'ignore'>,
  timeZone?: string,
): AttackLineTests {
  const zone = makeZone(hostZoneName(host, timeZone));
  let context: { self: string[]; addresses: string[]; accelerated: boolean } | undefined;
  /** The host's names and addresses, read once (only when some line is tested). */
  const hostContext = () => {
    context ??= {
      self: selfNames(host),
      addresses: hostAddresses(host),
      accelerated: squidAccelerated(host),
    };
    return context;
  };
  const ignore = new IgnoredSources(cfg.ignore, sourceKey);
  let local: LocalClients | undefined;
  /** Whether the attacks check judges a source: not a local one, not an ignored one (as detect.ts keys it). */
  const judged = (source: string): boolean => {
    const h = normHost(source);
    if (ignore.has(h)) return false;
    if (local === undefined) {
      const { self, addresses } = hostContext();
      local = new LocalClients(self, [], addresses);
    }
    return !local.isLocal(h);
  };
  const byFile = new Map<string, AttackLineTest>();
  return {
    file(where: Where): AttackLineTest {
      const key = `${where.shared ? 's' : 'o'}:${where.targets.join(',')}:${where.path}`;
      const known = byFile.get(key);
      if (known) return known;
      let acc: Accountant | undefined;
      const test: AttackLineTest = (text) => {
        if (acc === undefined) {
          const src = { local: where.path, shared: where.shared, owners: [...where.targets] };
          const hints = sourceHints(plan, src);
          const { self, addresses, accelerated } = hostContext();
          const owners = src.owners.map((n) => plan.services.find((s) => s.name === n)?.profile ?? n);
          acc = new Accountant({
            now: host.now,
            zone,
            hints,
            self,
            allow: cfg.openproxy.allow,
            addresses,
            reverseProxy: accelerated && isSquidLog(src.local, hints, owners),
          });
        }
        return acc.isAttackLine(text, judged);
      };
      if (byFile.size < FILE_CAP) byFile.set(key, test);
      return test;
    },
    journal(): AttackLineTest {
      const acc = new Accountant({ now: host.now, zone });
      return (text, program) =>
        acc.isAttackParsed({ program: program ?? '', pid: null, message: text, text, time: null }, judged);
    },
  };
}
