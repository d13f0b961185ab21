/**
 * What a Squid configuration says about the proxy's role: a forward proxy (it relays its clients' requests to
 * any site, so a relay for an outsider is an open proxy) or a reverse proxy (an accelerator in front of this
 * site's own servers: it logs its visitors' requests as absolute URLs too, and they are no relays). Pure: the
 * caller reads the files, following `include` (see `squidAccelerated` in read.ts).
 */

/** One configuration file's `http_port`/`https_port` lines and `include` directives. */
export interface SquidConf {
  /**
   * Per port line, whether it is an accelerator's only (`accel`, `vhost`, `vport`, `defaultsite=`, and no
   * `allow-direct`, `intercept`, `tproxy` or `transparent`).
   */
  ports: boolean[];
  /** The paths `include` names, as written (a `*` may stand in the last part). */
  includes: string[];
}

/** An option of a port line that makes it an accelerator's (Squid 2.6+; `vhost`, `vport` and `defaultsite=` imply `accel`). */
const ACCEL_OPTION = /^(?:accel|vhost|vport(?:=\S*)?|defaultsite=\S*)$/i;

/**
 * An option that makes a port relay to other sites whatever else it says: `allow-direct` lets an accelerator
 * port forward its requests straight to any site named in them (an open relay, not a fronted site's port);
 * an interception port (`intercept`, its old name `transparent`, `tproxy`) is a forward proxy's.
 */
const FORWARD_OPTION = /^(?:allow-direct|intercept|transparent|tproxy)$/i;

/** The port lines and includes of one squid.conf text (comments are whole lines starting with `#`). */
export function parseSquidConf(text: string): SquidConf {
  const ports: boolean[] = [];
  const includes: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [directive, ...args] = line.split(/\s+/);
    const d = (directive ?? '').toLowerCase();
    if (d === 'http_port' || d === 'https_port') {
      const opts = args.slice(1);
      ports.push(opts.some((a) => ACCEL_OPTION.test(a)) && !opts.some((a) => FORWARD_OPTION.test(a)));
    } else if (d === 'include') includes.push(...args);
  }
  return { ports, includes };
}

/**
 * Whether Squid is a reverse proxy only: it has port lines and every one is an accelerator's. One forward port
 * (`http_port 3128`, an interception port, or an accelerator port with `allow-direct`) makes it a forward
 * proxy, whose relays are judged.
 */
export function isAcceleratorOnly(confs: readonly SquidConf[]): boolean {
  const ports = confs.flatMap((c) => c.ports);
  return ports.length > 0 && ports.every((accel) => accel);
}
