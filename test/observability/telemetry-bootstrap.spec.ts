import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const TELEMETRY_IMPORT = "import '@orderflow/service-defaults/telemetry';";

// Instrumentation hooks only see modules loaded after the SDK started: an app whose main.ts loads
// anything first loses its HTTP/pg spans silently, so this is checked here rather than noticed in Jaeger.
describe('telemetry bootstrap', () => {
  const apps = readdirSync(join(ROOT, 'apps')).filter((app) =>
    existsSync(join(ROOT, 'apps', app, 'src/main.ts')),
  );

  it.each(apps)('%s starts telemetry on the first line of main.ts', (app) => {
    const source = readFileSync(join(ROOT, 'apps', app, 'src/main.ts'), 'utf8');
    const firstStatement = source
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '' && !line.startsWith('//'));
    expect(firstStatement).toBe(TELEMETRY_IMPORT);
  });
});
