import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors';
import { requireBoolean, requireNumber, resolveChoice } from './validate';

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
