import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SdaeError } from '@sdae/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from './output';
import { sdae, snapshot } from './test-cli';

// root writes anywhere, so the unwritable-directory case runs the command without root's
// capabilities (a run as nobody could not reach the command in a private checkout).
const unprivileged = { unprivileged: true };

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sdae-writable-'));
  writeFileSync(join(root, 'file'), 'keep me');
});
afterEach(() => {
  chmodSync(root, 0o755);
  rmSync(root, { recursive: true, force: true });
});

/** Runs `args`, expects exit 1 with one `sdae: ` line matching `message`, and that `root` is unchanged. */
function expectRefused(args: string[], message: RegExp, options: Parameters<typeof sdae>[1] = {}) {
  const before = snapshot(root);
  const result = sdae(args, options);
  expect(result.signal).toBeNull();
  expect(result.err).toMatch(message);
  expect(result.err.trim().split('\n')).toHaveLength(1);
  expect(result.err).toMatch(/^sdae: /);
  expect(result.code).toBe(EXIT.failed);
  // Refused before the backend and the data: nothing printed, nothing written.
  expect(result.out).toBe('');
  expect(snapshot(root)).toEqual(before);
}

describe('sdae checks --out and --checkpoint before it loads data', { timeout: 120_000 }, () => {
  it('refuses an --out under a file', () => {
    const out = join(root, 'file', 'run');
    expectRefused(
      ['da', '--out', out],
      new RegExp(`^sdae: --out directory ${out}: ${join(root, 'file')} is a file, not a directory\\. Pass --out`),
    );
  });

  it('refuses an existing file as --out', () => {
    const out = join(root, 'file');
    expectRefused(
      ['da', '--out', out],
      new RegExp(`^sdae: --out directory ${out}: it is a file, not a directory\\. Pass --out a directory`),
    );
  });

  it('refuses an --out inside a directory it cannot write', () => {
    const locked = join(root, 'locked');
    mkdirSync(locked);
    chmodSync(root, 0o777);
    chmodSync(locked, 0o555);
    const out = join(locked, 'run');
    expectRefused(
      ['da', '--out', out],
      new RegExp(
        `^sdae: --out directory ${out}: cannot mkdir ${out}: permission denied \\(EACCES\\)\\. Pass --out a directory you can write`,
      ),
      unprivileged,
    );
  });

  it('refuses a directory as --checkpoint and removes the --out it had made', () => {
    const out = join(root, 'run');
    expectRefused(
      ['mlp', '--out', out, '--checkpoint', root],
      new RegExp(
        `^sdae: --checkpoint file ${root}: it is a directory, not a file\\. Pass --checkpoint a file path, such as ${join(root, 'checkpoint.sdae')}`,
      ),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a --checkpoint under a file', () => {
    const checkpoint = join(root, 'file', 'checkpoint.sdae');
    expectRefused(['cnn', '--out', join(root, 'run'), '--checkpoint', checkpoint], new RegExp(`^sdae: --checkpoint file ${checkpoint}: `));
  });

  it('refuses an --out under /proc at once instead of hanging', () => {
    expectRefused(
      ['da', '--out', '/proc/sdae-out'],
      /^sdae: --out directory \/proc\/sdae-out: cannot mkdir \/proc\/sdae-out: no such file or directory \(ENOENT\)\./,
    );
  });

  it('refuses a /proc file as --checkpoint', () => {
    expectRefused(
      ['sda', '--out', join(root, 'run'), '--checkpoint', '/proc/version'],
      /^sdae: --checkpoint file \/proc\/version: cannot /,
    );
  });

  it.each(['da', 'sda', 'cnn', 'mlp', 'compare-noise', 'transfer', 'sweep'])('checks --out in sdae %s', (command) => {
    expectRefused([command, '--out', join(root, 'file')], /^sdae: --out directory .*: it is a file, not a directory\./);
  });

  it('prints the stack trace only with SDAE_DEBUG=1', () => {
    const result = sdae(['da', '--out', join(root, 'file')], { env: { SDAE_DEBUG: '1' } });
    expect(result.code).toBe(EXIT.failed);
    expect(result.err).toMatch(/^sdae: --out directory /);
    expect(result.err).toMatch(/\n\s+at /);
  });

  it('leaves nothing behind when the check passes and the run stops before writing', () => {
    // tfjs-node is not installed here: the backend fails after the check passed, before any data is loaded.
    const before = snapshot(root);
    const result = sdae(['da', '--out', join(root, 'run', 'deeper'), '--backend', 'tensorflow']);
    expect(result.err).toMatch(/^sdae: --backend tensorflow cannot start here/);
    expect(result.code).toBe(EXIT.failed);
    expect(snapshot(root)).toEqual(before);
  });
});

describe('exitCodeFor', () => {
  const capture = () => {
    let err = '';
    return { output: { out: () => undefined, err: (text: string) => void (err += text) }, text: () => err };
  };

  it('turns a file system error during a run into one line with exit 1', () => {
    const error = Object.assign(new Error("ENOSPC: no space left on device, write '/runs/da/model/weights.bin'"), {
      code: 'ENOSPC',
      syscall: 'write',
      path: '/runs/da/model/weights.bin',
    });
    const { output, text } = capture();
    expect(exitCodeFor(error, output)).toBe(EXIT.failed);
    expect(text()).toBe(
      'sdae: cannot write /runs/da/model/weights.bin: no space left on the device (ENOSPC). Check the path, its permissions and the free space, or choose another path\n',
    );
  });

  it('reports a bug in one line without its stack', () => {
    const { output, text } = capture();
    expect(exitCodeFor(new TypeError('x is undefined'), output)).toBe(EXIT.failed);
    expect(text()).toBe(
      'sdae: internal error: x is undefined. This is a bug in sdae; run again with SDAE_DEBUG=1 for the stack trace and report it.\n',
    );
  });

  it('prints an sdae error as it is', () => {
    const { output, text } = capture();
    expect(exitCodeFor(new SdaeError('loadMnist: no files.'), output)).toBe(EXIT.failed);
    expect(text()).toBe('sdae: loadMnist: no files.\n');
  });
});
