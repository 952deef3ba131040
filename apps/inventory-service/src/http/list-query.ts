import { ValidationProblem } from '@orderflow/service-defaults';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** `limit` query parameter: integer 1..100, default 20. */
export function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const value = typeof raw === 'string' && /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 1 && value <= MAX_LIMIT)) {
    throw new ValidationProblem([{ field: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` }]);
  }
  return value;
}

/** Opaque keyset cursor: the last key of the previous page, base64url-encoded. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(raw: unknown, isKey: (key: string) => boolean): string | undefined {
  if (raw === undefined) return undefined;
  const key =
    typeof raw === 'string' && /^[A-Za-z0-9_-]{1,200}$/.test(raw)
      ? Buffer.from(raw, 'base64url').toString('utf8')
      : '';
  if (!isKey(key))
    throw new ValidationProblem([{ field: 'cursor', message: 'is not a cursor this endpoint issued' }]);
  return key;
}
