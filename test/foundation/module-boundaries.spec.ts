import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');

/** The nx CLI's entry point, from its package's `bin` (it moved between releases). */
const nxBin = () => {
  const manifest = require.resolve('nx/package.json', { paths: [root] });
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: { nx: string } };
  return join(manifest, '..', bin.nx);
};

/** Lints `code` as if it were the file at `filePath` (relative to the repo), with the repo's config. */
function lint(filePath: string, code: string) {
  // The boundary rule reads the cached project graph; without one it skips silently.
  const graph = spawnSync(process.execPath, [nxBin(), 'show', 'projects'], {
    cwd: root,
    env: { ...process.env, NX_DAEMON: 'false' },
    encoding: 'utf8',
  });
  if (graph.status !== 0) throw new Error(`nx show projects failed: ${graph.stderr}`);
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/eslint/bin/eslint.js'),
      '--stdin',
      '--stdin-filename',
      filePath,
      '--format',
      'json',
    ],
    { cwd: root, input: code, encoding: 'utf8' },
  );
  const [report] = JSON.parse(result.stdout) as Array<{
    messages: Array<{ ruleId: string; message: string }>;
  }>;
  return report.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries');
}

describe('module boundaries (npm run lint)', () => {
  it('refuses an app importing another app', () => {
    const errors = lint(
      'apps/gateway/src/peek.ts',
      "import { SERVICE } from '../../order-service/src/app.module';\nexport const s = SERVICE;\n",
    );
    expect(errors).toHaveLength(1);
  });

  it('refuses a lib importing an app', () => {
    const errors = lint(
      'libs/messaging/src/peek.ts',
      "import { SERVICE } from '../../../apps/order-service/src/app.module';\nexport const s = SERVICE;\n",
    );
    expect(errors).toHaveLength(1);
  });

  it('refuses contracts depending on the platform libs', () => {
    const errors = lint(
      'libs/contracts/src/peek.ts',
      "import { env } from '@orderflow/service-defaults';\nexport const e = env;\n",
    );
    expect(errors.map((e) => e.message).join('\n')).toMatch(
      /tagged with "type:contracts" can only depend on libs tagged with "type:contracts"/,
    );
  });

  it('lets an app use the shared libs', () => {
    const errors = lint(
      'apps/gateway/src/peek.ts',
      "import { TOPICS } from '@orderflow/contracts';\nexport const t = TOPICS;\n",
    );
    expect(errors).toEqual([]);
  });
});
