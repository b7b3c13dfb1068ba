import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built command, run as a user runs it: a real process that gets a real SIGINT.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Finished {
  code: number | null;
  out: string;
  err: string;
  /** Milliseconds from the signal to the exit. */
  afterSignal?: number;
}

/** Runs `sdae ...args`; with `interruptOn`, sends SIGINT once stdout matches it (after `delayMs`). */
function sdae(args: string[], interruptOn?: RegExp, delayMs = 0): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let signalled: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (interruptOn !== undefined && signalled === undefined && interruptOn.test(out)) {
        signalled = Number.POSITIVE_INFINITY;
        setTimeout(() => {
          signalled = performance.now();
          child.kill('SIGINT');
        }, delayMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, out, err, afterSignal: signalled === undefined ? undefined : performance.now() - signalled }),
    );
  });
}

describe('sdae da and Ctrl-C (a real process)', () => {
  it('exits 130 within 2 s of SIGINT mid-epoch, and --resume ends with the weights of an uninterrupted run, bit for bit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sdae-sigint-'));
    try {
      const flags = ['da', '--split', 'mini', '--limit', '400', '--hidden', '16', '--batch-size', '1', '--epochs', '3'];
      const engine = ['--backend', 'cpu', '--engine', 'tfjs'];
      const whole = await sdae([...flags, ...engine, '--out', join(root, 'whole')]);
      expect(whole.code, whole.err).toBe(0);
      const interruptedOut = join(root, 'interrupted');
      // 200 ms after epoch 0's line: past its checkpoint's write (slow on a loaded disk), inside epoch 1 (~0.4 s).
      const stopped = await sdae([...flags, ...engine, '--out', interruptedOut], /^Training epoch 0,/m, 200);
      expect(stopped.code, stopped.err).toBe(130);
      expect(stopped.afterSignal).toBeLessThan(2000);
      const checkpoint = join(interruptedOut, 'checkpoint.sdae');
      // Stopped mid-epoch: after some minibatch of epoch 1 other than its last (399).
      const where = /^Interrupted after epoch 1, minibatch (\d+); the checkpoint (.*) holds that state\. Continue with:$/m.exec(
        stopped.out,
      );
      expect(where, stopped.out).not.toBeNull();
      expect(Number(where![1])).toBeLessThan(399);
      expect(where![2]).toBe(checkpoint);
      const command = /^ {2}sdae (.*)$/m.exec(stopped.out)![1]!.split(' ');
      expect(command).toEqual([...flags, ...engine, '--out', interruptedOut, '--resume', checkpoint]);
      const resumed = await sdae(command);
      expect(resumed.code, resumed.err).toBe(0);
      expect(resumed.out).not.toMatch(/^Training epoch 0,/m);
      expect(resumed.out).toMatch(/^Training epoch 2,/m);
      const weights = (out: string) => readFileSync(join(out, 'model', 'weights.bin'));
      expect(weights(interruptedOut).equals(weights(join(root, 'whole')))).toBe(true);
      const finalCost = (text: string) => /^Training epoch 2, cost .*$/m.exec(text)?.[0];
      expect(finalCost(resumed.out)).toBe(finalCost(whole.out));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});

// sweep runs each trial in its own process: its Ctrl-C test is in sweep.test.ts.
describe('sdae compare-noise and transfer and Ctrl-C (a real process)', () => {
  const tiny = ['--split', 'mini', '--limit', '400', '--batch-size', '1', '--epochs', '3', '--backend', 'cpu', '--engine', 'tfjs'];
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it.each<[string, string[], string, string, string[], string]>([
    // The command, its flags, its first two runs, the flags of `sdae da` that train its first run
    // alone, and how the report names the stopped run's filters.
    [
      'compare-noise',
      ['--hidden', '16'],
      'hidden 16, corruption 0',
      'hidden 16, corruption 0.3',
      ['--hidden', '16', '--corruption', '0'],
      '<img alt="filters, hidden 16, corruption 0.3 (interrupted after epoch',
    ],
    [
      'transfer',
      ['--hidden', '16'],
      'sigmoid source',
      'sigmoid from sigmoid x1',
      ['--hidden', '16'],
      'Filters: sigmoid from sigmoid x1 (interrupted after epoch',
    ],
  ])(
    '%s exits 130 within 2 s of SIGINT in its second run, and its report keeps the finished run as trained',
    async (command, flags, first, second, daFlags, stoppedFilters) => {
      const root = mkdtempSync(join(tmpdir(), 'sdae-sigint-runs-'));
      try {
        const alone = await sdae(['da', ...tiny, ...daFlags, '--out', join(root, 'alone')]);
        expect(alone.code, alone.err).toBe(0);
        const out = join(root, 'interrupted');
        // Signalled 100 ms after the second run's first epoch: it is then in its second (~0.4 s each, nothing written between).
        const stopped = await sdae(
          [command, ...flags, ...tiny, '--out', out],
          new RegExp(`^${escape(second)}: Training epoch 0,`, 'm'),
          100,
        );
        expect(stopped.code, stopped.err).toBe(130);
        expect(stopped.afterSignal).toBeLessThan(2000);
        expect(stopped.err).toContain(
          'Stopping after this minibatch to write the report of the runs so far; press Ctrl-C again to quit at once.',
        );
        const report = join(out, 'report.html');
        expect(stopped.out).toMatch(
          new RegExp(
            `^Interrupted run ${escape(second)} after epoch [12], minibatch \\d+; ${escape(report)} holds the finished run ${escape(first)} ` +
              "and that run's epochs so far\\. These runs keep no checkpoint: run the command again to train them afresh\\.$",
            'm',
          ),
        );
        expect(stopped.out).not.toMatch(new RegExp(`^${escape(second)}: Training epoch 2,`, 'm'));
        // The finished run on disk: the same costs as the dA trained alone, its filters and the report.
        const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as Record<string, { epoch: number; cost: number }[]>;
        expect(Object.keys(history)).toEqual([first, second]);
        const costs = (logs: { epoch: number; cost: number }[]) => logs.map(({ epoch, cost }) => [epoch, cost]);
        const trainedAlone = JSON.parse(readFileSync(join(root, 'alone', 'history.json'), 'utf8')) as { epoch: number; cost: number }[];
        expect(costs(history[first]!)).toEqual(costs(trainedAlone));
        expect(history[second]!.map((log) => log.epoch)).toEqual(history[second]!.length === 1 ? [0] : [0, 1]);
        const slug = (name: string) =>
          name
            .replace(/[^a-z0-9.]+/gi, '-')
            .replace(/^-|-$/g, '')
            .toLowerCase();
        for (const name of [first, second]) expect(existsSync(join(out, `filters-${slug(name)}.png`)), name).toBe(true);
        expect(readFileSync(report, 'utf8')).toContain(stoppedFilters);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
