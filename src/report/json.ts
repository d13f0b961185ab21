import type { Report } from '../core/report.ts';

/**
 * The JSON report (docs/report.schema.json). Log text is kept as is: JSON.stringify escapes control
 * characters, so the document is safe to embed; consumers that print it must neutralise it themselves.
 */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
