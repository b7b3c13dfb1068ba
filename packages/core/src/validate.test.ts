import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors';
import { requireBoolean, requireKnownKeys, requireNumber, resolveChoice } from './validate';

describe('requireNumber', () => {
  it('accepts a number inside the interval and refuses NaN, infinities and the excluded end', () => {
    expect(requireNumber('f', 'level', 0.3, { min: 0, max: 1, excludeMax: true })).toBe(0.3);
    expect(() => requireNumber('f', 'level', 1, { min: 0, max: 1, excludeMax: true })).toThrow(
      'f: level must be a finite number in [0, 1); received 1.',
    );
    expect(() => requireNumber('f', 'learningRate', Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => requireNumber('f', 'learningRate', Number.POSITIVE_INFINITY)).toThrow(/received Infinity/);
  });
});

describe('resolveChoice', () => {
  it('lists every valid value when the received one is unknown', () => {
    expect(resolveChoice('f', 'activation', 'relu', ['sigmoid', 'relu'])).toBe('relu');
    expect(() => resolveChoice('f', 'activation', 'gelu', ['sigmoid', 'relu'])).toThrow(
      `f: activation must be one of 'sigmoid', 'relu'; received "gelu".`,
    );
  });
});

describe('requireBoolean', () => {
  it('accepts true and false only', () => {
    expect(requireBoolean('f', 'tiedWeights', false)).toBe(false);
    const error = (() => {
      try {
        requireBoolean('f', 'tiedWeights', 'yes');
      } catch (caught) {
        return caught as InvalidArgumentError;
      }
      return undefined;
    })();
    expect(error?.argument).toBe('tiedWeights');
    expect(error?.message).toBe('f: tiedWeights must be true or false; received "yes".');
  });
});

describe('requireKnownKeys', () => {
  const keys = { hiddenSizes: true, seed: true } as const;

  it('returns the options when every key is known, and undefined for no options', () => {
    const options = { hiddenSizes: [5], seed: 1 };
    expect(requireKnownKeys('Mlp', 'options', options, keys)).toBe(options);
    expect(requireKnownKeys('Mlp', 'options', undefined, keys)).toBeUndefined();
  });

  it('names the unknown key and lists the valid ones', () => {
    expect(() => requireKnownKeys('Mlp', 'options', { hidden: 100 }, keys)).toThrow(
      "Mlp: unknown option 'hidden' in options. Valid options: 'hiddenSizes', 'seed'.",
    );
  });

  it('names every unknown key and keeps the received object on the error', () => {
    const options = { hidden: 100, sed: 1, seed: 2 };
    try {
      requireKnownKeys('Mlp', 'options', options, keys);
      expect.unreachable();
    } catch (error) {
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      expect((error as InvalidArgumentError).argument).toBe('options');
      expect((error as InvalidArgumentError).value).toBe(options);
      expect((error as Error).message).toMatch(/^Mlp: unknown options 'hidden', 'sed' in options\./);
    }
  });

  it('refuses something that is not an options object', () => {
    expect(() => requireKnownKeys('Mlp', 'options', [1] as never, keys)).toThrow(
      'Mlp: options must be an object of options; received [1].',
    );
    expect(() => requireKnownKeys('Mlp', 'options', null as never, keys)).toThrow(InvalidArgumentError);
  });
});
