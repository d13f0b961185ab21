/*
 * The SMTP round trip's test mail: how it is written, and how a mailbox reader tells tenken's own earlier
 * test mails (delivered after their run stopped looking) from everything else in a person's mailbox.
 * Pure: text in, verdicts out.
 */

/** The first body line of every test mail tenken writes (older versions' line starts the same way). */
export const TEST_MAIL_MARKER = 'tenken sent this message to check that mail is delivered';

/** The token format: `tenken-` and a random UUID. */
const TOKEN = /^tenken-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A test mail of an earlier run is removed only once its run must be over: no probe runs longer than 300 s
 * (the schema's limit), so a test mail sent more than this before the look cannot be one another probe
 * running now (the same sender and recipient, a second probe of the same run) still waits for.
 */
export const EARLIER_MIN_AGE_MS = 330_000;

/** What the test mail's body says about its deletion, true for how the probe is set up. */
export function deletionSentence(o: { keep: boolean; mbox: boolean }): string {
  if (o.mbox) return 'tenken does not delete mail from an mbox file: you may delete this message.';
  if (o.keep)
    return 'The probe is set to keep its test mails (roundtrip keep: true): you may delete this message.';
  return (
    'tenken deletes it when it finds it in this mailbox: at once, or at a later check if it arrives late ' +
    'or the mailbox could not be read. You may delete it.'
  );
}

/** The headers of a message (names lower-cased, folded lines joined), and the first lines of its body. */
export function parseHead(text: string): { headers: Map<string, string[]>; body: string[] } {
  const lines = text.split(/\r?\n/);
  const headers = new Map<string, string[]>();
  let i = 0;
  let last: { name: string; index: number } | null = null;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') break;
    if (/^[ \t]/.test(line) && last !== null) {
      const values = headers.get(last.name) ?? [];
      values[last.index] = `${values[last.index] ?? ''} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = null;
      continue;
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(name, values);
    last = { name, index: values.length - 1 };
  }
  return { headers, body: lines.slice(i + 1, i + 9) };
}

const one = (h: Map<string, string[]>, name: string): string | null => {
  const v = h.get(name);
  return v?.length === 1 ? (v[0] ?? null) : null;
};

/** `<addr>` or `addr` as the lower-cased address. */
const address = (v: string | null): string | null => {
  if (v === null) return null;
  const m = /^<([^<>\s]+)>$/.exec(v) ?? /^([^<>\s]+)$/.exec(v);
  return m?.[1]?.toLowerCase() ?? null;
};

/** A test mail tenken wrote: its token and when it was sent (its Date header). */
export interface TestMail {
  token: string;
  sent: Date;
}

/**
 * Whether `text` (a message's headers and at least its first body lines) is a round-trip test mail that
 * tenken wrote from `from` to `to`: exactly one `X-Tenken-Probe` header holding a token of tenken's format,
 * the subject and Message-ID tenken writes for that token, those From and To addresses, a valid Date, and a
 * body starting with tenken's sentence and holding the token. All of it, so that no person's mail (one that
 * quotes such a header in its body, or carries the header alone) is ever taken for one.
 */
export function testMailOf(text: string, o: { from: string; to: string }): TestMail | null {
  const { headers, body } = parseHead(text);
  const token = one(headers, 'x-tenken-probe');
  if (token === null || !TOKEN.test(token)) return null;
  if (one(headers, 'subject') !== `tenken round trip ${token}`) return null;
  if (!(one(headers, 'message-id') ?? '').startsWith(`<${token}@`)) return null;
  if (address(one(headers, 'from')) !== o.from.toLowerCase()) return null;
  if (address(one(headers, 'to')) !== o.to.toLowerCase()) return null;
  const sent = new Date(one(headers, 'date') ?? '');
  if (Number.isNaN(sent.getTime())) return null;
  if (!(body[0] ?? '').startsWith(TEST_MAIL_MARKER)) return null;
  if (!body.includes(token)) return null;
  return { token, sent };
}

/** An earlier run's test mail that a look removed; `delivered` when the mailbox tells (Maildir, IMAP). */
export interface RemovedTestMail extends TestMail {
  delivered: Date | null;
}

/** A delivery later than this after sending is "delayed" (a run waits at most 300 s). */
const LATE_MS = 5 * 60_000;

const ago = (ms: number): string => {
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  return h < 48 ? `${h} h ago` : `${Math.round(h / 24)} days ago`;
};

const stamp = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * One line about the earlier runs' test mails a round trip removed, and whether it is worth a WARNING: one
 * delivered more than 5 minutes after it was sent says the queue was stuck (said once: the mails are gone);
 * otherwise (delivered in time but not seen, as when the mailbox login failed, or the time is not known, as
 * over POP3) it is a plain note.
 */
export function describeRemoved(
  removed: readonly RemovedTestMail[],
  now: Date,
): { late: boolean; text: string } | null {
  if (removed.length === 0) return null;
  const oldest = removed.reduce((a, b) => (b.sent < a.sent ? b : a));
  const n = removed.length;
  const what = n === 1 ? '1 test mail of an earlier run' : `${n} test mails of earlier runs`;
  const when = `${n === 1 ? 'sent' : 'the oldest sent'} ${stamp(oldest.sent)}, ${ago(now.getTime() - oldest.sent.getTime())}`;
  const late = removed.filter(
    (m) => m.delivered !== null && m.delivered.getTime() - m.sent.getTime() > LATE_MS,
  );
  if (late.length > 0) {
    const most = Math.max(...late.map((m) => (m.delivered?.getTime() ?? 0) - m.sent.getTime()));
    const by = ago(most).replace(' ago', '');
    return {
      late: true,
      text: `${what} arrived late (${when}; delivered up to ${by} after sending): delivery was delayed; removed`,
    };
  }
  return { late: false, text: `${what} removed from the mailbox (${when})` };
}

/**
 * One look into a mailbox over IMAP or POP3 (mailbox.ts sets it up, imap.ts and pop3.ts carry it out): find
 * this run's test mail, and remove the earlier runs' ones met on the way.
 */
export interface MailboxLook {
  /** This run's token. */
  token: string;
  /** Keep this run's test mail (and leave the earlier ones too). */
  keep: boolean;
  /**
   * A message's head (headers and first body lines): `own` when it holds the token, an earlier run's test
   * mail to remove, or null for anything else (never touched).
   */
  judge(text: string): 'own' | TestMail | null;
  /** Server ids (IMAP UIDs, POP3 UIDLs) judged null by an earlier look of this run: not fetched again. */
  seen: Set<string>;
  /** Called once an earlier test mail is really gone (after EXPUNGE, after QUIT). */
  removed(mail: TestMail, delivered: Date | null): void;
}
