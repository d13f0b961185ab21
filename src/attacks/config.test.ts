import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.ts';

/** The config error of a `checks.attacks` YAML body (null when it is valid). */
function problem(body: string): string | null {
  try {
    parseConfig(`checks:\n  attacks:\n${body}`, 'tenken.yaml');
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('checks.attacks.ignore is validated at load', () => {
  it('takes sources as logged and CIDRs', () => {
    expect(
      problem(
        '    ignore: [monitor.example.org, 192.0.2.7, "2001:db8::7", 198.51.100.0/24, "2001:db8::/32"]\n',
      ),
    ).toBeNull();
  });

  it('refuses an entry with a / that is no CIDR, with file:line:col (it would match nothing)', () => {
    expect(problem('    ignore: [192.0.2.7, 198.51.100.0/33]\n')).toMatch(
      /^Invalid config tenken\.yaml:\ntenken\.yaml:3:25: a CIDR with a '\/': an IP address or CIDR/,
    );
    expect(problem('    ignore: [office/lan]\n')).toMatch(/tenken\.yaml:3:14: a CIDR with a '\/'/);
  });
});
