import { ValidationProblem } from '@orderflow/service-defaults';

/** Keyset position in the newest-first list: the last order of the previous page. */
export interface OrderCursor {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque to clients: base64url of a small JSON document. */
export function encodeCursor(cursor: OrderCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt.toISOString(), i: cursor.id })).toString(
    'base64url',
  );
}

export function decodeCursor(text: string | undefined): OrderCursor | undefined {
  if (text === undefined) return undefined;
  const invalid = () =>
    new ValidationProblem([{ field: 'cursor', message: 'is not a cursor returned by this API' }]);
  if (typeof text !== 'string') throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid(); // the cause is always "not our cursor"
  }
  const { t, i } = (parsed ?? {}) as { t?: unknown; i?: unknown };
  const createdAt = typeof t === 'string' ? new Date(t) : undefined;
  if (!createdAt || Number.isNaN(createdAt.getTime()) || typeof i !== 'string' || !UUID.test(i))
    throw invalid();
  return { createdAt, id: i };
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

export function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const limit = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new ValidationProblem([{ field: 'limit', message: `must be an integer from 1 to ${MAX_LIMIT}` }]);
  }
  return limit;
}
