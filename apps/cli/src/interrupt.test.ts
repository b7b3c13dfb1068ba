import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TrialProgress } from './sweep/trial-process';

// The built command, run as a user runs it: a real process that gets a real SIGINT.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Finished {
  code: number | null;
  out: string;
  err: string;
  /** The progress message SIGINT was sent on. */
  signalledOn?: TrialProgress;
}

/**
 * Runs `sdae ...args`; with `interruptWhen`, reads the progress messages the run sends on fd 3
 * (as a sweep's trial does, SDAE_PROGRESS_FD) and sends SIGINT at the first one it accepts: the
 * signal comes at a point the run has reached, however fast or loaded the machine is.
 */
function sdae(args: string[], interruptWhen?: (message: TrialProgress) => boolean): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', interruptWhen === undefined ? 'ignore' : 'pipe'],
      env: { ...process.env, SDAE_PROGRESS_FD: interruptWhen === undefined ? '' : '3' },
    });
    let out = '';
    let err = '';
    let signalledOn: TrialProgress | undefined;
    if (interruptWhen !== undefined) {
      createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
        const message = JSON.parse(line) as TrialProgress;
        if (signalledOn !== undefined || !interruptWhen(message)) return;
        signalledOn = message;
        child.kill('SIGINT');
      });
    }
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err, signalledOn }));
  });
}

/** A minibatch of epoch 1 or later, not an epoch's last: the run is mid-epoch, past the first epoch's end (and its checkpoint). */
const midEpoch = (message: TrialProgress) =>
  message.type === 'batch' && message.snapshot.epoch >= 1 && message.snapshot.done < message.snapshot.total;

/**
 * Mid-epoch past the first epoch or, where the messages (two a second) missed that on a fast
 * machine, the end of epoch 1 (of the run whose epoch lines start with `prefix`): either way the
 * run stops in epoch 1 or 2 of 3.
 */
const pastTheFirstEpoch = (prefix: string) => (message: TrialProgress) =>
  midEpoch(message) || (message.type === 'epoch' && message.line.startsWith(`${prefix}Training epoch 1,`));

describe('sdae da and Ctrl-C (a real process)', () => {
  it('exits 130 on SIGINT mid-epoch, and --resume ends with the weights of an uninterrupted run, bit for bit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sdae-sigint-'));
    try {
      const flags = ['da', '--split', 'mini', '--limit', '400', '--hidden', '16', '--batch-size', '1', '--epochs', '3'];
      const engine = ['--backend', 'cpu', '--engine', 'tfjs'];
      const whole = await sdae([...flags, ...engine, '--out', join(root, 'whole')]);
      expect(whole.code, whole.err).toBe(0);
      const interruptedOut = join(root, 'interrupted');
      const stopped = await sdae([...flags, ...engine, '--out', interruptedOut], pastTheFirstEpoch(''));
      expect(stopped.code, stopped.err).toBe(130);
      const checkpoint = join(interruptedOut, 'checkpoint.sdae');
      // Stopped in epoch 1 or 2, at the first minibatch boundary after the signal arrived: never before
      // the minibatch the signalled message reported, mid-epoch as a rule, at the epoch's end (399)
      // where its last minibatches (a tenth of a millisecond each) ran before the signal came.
      const where = /^Interrupted after epoch ([12]), minibatch (\d+); the checkpoint (.*) holds that state\. Continue with:$/m.exec(
        stopped.out,
      );
      expect(where, stopped.out).not.toBeNull();
      if (stopped.signalledOn?.type === 'batch') {
        const { epoch, done, total } = stopped.signalledOn.snapshot;
        expect(Number(where![1]) * total + Number(where![2])).toBeGreaterThanOrEqual(epoch * total + done - 1);
      }
      expect(where![3]).toBe(checkpoint);
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
  }, 180_000);
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
    '%s exits 130 on SIGINT in its second run, and its report keeps the finished run as trained',
    async (command, flags, first, second, daFlags, stoppedFilters) => {
      const root = mkdtempSync(join(tmpdir(), 'sdae-sigint-runs-'));
      try {
        const alone = await sdae(['da', ...tiny, ...daFlags, '--out', join(root, 'alone')]);
        expect(alone.code, alone.err).toBe(0);
        const out = join(root, 'interrupted');
        // Signalled in the second run, past its first epoch (its epoch lines come on the same pipe as the minibatches, in order).
        let secondRunning = false;
        const stopped = await sdae([command, ...flags, ...tiny, '--out', out], (message) => {
          if (message.type === 'epoch' && message.line.startsWith(`${second}: Training epoch 0,`)) secondRunning = true;
          return secondRunning && pastTheFirstEpoch(`${second}: `)(message);
        });
        expect(stopped.code, stopped.err).toBe(130);
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
    180_000,
  );
});
