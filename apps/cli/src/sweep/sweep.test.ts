import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, run } from '../cli';
import { register as registerDa } from '../commands/da';
import { MAX_TRIALS, cartesianProduct, parseGridAxis, planSweep, trialId } from './plan';
import { historyCurves, type TrialRow } from './summary';
import { sdae, startSdae, runCaptured } from '../test-cli';

/** Tiny dA trials: a second or two each. */
const TINY = ['--split', 'mini', '--limit', '50', '--epochs', '2', '--batch-size', '10', '--backend', 'cpu', '--engine', 'tfjs'];

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sdae-sweep-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `sdae da` as a sweep sees it: a program holding only that command. */
function daCommand(): Command {
  const program = new Command('sdae').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerDa(program, { out: () => {}, err: () => {} });
  return program.commands[0]!;
}

function readSweep(out: string): { id: string; trials: TrialRow[] } {
  return JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
}

describe('parseGridAxis and cartesianProduct', () => {
  it('reads NAME=V1,V2 with or without the dashes', () => {
    expect(parseGridAxis('learning-rate=0.05, 0.1')).toEqual({ name: 'learning-rate', values: ['0.05', '0.1'] });
    expect(parseGridAxis('--hidden=8')).toEqual({ name: 'hidden', values: ['8'] });
  });

  it.each(['learning-rate', 'learning-rate=', 'learning-rate=0.1,,0.2', '=1,2'])('refuses %j, naming the form expected', (text) => {
    expect(() => parseGridAxis(text)).toThrow(`--grid ${text}: expected NAME=V1,V2,...`);
  });

  it('lists every combination, the last axis fastest', () => {
    expect(
      cartesianProduct([
        { name: 'a', values: ['1', '2'] },
        { name: 'b', values: ['x', 'y', 'z'] },
      ]),
    ).toEqual([
      { a: '1', b: 'x' },
      { a: '1', b: 'y' },
      { a: '1', b: 'z' },
      { a: '2', b: 'x' },
      { a: '2', b: 'y' },
      { a: '2', b: 'z' },
    ]);
    expect(cartesianProduct([])).toEqual([{}]);
  });
});

describe('trialId', () => {
  it('is the first 12 hex digits of the SHA-256 of the command and its flags, keys sorted, output flags left out', () => {
    const expected = createHash('sha256')
      .update(JSON.stringify(['sdae', 'da', { hidden: 8, learningRate: 0.1 }]))
      .digest('hex')
      .slice(0, 12);
    expect(trialId('da', { learningRate: 0.1, hidden: 8, out: 'runs/a', json: true, threads: 2, limit: undefined })).toBe(expected);
    expect(trialId('da', { hidden: 8, learningRate: 0.1 })).toBe(expected);
    expect(trialId('da', { hidden: 8, learningRate: 0.2 })).not.toBe(expected);
    expect(trialId('sda', { hidden: 8, learningRate: 0.1 })).not.toBe(expected);
  });
});

describe('planSweep', () => {
  it("resolves each trial with the command's parser: defaults included, the same trial however the flags are spelled or ordered", async () => {
    const plan = await planSweep(daCommand(), [{ name: 'learning-rate', values: ['0.1', '0.2'] }], ['--hidden', '8']);
    expect(plan.trials.map((trial) => trial.argv)).toEqual([
      ['--hidden', '8', '--learning-rate', '0.1'],
      ['--hidden', '8', '--learning-rate', '0.2'],
    ]);
    expect(plan.trials[0]!.flags).toMatchObject({ hidden: 8, learningRate: 0.1, corruption: 0.3, epochs: 15, batchSize: 20, seed: 0 });
    expect(plan.trials[0]!.flags).not.toHaveProperty('out');
    const respelled = await planSweep(daCommand(), [{ name: 'learning-rate', values: ['2e-1', '1e-1'] }], ['--hidden=8']);
    expect(respelled.trials.map((trial) => trial.id)).toEqual([plan.trials[1]!.id, plan.trials[0]!.id]);
    expect(respelled.id).toBe(plan.id);
  });

  it('refuses two values that are the same trial', async () => {
    await expect(planSweep(daCommand(), [{ name: 'learning-rate', values: ['0.1', '0.10'] }], [])).rejects.toThrow(
      '--grid: learning-rate=0.1 and learning-rate=0.10 are the same trial of sdae da; list each value once.',
    );
  });

  it('refuses a flag the command does not have, listing those it has', async () => {
    await expect(planSweep(daCommand(), [{ name: 'lerning-rate', values: ['0.1'] }], [])).rejects.toThrow(
      /^--grid lerning-rate: sdae da has no flag --lerning-rate\. Its flags: --activation, --hidden, --corruption, --learning-rate, /,
    );
  });

  it('refuses a flag given both as an axis and fixed, and the flags a sweep sets itself', async () => {
    await expect(planSweep(daCommand(), [{ name: 'hidden', values: ['4', '8'] }], ['--hidden', '5'])).rejects.toThrow(
      '--hidden is both a --grid axis and a fixed flag of the sweep; drop one of them.',
    );
    await expect(planSweep(daCommand(), [{ name: 'out', values: ['a', 'b'] }], [])).rejects.toThrow(
      '--grid out: a sweep sets --out itself',
    );
    await expect(planSweep(daCommand(), [], ['--resume', 'x.sdae'])).rejects.toThrow('--resume does not apply to a sweep');
  });
});

describe('historyCurves', () => {
  it("takes a list's last stage and layer, and prefixes each run's curves by its name", () => {
    const pretrain = { stage: 'pretrain', layer: 0, epoch: 0, iterations: 5, cost: 70, seconds: 1 };
    const finetune = (epoch: number, cost: number, validationError: number) => ({
      stage: 'finetune',
      epoch,
      iterations: 5,
      cost,
      validationError,
      seconds: 1,
    });
    expect(historyCurves([pretrain, finetune(0, 2, 0.5), finetune(1, 1, 0.25)])).toEqual({
      cost: [
        [0, 2],
        [1, 1],
      ],
      validationError: [
        [0, 0.5],
        [1, 0.25],
      ],
    });
    expect(historyCurves({ 'corruption 0': [{ stage: 'train', epoch: 0, cost: 3 }] })).toEqual({ 'corruption 0: cost': [[0, 3]] });
  });
});

describe('sdae sweep: bad input, refused before anything runs', () => {
  it.each([
    [['da', '--grid', 'learning-rate=0.1,-1'], /option '--learning-rate <rate>' argument '-1' is invalid\. Expected a number > 0\./],
    [['da', '--grid', 'hidden=4,8', '--epochs', 'zero'], /option '--epochs <n>' argument 'zero' is invalid/],
    [['da', '--grid', 'hidden=4', '--bogus', '1'], /unknown option '--bogus'/],
    [['mlp', '--grid', 'hidden=4,8', '--logistic'], /sdae: --hidden does not apply to --logistic/],
    [['data', '--grid', 'split=mini'], /error: sdae sweep data: expected one of da, sda, cnn, mlp, transfer, compare-noise\./],
    [['--epochs', '2', 'da', '--grid', 'hidden=4'], /sdae: --epochs before da: flags of the swept command come after it/],
  ])('%j exits 2 with the message of the command and writes nothing', async (argv, message) => {
    const out = join(root, 'refused');
    const result = await runCaptured(['sweep', ...argv, '--out', out]);
    expect(result.err).toMatch(message);
    expect(result.code).toBe(EXIT.usage);
    expect(result.out).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});

describe('sdae sweep: the size of the grid', () => {
  it('refuses five axes of 40 values (102,400,000 trials) before expanding them: exit 2, the count, nothing written', () => {
    const out = join(root, 'huge');
    const values = (scale: number) => Array.from({ length: 40 }, (_, index) => String((index + 1) * scale)).join(',');
    const axes = ['hidden', 'batch-size', 'epochs', 'seed', 'limit'].flatMap((name) => ['--grid', `${name}=${values(1)}`]);
    // The built command, a process of its own: expanding this grid would abort V8 (exit 134), not exit 2.
    const result = sdae(['sweep', 'da', ...axes, '--split', 'mini', '--out', out]);
    expect(result.err).toBe(
      'sdae: --grid: 40 x 40 x 40 x 40 x 40 = 102400000 trials, more than a sweep may have (10000). Drop values or axes, or split the grid into several sweeps.\n',
    );
    expect(result.code).toBe(EXIT.usage);
    expect(result.out).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('counts the trials before planning them: 101 x 100 is refused at once', async () => {
    const axis = (name: string, count: number) => ({ name, values: Array.from({ length: count }, (_, index) => String(index + 1)) });
    await expect(planSweep(daCommand(), [axis('hidden', 101), axis('seed', 100)], [])).rejects.toThrow(
      '--grid: 101 x 100 = 10100 trials, more than a sweep may have (10000).',
    );
    expect(MAX_TRIALS).toBe(10_000);
  });
});

describe('sdae sweep on local workers (real processes)', { timeout: 120_000 }, () => {
  it('runs a 2x2 grid on 2 workers, every trial once, and writes sweep.json and report.html; a rerun runs nothing', () => {
    const out = join(root, 'grid');
    const argv = ['sweep', 'da', '--grid', 'learning-rate=0.05,0.2', '--grid', 'hidden=4,8', ...TINY, '--workers', '2', '--out', out];
    const first = sdae(argv);
    expect(first.code, first.err).toBe(EXIT.ok);
    const sweep = readSweep(out);
    expect(sweep.trials.map((row) => [row.grid, row.status])).toEqual([
      [{ 'learning-rate': '0.05', hidden: '4' }, 'done'],
      [{ 'learning-rate': '0.05', hidden: '8' }, 'done'],
      [{ 'learning-rate': '0.2', hidden: '4' }, 'done'],
      [{ 'learning-rate': '0.2', hidden: '8' }, 'done'],
    ]);
    expect(readdirSync(join(out, 'trials')).sort()).toEqual(sweep.trials.map((row) => row.id).sort());
    expect(new Set(sweep.trials.map((row) => row.worker))).toEqual(new Set(['local 1', 'local 2']));
    for (const row of sweep.trials) {
      const directory = join(out, 'trials', row.id);
      expect(row.id).toBe(trialId('da', row.flags));
      expect(row.flags).toMatchObject({
        learningRate: Number(row.grid['learning-rate']),
        hidden: Number(row.grid['hidden']),
        epochs: 2,
        limit: 50,
      });
      // Each trial ran once: its command printed each epoch once.
      expect(readFileSync(join(directory, 'output.txt'), 'utf8').match(/^Training epoch 1, cost/gm)).toHaveLength(1);
      const history = JSON.parse(readFileSync(join(directory, 'history.json'), 'utf8'));
      expect(row.metrics).toEqual({ cost: history[1].cost });
      expect(row.seconds).toBeGreaterThan(0);
    }
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report.match(/<polyline/g)).toHaveLength(4);
    expect(report).toMatch(/<tspan x="[\d.]+" y="[\d.]+">0\.05 \/ 4<\/tspan>/);
    expect(report).toContain('<figcaption>lines: learning-rate / hidden</figcaption>');
    for (const row of sweep.trials) expect(report).toContain(`<a href="trials/${row.id}/report.html">${row.id}</a>`);
    expect(first.out).toContain(`sweep ${sweep.id}: 4 trials of sdae da; 2 at a time, 1 thread each`);
    // Not a terminal: a line per finished epoch of each trial, as the trial logs it.
    for (const row of sweep.trials) {
      const name = `trial ${row.id} (learning-rate=${row.grid['learning-rate']} hidden=${row.grid['hidden']})`;
      expect(first.out).toContain(`\n${name} [1/2]: Training epoch 0, cost `);
      expect(first.out).toContain(`\n${name} [2/2]: Training epoch 1, cost `);
    }

    const modified = statSync(join(out, 'trials', sweep.trials[0]!.id, 'history.json')).mtimeMs;
    const again = sdae(argv);
    expect(again.code, again.err).toBe(EXIT.ok);
    expect(again.out).toContain(`sweep ${sweep.id}: 4 trials of sdae da, 4 done before; nothing to run`);
    expect(statSync(join(out, 'trials', sweep.trials[0]!.id, 'history.json')).mtimeMs).toBe(modified);
    expect(readSweep(out).trials).toEqual(sweep.trials);
  });

  it('records a failing trial with its error, runs the others and exits 1', () => {
    const out = join(root, 'failing');
    const result = sdae(['sweep', 'da', '--grid', 'batch-size=10,100', ...TINY.filter((_, index) => index < 6 || index > 7), '--out', out]);
    expect(result.code).toBe(EXIT.failed);
    const [good, bad] = readSweep(out).trials;
    expect(good!.status).toBe('done');
    expect(bad!.status).toBe('failed');
    expect(bad!.error).toMatch(/^sdae: --batch-size 100 is larger than the 50 training images .* \(exit code 2\)$/);
    expect(result.err).toContain(`sdae: 1 of 2 trials failed: ${bad!.id}: sdae: --batch-size 100 is larger`);
  });

  it("shows each running trial's epoch, share done and loss in a status line on a terminal, cleared before the sweep's lines", async () => {
    const out = join(root, 'terminal');
    let printed = '';
    const code = await run(['sweep', 'da', '--grid', 'hidden=4', ...TINY, '--out', out], {
      out: (text) => (printed += text),
      err: () => {},
      isTTY: true,
      columns: 120,
    });
    expect(code).toBe(EXIT.ok);
    const [row] = readSweep(out).trials;
    // The first minibatch's report draws the line; each status is a redraw of the same line.
    const redraws = printed.split('\r\u001b[K');
    // ETA ? until a few steps are timed (a tiny trial may never get there).
    expect(redraws.some((status) => /^hidden=4: epoch 1\/2 \d+% loss [\d.]+ ETA (\d+ s|\?)$/.test(status))).toBe(true);
    expect(printed).toContain(`\r\u001b[Ktrial ${row!.id} (hidden=4): done in `);
    // No epoch lines on a terminal: the status line says where each trial is.
    expect(printed).not.toContain('[1/2]: Training epoch 0');
  });

  it('keeps the shorthand --learning-rates as a grid of da', () => {
    const out = join(root, 'shorthand');
    const result = sdae(['sweep', '--learning-rates', '0.05,0.2', '--hidden', '4', ...TINY, '--out', out]);
    expect(result.code, result.err).toBe(EXIT.ok);
    const rows = readSweep(out).trials;
    expect(rows.map((row) => [row.grid, row.flags['hidden'], row.flags['epochs'], row.status])).toEqual([
      [{ 'learning-rate': '0.05' }, 4, 2, 'done'],
      [{ 'learning-rate': '0.2' }, 4, 2, 'done'],
    ]);
  });

  it('stops on Ctrl-C with exit 130: the running trial stops, the finished one stays recorded, the rest are not started', async () => {
    const out = join(root, 'interrupted');
    // The first trial is quick, the second long enough to be stopped mid-run.
    const sweep = startSdae([
      'sweep',
      'da',
      '--grid',
      'epochs=1,200',
      '--grid',
      'seed=1',
      ...TINY.slice(0, 4),
      '--batch-size',
      '10',
      '--backend',
      'cpu',
      '--engine',
      'tfjs',
      '--workers',
      '1',
      '--out',
      out,
    ]);
    await sweep.printed(/: done in /);
    await sweep.printed(/epochs=200 seed=1\): running on local 1/);
    sweep.child.kill('SIGINT');
    const stopped = await sweep.exited;
    expect(stopped.code, stopped.err).toBe(EXIT.interrupted);
    expect(readSweep(out).trials.map((row) => [row.grid['epochs'], row.status])).toEqual([
      ['1', 'done'],
      ['200', 'interrupted'],
    ]);
    expect(stopped.out).toMatch(/^Interrupted: 1 of 2 trials done and recorded in /m);
  });
});
