/** The oldest Node the services run on: 24.16 brought `crypto.randomUUIDv7` (ADR 54). */
export const MINIMUM_NODE = { major: 24, minor: 16 } as const;

/** Why this Node cannot run the services, or undefined when it can. */
export function nodeRuntimeProblem(version: string): string | undefined {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  if (major > MINIMUM_NODE.major || (major === MINIMUM_NODE.major && minor >= MINIMUM_NODE.minor)) {
    return undefined;
  }
  return `Node ${version} is too old: the services need Node ${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} or later (source tools/bootstrap-node.sh installs it)`;
}
