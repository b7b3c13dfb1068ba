import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@sdae/layers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, run } from './cli';
import { snapshot } from './test-cli';

// The optimiser flags every training command shares (--optimizer, --momentum, --weight-decay,
// --lr-schedule) and the classifiers' --dropout.
let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'sdae-optimizer-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

async function sdae(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

async function expectUsageError(args: string[], message: RegExp): Promise<void> {
  const result = await sdae([...args, '--out', join(cwd, 'run')]);
  expect(result.err).toMatch(message);
  expect(result.code).toBe(EXIT.usage);
  expect(snapshot(cwd)).toEqual({});
}

/** The learning rates of a --json run's epoch events, by stage. */
function ratesByStage(out: string): Record<string, number[]> {
  const rates: Record<string, number[]> = {};
  for (const line of out.trimEnd().split('\n')) {
    const event = JSON.parse(line) as { type: string; stage?: string; learningRate?: number };
    if (event.type === 'epoch') (rates[event.stage!] ??= []).push(event.learningRate!);
  }
  return rates;
}

/** The dropout rate of the model a run saved in `<out>/model`. */
async function savedDropout(out: string): Promise<unknown> {
  const model = await loadModel(join(out, 'model'));
  const { dropout } = model.getConfig();
  model.dispose();
  return dropout;
}

const TRAINING_COMMANDS = ['da', 'compare-noise', 'transfer', 'sda', 'cnn', 'mlp'];
const CLASSIFIERS = ['sda', 'cnn', 'mlp'];
const tiny = ['--split', 'mini', '--limit', '40', '--backend', 'cpu', '--engine', 'tfjs', '--json'];

describe('the optimizer flags of every training command', { timeout: 120_000 }, () => {
  it.each(TRAINING_COMMANDS)('%s --help lists them, and --dropout only for classifiers', async (command) => {
    const { code, out } = await sdae([command, '--help']);
    expect(code).toBe(EXIT.ok);
    for (const flag of ['--optimizer <name>', '--momentum <m>', '--weight-decay <lambda>', '--lr-schedule <schedule>'])
      expect(out).toContain(flag);
    expect(out.includes('--dropout <rate>')).toBe(CLASSIFIERS.includes(command));
  });

  it.each(TRAINING_COMMANDS)('%s refuses --lr-schedule step:0:2, naming the flag and the forms', (command) =>
    expectUsageError(
      [command, '--lr-schedule', 'step:0:2'],
      /option '--lr-schedule <schedule>' argument 'step:0:2' is invalid\. --lr-schedule must be constant, step:EPOCHS:FACTOR .*EPOCHS must be a whole number >= 1, received '0'/,
    ),
  );

  it.each(TRAINING_COMMANDS)('%s refuses --momentum with an optimizer other than momentum', (command) =>
    expectUsageError(
      [command, '--optimizer', 'adam', '--momentum', '0.9'],
      /^sdae: --momentum applies only to --optimizer momentum, but this run.* uses adam; drop --momentum or add --optimizer momentum\.$/m,
    ),
  );

  it('refuses --momentum where the default optimizer is not momentum (cnn --preset lenet trains with adam)', async () => {
    await expectUsageError(['da', '--momentum', '0.9'], /--momentum applies only to --optimizer momentum, but this run uses sgd/);
    await expectUsageError(['cnn', '--preset', 'lenet', '--momentum', '0.9'], /but this run \(--preset lenet\) uses adam/);
  });

  it.each([
    [['mlp', '--optimizer', 'rmsprop'], /argument 'rmsprop' is invalid\. sdae: --optimizer must be one of 'sgd', 'momentum', 'adam'/],
    [['sda', '--weight-decay', '-0.1'], /option '--weight-decay <lambda>' argument '-0.1' is invalid\. Expected a number >= 0\./],
    [['cnn', '--lr-schedule', 'linear'], /--lr-schedule must be .*; unknown kind 'linear'/],
    [['da', '--lr-schedule', 'exponential:0'], /GAMMA must be a number > 0, received '0'/],
    [['mlp', '--dropout', '1'], /option '--dropout <rate>' argument '1' is invalid\. Expected a number in \[0, 1\)\./],
    [['da', '--dropout', '0.5'], /unknown option '--dropout'/],
    [['mlp', '--logistic', '--dropout', '0.5'], /^sdae: --dropout does not apply to --logistic, which has no hidden layer/m],
  ])('refuses %j', (args, message) => expectUsageError(args, message));

  it("sdae sweep checks each trial's optimizer flags before running any", async () => {
    await expectUsageError(
      ['sweep', 'da', '--grid', 'lr-schedule=cosine,step:0:2'],
      /--lr-schedule must be .*EPOCHS must be a whole number >= 1/,
    );
    await expectUsageError(
      ['sweep', 'mlp', '--grid', 'optimizer=momentum,sgd', '--momentum', '0.9'],
      /--momentum applies only to --optimizer momentum, but this run uses sgd/,
    );
  });
});

describe('training with the optimizer flags', { timeout: 120_000 }, () => {
  it('da takes each epoch at its --lr-schedule rate, with adam and weight decay', async () => {
    const flags = ['--hidden', '8', '--epochs', '3', '--batch-size', '10', '--learning-rate', '0.01', '--optimizer', 'adam'];
    const result = await sdae([
      'da',
      ...tiny,
      ...flags,
      '--weight-decay',
      '0.001',
      '--lr-schedule',
      'step:1:0.5',
      '--out',
      join(cwd, 'run'),
    ]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(ratesByStage(result.out)).toEqual({ train: [0.01, 0.005, 0.0025] });
  });

  it('sda applies them to fine-tuning, and --dropout to the saved model; pretraining keeps its constant rate', async () => {
    const out = join(cwd, 'run');
    const result = await sdae([
      'sda',
      ...tiny,
      ...['--hidden', '8,6', '--corruption', '0.1,0.2', '--pretrain-epochs', '2', '--finetune-epochs', '2', '--batch-size', '10'],
      ...['--finetune-learning-rate', '0.02', '--lr-schedule', 'step:1:0.5', '--dropout', '0.2', '--weight-decay', '0.001'],
      '--out',
      out,
    ]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(ratesByStage(result.out)).toEqual({ pretrain: [0.1, 0.1, 0.1, 0.1], finetune: [0.02, 0.01] });
    expect(await savedDropout(out)).toBe(0.2);
  });

  it('cnn counts schedule steps in iterations on random minibatches, with momentum and dropout', async () => {
    const out = join(cwd, 'run');
    const result = await sdae([
      'cnn',
      ...tiny,
      ...['--iterations', '3', '--batch-size', '10', '--optimizer', 'momentum', '--momentum', '0.9'],
      ...['--lr-schedule', 'exponential:0.5', '--dropout', '0.3', '--out', out],
    ]);
    expect(result.code, result.err).toBe(EXIT.ok);
    // A sampled run logs every 100th iteration; its history holds them all.
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as { learningRate: number }[];
    expect(history.map((log) => log.learningRate)).toEqual([0.1, 0.05, 0.025]);
    expect(await savedDropout(out)).toBe(0.3);
  });

  it.each([
    ['its step:6:0.1 schedule by default', [], [...Array<number>(6).fill(0.001), 0.001 * 0.1]],
    ['--lr-schedule constant instead', ['--lr-schedule', 'constant'], Array<number>(7).fill(0.001)],
  ])('cnn --preset lenet trains with LENET_CNN %s', async (_, flags, rates) => {
    const out = join(cwd, 'run');
    // tiny's --limit and --backend replaced (a flag is given once).
    const result = await sdae([
      'cnn',
      '--split',
      'mini',
      '--json',
      '--preset',
      'lenet',
      '--limit',
      '20',
      '--epochs',
      '7',
      '--batch-size',
      '10',
      '--backend',
      'wasm',
      '--engine',
      'native',
      ...flags,
      '--out',
      out,
    ]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(ratesByStage(result.out)).toEqual({ finetune: rates });
  });

  it('mlp trains with dropout under a cosine schedule', async () => {
    const out = join(cwd, 'run');
    const result = await sdae([
      'mlp',
      ...tiny,
      '--hidden',
      '8',
      '--epochs',
      '2',
      '--batch-size',
      '10',
      '--dropout',
      '0.5',
      '--lr-schedule',
      'cosine',
      '--out',
      out,
    ]);
    expect(result.code, result.err).toBe(EXIT.ok);
    expect(ratesByStage(result.out).finetune).toEqual([0.1, (0.1 * (1 + Math.cos(Math.PI / 2))) / 2]);
    expect(await savedDropout(out)).toBe(0.5);
  });
});
