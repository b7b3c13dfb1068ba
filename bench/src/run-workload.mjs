// Runs one workload in a fresh process, so that its peak RSS is its own, and prints one line
// `BENCH_RESULT {json}`. Started by run.mjs:
//
//   node src/run-workload.mjs '{"workload":"W3","backend":"cpu","kernels":"stock","fraction":0.1,"warmup":3,"w3Steps":20}'
//   node src/run-workload.mjs '{"workload":"W1","backend":"native","threads":2,"fraction":0.02,"warmup":3}'
//
// backend: a tfjs backend (the loops run with engine 'tfjs' on it) or 'native' (engine 'native':
// onnxruntime-node on `threads` threads, with tfjs on cpu for what stays in tfjs: building the
// models and copying their weights back). kernels: 'sdae' (as importing @sdae/backend leaves
// them) or 'stock' (unregisterTrainingKernels: the tfjs kernels alone; tfjs backends only).
// maxSteps caps every stage (for the stock kernels, seconds per step). Every engine report of
// the loops (onEngine) is kept in `engines`, so a native run that fell back to tfjs says so.
import * as tf from '@tensorflow/tfjs-core';
import { filledKernels, selectBackend, unregisterTrainingKernels } from '@sdae/backend';
import { loadMnist } from '@sdae/datasets';
import { createStepClock, summarizeStage } from './step-clock.mjs';
import { WORKLOADS } from './workloads.mjs';

const MEGABYTE = 1024 * 1024;
/** The tfjs backend of native runs: no thread pool of its own beside onnxruntime's. */
const NATIVE_TFJS_BACKEND = 'cpu';

async function main(spec) {
  const workload = WORKLOADS[spec.workload];
  if (workload === undefined)
    throw new Error(`run-workload: unknown workload '${spec.workload}'; expected one of ${Object.keys(WORKLOADS).join(', ')}.`);
  const native = spec.backend === 'native';
  if (native && spec.kernels === 'stock')
    throw new Error("run-workload: kernels 'stock' is for the tfjs backends; the native engine runs its own kernels.");
  if (native && !(Number.isInteger(spec.threads) && spec.threads > 0))
    throw new Error(`run-workload: the native engine needs threads, a whole number > 0; received ${JSON.stringify(spec.threads)}.`);
  const tfjsBackend = native ? NATIVE_TFJS_BACKEND : spec.backend;
  const report = await selectBackend({ backend: tfjsBackend });
  if (spec.kernels === 'stock') unregisterTrainingKernels();
  const mnist = await loadMnist({ split: workload.split });
  const plan = workload.plan(spec);
  if (spec.maxSteps !== undefined) for (const stage of plan.stages) stage.steps = Math.min(stage.steps, spec.maxSteps);
  const model = workload.build();
  const result = {
    workload: spec.workload,
    backend: spec.backend,
    kernels: spec.kernels,
    engine: native ? 'native' : 'tfjs',
    tfjsBackend,
    ...(native ? { threads: spec.threads, device: spec.device ?? 'cpu', batchParts: spec.batchParts } : {}),
    backendDetail: report.tried.find((attempt) => attempt.name === report.backend)?.reason,
    filledKernels: filledKernels(tfjsBackend).map((kernel) => `${kernel.kernelName} (${kernel.reason})`),
    engines: [],
    parameters: model.parameterCount(),
    status: 'ok',
    baselineRssMb: process.memoryUsage().rss / MEGABYTE,
    numTensorsBefore: tf.memory().numTensors,
  };
  const clock = createStepClock();
  const started = performance.now();
  try {
    clock.start();
    const hooks = {
      ...clock.hooks,
      onEngine: (engine) => {
        clock.hooks.onEngine(engine);
        result.engines.push(engine);
      },
    };
    await workload.train(
      model,
      mnist,
      plan,
      native
        ? { hooks, engine: 'native', threads: spec.threads, device: spec.device ?? 'cpu', batchParts: spec.batchParts }
        : { hooks, engine: 'tfjs' },
    );
  } catch (error) {
    const missing = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(String(error?.message ?? error));
    result.status = missing === null ? 'error' : 'missing kernel';
    result.error = missing === null ? String(error?.stack ?? error) : `${missing[1]} is not registered for ${missing[2]}`;
  }
  result.seconds = (performance.now() - started) / 1000;
  const adapter = result.engines.find((engine) => engine.adapter !== undefined)?.adapter;
  if (adapter !== undefined) result.adapter = `${adapter.vendor} ${adapter.architecture}, ${adapter.driver}`;
  result.numTensorsAfter = tf.memory().numTensors;
  result.numBytesAfter = tf.memory().numBytes;
  model.dispose();
  result.numTensorsAfterDispose = tf.memory().numTensors;
  result.stages = plan.stages.map((stage, index) => {
    const measured = clock.stages[index];
    const timing = measured === undefined ? { steps: 0, seconds: 0, msPerStep: Number.NaN } : summarizeStage(measured, spec.warmup);
    return { ...stage, ...timing, gflops: stage.flopsPerStep / timing.msPerStep / 1e6 };
  });
  // maxRSS is in kilobytes, and covers wasm memory, which lives in an ArrayBuffer, and
  // onnxruntime's (its tensors, sessions and arenas are this process's native memory).
  result.peakRssMb = (process.resourceUsage().maxRSS * 1024) / MEGABYTE;
  return result;
}

const spec = JSON.parse(process.argv[2] ?? '{}');
const result = await main(spec);
console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
