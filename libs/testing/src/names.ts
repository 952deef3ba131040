import { randomBytes } from 'node:crypto';

/** Names unique to this test run, so topics, groups and databases never bleed between runs. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
