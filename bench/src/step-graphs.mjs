// The native engine's step graphs, saved and raced against each other in one process (not a test).
// On a VM whose speed drifts by 10-30 % from one process to the next, two builds timed in two
// processes cannot tell a 10 % change; two graphs run in turn in the same process can.
//
//   node src/step-graphs.mjs save <W1|W2|W3|W4|LENET> <prefix> [--batch N]   # after a build: <prefix>-0.onnx, ... (every graph the workload compiles)
//   node src/step-graphs.mjs race <a.onnx> <b.onnx> ... [--rounds 20] [--runs 50] [--threads 2] [--workers N [--main]]
//
// `race` feeds every graph the same made-up inputs (images in [0, 1], one-hot labels, small
// weights, learning rate 0.01) with onnxruntime's session options as the native engine sets them,
// runs `--runs` steps of each graph in turn, `--rounds` times, and prints each graph's median and
// fastest ms per run. Typical use: save a workload's graphs before and after a change to the
// kernel mappings (copy packages/backend/dist aside between the two builds), then race them.
//
// `save --batch N` saves the graphs of the workload at another batch size (not LENET). `race
// --workers N` runs each graph in N threads at once, each with its own session of `--threads`
// threads (N worker threads, or with `--main` this thread and N - 1 workers), and times a run as
// the time until all N have run it once: what a step split into N parts of its batch, one per
// core, would take (without adding up the parts' gradients), e.g.
// `save W3 /tmp/half --batch 50` then `race /tmp/half-1.onnx --workers 2 --threads 1` against
// `race /tmp/full-1.onnx --threads 2`.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { selectBackend } from '@sdae/backend';
import { loadMnist } from '@sdae/datasets';
import { ReluCnn } from '@sdae/layers';
import { LENET_CNN, fitClassifier } from '@sdae/train';
import { WORKLOADS } from './workloads.mjs';

/**
 * Steps no bench workload runs, saved the same way: LENET is `sdae cnn --preset lenet`'s step
 * (its preset's model and training options: batch 50, Adam), nine batches of one epoch.
 */
const EXTRA_STEPS = {
  LENET: {
    split: 'standard',
    build: () => new ReluCnn(LENET_CNN.model),
    train: (cnn, mnist) =>
      fitClassifier(
        cnn,
        { train: mnist.train },
        { ...LENET_CNN.training.options, epochs: 1, batchesPerEpoch: 9, engine: 'native', threads: 2, device: 'cpu' },
      ),
  },
};

const USAGE =
  'usage: node src/step-graphs.mjs save <W1|W2|W3|W4|LENET> <prefix> [--batch N]\n       node src/step-graphs.mjs race <a.onnx> <b.onnx> ... [--rounds 20] [--runs 50] [--threads 2] [--workers N [--main]]';

function fail(message) {
  console.error(`step-graphs: ${message}\n${USAGE}`);
  process.exit(2);
}

const require = createRequire(import.meta.resolve('@sdae/backend'));
const ort = require('onnxruntime-node');

/** Runs a few steps of the workload on the native engine and saves every graph it compiles. */
async function save(name, prefix, batchSize) {
  const names = [...Object.keys(WORKLOADS), ...Object.keys(EXTRA_STEPS)];
  const workload = WORKLOADS[name] ?? EXTRA_STEPS[name] ?? fail(`unknown workload '${name}'; expected one of ${names.join(', ')}`);
  if (batchSize !== undefined && workload.plan === undefined)
    fail(`--batch is for the bench workloads (${Object.keys(WORKLOADS).join(', ')}), not ${name}`);
  const create = ort.InferenceSession.create;
  const saved = [];
  ort.InferenceSession.create = async (model, ...rest) => {
    // The engine's probe of the blocked Conv kernels' channel block is not a step.
    if (Buffer.from(model).includes('nchwc probe')) return create.call(ort.InferenceSession, model, ...rest);
    const file = `${prefix}-${saved.length}.onnx`;
    writeFileSync(file, model);
    saved.push(file);
    return create.call(ort.InferenceSession, model, ...rest);
  };
  await selectBackend({ backend: 'cpu' });
  const mnist = await loadMnist({ split: workload.split });
  const model = workload.build();
  if (workload.plan === undefined) await workload.train(model, mnist);
  else {
    // 25 steps a stage: the largest models run them as one graph (a run of 16 to 32 steps that
    // divides the epoch: 25 of MNIST's 2,500 at batch 20), the others in groups of eight and one more.
    const plan = workload.plan({ fraction: 1, warmup: 3, w3Steps: 6 });
    for (const stage of plan.stages) stage.steps = Math.min(stage.steps, 25);
    await workload.train(model, mnist, plan, {
      hooks: {},
      engine: 'native',
      threads: 2,
      ...(batchSize === undefined ? {} : { batchSize }),
    });
  }
  model.dispose();
  console.log(`saved ${saved.join(', ')}`);
}

/** Made-up feeds of the right shapes: what a step reads, without MNIST. */
function feedsFor(session) {
  const feeds = {};
  for (const { name, shape } of session.inputMetadata) {
    const size = shape.reduce((product, extent) => product * extent, 1);
    const values = new Float32Array(size);
    if (name.startsWith('input:y')) for (let row = 0; row < shape[0]; row++) values[row * shape[1] + (row % shape[1])] = 1;
    else if (name.startsWith('input:x') || name.startsWith('input:noise'))
      for (let index = 0; index < size; index++) values[index] = index % 7 === 0 ? 0 : ((index * 2654435761) % 1000) / 1000;
    else if (name.startsWith('input:')) values.fill(0.01);
    else for (let index = 0; index < size; index++) values[index] = (((index * 2654435761) % 2000) / 1000 - 1) * 0.1;
    feeds[name] = new ort.Tensor('float32', values, shape);
  }
  return feeds;
}

/** A session of `file` as the native engine opens one on the CPU, fed made-up inputs and warmed up. */
async function openSession(file, threads) {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const feeds = feedsFor(session);
  for (let warm = 0; warm < 20; warm++) await session.run(feeds);
  return { session, feeds };
}

// The control words of a worker race: [runs asked for, runs done by all workers together].
const ASKED = 0;
const DONE = 1;

/** A race worker: opens its session, then runs it once each time the main thread asks. */
async function raceWorker({ file, threads, control }) {
  const words = new Int32Array(control);
  const { session, feeds } = await openSession(file, threads);
  Atomics.add(words, DONE, 1);
  Atomics.notify(words, DONE);
  for (let seen = 0; ; seen++) {
    Atomics.wait(words, ASKED, seen);
    if (Atomics.load(words, ASKED) < 0) break;
    await session.run(feeds);
    Atomics.add(words, DONE, 1);
    Atomics.notify(words, DONE);
  }
  await session.release();
}

/**
 * Runs of `file` in `workers` threads at once: `run()` resolves when each has run it once. With
 * `main`, this thread runs one of them itself (onnxruntime-node's run holds it meanwhile) and
 * `workers - 1` worker threads the others.
 */
async function workerRunner(file, threads, workers, main) {
  const words = new Int32Array(new SharedArrayBuffer(8));
  const own = main ? await openSession(file, threads) : undefined;
  const helpers = main ? workers - 1 : workers;
  const threadsOf = Array.from(
    { length: helpers },
    () => new Worker(new URL(import.meta.url), { workerData: { file, threads, control: words.buffer } }),
  );
  const failed = new Promise((_, reject) => threadsOf.forEach((worker) => worker.once('error', reject)));
  // A worker's error fails the wait it happens in; one after the last wait is not a second failure.
  failed.catch(() => {});
  const waitFor = async (done) => {
    for (let now = Atomics.load(words, DONE); now < done; now = Atomics.load(words, DONE)) {
      const { async, value } = Atomics.waitAsync(words, DONE, now);
      if (async) await Promise.race([value, failed]);
    }
  };
  await waitFor(helpers);
  let asked = 0;
  return {
    async run() {
      asked++;
      Atomics.store(words, ASKED, asked);
      Atomics.notify(words, ASKED);
      if (own !== undefined) await own.session.run(own.feeds);
      await waitFor(helpers * (asked + 1));
    },
    async release() {
      Atomics.store(words, ASKED, -1);
      Atomics.notify(words, ASKED);
      await Promise.all(threadsOf.map((worker) => new Promise((resolve) => worker.once('exit', resolve))));
      await own?.session.release();
    },
  };
}

async function race(files, { rounds, runs, threads, workers, main }) {
  const entries = [];
  for (const file of files) {
    if (workers === undefined) {
      const { session, feeds } = await openSession(file, threads);
      entries.push({ file, run: () => session.run(feeds), release: () => session.release(), times: [] });
    } else {
      const runner = await workerRunner(file, threads, workers, main);
      for (let warm = 0; warm < 20; warm++) await runner.run();
      entries.push({ file, ...runner, times: [] });
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const entry of entries) {
      const started = performance.now();
      for (let run = 0; run < runs; run++) await entry.run();
      entry.times.push((performance.now() - started) / runs);
    }
  }
  for (const entry of entries) await entry.release();
  for (const { file, times } of entries) {
    const sorted = [...times].sort((a, b) => a - b);
    const how =
      workers === undefined
        ? ''
        : `, ${workers} worker${workers === 1 ? '' : 's'} of ${threads} thread${threads === 1 ? '' : 's'} at once${main ? ', this thread one of them' : ''}`;
    console.log(
      `${file}: median ${sorted[sorted.length >> 1].toFixed(3)} ms per run, fastest ${sorted[0].toFixed(3)} (${rounds} rounds of ${runs}${how})`,
    );
  }
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string' },
      runs: { type: 'string' },
      threads: { type: 'string' },
      workers: { type: 'string' },
      main: { type: 'boolean' },
      batch: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  const optional = (flag) => {
    if (values[flag] === undefined) return undefined;
    const value = Number(values[flag]);
    return Number.isInteger(value) && value > 0 ? value : fail(`--${flag} must be a whole number > 0; received ${values[flag]}`);
  };
  // Every flag belongs to one command: a flag the command would not read is an error, not ignored.
  const refuse = (flags) =>
    flags.filter((flag) => values[flag] !== undefined).forEach((flag) => fail(`--${flag} is not a ${command} option`));
  if (command === 'save') {
    refuse(['rounds', 'runs', 'threads', 'workers', 'main']);
    if (rest.length !== 2) fail('save takes a workload and a file prefix');
    await save(rest[0], rest[1], optional('batch'));
  } else if (command === 'race') {
    refuse(['batch']);
    if (rest.length < 1) fail('race takes one or more .onnx files');
    const workers = optional('workers');
    if (values.main && workers === undefined) fail('--main is for races on --workers');
    const [rounds, runs, threads] = [optional('rounds') ?? 20, optional('runs') ?? 50, optional('threads') ?? 2];
    await race(rest, { rounds, runs, threads, workers, main: values.main === true });
  } else {
    fail(`unknown command '${command ?? ''}'`);
  }
}

if (isMainThread) await main();
else await raceWorker(workerData);
