import { classCounts, loadMnist, meanPixel, mnistDataDirectory, type ImageSet, type MnistSplitName } from '@sdae/datasets';
import type { Output } from '../cli';

export interface DataCommandOptions {
  split: MnistSplitName;
  dir?: string;
  json: boolean;
}

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
export async function dataCommand(options: DataCommandOptions, output: Output): Promise<void> {
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
    output.out(`${JSON.stringify({ split: mnist.split, source, loadMilliseconds, imageSize: [mnist.train.height, mnist.train.width], sets })}\n`);
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
