// Data-parallel steps on the CPU: a small model's batch split into parts, one per thread, each
// part's loss and gradients run by its own onnxruntime session of one thread (the calling thread's
// and worker threads'), the gradients combined and the update run once. onnxruntime's own threads
// pay only in the large kernels: a small CNN's ~100 small passes ran as fast on one thread as on
// two, and two of its half-batch steps at once took 0.65-0.7 of the whole step's time on two
// threads (bench/src/step-graphs.mjs race --workers). The parts here pass their inputs and
// gradients by message, which takes part of that gain back (see the train package's batchParts).
import type * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError, SdaeError } from '@sdae/core';
import { encodeOnnxModel } from '../compiler/encode-onnx';
import type { TracedStep } from '../compiler/ir';
import { traceStep } from '../compiler/trace';
import type { Ort, OrtSession, OrtTensor } from './onnxruntime';
import { StepState } from './device-state';
import type { StepFeed, StepOutputs } from './native-engine';

/** A step whose batch can be split: the loss and gradients of a part, and the update from all parts' gradients. */
export interface ShardedStepDefinition {
  name: string;
  /** The state the engine carries (trained variables and optimiser slots). */
  state: ReadonlyMap<string, tf.Variable>;
  /**
   * One part of the batch: its outputs (`loss`, the mean over the part's examples, and per-example
   * outputs such as `classes`) and the gradients of the trained variables, by state name.
   */
  part: (inputs: Record<string, tf.Tensor>) => { outputs: Record<string, tf.Tensor>; gradients: Record<string, tf.Tensor> };
  /** Applies the combined gradients (by state name) with the step's other inputs (the optimiser's settings). */
  update: (gradients: Record<string, tf.Tensor>, inputs: Record<string, tf.Tensor>) => void;
  /**
   * How the parts' gradients combine: `'mean'` averages them (the gradient of a loss averaged over
   * the batch), `'sum'` adds them (summed per-example gradients).
   */
  combine: 'mean' | 'sum';
}

/** The graphs of one set of input shapes: a part's (for `parts` equal parts of the batch) and the update's. */
interface Compiled {
  parts: number;
  part: TracedStep;
  session: OrtSession;
  /** The shapes' key, under which the workers hold their sessions of the part's graph. */
  key: string;
  update: TracedStep;
  updateSession: OrtSession;
}

const GRADIENT = 'gradient:';

// The workers' script: compiles the part graphs it is sent and runs them on request.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.onnxruntime);
const sessions = new Map();
parentPort.on('message', async (message) => {
  try {
    if (message.model !== undefined) {
      sessions.set(message.key, await ort.InferenceSession.create(message.model, message.options));
      parentPort.postMessage({ id: message.id });
      return;
    }
    const feeds = {};
    for (const [name, feed] of Object.entries(message.feeds)) feeds[name] = new ort.Tensor('float32', feed.values, feed.shape);
    const results = await sessions.get(message.key).run(feeds);
    const outputs = {};
    for (const [name, tensor] of Object.entries(results)) outputs[name] = tensor.data.slice();
    parentPort.postMessage({ id: message.id, outputs });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String((error && error.message) || error) });
  }
});
`;

/** A worker thread running part graphs; its requests answered in order. */
class PartWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: (value: Record<string, Float32Array | Int32Array>) => void; reject: (error: Error) => void }
  >();
  private next = 0;
  private failure: Error | undefined;

  constructor() {
    const onnxruntime = createRequire(import.meta.url).resolve('onnxruntime-node');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { onnxruntime } });
    // A worker never keeps the process alive: an interrupted run exits as it would without it.
    this.worker.unref();
    this.worker.on('message', (message: { id: number; error?: string; outputs?: Record<string, Float32Array | Int32Array> }) => {
      const entry = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error !== undefined) entry?.reject(new SdaeError(`the native engine's worker thread failed: ${message.error}`));
      else entry?.resolve(message.outputs ?? {});
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', () => this.fail(new SdaeError("the native engine's worker thread exited")));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const entry of this.waiting.values()) entry.reject(error);
    this.waiting.clear();
  }

  private request(message: Record<string, unknown>): Promise<Record<string, Float32Array | Int32Array>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  compile(key: string, model: Uint8Array, options: object): Promise<unknown> {
    return this.request({ key, model, options });
  }

  run(key: string, feeds: Record<string, StepFeed>): Promise<Record<string, Float32Array | Int32Array>> {
    return this.request({ key, feeds });
  }

  async terminate(): Promise<void> {
    this.failure ??= new SdaeError("the native engine's worker thread was stopped");
    await this.worker.terminate();
  }
}

/** The session options of a part or update graph: one thread each, waiting without spinning. */
const ONE_THREAD = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential' as const,
  graphOptimizationLevel: 'all' as const,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

/**
 * A training step whose batch runs in `parts` equal parts at once, on this thread and `parts - 1`
 * worker threads, each with an onnxruntime session of one thread; the parts' gradients are
 * combined on this thread and the update runs once. A batch that does not split into equal parts
 * runs as one part. The same surface as {@link NativeStep} (CPU only): the state lives in host
 * memory between steps and is written to the tfjs variables by {@link ShardedStep.syncToVariables}.
 */
export class ShardedStep {
  private readonly compiled = new Map<string, Promise<Compiled>>();
  private readonly state: StepState;
  private readonly workers: PartWorker[] = [];
  private dirty = false;
  private disposed = false;

  /** @internal Use {@link NativeEngine.prepareSharded}. */
  constructor(
    private readonly ort: Ort,
    private readonly parts: number,
    private readonly definition: ShardedStepDefinition,
    private readonly traceOptions: () => Promise<Parameters<typeof traceStep>[2]>,
  ) {
    this.state = new StepState(ort, ['cpu'], definition.state, false);
  }

  /** The state is host memory: never read back from a device. */
  readonly stateReads = 0;

  /** The part graphs compiled so far (one per set of input shapes). */
  async graphs(): Promise<TracedStep[]> {
    return Promise.all([...this.compiled.values()].map(async (entry) => (await entry).part));
  }

  /** Runs one step (see {@link ShardedStep.runSteps}). */
  async run(feeds: Record<string, StepFeed>): Promise<StepOutputs> {
    return (await this.runSteps([feeds]))[0]!;
  }

  /** Runs steps one after the other, each split into parts; returns each step's outputs. */
  async runSteps(steps: readonly Record<string, StepFeed>[]): Promise<StepOutputs[]> {
    if (this.disposed) throw new SdaeError(`ShardedStep.run: the step "${this.definition.name}" has been disposed.`);
    const results: StepOutputs[] = [];
    for (const feeds of steps) results.push(await this.runOne(feeds));
    return results;
  }

  private async runOne(feeds: Record<string, StepFeed>): Promise<StepOutputs> {
    const shapes = Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, feed.shape]));
    const compiled = await this.compile(shapes);
    const { parts, part, session, update, updateSession, key } = compiled;
    const rows = feeds.x!.shape[0]!;
    const state = this.state.load();
    // Part k reads the k-th of `parts` equal runs of rows of every input that has the batch's rows; the rest whole.
    const partFeeds = (k: number): Record<string, StepFeed> => {
      const fed: Record<string, StepFeed> = {};
      for (const [name, value] of part.inputs) {
        const feed = feeds[name];
        if (feed === undefined)
          throw new InvalidArgumentError('feeds', Object.keys(feeds), `ShardedStep.run: no feed for input "${name}".`);
        const split = feed.shape.length > 0 && feed.shape[0] === rows && parts > 1;
        const size = feed.values.length / (split ? parts : 1);
        fed[value.graphName] = { values: split ? feed.values.subarray(k * size, (k + 1) * size) : feed.values, shape: value.shape };
      }
      return fed;
    };
    const stateFeeds: Record<string, StepFeed> = {};
    for (const [name, value] of part.stateInputs) {
      const tensor = state.get(name)!;
      stateFeeds[value.graphName] = { values: tensor.data as Float32Array, shape: value.shape };
    }
    // Copies for the workers: a view would send its whole buffer (a batch may view the whole set).
    const copied = (fed: Record<string, StepFeed>) =>
      Object.fromEntries(Object.entries(fed).map(([name, feed]) => [name, { values: feed.values.slice(), shape: feed.shape }]));
    const running = this.workers
      .slice(0, parts - 1)
      .map((worker, index) => worker.run(key, copied({ ...partFeeds(index + 1), ...stateFeeds })));
    const own: Record<string, OrtTensor> = {};
    for (const [name, feed] of Object.entries({ ...partFeeds(0), ...stateFeeds }))
      own[name] = new this.ort.Tensor('float32', feed.values, feed.shape);
    const first = await session.run(own);
    const outputsOf = [
      Object.fromEntries(Object.entries(first).map(([name, tensor]) => [name, tensor.data as Float32Array | Int32Array])),
      ...(await Promise.all(running)),
    ];
    // The update: the gradients combined, the other inputs (the optimiser's settings) as fed.
    const updateInputs: Record<string, OrtTensor> = {};
    for (const [name, value] of update.inputs) {
      if (name.startsWith(GRADIENT)) {
        const graphName = part.outputs.get(name)!.graphName;
        const combined = Float32Array.from(outputsOf[0]![graphName]!);
        for (let k = 1; k < parts; k++) {
          const other = outputsOf[k]![graphName]!;
          for (let index = 0; index < combined.length; index++) combined[index] += other[index]!;
        }
        if (this.definition.combine === 'mean' && parts > 1) for (let index = 0; index < combined.length; index++) combined[index] /= parts;
        updateInputs[value.graphName] = new this.ort.Tensor('float32', combined, value.shape);
      } else updateInputs[value.graphName] = new this.ort.Tensor('float32', feeds[name]!.values, value.shape);
    }
    for (const [name, value] of update.stateInputs) updateInputs[value.graphName] = state.get(name)!;
    const fetches: Record<string, OrtTensor | null> = this.state.fetches(update.stateOutputs);
    const updated = await updateSession.run(updateInputs, fetches);
    this.state.commit(update.stateOutputs, updated);
    if (update.stateOutputs.size > 0) this.dirty = true;
    // The step's outputs: the loss averaged over the (equal) parts, per-example outputs in order.
    const outputs: StepOutputs = {};
    for (const [name, value] of part.outputs) {
      if (name.startsWith(GRADIENT)) continue;
      const pieces = outputsOf.map((each) => each[value.graphName]!);
      if (name === 'loss') outputs[name] = Float32Array.of(pieces.reduce((sum, piece) => sum + piece[0]!, 0) / parts);
      else {
        const joined = new (pieces[0]!.constructor as Float32ArrayConstructor)(pieces.reduce((total, piece) => total + piece.length, 0));
        let offset = 0;
        for (const piece of pieces) {
          joined.set(piece, offset);
          offset += piece.length;
        }
        outputs[name] = joined;
      }
    }
    return outputs;
  }

  /** Nothing to copy back: the state is host memory. */
  async pull(): Promise<void> {}

  /** Writes the state into the tfjs variables (nothing when they are current). */
  syncToVariables(): void {
    if (!this.dirty) return;
    this.state.writeToVariables(this.definition.name);
    this.dirty = false;
  }

  /** Takes the state from the tfjs variables again. */
  reloadFromVariables(): void {
    this.state.clear();
    this.dirty = false;
  }

  /** Compiles the step for these input shapes now (cached). */
  async compileFor(shapes: Record<string, readonly number[]>): Promise<void> {
    await this.compile(shapes);
  }

  /** Frees the sessions and stops the worker threads. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.state.dispose();
    const entries = await Promise.allSettled(this.compiled.values());
    for (const entry of entries) {
      if (entry.status !== 'fulfilled') continue;
      await entry.value.session.release();
      await entry.value.updateSession.release();
    }
    this.compiled.clear();
    await Promise.all(this.workers.splice(0).map((worker) => worker.terminate()));
  }

  private compile(shapes: Record<string, readonly number[]>): Promise<Compiled> {
    const key = JSON.stringify(Object.entries(shapes).sort(([a], [b]) => (a < b ? -1 : 1)));
    let entry = this.compiled.get(key);
    if (entry === undefined) {
      entry = this.compileNow(key, shapes);
      this.compiled.set(key, entry);
      entry.catch(() => this.compiled.delete(key));
    }
    return entry;
  }

  private async compileNow(key: string, shapes: Record<string, readonly number[]>): Promise<Compiled> {
    const rows = shapes.x?.[0];
    if (rows === undefined)
      throw new InvalidArgumentError(
        'feeds',
        Object.keys(shapes),
        'ShardedStep.run: the step needs an input x whose first axis is the batch.',
      );
    const parts = rows % this.parts === 0 && rows >= this.parts ? this.parts : 1;
    const partShapes = Object.fromEntries(
      Object.entries(shapes).map(([name, shape]) => [
        name,
        shape.length > 0 && shape[0] === rows ? [rows / parts, ...shape.slice(1)] : shape,
      ]),
    );
    const options = await this.traceOptions();
    // The trace reads the variables: they must hold the current state first.
    this.syncToVariables();
    const { definition } = this;
    const part = await traceStep(
      {
        name: `${definition.name} (part)`,
        state: definition.state,
        step: (inputs) => {
          const { outputs, gradients } = definition.part(inputs);
          return {
            ...outputs,
            ...Object.fromEntries(Object.entries(gradients).map(([name, gradient]) => [`${GRADIENT}${name}`, gradient])),
          };
        },
      },
      partShapes,
      options,
    );
    const gradientShapes: Record<string, readonly number[]> = {};
    for (const [name, value] of part.outputs) if (name.startsWith(GRADIENT)) gradientShapes[name] = value.shape;
    // The update reads the combined gradients and the step's scalar inputs (the optimiser's settings).
    const settings = Object.fromEntries(Object.entries(shapes).filter(([, shape]) => shape.length === 0));
    const update = await traceStep(
      {
        name: `${definition.name} (update)`,
        state: definition.state,
        step: (inputs) => {
          const gradients: Record<string, tf.Tensor> = {};
          const rest: Record<string, tf.Tensor> = {};
          for (const [name, tensor] of Object.entries(inputs)) {
            if (name.startsWith(GRADIENT)) gradients[name.slice(GRADIENT.length)] = tensor;
            else rest[name] = tensor;
          }
          definition.update(gradients, rest);
          return {};
        },
      },
      { ...gradientShapes, ...settings },
      options,
    );
    const model = encodeOnnxModel(part.graph);
    const session = await this.ort.InferenceSession.create(model, ONE_THREAD);
    const updateSession = await this.ort.InferenceSession.create(encodeOnnxModel(update.graph), ONE_THREAD);
    while (this.workers.length < parts - 1) this.workers.push(new PartWorker());
    await Promise.all(this.workers.slice(0, parts - 1).map((worker) => worker.compile(key, model, ONE_THREAD)));
    return { parts, part, session, key, update, updateSession };
  }
}
