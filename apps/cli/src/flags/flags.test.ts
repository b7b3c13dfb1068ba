import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../output';
import { sdae, snapshot } from '../test-cli';

// Each case is refused before anything is loaded or written: the run directory stays empty.
let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'sdae-flags-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

function expectUsageError(args: string[], message: RegExp): void {
  const result = sdae([...args, '--out', join(cwd, 'run')], { cwd });
  expect(result.err).toMatch(message);
  expect(result.code).toBe(EXIT.usage);
  expect(result.out).toBe('');
  expect(snapshot(cwd)).toEqual({});
}

describe('number flags', { timeout: 120_000 }, () => {
  it.each([
    [
      ['da', '--learning-rate', '0x10'],
      /option '--learning-rate <rate>' argument '0x10' is invalid\. Expected a number > 0, in decimal notation/,
    ],
    [['da', '--hidden', '0b101'], /option '--hidden <n>' argument '0b101' is invalid\. Expected a whole number >= 1, in decimal notation/],
    [
      ['da', '--seed', '0o7'],
      /option '--seed <n>' argument '0o7' is invalid\. Expected a whole number from 0 to 4294967295 .*, in decimal notation/,
    ],
    [['da', '--epochs', 'Infinity'], /option '--epochs <n>' argument 'Infinity' is invalid\. Expected a whole number >= 1\./],
  ])('refuses %j as a usage error', (args, message) => expectUsageError(args, message));

  it('still reads decimal notation with an exponent', () => {
    // 1e2 hidden units is read (the command then stops at the missing backend, after the flags).
    const result = sdae(['da', '--hidden', '1e2', '--learning-rate', '.5', '--backend', 'tensorflow', '--out', join(cwd, 'run')], { cwd });
    expect(result.err).toMatch(/^sdae: --backend tensorflow cannot start here/);
    expect(result.code).toBe(EXIT.failed);
  });
});

describe('sdae sweep', { timeout: 120_000 }, () => {
  it('refuses the same learning rate written three ways', () =>
    expectUsageError(
      ['sweep', '--learning-rates', '0.1,0.10,1e-1'],
      /argument '0\.1,0\.10,1e-1' is invalid\. 0\.1, 0\.10, 1e-1 are all the value 0\.1: list each value once\./,
    ));

  it('refuses a repeated hidden size', () =>
    expectUsageError(['sweep', '--hidden-sizes', '50,100,50'], /argument '50,100,50' is invalid\. 50, 50 are all the value 50/));

  it('refuses --hidden with --hidden-sizes, which would ignore it', () =>
    expectUsageError(['sweep', '--hidden-sizes', '10,20', '--hidden', '5'], /^sdae: --hidden does not apply with --hidden-sizes/));

  it('refuses --learning-rate in a learning-rate sweep', () =>
    expectUsageError(['sweep', '--learning-rate', '0.5'], /^sdae: --learning-rate does not apply to a learning-rate sweep/));
});

describe('flags that do not apply', { timeout: 120_000 }, () => {
  it('refuses --iterations with --preset lenet instead of training lenet for 5 epochs', () =>
    expectUsageError(
      ['cnn', '--preset', 'lenet', '--iterations', '10'],
      /^sdae: --iterations does not apply to --preset lenet, which trains whole epochs; drop --iterations and set --epochs instead\.$/m,
    ));

  it('refuses --iterations with --epochs', () =>
    expectUsageError(['cnn', '--epochs', '2', '--iterations', '10'], /^sdae: --iterations and --epochs contradict/));

  it.each(['--hidden', '--activation'])('refuses %s with mlp --logistic', (flagName) =>
    expectUsageError(
      ['mlp', '--logistic', flagName, flagName === '--hidden' ? '10' : 'relu'],
      new RegExp(`^sdae: ${flagName} does not apply to --logistic`),
    ),
  );
});
