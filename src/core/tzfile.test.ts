import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTimeZone } from './tz.ts';
import { fixedZoneOfPosixTZ, parseTzif, zoneFileName, zoneNameOfLink } from './tzfile.ts';

const SYSTEM = '/usr/share/zoneinfo';
const tokyo = fs.readFileSync(path.join(SYSTEM, 'Asia/Tokyo'));

describe('zoneNameOfLink', () => {
  it('names the zone after zoneinfo/, and after its posix/ or right/ copy', () => {
    expect(zoneNameOfLink('../usr/share/zoneinfo/Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(zoneNameOfLink('/usr/share/zoneinfo/posix/Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(zoneNameOfLink('/usr/share/zoneinfo/right/Europe/Berlin')).toBe('Europe/Berlin');
    expect(zoneNameOfLink('/etc/zones/Tokyo')).toBeNull();
  });
});

describe('parseTzif', () => {
  it("reads a zone file's version and its POSIX TZ footer", () => {
    expect(parseTzif(tokyo)).toEqual({ version: expect.any(Number), footer: 'JST-9' });
    expect(parseTzif(fs.readFileSync(path.join(SYSTEM, 'Europe/Berlin')))?.footer).toBe(
      'CET-1CEST,M3.5.0,M10.5.0/3',
    );
  });

  it('is null for a truncated file, garbage and text, never a throw', () => {
    for (let n = 0; n < tokyo.length - 1; n += 7) expect(parseTzif(tokyo.subarray(0, n))).toBeNull();
    expect(parseTzif(Buffer.from('Asia/Tokyo\n'))).toBeNull();
    const huge = Buffer.from(tokyo);
    huge.writeUInt32BE(0xffffffff, 32); // timecnt far past the file's end
    expect(parseTzif(huge)).toBeNull();
  });
});

describe('fixedZoneOfPosixTZ', () => {
  it('maps a fixed offset to Etc/GMT with the same (west-positive) sign', () => {
    expect(fixedZoneOfPosixTZ('JST-9')).toBe('Etc/GMT-9');
    expect(fixedZoneOfPosixTZ('<-03>3')).toBe('Etc/GMT+3');
    expect(fixedZoneOfPosixTZ('<+14>-14')).toBe('Etc/GMT-14');
    expect(fixedZoneOfPosixTZ('UTC0')).toBe('UTC');
    for (const tz of ['JST-9', '<-03>3', '<+14>-14'])
      expect(isTimeZone(fixedZoneOfPosixTZ(tz) as string)).toBe(true);
  });

  it('is null for a DST rule, an offset off the hour, or out of Etc/GMT range', () => {
    expect(fixedZoneOfPosixTZ('CET-1CEST,M3.5.0,M10.5.0/3')).toBeNull();
    expect(fixedZoneOfPosixTZ('IST-5:30')).toBeNull();
    expect(fixedZoneOfPosixTZ('<+15>-15')).toBeNull();
    expect(fixedZoneOfPosixTZ('<-13>13')).toBeNull();
    expect(fixedZoneOfPosixTZ('')).toBeNull();
  });
});

describe('zoneFileName', () => {
  it('names a copied zone file by the canonical zone, not an alias (Japan) or a posix/ copy', () => {
    expect(zoneFileName(tokyo, [SYSTEM], isTimeZone)).toBe('Asia/Tokyo');
  });

  it('prefers the zones zone.tab lists, then Area/Place, and never a posix/ or right/ copy', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-zi-'));
    try {
      const kolkata = fs.readFileSync(path.join(SYSTEM, 'Asia/Kolkata'));
      for (const name of ['Asia/Calcutta', 'Asia/Kolkata', 'posix/Asia/Calcutta', 'right/Asia/Calcutta']) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), kolkata);
      }
      fs.writeFileSync(
        path.join(dir, 'zone1970.tab'),
        '#codes\tcoordinates\tTZ\nIN\t+2232+08822\tAsia/Kolkata\n',
      );
      expect(zoneFileName(kolkata, [dir], isTimeZone)).toBe('Asia/Kolkata');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("looks in the tree's zoneinfo before this machine's, and skips names Intl rejects", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-zi-'));
    try {
      fs.mkdirSync(path.join(dir, 'Asia'));
      fs.writeFileSync(path.join(dir, 'Asia/Seoul'), tokyo); // a tree whose Seoul file is Tokyo's bytes
      fs.writeFileSync(path.join(dir, 'Mars'), tokyo);
      expect(zoneFileName(tokyo, [dir, SYSTEM], isTimeZone)).toBe('Asia/Seoul');
      expect(zoneFileName(tokyo, [dir, SYSTEM], (n) => isTimeZone(n) && n !== 'Asia/Seoul')).toBe(
        'Asia/Tokyo',
      );
      const other = Buffer.from(tokyo);
      other[other.length - 3] = 0x38; // JST-8: the same size, no zone's bytes
      expect(zoneFileName(other, [dir, SYSTEM], isTimeZone)).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
