/**
 * What a Squid configuration says about the proxy's role: a forward proxy (it relays its clients' requests to
 * any site, so a relay for an outsider is an open proxy) or a reverse proxy (an accelerator in front of this
 * site's own servers: it logs its visitors' requests as absolute URLs too, and they are no relays). Pure: the
 * caller reads the files, following `include` (see `squidAccelerated` in read.ts).
 */

/** One configuration file's `http_port`/`https_port` lines and `include` directives. */
export interface SquidConf {
  /** Per port line, whether it is an accelerator's (`accel`, `vhost`, `vport`, `defaultsite=`). */
  ports: boolean[];
  /** The paths `include` names, as written (a `*` may stand in the last part). */
  includes: string[];
}

/** An option of a port line that makes it an accelerator's (Squid 2.6+; `vhost`, `vport` and `defaultsite=` imply `accel`). */
const ACCEL_OPTION = /^(?:accel|vhost|vport(?:=\S*)?|defaultsite=\S*)$/i;

/** The port lines and includes of one squid.conf text (comments are whole lines starting with `#`). */
export function parseSquidConf(text: string): SquidConf {
  const ports: boolean[] = [];
  const includes: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [directive, ...args] = line.split(/\s+/);
    const d = (directive ?? '').toLowerCase();
    if (d === 'http_port' || d === 'https_port') ports.push(args.slice(1).some((a) => ACCEL_OPTION.test(a)));
    else if (d === 'include') includes.push(...args);
  }
  return { ports, includes };
}

/**
 * Whether Squid is a reverse proxy only: it has port lines and every one is an accelerator's. One forward port
 * (`http_port 3128`, or an interception port) makes it a forward proxy, whose relays are judged.
 */
export function isAcceleratorOnly(confs: readonly SquidConf[]): boolean {
  const ports = confs.flatMap((c) => c.ports);
  return ports.length > 0 && ports.every((accel) => accel);
}
