import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { loadModel } from '@sdae/layers';
import { decodePng, escapeXml } from '@sdae/vis';
import { describe, expect, it } from 'vitest';
import { EXIT, run } from './cli';
import { runCaptured } from './test-cli';

/** An --out directory for runs that must refuse before writing anything (per process, so concurrent test runs do not share it). */
const NEVER_WRITTEN = join(tmpdir(), `sdae-never-${process.pid}`);

/** The fields of an epoch event these tests read. */
interface EpochLogLike {
  epoch: number;
}

describe('sdae --version', () => {
  it.each(['--version', '-V'])('%s prints the version from package.json and exits with 0', async (flag) => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    const { code, out } = await runCaptured([flag]);
    expect(code).toBe(EXIT.ok);
    expect(out).toBe(`${version}\n`);
  });
});

describe('--backend in Node', () => {
  it.each(['webgl', 'webgpu'])(
    'refuses %s as a usage error saying it runs only in the browser and listing the Node backends',
    async (name) => {
      const { code, err } = await runCaptured(['da', '--backend', name, '--out', NEVER_WRITTEN]);
      expect(code).toBe(EXIT.usage);
      expect(err).toContain(
        `argument '${name}' is invalid. ${name} runs only in the browser (the sdae web app); in Node, choose one of auto, tensorflow-gpu, tensorflow, wasm, cpu.`,
      );
    },
  );

  it('lists only the Node backends in --help', async () => {
    const { code, out } = await runCaptured(['da', '--help']);
    expect(code).toBe(EXIT.ok);
    expect(out.replace(/\s+/g, ' ')).toContain('(choices: "auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu", default: "auto")');
    // --device names onnxruntime's webgpu provider; --backend offers no browser backend.
    const backendHelp = /--backend <name>[\s\S]*?(?=\n {2}--)/.exec(out)![0];
    expect(backendHelp).not.toMatch(/webgl|webgpu/);
  });
});

describe('--json', () => {
  const EVENT_TYPES = ['message', 'engine', 'batch', 'epoch', 'checkpoint', 'diverged', 'result', 'report', 'interrupted', 'error'];

  it('prints only typed event objects on stdout, one a line, for a training run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-json-'));
    try {
      const result = await runCaptured([
        'da',
        '--json',
        ...['--split', 'mini', '--limit', '60', '--epochs', '2', '--hidden', '8', '--backend', 'cpu', '--out', out],
      ]);
      expect(result.code).toBe(EXIT.ok);
      const events = result.out
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string });
      for (const event of events) expect(EVENT_TYPES).toContain(event.type);
      expect(events.map((event) => event.type).filter((type) => type !== 'batch')).toEqual([
        'message',
        'engine',
        'epoch',
        'checkpoint',
        'epoch',
        'checkpoint',
        'report',
      ]);
      expect(events.filter((event) => event.type === 'epoch').map((event) => (event as unknown as EpochLogLike).epoch)).toEqual([0, 1]);
      expect(events.find((event) => event.type === 'checkpoint')).toEqual({
        type: 'checkpoint',
        path: join(out, 'checkpoint.sdae'),
        bytes: expect.any(Number),
      });
      expect(events.at(-1)).toEqual({ type: 'report', path: join(out, 'report.html') });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('turns a bad flag into one error event on stdout and exits with 2', async () => {
    const { code, out, err } = await runCaptured(['da', '--json', '--epochs', 'zero', '--out', NEVER_WRITTEN]);
    expect(code).toBe(EXIT.usage);
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(out)).toEqual({
      type: 'error',
      code: 'usage',
      exitCode: 2,
      message: "option '--epochs <n>' argument 'zero' is invalid. Expected a whole number >= 1.",
    });
    expect(err).toContain("error: option '--epochs <n>' argument 'zero' is invalid.");
  });

  it('turns a failure into an error event with the message and exit code 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdae-json-fail-'));
    try {
      const { code, out } = await runCaptured(['data', '--json', '--dir', dir]);
      expect(code).toBe(EXIT.failed);
      expect(JSON.parse(out)).toEqual({
        type: 'error',
        code: 'failed',
        exitCode: 1,
        message: expect.stringMatching(new RegExp(`^loadMnist: ${dir} lacks train-images-idx3-ubyte`)),
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('sdae data', () => {
  it('prints the mini split sizes, class counts and mean pixel as JSON', async () => {
    const { code, out } = await runCaptured(['data', '--split', 'mini', '--json']);
    expect(code).toBe(EXIT.ok);
    const summary = JSON.parse(out);
    expect(summary.split).toBe('mini');
    expect(summary.imageSize).toEqual([28, 28]);
    expect(summary.sets.map((set: { name: string; images: number }) => [set.name, set.images])).toEqual([
      ['train', 5000],
      ['validation', 1000],
      ['test', 1000],
    ]);
    const test = summary.sets[2];
    expect(test.classCounts.reduce((sum: number, count: number) => sum + count, 0)).toBe(1000);
    expect(test.meanPixel).toBeGreaterThan(0.1);
    expect(test.meanPixel).toBeLessThan(0.15);
    expect(summary.loadMilliseconds).toBeGreaterThan(0);
  });

  it('prints a table with a row per set', async () => {
    const { code, out } = await runCaptured(['data', '--split', 'standard']);
    expect(code).toBe(EXIT.ok);
    expect(out).toContain("MNIST, split 'standard', 28 x 28 images");
    expect(out).toMatch(/^train\s+60000\s+0\.1307\s+5923\s+6742/m);
    expect(out).toMatch(/^test\s+10000\s+0\.1325\s+980\s+1135/m);
    expect(out).not.toMatch(/^validation/m);
  });

  it('exits with 2 and lists the valid splits for an unknown one', async () => {
    const { code, err } = await runCaptured(['data', '--split', 'kaggle']);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain('Allowed choices are theano, standard, mini');
  });

  it('exits with 2 for an unknown flag', async () => {
    const { code, err } = await runCaptured(['data', '--splt', 'mini']);
    expect(code).toBe(EXIT.usage);
    expect(err).toContain("unknown option '--splt'");
  });

  it('exits with 1 and explains a directory without MNIST files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdae-cli-'));
    try {
      const { code, err } = await runCaptured(['data', '--dir', dir]);
      expect(code).toBe(EXIT.failed);
      expect(err).toContain(`sdae: loadMnist: ${dir} lacks train-images-idx3-ubyte`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('shows the defaults in --help and exits with 0', async () => {
    const { code, out } = await runCaptured(['data', '--help']);
    expect(code).toBe(EXIT.ok);
    expect(out.replace(/\s+/g, ' ')).toContain('(choices: "theano", "standard", "mini", default: "theano")');
  });
});

describe('sdae da', () => {
  it('trains on a few images and writes valid filters, reconstructions, cost chart, model and report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-da-'));
    try {
      const result = await runCaptured([
        'da',
        '--split',
        'mini',
        '--limit',
        '100',
        '--epochs',
        '2',
        '--hidden',
        '20',
        '--backend',
        'cpu',
        '--out',
        out,
      ]);
      expect(result.code).toBe(EXIT.ok);
      // What trains, then the backend in one line (sdae backends and --verbose give the full report).
      expect(result.out.split('\n').slice(0, 3)).toEqual([
        'dA 784-20 (sigmoid), corruption 0.3, lr 0.1, batch 20, 100 images, 2 epochs',
        expect.stringMatching(/^engine: .*(tfjs cpu|; tfjs backend: cpu)$/),
        expect.stringMatching(/^Training epoch 0, cost \d+(\.\d+)?$/),
      ]);
      expect(result.out).toMatch(/^Training epoch 1, cost \d+(\.\d+)?$/m);
      expect(result.out).toContain(`Report: ${join(out, 'report.html')}`);
      const filters = decodePng(readFileSync(join(out, 'filters.png')));
      expect([filters.width, filters.height]).toEqual([289, 2 * 29 - 1]); // 20 filters: two rows of 10
      const mask = decodePng(readFileSync(join(out, 'mask.png')));
      const maskValues = new Set(Array.from(mask.data).filter((_, index) => index % 4 === 0));
      expect([...maskValues].sort((a, b) => a - b)).toEqual([0, 255]);
      const reconstructions = decodePng(readFileSync(join(out, 'reconstructions.png')));
      expect([reconstructions.width, reconstructions.height]).toEqual([10 * 29 - 1, 3 * 29 - 1]);
      const errors: string[] = [];
      const svg = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(
        readFileSync(join(out, 'cost.svg'), 'utf8'),
        'image/svg+xml',
      );
      expect(errors).toEqual([]);
      expect(svg.getElementsByTagName('polyline')).toHaveLength(1);
      const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
      expect(history.map((log: { epoch: number }) => log.epoch)).toEqual([0, 1]);
      // 100 digits (the whole test set here: --limit 100) by 20 hidden units.
      const activations = decodePng(readFileSync(join(out, 'activations.png')));
      expect([activations.width, activations.height]).toEqual([20, 100]);
      const report = readFileSync(join(out, 'report.html'), 'utf8');
      expect(report.match(/data:image\/png;base64,/g)).toHaveLength(4);
      expect(report).toContain('<svg');
      const model = await loadModel(join(out, 'model'));
      expect(model.getConfig()).toMatchObject({ hiddenSize: 20, corruptionLevel: 0.3 });
      model.dispose();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it.each([
    [['--corruption', '1.5'], /option '--corruption <level>' argument '1.5' is invalid. Expected a number in \[0, 1\)/],
    [['--hidden', 'many'], /option '--hidden <n>' argument 'many' is invalid. Expected a whole number >= 1/],
    [['--learning-rate', 'NaN'], /argument 'NaN' is invalid. Expected a number > 0/],
    [['--backend', 'tpu'], /argument 'tpu' is invalid. Allowed choices are auto, tensorflow-gpu/],
  ])('exits 2 with a clear message for %j', async (flags, message) => {
    const result = await runCaptured(['da', ...flags]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(message);
  });
});

describe('sdae da --grid', () => {
  it("lays the originals, corrupted inputs and reconstructions of the notebook's 100 test digits out as three 10x10 grids side by side", async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-da-grid-'));
    try {
      const flags = ['--split', 'mini', '--limit', '100', '--epochs', '1', '--hidden', '5', '--backend', 'cpu', '--grid', '10x10'];
      const result = await runCaptured(['da', ...flags, '--out', out]);
      expect(result.code, result.err).toBe(EXIT.ok);
      const reconstructions = decodePng(readFileSync(join(out, 'reconstructions.png')));
      expect([reconstructions.width, reconstructions.height]).toEqual([3 * 289 + 2 * 4, 289]);
      const mask = decodePng(readFileSync(join(out, 'mask.png')));
      expect([mask.width, mask.height]).toEqual([289, 289]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/** Parses an SVG file, failing the test on any XML error. */
function parseSvgFile(path: string) {
  const errors: string[] = [];
  const document = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(
    readFileSync(path, 'utf8'),
    'image/svg+xml',
  );
  expect(errors).toEqual([]);
  return document;
}

describe('sdae sda', () => {
  it('pretrains and fine-tunes on a few images, writing filters before and after, product filters and error curves', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-sda-'));
    try {
      const result = await runCaptured([
        'sda',
        '--split',
        'mini',
        '--limit',
        '100',
        '--hidden',
        '12,8',
        '--corruption',
        '0.1,0.2',
        '--pretrain-epochs',
        '1',
        '--finetune-epochs',
        '2',
        '--backend',
        'cpu',
        '--out',
        out,
      ]);
      expect(result.code).toBe(EXIT.ok);
      expect(result.out).toMatch(/^Pre-training layer 1, epoch 0, cost /m);
      expect(result.out).toMatch(/^epoch 1, cost [\d.]+, validation error [\d.]+ %/m);
      expect(result.out).toMatch(/^Test error \d+\.\d\d % \(accuracy \d+\.\d\d %\), training time [\d.]+ (s|min)$/m);
      for (const name of ['filters-pretrained.png', 'filters-finetuned.png']) {
        const image = decodePng(readFileSync(join(out, name)));
        expect([name, image.width]).toEqual([name, 10 * 29 - 1]);
      }
      // The product W1 W2 (784 x 8) before and after fine-tuning, one row of tiles, enlarged 3 times by default.
      const products = ['filters-product-pretrained.png', 'filters-product.png'].map((name) => decodePng(readFileSync(join(out, name))));
      for (const image of products) expect([image.width, image.height]).toEqual([3 * (10 * 29 - 1), 3 * 28]);
      // Both layers' activations of the 100 test digits side by side: 12 units, 4 black pixels, 8 units.
      const activations = decodePng(readFileSync(join(out, 'activations.png')));
      expect([activations.width, activations.height]).toEqual([12 + 4 + 8, 100]);
      expect(parseSvgFile(join(out, 'pretraining.svg')).getElementsByTagName('polyline')).toHaveLength(2);
      expect(parseSvgFile(join(out, 'errors.svg')).getElementsByTagName('polyline').length).toBeGreaterThanOrEqual(1);
      const report = readFileSync(join(out, 'report.html'), 'utf8');
      expect(report.match(/data:image\/png;base64,/g)).toHaveLength(5);
      expect(report).toContain('<h2>Product filters W1...W2 (x3) after pretraining</h2>');
      expect(report).toContain('<h2>Product filters W1...W2 (x3) after fine-tuning</h2>');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses corruption levels of another count than the hidden layers', async () => {
    const result = await runCaptured([
      'sda',
      '--hidden',
      '10,10',
      '--corruption',
      '0.1',
      '--limit',
      '20',
      '--backend',
      'cpu',
      '--out',
      NEVER_WRITTEN,
    ]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain('--corruption needs one level per hidden layer: 2 for --hidden 10,10; received 1 (0.1).');
  });
});

describe('sdae cnn', () => {
  it('trains the notebook network on sampled minibatches and writes curves, kernels and a confusion matrix', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-cnn-'));
    try {
      const result = await runCaptured([
        'cnn',
        '--preset',
        'notebook',
        '--split',
        'mini',
        '--limit',
        '200',
        '--iterations',
        '100',
        '--backend',
        'cpu',
        '--out',
        out,
      ]);
      expect(result.code).toBe(EXIT.ok);
      expect(result.out).toMatch(/^iteration 99, loss [\d.]+, accuracy [\d.]+ %$/m);
      expect(result.out).toMatch(/^Test error \d+\.\d\d % \(accuracy \d+\.\d\d %\), training time [\d.]+ (s|min)$/m);
      expect(decodePng(readFileSync(join(out, 'filters.png'))).width).toBe(40); // one 5x5 kernel at x8
      // Loss (left axis) and minibatch accuracy (right), each raw (faint) and smoothed.
      const lossChart = parseSvgFile(join(out, 'loss.svg'));
      const polylines = Array.from(lossChart.getElementsByTagName('polyline'));
      expect(polylines.map((line) => line.getAttribute('class'))).toEqual(['raw', 'smoothed', 'raw', 'smoothed']);
      expect(Array.from(lossChart.getElementsByTagName('tspan')).map((span) => span.textContent)).toEqual([
        'training loss',
        'minibatch accuracy (right axis)',
      ]);
      expect(parseSvgFile(join(out, 'confusion.svg')).getElementsByTagName('rect')).toHaveLength(101);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('trains lenet for an epoch with Adam and reports validation accuracy', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-lenet-'));
    try {
      const result = await runCaptured([
        'cnn',
        '--preset',
        'lenet',
        '--split',
        'mini',
        '--limit',
        '50',
        '--epochs',
        '1',
        '--batch-size',
        '25',
        '--backend',
        'wasm',
        '--out',
        out,
      ]);
      expect(result.code).toBe(EXIT.ok);
      expect(result.out).toMatch(/^epoch 0, cost [\d.]+, validation error [\d.]+ %$/m);
      expect(decodePng(readFileSync(join(out, 'filters.png'))).width).toBe((10 * 6 - 1) * 8); // 20 kernels, 10 per row of 5 + 1 spacing, all x8
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('sdae compare-noise and transfer (sweep: sweep.test.ts)', () => {
  const tiny = ['--split', 'mini', '--limit', '60', '--epochs', '2', '--backend', 'cpu'];

  it.each([
    ['compare-noise', ['--hidden', '8'], ['hidden 8, corruption 0', 'hidden 8, corruption 0.3']],
    [
      'transfer',
      ['--hidden', '8', '--target-scales', 'sigmoid=1,relu=0.1'],
      ['sigmoid source', 'sigmoid from sigmoid x1', 'relu from sigmoid x0.1', 'sigmoid random', 'relu random'],
    ],
    ['transfer', ['--hidden', '8', '--target-scales', 'relu=0.5'], ['sigmoid source', 'relu from sigmoid x0.5', 'relu random']],
  ])("%s %j draws one curve per run on one chart and every run's filters", async (command, flags, runs) => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-compare-'));
    try {
      const result = await runCaptured([command, ...flags, ...tiny, '--out', out]);
      expect(result.code).toBe(EXIT.ok);
      for (const run of runs) expect(result.out).toContain(`${run}: Training epoch 1, cost `);
      const chart = parseSvgFile(join(out, 'cost.svg'));
      expect(chart.getElementsByTagName('polyline')).toHaveLength(runs.length);
      const pngs = readdirSync(out).filter((name) => name.startsWith('filters-'));
      expect(pngs).toHaveLength(runs.length);
      for (const name of pngs) expect(decodePng(readFileSync(join(out, name))).width).toBeGreaterThan(0);
      expect(Object.keys(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')))).toEqual(runs);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('compare-noise puts a filter image per (hidden, noise) pair in a table and a reconstructions row per model of the same digits', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-compare-'));
    try {
      const result = await runCaptured([
        'compare-noise',
        '--hidden',
        '8,5',
        '--corruption',
        '0,0.5',
        '--grid',
        '2x3',
        ...tiny,
        '--out',
        out,
      ]);
      expect(result.code, result.err).toBe(EXIT.ok);
      const report = readFileSync(join(out, 'report.html'), 'utf8');
      const pairs = ['hidden 8, corruption 0', 'hidden 8, corruption 0.5', 'hidden 5, corruption 0', 'hidden 5, corruption 0.5'];
      // The filter table: a row per hidden size, a column per level, each cell that run's filters.png.
      const filterTable = report.slice(report.indexOf('<h2>Filters'), report.indexOf('<h2>Reconstructions'));
      expect(filterTable.match(/<tr>/g)).toHaveLength(1 + 2);
      for (const name of pairs) {
        const png = readFileSync(join(out, `filters-${name.replace(/, /g, '-').replace(/ /g, '-')}.png`)).toString('base64');
        expect(filterTable).toContain(`<img alt="filters, ${name}" src="data:image/png;base64,${png}">`);
      }
      // A reconstructions row per model, each image a 2x3 grid of the same digits.
      const rows = report.slice(report.indexOf('<h2>Reconstructions')).split('<tr>').slice(2);
      expect(rows.map((row) => /^<td>([^<]+)<\/td>/.exec(row)?.[1])).toEqual(pairs);
      const images = (row: string) => [...row.matchAll(/base64,([^"]+)"/g)].map((match) => decodePng(Buffer.from(match[1]!, 'base64')));
      const digits = decodePng(readFileSync(join(out, 'digits.png')));
      expect([digits.width, digits.height]).toEqual([3 * 29 - 1, 2 * 29 - 1]);
      for (const row of rows) {
        const [input, reconstruction] = images(row);
        expect([input!.width, input!.height, reconstruction!.width]).toEqual([digits.width, digits.height, digits.width]);
      }
      // At corruption 0 the input is the digits themselves; at 0.5 about half its pixels are dropped.
      expect(Array.from(images(rows[0]!)[0]!.data)).toEqual(Array.from(digits.data));
      const lit = (image: { data: ArrayLike<number> }) =>
        Array.from(image.data).filter((value, index) => index % 4 === 0 && value > 0).length;
      expect(lit(images(rows[1]!)[0]!) / lit(digits)).toBeGreaterThan(0.3);
      expect(lit(images(rows[1]!)[0]!) / lit(digits)).toBeLessThan(0.7);
      expect(readdirSync(out).filter((name) => name.startsWith('mask-'))).toEqual(['mask-0.5.png']);
      expect(report).toContain('<h2>Noise masks, corruption 0.5 (black = pixel dropped)</h2>');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it.each([
    [
      ['compare-noise', '--grid', '0x3'],
      /option '--grid <rows>x<columns>' argument '0x3' is invalid\. Expected ROWSxCOLUMNS, two whole numbers >= 1/,
    ],
    [['compare-noise', '--grid', 'ten'], /argument 'ten' is invalid\. Expected ROWSxCOLUMNS/],
    [['compare-noise', '--hidden', '50,50'], /argument '50,50' is invalid\. 50, 50 are all the value 50: list each value once\./],
    [['compare-noise', '--corruption', '0.3,0.30'], /0\.3, 0\.30 are all the value 0\.3: list each value once\./],
    [['compare-noise', '--corruption', '0,1'], /argument '0,1' is invalid\. Expected a number in \[0, 1\)/],
    [['compare-noise', '--corruption-level', '0.1'], /unknown option '--corruption-level'/],
    [
      ['transfer', '--target-scales', 'tanh=1'],
      /argument 'tanh=1' is invalid\. transfer trains sigmoid and relu targets from the sigmoid source; "tanh" is not one of them\./,
    ],
    [
      ['transfer', '--target-scales', 'relu=1,relu=0.1'],
      /argument 'relu=1,relu=0\.1' is invalid\. relu is given twice; give each target one scale\./,
    ],
    [
      ['transfer', '--target-scales', 'relu=0'],
      /The scale of relu must be a number > 0, in decimal notation \(such as 0\.1\); received "0"\./,
    ],
    [
      ['transfer', '--target-scales', 'relu'],
      /Expected TARGET=FACTOR pairs, comma-separated, such as sigmoid=1,relu=0\.1; "relu" is not one\./,
    ],
    [['transfer', '--scale', '0.1'], /unknown option '--scale'/],
    [['da', '--grid', '3x0'], /argument '3x0' is invalid\. Expected ROWSxCOLUMNS/],
    [['sda', '--enlarge', '0'], /option '--enlarge <factor>' argument '0' is invalid\. Expected a whole number >= 1/],
  ])('refuses %j as a usage error (exit 2)', async (argv, message) => {
    const result = await runCaptured([...argv, '--out', NEVER_WRITTEN]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(message);
  });

  it.each(['da', 'compare-noise'])('%s refuses a --grid of more digits than the test set, naming --grid and --limit', async (command) => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-grid-'));
    try {
      const result = await runCaptured([
        command,
        '--grid',
        '10x10',
        '--hidden' + (command === 'da' ? '' : '-sizes'),
        '4',
        ...tiny,
        '--out',
        out,
      ]);
      expect(result.code).toBe(EXIT.usage);
      expect(result.err).toContain(
        '--grid 10x10 shows 100 test digits, but the test set holds 60 (--limit 60). Use a smaller --grid or a larger --limit.',
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses learning rates and hidden sizes together', async () => {
    const result = await runCaptured(['sweep', '--learning-rates', '0.1', '--hidden-sizes', '5']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(/cannot be used with option '--learning-rates/);
  });
});

describe('sdae mlp', () => {
  it.each([[['--logistic']], [['--hidden', '16']]])(
    '%j trains with early stopping and writes error curves and a confusion matrix',
    async (flags) => {
      const out = mkdtempSync(join(tmpdir(), 'sdae-mlp-'));
      try {
        const result = await runCaptured([
          'mlp',
          ...flags,
          '--split',
          'mini',
          '--limit',
          '100',
          '--epochs',
          '2',
          '--backend',
          'cpu',
          '--out',
          out,
        ]);
        expect(result.code).toBe(EXIT.ok);
        expect(result.out).toMatch(/^epoch 1, cost [\d.]+, validation error [\d.]+ %/m);
        expect(result.out).toMatch(/^Test error \d+\.\d\d % \(accuracy \d+\.\d\d %\), training time [\d.]+ (s|min)$/m);
        expect(parseSvgFile(join(out, 'errors.svg')).getElementsByTagName('polyline').length).toBeGreaterThanOrEqual(1);
        expect(parseSvgFile(join(out, 'confusion.svg')).getElementsByTagName('rect')).toHaveLength(101);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  );
});

describe('checkpoints, --resume and Ctrl-C', () => {
  const flags = ['--split', 'mini', '--limit', '100', '--hidden', '10', '--batch-size', '10', '--backend', 'cpu'];

  it('resumes a dA run so that its next epoch equals the uninterrupted run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-resume-'));
    try {
      const full = await runCaptured(['da', ...flags, '--epochs', '3', '--out', join(out, 'full')]);
      const first = await runCaptured(['da', ...flags, '--epochs', '2', '--out', join(out, 'first')]);
      const resumed = await runCaptured([
        'da',
        ...flags,
        '--epochs',
        '3',
        '--out',
        join(out, 'resumed'),
        '--resume',
        join(out, 'first', 'checkpoint.sdae'),
      ]);
      expect([full.code, first.code, resumed.code]).toEqual([EXIT.ok, EXIT.ok, EXIT.ok]);
      const epoch2 = (text: string) => /^Training epoch 2, cost .*$/m.exec(text)?.[0];
      expect(epoch2(resumed.out)).toBeDefined();
      expect(epoch2(resumed.out)).toBe(epoch2(full.out));
      expect(resumed.out).not.toMatch(/^Training epoch 1,/m);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('stops on Ctrl-C after the current batch, checkpoints it, prints the resume command and exits with 130', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-interrupt-'));
    try {
      let text = '';
      const argv = ['da', ...flags, '--epochs', '50', '--out', out];
      const code = await run(argv, {
        out: (chunk) => {
          text += chunk;
          if (chunk.startsWith('Training epoch 1,')) process.emit('SIGINT');
        },
        err: (chunk) => (text += chunk),
        commandLine: argv,
      });
      expect(code).toBe(EXIT.interrupted);
      const checkpoint = join(out, 'checkpoint.sdae');
      expect(text).toContain(`Interrupted after epoch 1, minibatch 9; the checkpoint ${checkpoint} holds that state. Continue with:`);
      expect(text).toContain(`  sdae ${argv.join(' ')} --resume ${checkpoint}`);
      expect(text).not.toMatch(/^Training epoch 2,/m);
      expect(readdirSync(out)).toEqual(['checkpoint.sdae']);
      expect(process.listenerCount('SIGINT')).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses --resume with other flags, naming each, with exit 2 and before training', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-resume-flags-'));
    try {
      const first = await runCaptured(['da', ...flags, '--epochs', '1', '--out', join(out, 'first')]);
      expect(first.code).toBe(EXIT.ok);
      const checkpoint = join(out, 'first', 'checkpoint.sdae');
      const other = [
        '--split',
        'theano',
        '--limit',
        '200',
        '--hidden',
        '10',
        '--batch-size',
        '20',
        '--backend',
        'cpu',
        '--lr-schedule',
        'step:1:0.5',
      ];
      const resumed = await runCaptured(['da', ...other, '--epochs', '2', '--out', join(out, 'second'), '--resume', checkpoint]);
      expect(resumed.code).toBe(EXIT.usage);
      expect(resumed.err).toContain(`sdae: --resume ${checkpoint}: the checkpoint was written with other flags: `);
      for (const difference of [
        '--split "mini" in the checkpoint, "theano" now',
        '--limit 100 in the checkpoint, 200 now',
        '--batch-size 10 in the checkpoint, 20 now',
        '--lr-schedule constant in the checkpoint, step:1:0.5 now',
      ]) {
        expect(resumed.err).toContain(difference);
      }
      expect(resumed.out).not.toMatch(/^Training epoch/m);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses --resume with another --threads: the native engine gives other results, bit for bit', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-resume-threads-'));
    try {
      const native = [...flags, '--engine', 'native'];
      const first = await runCaptured(['da', ...native, '--threads', '1', '--epochs', '1', '--out', join(out, 'first')]);
      expect(first.code, first.err).toBe(EXIT.ok);
      const checkpoint = join(out, 'first', 'checkpoint.sdae');
      const resume = (threads: string) =>
        runCaptured([
          'da',
          ...native,
          '--threads',
          threads,
          '--epochs',
          '2',
          '--out',
          join(out, `threads-${threads}`),
          '--resume',
          checkpoint,
        ]);
      const other = await resume('2');
      expect(other.code).toBe(EXIT.usage);
      expect(other.err).toContain(
        `sdae: --resume ${checkpoint}: the checkpoint was written with other flags: --threads 1 in the checkpoint, 2 now.`,
      );
      expect(other.out).not.toMatch(/^Training epoch/m);
      const same = await resume('1');
      expect(same.code, same.err).toBe(EXIT.ok);
      expect(same.out).toMatch(/^Training epoch 1,/m);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('names the checkpoint file of a corrupt checkpoint', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-resume-corrupt-'));
    try {
      const checkpoint = join(out, 'bad.sdae');
      writeFileSync(checkpoint, 'SDAE not really');
      const resumed = await runCaptured(['da', ...flags, '--epochs', '2', '--out', join(out, 'run'), '--resume', checkpoint]);
      expect(resumed.code).toBe(EXIT.failed);
      expect(resumed.err).toMatch(new RegExp(`^sdae: ${checkpoint}: `));
      expect(resumed.err).not.toContain('<checkpoint>');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('names a missing checkpoint file', async () => {
    const result = await runCaptured(['da', ...flags, '--resume', '/nonexistent/run.ckpt', '--out', NEVER_WRITTEN]);
    expect(result.code).toBe(EXIT.failed);
    expect(result.err).toContain('readCheckpointFile: cannot read /nonexistent/run.ckpt');
  });
});

describe('--engine and --threads', () => {
  const engineLines = (text: string) => text.split('\n').filter((line) => line.startsWith('engine: '));

  it.each([
    ['tfjs', [], /^engine: tfjs cpu$/m],
    ['native', ['--threads', '1'], /^engine: onnxruntime-node \d+\.\d+\.\d+ \(native, 1 thread\); tfjs backend: cpu$/m],
    ['tfjs', ['--verbose'], /^engine: tfjs cpu: engine 'tfjs' was asked for$/m],
  ])('--engine %s %j trains a dA and prints one line naming the engine', async (engine, extra, line) => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-engine-'));
    try {
      const result = await runCaptured([
        'da',
        '--engine',
        engine,
        ...extra,
        '--split',
        'mini',
        '--limit',
        '60',
        '--epochs',
        '2',
        '--hidden',
        '8',
        '--backend',
        'cpu',
        '--out',
        out,
      ]);
      expect(result.code).toBe(EXIT.ok);
      expect(engineLines(result.out)).toHaveLength(1);
      expect(result.out).toMatch(line);
      expect(result.out).toMatch(/^Training epoch 1, cost \d+(\.\d+)?$/m);
      // The report's backend section opens with the engine that trained.
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(
        `<pre class="backend">${escapeXml(engineLines(result.out)[0]!)}\nbackend: cpu`,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('prints the full backend report and why the engine was chosen with --verbose', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-verbose-'));
    try {
      const result = await runCaptured([
        'da',
        '--verbose',
        '--engine',
        'native',
        ...['--split', 'mini', '--limit', '40', '--epochs', '1', '--hidden', '8', '--backend', 'cpu', '--out', out],
      ]);
      expect(result.code).toBe(EXIT.ok);
      expect(result.out.split('\n').slice(0, 3)).toEqual([
        'backend: cpu on node',
        '  cpu: asked for by name.',
        '  ok   cpu            started',
      ]);
      expect(engineLines(result.out)).toEqual([expect.stringMatching(/^engine: onnxruntime-node .*: engine 'native' was asked for$/)]);
      expect(result.out).toMatch(
        /^start-up \(ms since process start\): args \d+, engine loaded \d+, data loaded \d+, tfjs backend \d+, graph compiled \d+, first step \d+$/m,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('prints the engine once for an SdA on the native engine, not once per layer and stage', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-engine-sda-'));
    try {
      const result = await runCaptured([
        'sda',
        '--engine',
        'native',
        '--split',
        'mini',
        '--limit',
        '60',
        '--hidden',
        '6,4',
        '--corruption',
        '0.1,0.2',
        '--pretrain-epochs',
        '1',
        '--finetune-epochs',
        '1',
        '--backend',
        'cpu',
        '--out',
        out,
      ]);
      expect(result.code).toBe(EXIT.ok);
      expect(engineLines(result.out)).toEqual([
        expect.stringMatching(/^engine: onnxruntime-node .* \(native, \d+ threads?\); tfjs backend: cpu$/),
      ]);
      expect(result.out).toMatch(/^Pre-training layer 1, epoch 0, cost /m);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('reports the engine as a JSON event object with --json', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sdae-engine-json-'));
    try {
      const result = await runCaptured([
        'mlp',
        '--logistic',
        '--engine',
        'tfjs',
        '--json',
        '--split',
        'mini',
        '--limit',
        '60',
        '--epochs',
        '1',
        '--backend',
        'cpu',
        '--out',
        out,
      ]);
      expect(result.code).toBe(EXIT.ok);
      const events = result.out
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(events.filter((event) => event.type === 'engine')).toEqual([
        { type: 'engine', engine: 'tfjs', description: 'tfjs cpu', reason: "engine 'tfjs' was asked for", backend: 'cpu' },
      ]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it.each(['da', 'compare-noise', 'sda', 'transfer', 'cnn', 'mlp', 'sweep'])(
    '%s --engine bogus exits 2 naming the flag and the valid engines',
    async (command) => {
      const result = await runCaptured([command, '--engine', 'bogus', '--out', NEVER_WRITTEN]);
      expect(result.code).toBe(EXIT.usage);
      expect(result.err).toContain(
        `option '--engine <name>' argument 'bogus' is invalid. sdae: --engine must be one of 'auto', 'native', 'tfjs'; received "bogus".`,
      );
    },
  );

  it('refuses --threads 0 as a usage error', async () => {
    const result = await runCaptured(['mlp', '--threads', '0', '--out', NEVER_WRITTEN]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(/option '--threads <n>' argument '0' is invalid. Expected a whole number >= 1/);
  });
});

describe('sdae --threads with --engine tfjs', () => {
  it('refuses the contradiction as a usage error instead of ignoring --threads', async () => {
    const result = await runCaptured(['mlp', '--engine', 'tfjs', '--threads', '2', '--out', NEVER_WRITTEN]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toContain("sdae: --threads sizes the native engine's pool, but --engine tfjs trains on tfjs");
  });
});

describe('sdae backends', () => {
  it('lists every backend with whether it works here and the selected one', async () => {
    const { code, out } = await runCaptured(['backends', '--json']);
    expect(code).toBe(EXIT.ok);
    const { available, selected } = JSON.parse(out);
    expect(available.map((status: { name: string }) => status.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    expect(available.find((status: { name: string }) => status.name === 'cpu').available).toBe(true);
    expect(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).toContain(selected.backend);
  });

  it('lists the native engine first, with its version and threads or why it cannot load', async () => {
    const { code, out } = await runCaptured(['backends']);
    expect(code).toBe(EXIT.ok);
    const rows = out.split('\n');
    expect(rows[0]).toBe('Engines and backends on this machine:');
    expect(rows[1]).toMatch(/^ {2}(ok|no) {3}native {9}\S/);
    expect(rows[1]).toMatch(/^ {2}ok {3}native {9}onnxruntime-node \d+\.\d+\.\d+ \(native, \d+ threads?\)/);
  });

  it('puts the native engine into --json', async () => {
    const { native } = JSON.parse((await runCaptured(['backends', '--json'])).out);
    expect(native).toMatchObject({
      available: true,
      description: expect.stringMatching(/^onnxruntime-node .* \(native(, | on )/),
      device: expect.stringMatching(/^(cpu|webgpu|cuda)$/),
      reason: expect.any(String),
    });
    expect(Array.isArray(native.devices)).toBe(true);
  });
});
