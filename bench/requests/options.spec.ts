import { UsageError } from '../saga/options';
import { parseOptions } from './options';

describe('bench:requests options', () => {
  it('measures every kind, in order of the work they do, twice by default', () => {
    const options = parseOptions([]);
    expect(options.kinds.map((k) => k.name)).toEqual([
      'noop',
      'health',
      'refused',
      'not-found',
      'accepted',
      'keyed',
    ]);
    expect(options).toMatchObject({ rate: 200, seconds: 15, rounds: 2, idleSeconds: 3 });
  });

  it('takes a subset of kinds, in the order given', () => {
    expect(parseOptions(['--kinds', 'accepted,health']).kinds.map((k) => k.name)).toEqual([
      'accepted',
      'health',
    ]);
  });

  it('refuses an unknown kind and a rate that is not positive, naming the option', () => {
    expect(() => parseOptions(['--kinds', 'health,delete'])).toThrow(UsageError);
    expect(() => parseOptions(['--kinds', 'health,delete'])).toThrow(
      /--kinds: unknown request kind "delete"/,
    );
    expect(() => parseOptions(['--rate', '0'])).toThrow(/--rate: expected a positive number/);
  });
});
