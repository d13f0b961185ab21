import { describe, expect, it } from 'vitest';
import { isPseudoTerminal, ttyKind } from './tty.ts';

describe('the kind of a login line', () => {
  it('knows devpts and the legacy BSD-style pseudo-terminals as ptys', () => {
    expect(
      ['pts/0', 'pts/17', 'ttyp0', 'ttyq1', 'ttyzf', 'ttya0', 'ttyef', '/dev/ttyp3'].map(ttyKind),
    ).toEqual(Array(8).fill('pty'));
  });
  it('keeps serial lines, consoles and non-terminals apart from them', () => {
    expect(['ttyS0', 'ttyS1', 'ttyUSB0', 'ttyACM0', 'ttyAMA0'].map(ttyKind)).toEqual(Array(5).fill('serial'));
    expect(['tty1', 'tty12', 'console', 'vc/1'].map(ttyKind)).toEqual(Array(4).fill('console'));
    expect(['ftp1234', 'ftpd77', 'vsftpd:9', ':0', '~', 'ttyp', 'ttypg', 'pts/x', ''].map(ttyKind)).toEqual(
      Array(9).fill('other'),
    );
    expect(['ttyS0', 'tty1', 'ftp1234'].some(isPseudoTerminal)).toBe(false);
  });
});
