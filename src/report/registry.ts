import type { Report } from '../core/report.ts';
import { renderJson } from './json.ts';
import { renderText } from './text.ts';

/** Options every renderer may read. */
export interface RenderOptions {
  color: boolean;
  verbose?: boolean;
}

/** A renderer turns the Report (and nothing else) into the text of one medium. */
export type Renderer = (report: Report, opts: RenderOptions) => string;

/** The report renderers, by `--format` name; later issues add html, nagios, prometheus here. */
export const renderers = {
  text: (r, o) => renderText(r, o),
  json: (r) => renderJson(r),
} satisfies Record<string, Renderer>;

/** A `--format` value `tenken check` accepts. */
export type ReportFormat = keyof typeof renderers;
