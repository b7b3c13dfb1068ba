import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Option, type Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@sdae/core';
import { digitInput, loadMnist, sliceImageSet, type DigitInput } from '@sdae/datasets';
import { Classifier, type AnyModel } from '@sdae/layers';
import { confusionMatrix, evaluate } from '@sdae/train';
import { confusionMatrixChart, encodePng, enlarge, greyToRgba } from '@sdae/vis';
import { readDigitImage } from '../digit-image';
import { eventLine } from '../run/events';
import { selectCliBackend } from '../run/engine-lines';
import {
  addCommand,
  backendFlag,
  flag,
  jsonFlag,
  modelFlag,
  positiveInteger,
  refuseInapplicable,
  splitFlag,
  type FlagValues,
} from '../flags';
import type { Output } from '../output';
import { loadSavedModel } from '../saved-model';
import { requireWritable } from '../writable';

const FLAGS = {
  model: modelFlag,
  test: flag<boolean>(() => new Option('--test', "the model's test error and confusion matrix on MNIST's test set").default(false)),
  split: splitFlag,
  limit: flag<number | undefined>(() =>
    new Option('--limit <n>', 'with --test: only the first n test images (quick runs)').argParser(positiveInteger),
  ),
  out: flag<string | undefined>(
    () =>
      new Option(
        '--out <dir>',
        "also write pictures there: confusion.svg (--test), or each IMAGE's 28 x 28 input as the network sees it (<file name>.input.png, 4x)",
      ),
  ),
  backend: backendFlag,
  json: jsonFlag('print one JSON object per line (per image, or the test result) instead of text'),
};

/** The flags of `sdae predict`. */
export type PredictFlags = FlagValues<typeof FLAGS>;

/** How many classes an image's prediction lists, most probable first. */
const TOP = 3;

/** The model in --model, refused unless it classifies. */
async function loadClassifier(path: string): Promise<Classifier> {
  const model: AnyModel = await loadSavedModel(path);
  if (model instanceof Classifier) return model;
  model.dispose();
  throw new InvalidArgumentError(
    '--model',
    path,
    `--model ${path} holds a ${model.className}, which reconstructs images but does not classify them; pass the model of ` +
      'a classifier (what sdae sda, cnn or mlp saved in <out>/model).',
  );
}

/** A confusion matrix as text: one row per true class, one column per predicted class. */
export function confusionTable(matrix: readonly (readonly number[])[]): string {
  const width = Math.max(4, ...matrix.flat().map((count) => String(count).length + 1));
  const cell = (text: string | number) => String(text).padStart(width);
  return [
    `${'true \\ predicted'.padEnd(16)}${matrix.map((_, index) => cell(index)).join('')}`,
    ...matrix.map((row, label) => `${String(label).padStart(16)}${row.map(cell).join('')}`),
  ].join('\n');
}

/** `sdae predict --test`: the test error, loss and confusion matrix of the model on MNIST's test set. */
async function predictTest(model: Classifier, flags: PredictFlags, output: Output): Promise<void> {
  const { test: full } = await loadMnist({ split: flags.split });
  const test = flags.limit === undefined || flags.limit >= full.count ? full : sliceImageSet(full, 0, flags.limit);
  const result = await evaluate(model, test, { batchSize: 500 });
  const matrix = confusionMatrix(result.predictions, test.labels, model.numClasses);
  const wrong = Math.round(result.errorRate * test.count);
  if (flags.out !== undefined) {
    await writeFile(join(flags.out, 'confusion.svg'), confusionMatrixChart(matrix, { title: `Test confusion matrix, ${flags.model}` }));
  }
  if (flags.json) {
    output.out(
      eventLine({
        type: 'result',
        model: flags.model,
        className: model.className,
        split: flags.split,
        images: test.count,
        testError: result.errorRate,
        accuracy: result.accuracy,
        loss: result.loss,
        confusionMatrix: matrix,
      }),
    );
    return;
  }
  output.out(
    [
      `${model.className} in ${flags.model}, ${test.count} test images (split ${flags.split}${test === full ? '' : `, --limit ${flags.limit}`}):`,
      `test error ${(100 * result.errorRate).toFixed(2)} % (${wrong} wrong), accuracy ${(100 * result.accuracy).toFixed(2)} %, loss ${result.loss.toFixed(4)}`,
      'confusion matrix (rows: true class, columns: predicted class):',
      confusionTable(matrix),
      ...(flags.out === undefined ? [] : [`wrote ${join(flags.out, 'confusion.svg')}`]),
    ].join('\n') + '\n',
  );
}

/** A picture read for `sdae predict`: its file, format and size, and the MNIST input made of it (its pixels are not kept). */
type DigitPicture = { image: string; picture: { format: string; width: number; height: number } } & DigitInput;

/**
 * Reads every picture and makes each an MNIST input, before the model is loaded: a bad file is
 * refused without half the output, and the decoding of a large picture does not add to the
 * memory the backend and the model take (its pixels are dropped once it is an input).
 */
async function readPictures(images: string[]): Promise<DigitPicture[]> {
  const pictures: DigitPicture[] = [];
  for (const image of images) {
    const { format, width, height, data } = await readDigitImage(image);
    let digit: DigitInput;
    try {
      digit = digitInput({ data, width, height });
    } catch (error) {
      if (!InvalidArgumentError.isInstance(error)) throw error;
      throw new InvalidArgumentError('IMAGE', image, `IMAGE ${image}: ${error.message.replace(/^digitInput: /, '')}`);
    }
    pictures.push({ image, picture: { format, width, height }, ...digit });
  }
  return pictures;
}

/** `sdae predict IMAGE...`: the model's most probable classes for each picture read by {@link readPictures}. */
async function predictImages(model: Classifier, pictures: DigitPicture[], flags: PredictFlags, output: Output): Promise<void> {
  const probabilities = tf.tidy(() => {
    const x = tf.tensor2d(Float32Array.from(pictures.flatMap(({ input }) => Array.from(input))), [pictures.length, 784]);
    return model.predict(model.inputLayout === 'image' ? tf.reshape(x, [pictures.length, 28, 28, 1]) : x);
  });
  const rows = (await probabilities.array()) as number[][];
  probabilities.dispose();
  // Softmax outputs are probabilities; sigmoid outputs (trained with squared error) are ten
  // separate scores in (0, 1) that need not sum to 1, so they are printed as scores, not as %.
  const softmax = model.output === 'softmax';
  for (const [index, { image, picture, input, inverted }] of pictures.entries()) {
    const row = rows[index]!;
    const ranked = row
      .map((value, digit) => ({ class: digit, value }))
      .sort((a, b) => b.value - a.value)
      .slice(0, TOP);
    const top = ranked.map(({ class: digit, value }) => (softmax ? { class: digit, probability: value } : { class: digit, output: value }));
    let written: string | undefined;
    if (flags.out !== undefined) {
      written = join(flags.out, `${basename(image)}.input.png`);
      const grey = { pixels: Uint8Array.from(input, (value) => Math.round(255 * value)), width: 28, height: 28 };
      await writeFile(written, encodePng(greyToRgba(enlarge(grey, 4))));
    }
    if (flags.json) {
      output.out(
        eventLine({
          type: 'result',
          image,
          format: picture.format,
          width: picture.width,
          height: picture.height,
          inverted,
          top,
          ...(softmax ? { probabilities: row } : { outputs: row }),
          ...(written === undefined ? {} : { input: written }),
        }),
      );
      continue;
    }
    const source = `${picture.format} ${picture.width} x ${picture.height}, ${inverted ? 'light background, inverted' : 'dark background'}`;
    const classes = softmax
      ? ranked.map(({ class: digit, value }) => `${digit} ${(100 * value).toFixed(2)} %`).join(', ')
      : `sigmoid outputs ${ranked.map(({ class: digit, value }) => `${digit} ${value.toFixed(4)}`).join(', ')}`;
    output.out(`${image} (${source}): ${classes}${written === undefined ? '' : `  (input: ${written})`}\n`);
  }
}

/**
 * `sdae predict --model DIR [--test] [IMAGE...]`: evaluates a saved classifier on MNIST's test set
 * (test error and confusion matrix), or classifies PNG/JPEG pictures of digits, each scaled to
 * 28 x 28 and centred as MNIST's digits are (inverted when the background is light), printing the
 * three most probable classes.
 */
export async function predictCommand(flags: PredictFlags, images: string[], output: Output): Promise<void> {
  if (flags.out !== undefined) {
    await requireWritable([{ flag: '--out', path: flags.out, kind: 'directory' }]);
    await mkdir(flags.out, { recursive: true });
  }
  const pictures = flags.test ? [] : await readPictures(images);
  await selectCliBackend(flags.backend);
  const model = await loadClassifier(flags.model);
  try {
    await (flags.test ? predictTest(model, flags, output) : predictImages(model, pictures, flags, output));
  } finally {
    model.dispose();
  }
}

/** Adds `sdae predict` to the program: --test or images, not both, and not neither. */
export function register(program: Command, output: Output): void {
  addCommand(
    program,
    'predict',
    "a saved classifier's test error and confusion matrix (--test), or the 3 most probable digits of PNG/JPEG pictures",
    FLAGS,
    async (flags, command) => predictCommand(flags, command.args, output),
    (flags, command) => {
      const images = command.args;
      if (flags.test && images.length > 0) {
        throw new InvalidArgumentError(
          '--test',
          images,
          `--test evaluates the model on MNIST's test set and takes no IMAGE; received ${images.length} (${images.slice(0, 3).join(', ')}). ` +
            'Run predict twice: once with --test, once with the images.',
        );
      }
      if (!flags.test && images.length === 0) {
        throw new InvalidArgumentError(
          'IMAGE',
          images,
          'predict needs --test (the test error and confusion matrix) or at least one IMAGE (a PNG or JPEG picture of a digit).',
        );
      }
      refuseInapplicable(command, '--split', flags.test, 'chooses the test set of --test; the images are classified alone. Drop --split.');
      refuseInapplicable(command, '--limit', flags.test, 'cuts the test set of --test; the images are classified alone. Drop --limit.');
    },
  ).argument('[IMAGE...]', 'PNG or JPEG pictures of one digit each (dark on light or light on dark)');
}
