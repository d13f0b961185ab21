import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  LineCounter,
  parse,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { z } from 'zod';

/** Result of parsing and validating a YAML document: the typed value, or every error as file:line:col. */
export type YamlResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

type Range = readonly [number, number, number] | null | undefined;

/** The node at a path, or its nearest existing ancestor (for a missing key, the map that lacks it). */
function nodeAt(doc: Document, path: readonly PropertyKey[]): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node)) return node;
  }
  return isNode(doc.contents) ? doc.contents : undefined;
}

/** Range of a key inside a map node (for "unknown key" errors, which should point at the key itself). */
function keyRange(node: Node | undefined, key: string): Range {
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key) return pair.key.range;
  }
  return undefined;
}

function where(file: string, lc: LineCounter, range: Range): string {
  if (!range) return `${file}:1:1`;
  const { line, col } = lc.linePos(range[0]);
  return `${file}:${line}:${col}`;
}

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

/**
 * Parses YAML and validates it with a zod schema. Every syntax error and every schema issue becomes one
 * line `FILE:LINE:COL: message (at key.path)`, so a user fixes all mistakes in one go.
 */
export function parseYaml<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): YamlResult<z.output<S>> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const errors: string[] = [];
  for (const e of doc.errors) {
    // prettyErrors: false leaves linePos unset: the position comes from the error's offset.
    const { line, col } = lc.linePos(e.pos[0]);
    errors.push(`${file}:${line}:${col}: ${e.message.split('\n')[0] ?? 'YAML syntax error'}`);
  }
  if (errors.length) return { ok: false, errors };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // An alias bomb ("Excessive alias count ..."): said at the first alias, as one line like the others.
    let first: Range;
    visit(doc, {
      Alias(_, node) {
        if (isAlias(node)) first = node.range;
        return visit.BREAK;
      },
    });
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, errors: [`${where(file, lc, first)}: ${message}`] };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  for (const issue of result.error.issues) {
    const node = nodeAt(doc, issue.path);
    const at = issue.path.length ? ` (at ${pathText(issue.path)})` : '';
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const range = keyRange(node, key) ?? node?.range;
        const full = pathText([...issue.path, key]);
        errors.push(
          `${where(file, lc, range)}: unknown key "${key}"${full.includes('.') ? ` (at ${full})` : ''}`,
        );
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      // A bad map key (`DeleGate:` where names are lower-case): zod says "Invalid key in record" at the
      // key's value; the key schema's own message, at the key, says what is wrong.
      const key = String(issue.path[issue.path.length - 1]);
      const parent = nodeAt(doc, issue.path.slice(0, -1));
      const why = issue.issues[0]?.message ?? issue.message;
      errors.push(`${where(file, lc, keyRange(parent, key) ?? node?.range)}: ${why}${at}`);
      continue;
    }
    errors.push(`${where(file, lc, node?.range)}: ${issue.message}${at}`);
  }
  errors.sort((a, b) => {
    const [, la = 0, ca = 0] = /:(\d+):(\d+):/.exec(a)?.map(Number) ?? [];
    const [, lb = 0, cb = 0] = /:(\d+):(\d+):/.exec(b)?.map(Number) ?? [];
    return la - lb || ca - cb;
  });
  return { ok: false, errors };
}

/** A scalar written plain in a suggested snippet: ASCII words only (no indicator, comma, bracket or space). */
const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_./@+-]*$/;

/**
 * What a suggested snippet shows escaped inside double quotes: the quote and backslash, controls, format
 * characters (bidi overrides, zero-width), line and paragraph separators, spaces other than U+0020,
 * surrogates, private-use and unassigned code points; and the backtick, which delimits a snippet in a
 * message (`checks.procs.ignoreMore: [...]`), so that the snippet never holds one.
 */
const ESCAPED = /["\\`\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]|[^\S ]/gu;

/**
 * A string as a YAML flow scalar that parses back to exactly it: plain when it is an ASCII word YAML reads as
 * that string (`sshd`, `tcp/8080`; not `true`, `123`, `null`), else double-quoted with every character that
 * is not plainly visible escaped (`"x, sshd"`, `"evil\u001b[2J"`): safe to show on a terminal and to paste.
 */
export function yamlFlowScalar(value: string): string {
  if (PLAIN.test(value)) {
    const back: unknown = parse(`[${value}]`);
    if (Array.isArray(back) && back.length === 1 && back[0] === value) return value;
  }
  const body = value.replace(ESCAPED, (c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    const code = c.codePointAt(0) ?? 0;
    return code > 0xffff
      ? `\\U${code.toString(16).padStart(8, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `"${body}"`;
}

/** Strings as a YAML flow sequence that parses back to exactly them: `[sshd, "x, sshd"]` (yamlFlowScalar). */
export function yamlFlowSequence(values: readonly string[]): string {
  return `[${values.map(yamlFlowScalar).join(', ')}]`;
}
