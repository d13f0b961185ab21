import { z } from 'zod';

/**
 * Probe kinds by URL scheme (`https` → the http kind, `imaps` → imap...) and by name (`proxy`, whose URL is
 * the proxy's own). registry.ts must provide exactly these keys (checked at compile time); they live here
 * so that loading a config does not load every network client.
 */
export const PROBE_KEYS = [
  'http',
  'https',
  'smtp',
  'smtps',
  'pop3',
  'pop3s',
  'imap',
  'imaps',
  'ftp',
  'ftps',
  'proxy',
  'smb',
  'dns',
  'tcp',
] as const;

/** A registry key: URL scheme or kind name. */
export type ProbeKey = (typeof PROBE_KEYS)[number];

const seconds = z.number().positive().max(300);
const days = z.number().int().min(0).max(3650);
const hostPathString = z.string().min(1).regex(/^\//, 'must be an absolute path (host paths start with /)');

/** Where a round-trip test mail must show up, and how long to wait for it. */
export const roundtripSpec = z
  .object({
    /** Recipient; a local mailbox whose delivery can be watched. */
    to: z.string().min(3),
    /** Envelope and header sender (default `tenken@<helo name>`). */
    from: z.string().min(3).optional(),
    /** Host path of the recipient's Maildir (the directory holding new/ and cur/). */
    maildir: hostPathString.optional(),
    /** Host path of the recipient's mbox file. */
    mbox: hostPathString.optional(),
    /** `pop3://user:pass@host:port` or `imap://...` URL of the recipient's mailbox. */
    fetch: z.url().optional(),
    /** Seconds to wait for delivery (default: what is left of the probe's timeout). */
    wait: seconds.optional(),
    /** Keep the test mail instead of deleting it once found (mbox messages are never deleted). */
    keep: z.boolean().default(false),
  })
  .strict()
  .refine((r) => [r.maildir, r.mbox, r.fetch].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of maildir, mbox or fetch',
  });

/**
 * One client-style probe as written in a profile or tenken.yaml: a URL (`http://localhost/`,
 * `smtp://localhost:25`, `ftp://...`, `smb://...`, `tcp://host:port`) plus kind-specific options.
 */
export const probeSpec = z
  .object({
    url: z.string().min(1),
    /** Deadline for the whole probe, in seconds. */
    timeout: z.number().positive().max(300).default(10),
    /** Probe kind when the URL scheme does not say it (`proxy`: the URL is the proxy, `target` is fetched). */
    kind: z.enum(PROBE_KEYS).optional(),
    /** Text that must appear: in the page (http, proxy), the banner (smtp, pop3, imap, ftp), the listing
     * (ftp with a login), the reply (tcp), one of the answers (dns), or a share name (smb with a login). */
    expect: z.string().min(1).optional(),
    /** HTTP statuses that count as up (default: any 2xx after following redirects). */
    status: z.array(z.number().int().min(100).max(599)).min(1).optional(),
    /** HTTP redirects to follow (default 5). */
    redirects: z.number().int().min(0).max(20).optional(),
    /** An answer slower than this many seconds is a WARNING. */
    warnAfter: seconds.optional(),
    /** Accept an untrusted certificate (self-signed, wrong name); its expiry is still checked. */
    insecure: z.boolean().optional(),
    /** Host path of a PEM CA bundle to trust instead of the system store. */
    ca: hostPathString.optional(),
    /** Certificate days left below which the probe warns / is critical (defaults in checks.probes). */
    certWarnDays: days.optional(),
    certCritDays: days.optional(),
    /** Login (else the URL's user:password). */
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    /** STARTTLS (smtp, pop3, imap, ftp AUTH TLS): `auto` uses it when offered, `require` fails without. */
    starttls: z.enum(['auto', 'require', 'off']).optional(),
    /** smtp: name sent with EHLO (default `tenken.invalid`). */
    helo: z.string().min(1).optional(),
    /** smtp: send a mail with a unique token and wait until it arrives. */
    roundtrip: roundtripSpec.optional(),
    /** proxy: the URL fetched through the proxy (https goes through CONNECT). */
    target: z.url().optional(),
    /** tcp: text sent after connecting. */
    send: z.string().optional(),
    /** dns: name to look up (else the URL path) and record type. */
    query: z.string().min(1).optional(),
    type: z.enum(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT']).optional(),
    /** smb: `required` warns when the server does not require signing. */
    signing: z.enum(['required', 'any']).optional(),
    /** smb: open a NetBIOS session first (default: when the port is 139). */
    netbios: z.boolean().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    let scheme: string;
    try {
      scheme = new URL(s.url).protocol.replace(/:$/, '');
    } catch {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `not a URL: ${redactUrl(s.url)}` });
      return;
    }
    // The probes percent-decode user:password@; a bare `%` would fail every run as "URI malformed".
    const badUserinfo = userinfoProblem(s.url);
    if (badUserinfo !== null) ctx.addIssue({ code: 'custom', path: ['url'], message: badUserinfo });
    const fetchUrl = s.roundtrip?.fetch;
    const badFetch = fetchUrl === undefined ? null : userinfoProblem(fetchUrl);
    if (badFetch !== null) ctx.addIssue({ code: 'custom', path: ['roundtrip', 'fetch'], message: badFetch });
    const badTarget = s.target === undefined ? null : userinfoProblem(s.target, 'the target');
    if (badTarget !== null) ctx.addIssue({ code: 'custom', path: ['target'], message: badTarget });
    const kind = s.kind ?? scheme;
    if (!(PROBE_KEYS as readonly string[]).includes(kind)) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: `no probe for ${scheme}:// (known: ${PROBE_KEYS.filter((k) => k !== 'proxy').join(', ')}; or kind: proxy)`,
      });
    }
    if (kind === 'proxy' && s.target === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: 'a proxy probe needs the target URL to fetch',
      });
    }
    // A usage mistake, said at load (exit 3), not a CRITICAL about the server.
    if (kind === 'dns' && s.query === undefined && new URL(s.url).pathname.replace(/^\//, '') === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'a dns probe needs a name to look up: dns://server/name, or query:',
      });
    }
    if (s.roundtrip !== undefined && !kind.startsWith('smtp')) {
      ctx.addIssue({ code: 'custom', path: ['roundtrip'], message: 'roundtrip is for smtp probes' });
    }
  });

/**
 * Why the user or password in a URL's `user:password@` cannot be percent-decoded (a `%` not followed by two
 * hex digits, as in `50%off`), or null when both decode (or the text is no URL: said elsewhere). `whose` names
 * a URL whose credentials no `user:`/`password:` of the spec can replace (a proxy probe's target).
 */
export function userinfoProblem(url: string, whose = ''): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  for (const [part, value, key] of [
    ['user', u.username, 'user'],
    ['password', u.password, 'password'],
  ] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return whose
        ? `the ${part} in ${whose}'s user:password@ must be percent-encoded (% → %25)`
        : `the ${part} in user:password@ must be percent-encoded (% → %25), or give it as ${key}:`;
    }
  }
  return null;
}

/** A parsed probe spec. */
export type ProbeSpec = z.output<typeof probeSpec>;

/**
 * The URL as it may be shown: any password replaced by `***`; in text that does not parse as a URL, whatever
 * stands between `://` and the last `@` of the authority is masked (a config error must not print it either).
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.href;
  } catch {
    return url.replace(/^([a-z][\w+.-]*:\/\/)[^/?#]*@/i, '$1***@');
  }
}
