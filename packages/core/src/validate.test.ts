import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors';
import {
  environmentInteger,
  isNonDecimalNumber,
  parseDecimal,
  requireBoolean,
  requireKnownKeys,
  requireNumber,
  resolveChoice,
} from './validate';

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

describe('parseDecimal', () => {
  it('reads decimal notation with an optional sign, fraction and exponent, spaces around allowed', () => {
    expect(['20', '-1', '+3', '0.1', '.5', '5.', '1e-3', '2E+2', ' 16 '].map(parseDecimal)).toEqual([
      20, -1, 3, 0.1, 0.5, 5, 0.001, 200, 16,
    ]);
  });

  it('gives NaN for what Number() reads but no one means: hex, binary, octal, Infinity, an empty string, words', () => {
    for (const text of ['0x2', '0b1', '0o7', 'Infinity', '-Infinity', '', '  ', 'many', '1_000', '1,5', '2^53']) {
      expect(parseDecimal(text), text).toBeNaN();
    }
  });

  it('isNonDecimalNumber tells a number in another notation from a word', () => {
    expect(['0x2', '0b1', '0o7', 'Infinity'].map(isNonDecimalNumber)).toEqual([true, true, true, false]);
    expect(['many', '', '12'].map(isNonDecimalNumber)).toEqual([false, false, false]);
  });
});

describe('environmentInteger', () => {
  it('reads a decimal whole number within the bound, and nothing from an unset or empty variable', () => {
    expect(environmentInteger('f', 'N', ' 4 ', 8, 'why')).toBe(4);
    expect(environmentInteger('f', 'N', undefined, 8, 'why')).toBeUndefined();
    expect(environmentInteger('f', 'N', '', 8, 'why')).toBeUndefined();
  });

  it.each(['0x2', '0', '9', '2.5', 'two'])('refuses %j, naming the variable, the bound and its reason', (text) => {
    expect(() => environmentInteger('loadNativeEngine', 'SDAE_NATIVE_THREADS', text, 8, '4 per core')).toThrow(
      `loadNativeEngine: SDAE_NATIVE_THREADS must be a whole number from 1 to 8 in decimal notation (4 per core); it holds ${JSON.stringify(text)}. ` +
        'Set it to such a number, or unset it for the default.',
    );
  });
});
