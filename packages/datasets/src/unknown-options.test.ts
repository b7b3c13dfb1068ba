import { InvalidArgumentError } from '@sdae/core';
import { describe, expect, it } from 'vitest';
import { batchToTensors } from './batch-tensors';
import { epochBatches, sampledBatches } from './batches';
import { loadMnist } from './load-mnist-node';
import { loadMnistFromUrls, mnistUrls } from './load-mnist-url';
import { barsAndStripes } from './synthetic';

const set = barsAndStripes({ size: 4, count: 8 });

describe('unknown option keys', () => {
  it('loadMnist refuses an unknown key before reading any file', async () => {
    await expect(loadMnist({ directory: '/nowhere' } as never)).rejects.toThrow(
      "loadMnist: unknown option 'directory' in options. Valid options: 'split', 'limit', 'dir'.",
    );
  });

  it('loadMnistFromUrls refuses an unknown key before fetching', async () => {
    let fetched = 0;
    const fetch = (async () => {
      fetched++;
      throw new Error('not reached');
    }) as typeof globalThis.fetch;
    await expect(loadMnistFromUrls(mnistUrls('/mnist/'), { fetch, progress: () => undefined } as never)).rejects.toThrow(
      /^loadMnistFromUrls: unknown option 'progress' in options\./,
    );
    expect(fetched).toBe(0);
  });

  it.each([
    [
      'epochBatches',
      () => [...epochBatches(set, { size: 2 } as never)],
      /^epochBatches: unknown option 'size' in options\. Valid options: 'batchSize', /,
    ],
    [
      'sampledBatches',
      () => [...sampledBatches(set, { iterations: 1, batch: 2 } as never)],
      /^sampledBatches: unknown option 'batch' in options\./,
    ],
    [
      'batchToTensors',
      () => batchToTensors(set, { layot: 'image' } as never),
      /^batchToTensors: unknown option 'layot' in options\. Valid options: 'layout'\.$/,
    ],
    ['barsAndStripes', () => barsAndStripes({ sizes: 4 } as never), /^barsAndStripes: unknown option 'sizes' in options\./],
  ])('%s refuses an unknown key', (_, call, message) => {
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(message);
  });
});
