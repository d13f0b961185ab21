import { describe, expect, it } from 'vitest';
import { invocationWords, shellWord, tenkenCommand } from './command.ts';

describe('a suggested tenken command', () => {
  it('carries the --root, --config and --state this run was given, in that order, and only those', () => {
    expect(tenkenCommand([], 'baseline', 'record')).toBe('tenken baseline record');
    const words = invocationWords({ state: '/st', root: '/srv/demo', config: '/etc/t.yaml' });
    expect(tenkenCommand(words, 'baseline', 'record')).toBe(
      'tenken --root /srv/demo --config /etc/t.yaml --state /st baseline record',
    );
    expect(invocationWords({ root: undefined, config: undefined, state: '/st' })).toEqual(['--state', '/st']);
  });

  it('quotes for a shell the words that need it, so that a pasted command works as written', () => {
    expect(tenkenCommand(['--root', "/srv/bob's tree"], 'procs')).toBe(
      "tenken --root '/srv/bob'\\''s tree' procs",
    );
    expect(shellWord('/a b/$HOME;`x`')).toBe("'/a b/$HOME;`x`'");
    expect(shellWord('')).toBe("''");
    expect(shellWord('/var/lib/tenken/roots/demo-0a1b2c3d4e5f')).toBe(
      '/var/lib/tenken/roots/demo-0a1b2c3d4e5f',
    );
  });
});
