import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Schema, checkAgainstBaseline, compareSchemas, dereference } from './schema-compatibility';

const base: Schema = {
  title: 'ThingHappenedV1',
  type: 'object',
  required: ['id', 'status', 'amount', 'tags'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 100 },
    status: { type: 'string', enum: ['A', 'B'] },
    amount: { type: 'integer', minimum: 0 },
    note: { type: ['string', 'null'] },
    tags: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' } },
  },
};

const REMOVE = Symbol('remove');
type Edit = [path: string, value: unknown];

/** A copy of `base` with each edit applied: `['properties/amount/minimum', 1]`, or REMOVE as value. */
const edit = (...edits: Edit[]): Schema => {
  const schema = JSON.parse(JSON.stringify(base)) as Schema;
  for (const [path, value] of edits) {
    const keys = path.split('/');
    const last = keys.pop()!;
    const parent = keys.reduce((node, k) => node[k] as Schema, schema);
    if (value === REMOVE) delete parent[last];
    else parent[last] = value;
  }
  return schema;
};
const kinds = (after: Schema) =>
  compareSchemas('thing-happened.v1.json', base, after).map((c) => ({
    path: c.path,
    kind: c.kind,
    breaking: c.breaking,
  }));

describe('compareSchemas', () => {
  it('finds no change in an identical schema, nor in changed annotations', () => {
    expect(kinds(edit())).toEqual([]);
    expect(
      kinds(
        edit(
          ['description', 'now documented'],
          ['properties/id/title', 'Id'],
          ['properties/amount/examples', [5]],
        ),
      ),
    ).toEqual([]);
  });

  it('accepts an added optional field', () => {
    expect(kinds(edit(['properties/extra', { type: 'string' }]))).toEqual([
      { path: '/extra', kind: 'optional field added', breaking: false },
    ]);
  });

  it.each<[string, Edit[], string, string]>([
    ['a removed field', [['properties/note', REMOVE]], '/note', 'field removed'],
    [
      'a removed required field',
      [
        ['properties/id', REMOVE],
        ['required', ['status', 'amount', 'tags']],
      ],
      '/id',
      'field removed',
    ],
    [
      'a new required field',
      [
        ['properties/extra', { type: 'string' }],
        ['required', ['id', 'status', 'amount', 'tags', 'extra']],
      ],
      '/extra',
      'required field added',
    ],
    [
      'an optional field made required',
      [['required', ['id', 'status', 'amount', 'tags', 'note']]],
      '/note',
      'field made required',
    ],
    [
      'a required field made optional',
      [['required', ['status', 'amount', 'tags']]],
      '/id',
      'field made optional',
    ],
    ['a type change', [['properties/amount/type', 'string']], '/amount', 'type changed'],
    ['a nullable field made non-null', [['properties/note/type', 'string']], '/note', 'type changed'],
    ['a narrowed enum', [['properties/status/enum', ['A']]], '/status', 'enum narrowed'],
    ['a widened enum', [['properties/status/enum', ['A', 'B', 'C']]], '/status', 'enum widened'],
    ['a raised minimum', [['properties/amount/minimum', 1]], '/amount', 'constraint tightened'],
    ['a new maximum', [['properties/amount/maximum', 10]], '/amount', 'constraint tightened'],
    ['a lowered maxLength', [['properties/id/maxLength', 36]], '/id', 'constraint tightened'],
    ['a raised maxLength', [['properties/id/maxLength', 200]], '/id', 'constraint loosened'],
    ['a new format', [['properties/id/format', 'uuid']], '/id', 'constraint tightened'],
    [
      'a changed pattern in array items',
      [['properties/tags/items/pattern', '^[a-z]{1,5}$']],
      '/tags/[]',
      'constraint changed',
    ],
    ['a dropped pattern', [['properties/tags/items/pattern', REMOVE]], '/tags/[]', 'constraint loosened'],
    ['closed additional properties', [['additionalProperties', false]], '/', 'constraint tightened'],
  ])('flags %s as breaking', (_name, edits, path, kind) => {
    expect(kinds(edit(...edits))).toContainEqual({ path, kind, breaking: true });
  });
});

describe('dereference', () => {
  it('resolves $refs across files relative to $id, so shared definitions are compared where used', () => {
    const common = {
      $id: 'https://x.example/s/common.json',
      definitions: {
        Sku: { type: 'string', pattern: '^[A-Z]+$' },
        Line: { type: 'object', properties: { sku: { $ref: '#/definitions/Sku' } } },
      },
    };
    const event = {
      $id: 'https://x.example/s/e.v1.json',
      type: 'object',
      properties: { line: { $ref: './common.json#/definitions/Line' } },
    };
    const registry = new Map<string, Schema>([
      [common.$id, common],
      [event.$id, event],
    ]);
    expect(dereference(event, registry)).toEqual({
      $id: event.$id,
      type: 'object',
      properties: { line: { type: 'object', properties: { sku: { type: 'string', pattern: '^[A-Z]+$' } } } },
    });
    expect(() => dereference({ $id: event.$id, $ref: './missing.json' }, registry)).toThrow(
      /unresolved \$ref/,
    );
  });
});

describe('checkAgainstBaseline', () => {
  let root: string;
  const write = (dir: string, file: string, schema: object) =>
    writeFileSync(join(root, dir, file), JSON.stringify(schema));
  const common = (skuPattern: string) => ({
    $id: 'https://x.example/s/common.json',
    definitions: { Sku: { type: 'string', pattern: skuPattern } },
  });
  const event = (version: number) => ({
    $id: `https://x.example/s/thing-happened.v${version}.json`,
    type: 'object',
    required: ['sku'],
    properties: { sku: { $ref: './common.json#/definitions/Sku' } },
  });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'schema-compat-'));
    for (const dir of ['current', 'baseline']) {
      mkdirSync(join(root, dir));
      write(dir, 'common.json', common('^[A-Z]+$'));
      write(dir, 'thing-happened.v1.json', event(1));
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const check = () => checkAgainstBaseline(join(root, 'current'), join(root, 'baseline'));

  it('passes when the schemas equal the baseline', () => {
    expect(check()).toEqual({ breaking: [], unrecorded: [] });
  });

  it('fails on a breaking change in a shared definition, at every event that uses it', () => {
    write('current', 'common.json', common('^[A-Z]{1,3}$'));
    expect(check().breaking).toEqual([
      expect.objectContaining({ file: 'thing-happened.v1.json', path: '/sku', kind: 'constraint changed' }),
    ]);
  });

  it('accepts a breaking change carried as a new version beside the old one, until it is recorded', () => {
    write('current', 'thing-happened.v2.json', { ...event(2), required: [] });
    expect(check()).toEqual({ breaking: [], unrecorded: ['thing-happened.v2.json added'] });
  });

  it('fails when a version disappears that the baseline still has', () => {
    rmSync(join(root, 'current', 'thing-happened.v1.json'));
    expect(check().breaking).toEqual([
      expect.objectContaining({ file: 'thing-happened.v1.json', kind: 'version removed' }),
    ]);
  });

  it('reports a compatible change that is not yet in the baseline', () => {
    write('current', 'thing-happened.v1.json', {
      ...event(1),
      properties: { ...event(1).properties, note: { type: 'string' } },
    });
    expect(check()).toEqual({ breaking: [], unrecorded: ['thing-happened.v1.json changed'] });
  });
});
