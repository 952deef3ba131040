import { ValidationProblem } from '@orderflow/service-defaults';
import { decodeCursor, encodeCursor, parseLimit } from './order-cursor';

describe('order list paging', () => {
  it('round-trips a cursor', () => {
    const cursor = {
      createdAt: new Date('2025-01-31T12:00:00.123Z'),
      id: '0b7d8c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e',
    };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it.each([
    ['garbage'],
    [''],
    [Buffer.from('{"t":"x","i":"y"}').toString('base64url')],
    [Buffer.from('[]').toString('base64url')],
  ])('refuses a cursor it did not issue: %j', (text) => {
    expect(() => decodeCursor(text)).toThrow(ValidationProblem);
  });

  it('defaults the limit to 20 and accepts 1 to 100', () => {
    expect(parseLimit(undefined)).toBe(20);
    expect(parseLimit('1')).toBe(1);
    expect(parseLimit('100')).toBe(100);
  });

  it.each([['0'], ['101'], ['-1'], ['abc'], ['1.5'], [''], ['1e2']])('refuses limit=%j', (text) => {
    expect(() => parseLimit(text)).toThrow(ValidationProblem);
  });
});
