import { describe, expect, it } from 'vitest';
import { globLiteral, segmentRegExp } from './glob.ts';

describe('globLiteral', () => {
  it('makes a glob that matches exactly the name, whatever glob characters it holds', () => {
    const names = ['*', '?', '[', ']', '[]', 'a*]', '[!x]', '[a-z]*', 'a\\*', 'x[', 's*d', 'sshd', '[^s]*'];
    for (const name of names) {
      const re = segmentRegExp(globLiteral(name));
      expect(re.test(name), name).toBe(true);
      for (const other of names.filter((n) => n !== name))
        expect(re.test(other), `${name} ~ ${other}`).toBe(false);
      expect(re.test('sshd'), name).toBe(name === 'sshd');
    }
  });

  it('leaves a name without glob characters as it is', () => {
    expect(globLiteral('x, sshd')).toBe('x, sshd');
    expect(globLiteral('*')).toBe('[*]');
  });
});
