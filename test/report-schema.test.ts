import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { FINDING_KINDS } from '../src/report/text.ts';
import { DEMO_ROOT, REPO, runCli } from './helpers/cli.ts';

const schema = JSON.parse(readFileSync(path.join(REPO, 'docs', 'report.schema.json'), 'utf8')) as {
  $defs: { finding: { properties: { kind: { enum: string[] } } } };
};

describe('docs/report.schema.json', () => {
  it('validates what `check --format json` prints on the demo tree', async () => {
    const r = await runCli(['--root', DEMO_ROOT, '--format', 'json', 'check']);
    expect(r.stderr).toBe('');
    const report: unknown = JSON.parse(r.stdout);
    const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(report);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('validates a result that lists some findings and counts the rest (`omitted`)', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const result = {
      service: 'host',
      status: 'CRITICAL',
      summary: '3 findings',
      findings: [],
      omitted: { count: 3, statuses: { CRITICAL: 1, WARNING: 2 } },
    };
    const report = {
      version: 1,
      tool: { name: 'tenken', version: '0' },
      host: 'h',
      root: null,
      time: '2026-11-26T00:00:00Z',
      timeZone: 'UTC',
      durationMs: 0,
      status: 'CRITICAL',
      summary: '',
      services: [],
      checks: [{ kind: 'logins', status: 'CRITICAL', summary: '', durationMs: 0, results: [result] }],
    };
    expect(validate(report)).toBe(true);
    const bad = { ...result, omitted: { count: 3, statuses: { SEVERE: 3 } } };
    expect(validate({ ...report, checks: [{ ...report.checks[0], results: [bad] }] })).toBe(false);
  });

  it('lists exactly the finding kinds the renderers know', () => {
    expect([...schema.$defs.finding.properties.kind.enum].sort()).toEqual([...FINDING_KINDS].sort());
  });
});
