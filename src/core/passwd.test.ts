import { describe, expect, it } from 'vitest';
import { passwdEntries } from './passwd.ts';

describe('passwdEntries', () => {
  it('reads names, uids, homes and shells, skipping comments, NIS lines and lines without a numeric uid', () => {
    const text = [
      '# local accounts',
      'root:x:0:0:root:/root:/bin/bash',
      '+nisuser::::::',
      '-blocked::::::',
      'broken:x:notanumber:0::/:/bin/sh',
      'joe:x:500:100:Joe:/home/joe:/bin/bash ',
      'short:x:7',
      '',
    ].join('\n');
    expect(passwdEntries(text)).toEqual([
      { name: 'root', uid: 0, home: '/root', shell: '/bin/bash' },
      { name: 'joe', uid: 500, home: '/home/joe', shell: '/bin/bash' },
      { name: 'short', uid: 7, home: '', shell: '' },
    ]);
  });
});
