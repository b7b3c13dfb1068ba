// Where a training step's time goes (not a test): the kernels of model.lossAndGradients on a
// workload's batch, by total time per call, from tf.profile over 10 calls (single calls on this
// machine vary by 30 %). Run after a build:
//
//   node src/profile-step.mjs <W1|W2|W3|W4> [backend] [--stock]
//
// W4 profiles the fine-tuning step (the SdA's lossAndGradients). Kernel times on cpu and wasm
// are wall-clock times around each kernel, so they add up to the step's compute time.
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, unregisterTrainingKernels } from '@sdae/backend';
import { gatherBatch, loadMnist } from '@sdae/datasets';
import { batchToTensors } from '@sdae/datasets/tensors';
import { WORKLOADS } from './workloads.mjs';

const [name = 'W1', backend = 'wasm', flag] = process.argv.slice(2);
const workload = WORKLOADS[name];
if (workload === undefined)
  throw new Error(`profile-step: unknown workload '${name}'; expected one of ${Object.keys(WORKLOADS).join(', ')}.`);
await selectBackend({ backend });
if (flag === '--stock') unregisterTrainingKernels();
const mnist = await loadMnist({ split: workload.split });
const model = workload.build();
const batchSize = workload.convolutional ? 100 : 20;
const indices = Int32Array.from({ length: batchSize }, (_, index) => index);
const batch = gatherBatch(mnist.train, indices, 0);
const layout = model.inputLayout ?? 'flat';
const { x, y, labels } = batchToTensors(batch, { layout });
const step = () => (name === 'W1' ? model.lossAndGradients(x) : model.lossAndGradients(x, y));
for (let round = 0; round < 3; round++) {
  const warm = step();
  await warm.loss.data();
  tf.dispose([warm.loss, ...Object.values(warm.gradients)]);
}
const started = performance.now();
const rounds = 10;
for (let round = 0; round < rounds; round++) {
  const timed = step();
  await timed.loss.data();
  tf.dispose([timed.loss, ...Object.values(timed.gradients)]);
}
const stepMs = (performance.now() - started) / rounds;
const profiledCalls = 10;
const profile = await tf.profile(async () => {
  for (let call = 0; call < profiledCalls; call++) {
    const profiled = step();
    await profiled.loss.data();
    tf.dispose([profiled.loss, ...Object.values(profiled.gradients)]);
  }
});
const byKernel = new Map();
for (const kernel of profile.kernels) {
  const entry = byKernel.get(kernel.name) ?? { calls: 0, ms: 0 };
  entry.calls += 1 / profiledCalls;
  entry.ms += (await kernel.kernelTimeMs) / profiledCalls;
  byKernel.set(kernel.name, entry);
}
const total = [...byKernel.values()].reduce((sum, entry) => sum + entry.ms, 0);
console.log(
  `${name} on ${backend}${flag === '--stock' ? ' (stock tfjs kernels)' : ''}: lossAndGradients ${stepMs.toFixed(1)} ms (mean of ${rounds}), kernels ${total.toFixed(1)} ms per profiled call (mean of ${profiledCalls})`,
);
for (const [kernel, entry] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(
    `  ${kernel.padEnd(24)} ${String(Math.round(entry.calls)).padStart(3)} calls ${entry.ms.toFixed(1).padStart(8)} ms ${((100 * entry.ms) / total).toFixed(0).padStart(4)} %`,
  );
}
tf.dispose([x, y, labels]);
model.dispose();
