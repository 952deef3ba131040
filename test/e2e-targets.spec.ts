import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '@orderflow/testing';
// test/e2e-targets.js is CommonJS (jest.config.js requires it too), so it is required, not imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { EXTERNAL, PROCESS_ONLY } = require('./e2e-targets') as {
  EXTERNAL: string[];
  PROCESS_ONLY: Record<string, string>;
};

function e2eFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'dist', '.cache', 'tmp'].includes(entry.name) ? [] : e2eFiles(path);
    return entry.name.endsWith('.e2e-spec.ts') ? [relative(REPO_ROOT, path)] : [];
  });
}

describe('test/e2e-targets.js', () => {
  const listed = [...EXTERNAL, ...Object.keys(PROCESS_ONLY)];

  it('puts every end-to-end file in exactly one list', () => {
    const files = ['apps', 'libs', 'test', 'tools'].flatMap((dir) => e2eFiles(join(REPO_ROOT, dir)));
    expect(files.filter((file) => !listed.includes(file))).toEqual([]);
    expect(listed.filter((file) => !existsSync(join(REPO_ROOT, file)))).toEqual([]);
    expect(listed.filter((file, i) => listed.indexOf(file) !== i)).toEqual([]);
  });

  it('says why each left-out file needs processes of its own', () => {
    for (const [file, why] of Object.entries(PROCESS_ONLY))
      expect({ file, why: why.length > 10 }).toEqual({ file, why: true });
  });
});
