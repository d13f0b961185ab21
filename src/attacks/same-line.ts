import { lineHash, SameLines } from '../logs/same-line.ts';

/**
 * One log line written to two files is one event. rsyslog's default rules on Debian and Ubuntu send mail
 * lines to both /var/log/syslog and /var/log/mail.log (and kernel lines to syslog and kern.log); exim writes
 * each rejection to mainlog and rejectlog. Counting both copies doubles a source's failures, and three
 * wrong passwords already cross the brute-force threshold. The logs check's rule (src/logs/same-line.ts):
 * a line counts when the current log has had it more often than any earlier one, so n copies in one file
 * and m in another count max(n, m) times; identical lines within one file all count.
 */
export class SameLineFilter {
  private readonly lines = new SameLines();
  private readonly sources = new Map<string, number>();

  /** Whether an event read from log `source` (a name; logs in reading order) on this line text is new. */
  admit(source: string, text: string): boolean {
    let index = this.sources.get(source);
    if (index === undefined) {
      index = this.sources.size;
      this.sources.set(source, index);
    }
    return this.lines.admit(index, lineHash(text));
  }
}
