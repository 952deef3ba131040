import { DEFAULT_REPLICAS, parseOptions, UsageError } from './options';

describe('bench options: --replicas', () => {
  it('runs two order-service instances unless told otherwise', () => {
    expect(parseOptions([]).replicas).toEqual(DEFAULT_REPLICAS);
    expect(DEFAULT_REPLICAS).toEqual({ 'order-service': 2 });
  });

  it('takes SERVICE=N, repeatable, over the defaults', () => {
    const { replicas } = parseOptions(['--replicas', 'order-service=1', '--replicas', 'payment-service=3']);
    expect(replicas).toEqual({ 'order-service': 1, 'payment-service': 3 });
  });

  it.each(['order-service=0', 'order-service', 'gateway=2', 'order-servic=2', 'order-service=two'])(
    'refuses %s with a usage error',
    (entry) => {
      expect(() => parseOptions(['--replicas', entry])).toThrow(UsageError);
    },
  );
});
