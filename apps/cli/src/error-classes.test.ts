import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as backend from '@sdae/backend';
import * as core from '@sdae/core';
import * as datasets from '@sdae/datasets';
import * as layers from '@sdae/layers';
import * as train from '@sdae/train';
import { MissingDependencyError } from './optional-dependency';
import { RunInterrupted } from './output';
import type { QueueJobRefusedError, SweepLostError } from './sweep/job';
import type { RedisUnavailableError } from './sweep/redis-connection';
import { FileAccessError } from './writable';

type ErrorClass = (new (...args: never[]) => core.SdaeError) & { isInstance(value: unknown): boolean; name: string };

/** One instance of each error class, by name: a new exported class without a maker fails the test below. */
const MAKERS: Record<string, (errorClass: ErrorClass) => core.SdaeError> = {
  SdaeError: (C) => new (C as unknown as typeof core.SdaeError)('f: failed.'),
  InvalidArgumentError: (C) => new (C as unknown as typeof core.InvalidArgumentError)('size', 0, 'f: size must be >= 1.'),
  BackendUnavailableError: (C) => new (C as unknown as typeof backend.BackendUnavailableError)('webgpu', 'no adapter', 'f: no adapter.'),
  DeviceUnavailableError: (C) =>
    new (C as unknown as typeof backend.DeviceUnavailableError)('cuda', 'no CUDA', 'install CUDA 12', 'f: cuda cannot start.'),
  SynchronousReadError: (C) => new (C as unknown as typeof backend.SynchronousReadError)('SwiftShader'),
  UnsupportedKernelError: (C) => new (C as unknown as typeof backend.UnsupportedKernelError)('Conv2D', 'dataFormat NCHW'),
  DatasetFormatError: (C) =>
    new (C as unknown as typeof datasets.DatasetFormatError)({ file: 'f', field: 'magic', expected: '2051', found: '0' }, 'f: bad magic.'),
  ModelFormatError: (C) =>
    new (C as unknown as typeof layers.ModelFormatError)({ file: 'f', field: 'config', expected: 'json', found: 'text' }, 'f: bad.'),
  DivergenceError: (C) => new (C as unknown as typeof train.DivergenceError)('f', 0, 1, Number.NaN, 0.1),
  DynamicBatchError: (C) => new (C as unknown as typeof backend.DynamicBatchError)('da', 'shape'),
  MissingDependencyError: (C) => new (C as unknown as typeof MissingDependencyError)('bullmq', 'sdae worker', 'is not installed'),
  QueueJobRefusedError: (C) => new (C as unknown as typeof QueueJobRefusedError)('0123456789ab', 'refused.'),
  SweepLostError: (C) => new (C as unknown as typeof SweepLostError)('0123456789ab', 'gone.'),
  RedisUnavailableError: (C) => new (C as unknown as typeof RedisUnavailableError)('redis://h:1', 'down.'),
  RunInterrupted: (C) => new (C as unknown as typeof RunInterrupted)(undefined),
  FileAccessError: (C) =>
    new (C as unknown as typeof FileAccessError)({ what: 'output', path: '/x', reason: 'denied', fix: 'fix it', code: 'EACCES' }),
};

/** The names of a class and of each class above it, up to Error. */
function ancestry(errorClass: ErrorClass): string[] {
  const names: string[] = [];
  for (let current: unknown = errorClass; typeof current === 'function' && current !== Error; current = Object.getPrototypeOf(current)) {
    names.push((current as ErrorClass).name);
  }
  return names;
}

/** Every class a module exports that derives from `base` (and `base` itself). */
function errorClassesOf(modules: readonly object[], base: ErrorClass): ErrorClass[] {
  const found = new Set<ErrorClass>();
  for (const module of modules) {
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && (value === base || Object.prototype.isPrototypeOf.call(base.prototype, value.prototype))) {
        found.add(value as ErrorClass);
      }
    }
  }
  return [...found];
}

/** The CLI's own classes, in one copy (the CLI is an application, not a library). */
const CLI_ONLY = [
  'RunInterrupted',
  'FileAccessError',
  'MissingDependencyError',
  'QueueJobRefusedError',
  'SweepLostError',
  'RedisUnavailableError',
];

// The CommonJS builds are a second, separately loaded copy of every package (with its own
// @sdae/core), as two installed versions or a dual ESM/CJS load would give.
const require = createRequire(import.meta.url);
const secondCopy = ['@sdae/core', '@sdae/backend', '@sdae/datasets', '@sdae/layers', '@sdae/train'].map(
  (name) => require(name) as Record<string, unknown>,
);
const first = [
  ...errorClassesOf([core, backend, datasets, layers, train], core.SdaeError as ErrorClass),
  RunInterrupted,
  FileAccessError,
  MissingDependencyError,
];
const second = errorClassesOf(secondCopy, secondCopy[0]!['SdaeError'] as ErrorClass);

describe('every error class', () => {
  it('is found in both copies and has a maker here', () => {
    expect(first.length).toBeGreaterThanOrEqual(9);
    expect(second.map((C) => C.name).sort()).toEqual(
      first
        .map((C) => C.name)
        .filter((name) => !CLI_ONLY.includes(name))
        .sort(),
    );
    expect(second.every((C) => !first.includes(C))).toBe(true);
    for (const C of first) expect(Object.keys(MAKERS), C.name).toContain(C.name);
  });

  it("accepts its own instances and its subclasses' from either copy, and refuses every other class's", () => {
    for (const C of [...first, ...second]) expect(MAKERS[C.name], C.name).toBeTypeOf('function');
    const instances = [...first, ...second].map((C) => ({ C, error: MAKERS[C.name]!(C) }));
    for (const checker of [...first, ...second]) {
      for (const { C, error } of instances) {
        const expected = ancestry(C).includes(checker.name);
        expect(checker.isInstance(error), `${checker.name}.isInstance(new ${C.name})`).toBe(expected);
      }
      for (const value of [new Error('x'), new TypeError('x'), null, undefined, 'SdaeError', {}])
        expect(checker.isInstance(value)).toBe(false);
    }
  });

  it('accepts instances of its subclasses, made anywhere', () => {
    class Narrower extends (layers.ModelFormatError as typeof layers.ModelFormatError) {}
    const error = new Narrower({ file: 'f', field: 'x', expected: 'y', found: 'z' }, 'f: bad.');
    const otherModelFormatError = second.find((C) => C.name === 'ModelFormatError')!;
    expect(layers.ModelFormatError.isInstance(error)).toBe(true);
    expect(otherModelFormatError.isInstance(error)).toBe(true);
    expect(core.SdaeError.isInstance(error)).toBe(true);
    expect(Narrower.isInstance(error)).toBe(true);
    expect(Narrower.isInstance(new layers.ModelFormatError({ file: 'f', field: 'x', expected: 'y', found: 'z' }, 'f: bad.'))).toBe(false);
    expect(error.name).toBe('Narrower');
  });

  it('keeps markers out of enumeration, so errors print and serialise as before', () => {
    const error = new core.InvalidArgumentError('size', 0, 'f: size must be >= 1.');
    expect(Object.getOwnPropertySymbols(error).length).toBe(2);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ name: 'InvalidArgumentError', argument: 'size', value: 0 });
  });
});
