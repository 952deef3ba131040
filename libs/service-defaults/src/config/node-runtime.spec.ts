import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MINIMUM_NODE, nodeRuntimeProblem } from './node-runtime';

describe('nodeRuntimeProblem', () => {
  it.each(['v24.16.0', 'v24.22.3', '25.0.0'])('accepts %s', (version) => {
    expect(nodeRuntimeProblem(version)).toBeUndefined();
  });

  it.each(['v24.15.1', 'v20.20.2', '23.99.0'])('names %s as too old, and the version needed', (version) => {
    expect(nodeRuntimeProblem(version)).toBe(
      `Node ${version} is too old: the services need Node 24.16 or later (source tools/bootstrap-node.sh installs it)`,
    );
  });

  it('is the minimum package.json asks for, which tools/bootstrap-node.sh installs by', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '../../../../package.json'), 'utf8'));
    expect(manifest.engines.node).toBe(
      `>=${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} <${MINIMUM_NODE.major + 1}`,
    );
  });
});
