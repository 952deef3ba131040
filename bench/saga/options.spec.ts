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

describe('bench options: --warmup-max-seconds', () => {
  it('repeats the warm-up for up to 240 s unless told otherwise', () => {
    expect(parseOptions([]).warmupMaxSeconds).toBe(240);
    expect(parseOptions(['--warmup-max-seconds', '0']).warmupMaxSeconds).toBe(0);
  });

  it('refuses a negative or non-numeric duration', () => {
    expect(() => parseOptions(['--warmup-max-seconds=-1'])).toThrow(UsageError);
    expect(() => parseOptions(['--warmup-max-seconds', 'long'])).toThrow(UsageError);
  });
});

describe('bench options: --keyed-percent', () => {
  it('sends no Idempotency-Key unless told otherwise, and takes a percentage', () => {
    expect(parseOptions([]).keyedShare).toBe(0);
    expect(parseOptions(['--keyed-percent', '25']).keyedShare).toBe(0.25);
  });

  it('refuses what is not a percentage, naming the option', () => {
    for (const bad of ['101', '-5', 'half'])
      expect(() => parseOptions(['--keyed-percent', bad])).toThrow(/--keyed-percent/);
  });
});

describe('bench options: --relay-process', () => {
  it('runs every relay inside its service unless told otherwise', () => {
    expect(parseOptions([]).relayProcess).toEqual([]);
    expect(parseOptions(['--relay-process', 'none']).relayProcess).toEqual([]);
  });

  it('takes a list of services', () => {
    expect(parseOptions(['--relay-process', 'order-service,payment-service']).relayProcess).toEqual([
      'order-service',
      'payment-service',
    ]);
  });

  it('refuses what is not a service', () => {
    expect(() => parseOptions(['--relay-process', 'gateway'])).toThrow(UsageError);
  });

  it('answers an unknown flag or a flag without its value with the usage, not a stack trace', () => {
    expect(() => parseOptions(['--seconds', '30'])).toThrow(
      /Unknown option '--seconds'[\s\S]*--step-seconds/,
    );
    expect(() => parseOptions(['--rates'])).toThrow(UsageError);
  });
});
