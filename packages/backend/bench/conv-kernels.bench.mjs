// Benchmark (not a test): Conv2DBackpropFilter on the batch-100 MNIST CNN shapes, the stock
// tfjs cpu kernel against the kernels @sdae/backend registers (cpu and wasm).
// Run with `pnpm bench` at the root, or `node bench/conv-kernels.bench.mjs [rounds]` after a build.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, registerTrainingKernels, unregisterTrainingKernels } from '@sdae/backend';

const rounds = Number(process.argv[2] ?? 5);
const SHAPES = [
  { label: 'x [100,28,28,1], filter 5x5x1x8', x: [100, 28, 28, 1], filter: [5, 5, 1, 8] },
  { label: 'x [100,12,12,8], filter 5x5x8x16', x: [100, 12, 12, 8], filter: [5, 5, 8, 16] },
];

function medianMilliseconds(shape) {
  const x = tf.randomUniform(shape.x);
  const dy = tf.randomUniform([shape.x[0], shape.x[1] - shape.filter[0] + 1, shape.x[2] - shape.filter[1] + 1, shape.filter[3]]);
  const run = () => {
    const gradient = tf
      .engine()
      .runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', filterShape: shape.filter });
    gradient.dataSync();
    gradient.dispose();
  };
  run();
  const times = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  tf.dispose([x, dy]);
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const results = [];
for (const shape of SHAPES) {
  await selectBackend({ backend: 'cpu' });
  unregisterTrainingKernels();
  const stock = medianMilliseconds(shape);
  registerTrainingKernels();
  const cpu = medianMilliseconds(shape);
  await selectBackend({ backend: 'wasm' });
  const wasm = medianMilliseconds(shape);
  results.push({ shape: shape.label, stockCpu: stock, sdaeCpu: cpu, sdaeWasm: wasm });
}

console.log(`Conv2DBackpropFilter, median of ${rounds} calls (ms), Node ${process.version}`);
console.log('shape                               stock cpu   sdae cpu  sdae wasm   cpu gain  wasm gain');
for (const row of results) {
  console.log(
    `${row.shape.padEnd(34)} ${row.stockCpu.toFixed(0).padStart(10)} ${row.sdaeCpu.toFixed(1).padStart(10)} ${row.sdaeWasm.toFixed(1).padStart(10)} ` +
      `${(row.stockCpu / row.sdaeCpu).toFixed(0).padStart(9)}x ${(row.stockCpu / row.sdaeWasm).toFixed(0).padStart(9)}x`,
  );
}
const worstGain = Math.min(...results.flatMap((row) => [row.stockCpu / row.sdaeCpu, row.stockCpu / row.sdaeWasm]));
console.log(`smallest gain over the stock cpu kernel: ${worstGain.toFixed(0)}x (target: at least 50x)`);
