import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, SdaeError, assert } from './errors';
import type * as ErrorsModule from './errors';

/** A second, separately evaluated copy of this module, as two installed versions would give. */
async function secondCopy(): Promise<typeof ErrorsModule> {
  const specifier = './errors.ts?second-copy';
  return (await import(/* @vite-ignore */ specifier)) as typeof ErrorsModule;
}

describe('SdaeError.isInstance', () => {
  it('recognises errors made by this copy and by its subclasses', () => {
    expect(SdaeError.isInstance(new SdaeError('f: failed.'))).toBe(true);
    expect(SdaeError.isInstance(new InvalidArgumentError('size', 0, 'f: size must be >= 1.'))).toBe(true);
  });

  it('recognises an error from a second copy of the module, where instanceof fails', async () => {
    const other = await secondCopy();
    expect(other.SdaeError).not.toBe(SdaeError);
    const error = new other.InvalidArgumentError('size', 0, 'f: size must be >= 1.');
    expect(error instanceof SdaeError).toBe(false);
    expect(SdaeError.isInstance(error)).toBe(true);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
  });

  it('recognises any object carrying the marker', () => {
    expect(SdaeError.isInstance({ [Symbol.for('sdae.error')]: true, message: 'from elsewhere' })).toBe(true);
  });

  it('refuses plain errors, other values and a marker that is not true', () => {
    for (const value of [new Error('f: failed.'), new RangeError('bad'), 'sdae.error', 42, null, undefined, {}]) {
      expect(SdaeError.isInstance(value)).toBe(false);
    }
    expect(SdaeError.isInstance({ [Symbol.for('sdae.error')]: 'yes' })).toBe(false);
  });
});

describe('InvalidArgumentError.isInstance', () => {
  it('recognises only invalid-argument errors, not other sdae errors', () => {
    expect(InvalidArgumentError.isInstance(new InvalidArgumentError('size', 0, 'f: size must be >= 1.'))).toBe(true);
    expect(InvalidArgumentError.isInstance(new SdaeError('f: failed.'))).toBe(false);
    expect(InvalidArgumentError.isInstance(new Error('f: failed.'))).toBe(false);
    expect(InvalidArgumentError.isInstance({ [Symbol.for('sdae.error.InvalidArgumentError')]: true })).toBe(true);
  });
});

describe('InvalidArgumentError', () => {
  it('keeps the argument, the received value, the message and its class name', () => {
    const error = new InvalidArgumentError('batchSize', 0, 'epochBatches: batchSize must be a whole number >= 1; received 0.');
    expect(error).toBeInstanceOf(SdaeError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidArgumentError');
    expect(error.argument).toBe('batchSize');
    expect(error.value).toBe(0);
    expect(error.message).toBe('epochBatches: batchSize must be a whole number >= 1; received 0.');
  });
});

describe('assert', () => {
  it('throws the error it is given only when the condition is false', () => {
    let made = 0;
    const makeError = () => {
      made += 1;
      return new SdaeError('f: failed.');
    };
    assert(true, makeError);
    expect(made).toBe(0);
    expect(() => assert(false, makeError)).toThrow('f: failed.');
    expect(made).toBe(1);
  });
});
