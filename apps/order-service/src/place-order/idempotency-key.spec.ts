import { ValidationProblem } from '@orderflow/service-defaults';
import { parseIdempotencyKey, requestHash } from './idempotency-key';

describe('Idempotency-Key', () => {
  it('accepts 1 to 255 printable ASCII characters, or no header', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('a')).toBe('a');
    expect(parseIdempotencyKey('order 42 ~!')).toBe('order 42 ~!');
    expect(parseIdempotencyKey('k'.repeat(255))).toHaveLength(255);
  });

  it.each([[''], ['k'.repeat(256)], ['tab\there'], ['naïve']])('refuses %j', (key) => {
    expect(() => parseIdempotencyKey(key)).toThrow(ValidationProblem);
  });

  it('hashes requests by content, not by key order', () => {
    expect(requestHash({ a: 1, b: [{ x: 1, y: 2 }] })).toBe(requestHash({ b: [{ y: 2, x: 1 }], a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
    expect(requestHash({ a: [1, 2] })).not.toBe(requestHash({ a: [2, 1] }));
  });
});
