import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { yamlFlowScalar, yamlFlowSequence } from './yaml.ts';

/** Names a local user can give a program (comm) or that break a hand-written flow sequence. */
const HOSTILE = [
  'x, sshd',
  'a]b',
  '[x]',
  '{a: b}',
  '#x',
  'a #b',
  '"q"',
  "it's",
  'k: v',
  'k:v',
  '-x',
  '- x',
  '*a',
  '&a',
  '!t',
  '?x',
  '|x',
  '>x',
  '%x',
  '@x',
  '`x`',
  'a\\b',
  '日本語',
  'e\u001b[2J\u001b]0;pwn\u0007',
  'tab\tx',
  'new\nline',
  'cr\rx',
  '\u0085c1',
  'del\u007f',
  '\u202egnp.exe',
  'zero\u200bwidth',
  'a\u2028b\u2029c',
  'nb\u00a0sp',
  'bom\ufeff',
  'lone\ud800',
  'astral\u{10ffff}',
  '😀',
  'true',
  'False',
  'null',
  '~',
  '123',
  '0x1f',
  '1e3',
  '.inf',
  ' lead',
  'trail ',
  '',
  'sshd',
  'tcp/8080',
];

describe('yamlFlowScalar and yamlFlowSequence', () => {
  it('write each hostile name so that YAML parses it back to exactly that name', () => {
    for (const name of HOSTILE) {
      expect(parse(`[${yamlFlowScalar(name)}]`), JSON.stringify(name)).toEqual([name]);
      expect(parse(`checks.procs.ignoreMore: ${yamlFlowSequence([name])}`), JSON.stringify(name)).toEqual({
        'checks.procs.ignoreMore': [name],
      });
    }
    expect(parse(`k: ${yamlFlowSequence(HOSTILE)}\n`)).toEqual({ k: HOSTILE });
  });

  it('shows no control, format or separator character raw, and no backtick', () => {
    for (const name of HOSTILE) {
      const shown = yamlFlowScalar(name);
      expect(shown, JSON.stringify(name)).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}`]|[^\S ]/u);
    }
    expect(yamlFlowScalar('e\u001b[2J')).toBe('"e\\u001b[2J"');
    expect(yamlFlowScalar('\u202egnp')).toBe('"\\u202egnp"');
  });

  it('quotes only what needs it', () => {
    expect(yamlFlowSequence(['sshd', 'tcp/8080', 'x, sshd', 'true', '123'])).toBe(
      '[sshd, tcp/8080, "x, sshd", "true", "123"]',
    );
  });
});
