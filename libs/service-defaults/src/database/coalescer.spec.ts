import { Coalescer } from './coalescer';

// Its use for consumer runs: libs/messaging/src/consumer/run-coalescer.spec.ts.

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function recorder(options: { together?: (items: number[]) => Promise<number[] | undefined> } = {}) {
  const together: number[][] = [];
  const alone: number[] = [];
  const coalescer = new Coalescer<number, number>({
    name: 'test',
    together: async (items) => {
      together.push(items);
      return options.together ? options.together(items) : items.map((item) => item * 10);
    },
    alone: async (item) => {
      alone.push(item);
      return item * 100;
    },
    maxSize: 3,
  });
  return { coalescer, together, alone };
}

describe('Coalescer', () => {
  it('writes the items of one turn together, each getting its own result', async () => {
    const { coalescer, together, alone } = recorder();

    const results = await Promise.all([1, 2, 3].map((item) => coalescer.submit(item)));

    expect(together).toEqual([[1, 2, 3]]);
    expect(alone).toEqual([]);
    expect(results).toEqual([10, 20, 30]);
  });

  it('writes a lone item alone at once, and does not wait for it before the next', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const alone: number[] = [];
    const coalescer = new Coalescer<number, number>({
      name: 'test',
      together: async () => undefined,
      alone: async (item) => {
        alone.push(item);
        if (item === 1) await held;
        return item;
      },
      maxSize: 10,
    });

    const first = coalescer.submit(1);
    await nextTurn();
    const second = coalescer.submit(2);
    await expect(second).resolves.toBe(2);
    expect(alone).toEqual([1, 2]);
    release();
    await expect(first).resolves.toBe(1);
  });

  it('takes at most maxSize, oldest first, and holds what arrives meanwhile for the next write', async () => {
    const { coalescer, together, alone } = recorder();

    const results = await Promise.all([1, 2, 3, 4, 5].map((item) => coalescer.submit(item)));

    expect(together).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(alone).toEqual([]);
    expect(results).toEqual([10, 20, 30, 40, 50]);
  });

  it('writes each alone when they cannot go together', async () => {
    const { coalescer, alone } = recorder({ together: async () => undefined });

    const results = await Promise.all([1, 2].map((item) => coalescer.submit(item)));

    expect(alone).toEqual([1, 2]);
    expect(results).toEqual([100, 200]);
  });

  it('rejects every item of a combined write that threw, then goes on with the next', async () => {
    const failure = new Error('connection lost');
    let calls = 0;
    const { coalescer, together } = recorder({
      together: async (items) => {
        if (calls++ === 0) throw failure;
        return items;
      },
    });

    const failed = [1, 2].map((item) => coalescer.submit(item));
    await Promise.all(failed.map((result) => expect(result).rejects.toBe(failure)));
    await expect(Promise.all([3, 4].map((item) => coalescer.submit(item)))).resolves.toEqual([3, 4]);
    expect(together).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
