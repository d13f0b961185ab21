import { clip } from '../core/sanitize.ts';
import { Conn, endpoint } from './conn.ts';
import { type ProbeKind, ProbeFailure } from './types.ts';

/** tcp://host:port: connect, optionally send a line of text and wait for the expected reply. */
export const tcp: ProbeKind = {
  name: 'tcp',
  description: 'TCP: connect, optionally send text and expect a reply',
  defaultPort: () => 0,
  async run(p) {
    const { host, port } = endpoint(p.url, 0);
    if (port === 0) throw new ProbeFailure('protocol', 'tcp:// needs a port (tcp://host:port)');
    const conn = await Conn.open(p, host, port);
    try {
      if (p.spec.send !== undefined) conn.write(p.spec.send, p.spec.send);
      const expect = p.spec.expect;
      if (expect === undefined) return { summary: `connected in ${Math.round(p.timings.connect ?? 0)} ms` };
      const text = (await conn.readUntil((t) => t.includes(expect), 'reply')) ?? '';
      p.mark('reply');
      if (!text.includes(expect)) {
        throw new ProbeFailure(
          'bad-content',
          `"${clip(expect, 60)}" not in the reply (${text.length} bytes)`,
        );
      }
      return { summary: `connected in ${Math.round(p.timings.connect ?? 0)} ms, expected reply received` };
    } finally {
      conn.close();
    }
  },
};
