// Compatibility of event payload schemas (docs/adr/0021-event-versioning-and-compatibility.md).
// Consumers validate every event against the schema of its (type, version), so a change is
// compatible only if old producers' events still validate under the new schema AND new producers'
// events still validate under the old one: adding an optional field is the one compatible change
// to the accepted shapes; annotations (title, description, examples…) may change freely.
// Plain erasable TypeScript with no project imports: the baseline script runs it with Node directly.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type Schema = Record<string, unknown>;

export type ChangeKind =
  | 'field removed'
  | 'required field added'
  | 'optional field added'
  | 'field made required'
  | 'field made optional'
  | 'type changed'
  | 'enum narrowed'
  | 'enum widened'
  | 'constraint tightened'
  | 'constraint loosened'
  | 'constraint changed'
  | 'schema changed'
  | 'version removed';

export interface Change {
  /** Event schema file, e.g. order-created.v1.json. */
  file: string;
  /** JSON path of the change in the payload, e.g. /items/[]/sku. */
  path: string;
  kind: ChangeKind;
  detail: string;
  breaking: boolean;
}

const NON_BREAKING: ReadonlySet<ChangeKind> = new Set(['optional field added']);
const ANNOTATIONS = new Set([
  'title',
  'description',
  'examples',
  'default',
  'deprecated',
  '$comment',
  '$id',
  '$schema',
]);
const COMPOSITIONS = ['oneOf', 'anyOf', 'allOf'];
const HANDLED = new Set([
  'type',
  'enum',
  'properties',
  'required',
  'items',
  'definitions',
  '$defs',
  ...COMPOSITIONS,
]);
// Keywords whose larger value accepts more (loosens) or less (tightens).
// Keywords that restrict values: adding one tightens, dropping one loosens.
const CONSTRAINTS = new Set([
  'pattern',
  'format',
  'const',
  'multipleOf',
  'uniqueItems',
  'additionalProperties',
]);
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];

export const EVENT_SCHEMA_FILE = /^([a-z0-9]+(?:-[a-z0-9]+)*)\.v([1-9][0-9]*)\.json$/;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical(value[key])]),
  );
}

const types = (schema: Schema): string[] =>
  schema.type === undefined ? [] : ([] as string[]).concat(schema.type as string | string[]).sort();

/** Resolves every $ref (relative to the enclosing $id) against `registry` (schemas by $id). */
export function dereference(
  schema: Schema,
  registry: ReadonlyMap<string, Schema>,
  base = String(schema.$id ?? ''),
): Schema {
  const walk = (node: unknown, baseId: string, depth: number): unknown => {
    if (depth > 64) throw new Error(`$ref nesting deeper than 64 under ${baseId} (recursive schema?)`);
    if (Array.isArray(node)) return node.map((item) => walk(item, baseId, depth));
    if (!isObject(node)) return node;
    const id = typeof node.$id === 'string' ? new URL(node.$id, baseId || undefined).href : baseId;
    if (typeof node.$ref === 'string') {
      const target = new URL(node.$ref, id);
      const documentId = target.href.replace(/#.*$/, '');
      const document = registry.get(documentId);
      if (!document) throw new Error(`unresolved $ref ${node.$ref} (from ${id})`);
      let resolved: unknown = document;
      for (const segment of target.hash.replace(/^#\/?/, '').split('/').filter(Boolean)) {
        resolved = isObject(resolved)
          ? resolved[decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~')]
          : undefined;
      }
      if (resolved === undefined) throw new Error(`unresolved $ref ${node.$ref} (from ${id})`);
      const { $ref: _ref, ...siblings } = node;
      const merged = walk(resolved, documentId, depth + 1) as Schema;
      return { ...merged, ...(walk(siblings, id, depth) as Schema) };
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value, id, depth)]));
  };
  return walk(schema, base, 0) as Schema;
}

/** Every change between two dereferenced payload schemas, each marked breaking or not. */
export function compareSchemas(file: string, before: Schema, after: Schema, path = ''): Change[] {
  const changes: Change[] = [];
  const add = (kind: ChangeKind, detail: string, at = path) =>
    changes.push({ file, path: at || '/', kind, detail, breaking: !NON_BREAKING.has(kind) });

  if (!sameJson(types(before), types(after))) {
    add('type changed', `${types(before).join('|') || 'any'} → ${types(after).join('|') || 'any'}`);
  }
  compareEnums(before, after, add);
  compareBounds(before, after, add);
  compareProperties(file, before, after, path, add, changes);
  if (isObject(before.items) && isObject(after.items)) {
    changes.push(...compareSchemas(file, before.items, after.items, `${path}/[]`));
  } else if (!sameJson(before.items, after.items)) {
    add('schema changed', 'items');
  }
  for (const keyword of COMPOSITIONS) {
    const a = before[keyword];
    const b = after[keyword];
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((part, i) =>
        changes.push(...compareSchemas(file, part as Schema, b[i] as Schema, `${path}/${keyword}[${i}]`)),
      );
    } else if (!sameJson(a, b)) add('schema changed', `${keyword} alternatives changed`);
  }
  const keywords = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const keyword of keywords) {
    if (ANNOTATIONS.has(keyword) || HANDLED.has(keyword) || keyword.startsWith('x-')) continue;
    if (LOWER_BOUNDS.includes(keyword) || UPPER_BOUNDS.includes(keyword)) continue;
    if (sameJson(before[keyword], after[keyword])) continue;
    const detail = `${keyword}: ${JSON.stringify(before[keyword]) ?? 'none'} → ${JSON.stringify(after[keyword]) ?? 'none'}`;
    if (!CONSTRAINTS.has(keyword)) add('schema changed', detail);
    else if (before[keyword] === undefined) add('constraint tightened', detail);
    else if (after[keyword] === undefined) add('constraint loosened', detail);
    else add('constraint changed', detail);
  }
  return changes;
}

type Add = (kind: ChangeKind, detail: string, at?: string) => void;

function compareEnums(before: Schema, after: Schema, add: Add): void {
  if (before.enum === undefined && after.enum === undefined) return;
  if (!Array.isArray(before.enum) || !Array.isArray(after.enum)) {
    add(
      before.enum === undefined ? 'enum narrowed' : 'enum widened',
      `enum ${before.enum ? 'removed' : 'added'}`,
    );
    return;
  }
  const afterEnum: unknown[] = after.enum;
  const removed = before.enum.filter((v) => !afterEnum.some((w) => sameJson(v, w)));
  const added = after.enum.filter((v) => !(before.enum as unknown[]).some((w) => sameJson(v, w)));
  if (removed.length > 0) add('enum narrowed', `removed ${JSON.stringify(removed)}`);
  if (added.length > 0)
    add('enum widened', `added ${JSON.stringify(added)} (consumers on the old schema reject them)`);
}

function compareBounds(before: Schema, after: Schema, add: Add): void {
  for (const keyword of [...LOWER_BOUNDS, ...UPPER_BOUNDS]) {
    const a = before[keyword] as number | undefined;
    const b = after[keyword] as number | undefined;
    if (a === b) continue;
    const lower = LOWER_BOUNDS.includes(keyword);
    const tightened = a === undefined ? true : b === undefined ? false : lower ? b > a : b < a;
    add(
      tightened ? 'constraint tightened' : 'constraint loosened',
      `${keyword}: ${a ?? 'none'} → ${b ?? 'none'}`,
    );
  }
}

function compareProperties(
  file: string,
  before: Schema,
  after: Schema,
  path: string,
  add: Add,
  changes: Change[],
): void {
  const oldProps = isObject(before.properties) ? before.properties : {};
  const newProps = isObject(after.properties) ? after.properties : {};
  const oldRequired = new Set((before.required as string[] | undefined) ?? []);
  const newRequired = new Set((after.required as string[] | undefined) ?? []);
  for (const [name, schema] of Object.entries(oldProps)) {
    const at = `${path}/${name}`;
    if (!(name in newProps)) {
      add('field removed', name, at);
      continue;
    }
    if (!oldRequired.has(name) && newRequired.has(name)) add('field made required', name, at);
    if (oldRequired.has(name) && !newRequired.has(name)) add('field made optional', name, at);
    if (isObject(schema) && isObject(newProps[name]))
      changes.push(...compareSchemas(file, schema, newProps[name] as Schema, at));
  }
  for (const name of Object.keys(newProps)) {
    if (name in oldProps) continue;
    add(newRequired.has(name) ? 'required field added' : 'optional field added', name, `${path}/${name}`);
  }
  for (const name of newRequired) {
    if (!(name in newProps) && !(name in oldProps) && !oldRequired.has(name))
      add('required field added', name, `${path}/${name}`);
  }
}

export interface BaselineReport {
  /** Changes that need a new version instead (or a retired one that consumers may still read). */
  breaking: Change[];
  /** Compatible changes not yet recorded in the baseline (run `npm run contracts:baseline`). */
  unrecorded: string[];
}

function loadSchemas(dir: string): Map<string, Schema> {
  const files = new Map<string, Schema>();
  if (!existsSync(dir)) return files;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    files.set(file, JSON.parse(readFileSync(join(dir, file), 'utf8')) as Schema);
  }
  return files;
}

const byId = (files: Map<string, Schema>) =>
  new Map([...files.values()].filter((s) => typeof s.$id === 'string').map((s) => [s.$id as string, s]));

/** Compares every event schema in `currentDir` with its committed copy in `baselineDir`. */
export function checkAgainstBaseline(currentDir: string, baselineDir: string): BaselineReport {
  const current = loadSchemas(currentDir);
  const baseline = loadSchemas(baselineDir);
  const report: BaselineReport = { breaking: [], unrecorded: [] };
  for (const [file, old] of baseline) {
    const now = current.get(file);
    if (!now) {
      if (EVENT_SCHEMA_FILE.test(file)) {
        report.breaking.push({
          file,
          path: '/',
          kind: 'version removed',
          detail: 'schema file deleted',
          breaking: true,
        });
      } else report.unrecorded.push(`${file} removed`);
      continue;
    }
    if (EVENT_SCHEMA_FILE.test(file)) {
      const changes = compareSchemas(file, dereference(old, byId(baseline)), dereference(now, byId(current)));
      report.breaking.push(...changes.filter((c) => c.breaking));
    }
    if (!sameJson(old, now)) report.unrecorded.push(`${file} changed`);
  }
  for (const file of current.keys()) if (!baseline.has(file)) report.unrecorded.push(`${file} added`);
  return report;
}

export const describeChange = (c: Change) => `${c.file} ${c.path}: ${c.kind} (${c.detail})`;
