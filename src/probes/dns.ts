import { Resolver } from 'node:dns/promises';
import { classify } from './classify.ts';
import { endpoint } from './conn.ts';
import { type ProbeKind, ProbeFailure } from './types.ts';

/** One answer as text, whatever the record type. */
function answerText(a: unknown): string {
  if (typeof a === 'string') return a;
  if (Array.isArray(a)) return a.map(String).join('');
  if (a && typeof a === 'object') {
    const r = a as Record<string, unknown>;
    if ('exchange' in r) return `${String(r.priority)} ${String(r.exchange)}`;
    if ('nsname' in r) return `${String(r.nsname)} ${String(r.hostmaster)} ${String(r.serial)}`;
    if ('name' in r && 'port' in r)
      return `${String(r.priority)} ${String(r.weight)} ${String(r.port)} ${String(r.name)}`;
  }
  return JSON.stringify(a);
}

/**
 * dns://server[:port]/name: asks that server (not the system resolver) for a record, with one try and
 * the probe's deadline; `expect` must be one of the answers' text.
 */
export const dns: ProbeKind = {
  name: 'dns',
  description: 'DNS: ask a given server for a record, with a deadline',
  defaultPort: () => 53,
  async run(p) {
    const { host, port } = endpoint(p.url, 53);
    const name = p.spec.query ?? decodeURIComponent(p.url.pathname.replace(/^\//, ''));
    if (name === '') throw new ProbeFailure('protocol', 'no name to look up (dns://server/name or query:)');
    const type = p.spec.type ?? (p.url.searchParams.get('type')?.toUpperCase() || 'A');
    const resolver = new Resolver({ timeout: Math.max(100, Math.round(p.timeoutSeconds * 1000)), tries: 1 });
    resolver.setServers([host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`]);
    const cancel = (): void => resolver.cancel();
    p.signal.addEventListener('abort', cancel, { once: true });
    p.transcript.sent(`${type} ${name} @${host}:${port}`);
    try {
      const answers = (await resolver.resolve(name, type)) as unknown[];
      p.mark('answer');
      const texts = answers.map(answerText);
      for (const t of texts) p.transcript.received(`${type} ${t}`);
      p.details.answers = texts;
      if (p.spec.expect !== undefined && !texts.some((t) => t.includes(p.spec.expect ?? ''))) {
        throw new ProbeFailure(
          'bad-content',
          `${name} ${type}: "${p.spec.expect}" is not among ${texts.join(', ')}`,
        );
      }
      return { summary: `${name} ${type} ${texts.join(', ')} in ${Math.round(p.timings.answer ?? 0)} ms` };
    } catch (err) {
      const c = classify(err, { aborted: p.signal.aborted, timeoutSeconds: p.timeoutSeconds });
      if (c.failure === 'dns') throw new ProbeFailure('dns', `${name} ${type}: ${c.reason}`);
      throw err;
    } finally {
      p.signal.removeEventListener('abort', cancel);
    }
  },
};
