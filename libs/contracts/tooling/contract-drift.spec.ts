import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { EVENT_CATALOG, eventSchema, isEventType } from '../src';
import { EVENT_SCHEMAS } from '../src/generated/event-schemas';
import { BASELINE_DIR, REPO_ROOT, SCHEMAS_DIR } from './asyncapi-model';
import { checkAgainstBaseline, describeChange } from './schema-compatibility';

describe('event contracts: one source, no drift', () => {
  it('has generated types and schema registry up to date with asyncapi/schemas', () => {
    const run = () =>
      execFileSync(
        process.execPath,
        [join(REPO_ROOT, 'libs/contracts/scripts/generate-contracts.mjs'), '--check'],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    expect(run()).toMatch(/up to date/);
  }, 30_000);

  it('has no breaking schema change against asyncapi/baseline, and the baseline records every schema', () => {
    const report = checkAgainstBaseline(SCHEMAS_DIR, BASELINE_DIR);
    expect(report.breaking.map(describeChange)).toEqual([]);
    // A compatible change is recorded with `npm run contracts:baseline`, so the next change is compared to it.
    expect(report.unrecorded).toEqual([]);
  });

  it('has a schema for the version each catalog event is produced at, and no schema without a catalog event', () => {
    for (const [type, definition] of Object.entries(EVENT_CATALOG)) {
      expect({ type, schema: eventSchema(type, definition.version) !== undefined }).toEqual({
        type,
        schema: true,
      });
    }
    expect(EVENT_SCHEMAS.filter((s) => !isEventType(s.type)).map((s) => s.file)).toEqual([]);
  });
});
