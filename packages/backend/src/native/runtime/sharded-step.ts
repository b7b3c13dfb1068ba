// Data-parallel steps on the CPU: a small model's batch split into parts, one per thread, each
// part's loss and gradients run by its own onnxruntime session of one thread (the calling thread's
// and worker threads'), the gradients combined and the update run once. onnxruntime's own threads
// pay only in the large kernels: a small CNN's ~100 small passes ran as fast on one thread as on
// two, and two of its half-batch steps at once took 0.65-0.7 of the whole step's time on two
// threads (bench/src/step-graphs.mjs race --workers). The parts' inputs and outputs pass through
// shared memory and the threads signal each other through Atomics, so a step costs no message and
// no wake-up of an event loop (messages took back about half of the gain: the train package's
// batchParts).
import type * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { InvalidArgumentError, SdaeError } from '@sdae/core';
import { encodeOnnxModel } from '../compiler/encode-onnx';
import type { OnnxType, TracedStep } from '../compiler/ir';
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

/**
 * The graphs of one set of input shapes (a part's, for `parts` equal parts of the batch, and the
 * update's) and how a step moves values between them, worked out once: a step then runs over
 * these arrays (a small, monomorphic path: a large step function took V8's optimiser 60 ms twice,
 * on a core the parts needed).
 */
interface Compiled {
  /** The feeds' shapes this was compiled for, by name. */
  shapes: [name: string, shape: readonly number[]][];
  parts: number;
  part: TracedStep;
  session: OrtSession;
  /** The buffers part 0's outputs are written into; its gradients become the combined gradients. */
  fetches: Record<string, OrtTensor>;
  /** The index under which the workers hold their sessions of the part's graph. */
  index: number;
  /** The part's per-step inputs: `split` ones are cut into the parts' rows, the others fed whole. */
  inputs: { name: string; graphName: string; shape: number[]; split: boolean }[];
  /** The part's state inputs. */
  states: { name: string; graphName: string }[];
  /** Each worker's input views in shared memory: `inputs`' then `states`' (parts - 1 workers). */
  shared: Float32Array[][];
  /** Each gradient: part 0's buffer (which becomes the combined gradient), the workers', and the update's input. */
  gradients: { combined: Float32Array; others: Float32Array[]; graphName: string; shape: number[] }[];
  /** The update's other inputs (the optimiser's settings), fed as given. */
  settings: { name: string; graphName: string; shape: number[] }[];
  /** The step's outputs: each part's piece (part 0's buffer, then the workers'). */
  outputs: { name: string; pieces: PartArray[] }[];
  update: TracedStep;
  updateSession: OrtSession;
}

const GRADIENT = 'gradient:';

// The control words each worker shares with this thread (an Int32Array over a SharedArrayBuffer):
// requests asked and answered so far, what the last request asks, the compiled shapes it runs, and
// whether it failed (the error's text then waits on the worker's message port).
const ASKED = 0;
const ANSWERED = 1;
const KIND = 2;
const ENTRY = 3;
const FAILED = 4;
const RUN = 1;
const COMPILE = 2;
const EXIT = 3;

/** Warm-up runs of every part session when it is compiled (its first runs allocate its memory). */
const WARM_UP_RUNS = 2;

/** How long this thread blocks for a worker before waiting on its event loop (which sees the worker's death). */
const BLOCKING_WAIT_MS = 20;

// The workers' script. It waits for requests on its control words, not on its event loop, so a
// request costs no message: the part's inputs arrive in shared memory, are copied into the session's own arrays
// (onnxruntime-node refuses arrays over a SharedArrayBuffer), and its outputs leave the same way.
// A COMPILE request's graph and buffers come as a message, read synchronously from the port.
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const ort = require(workerData.onnxruntime);
const words = new Int32Array(workerData.control);
const port = workerData.port;
const entries = [];
const ARRAYS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array, int64: BigInt64Array };
async function open({ model, options, inputs, outputs, inputBuffer, outputBuffer }) {
  const session = await ort.InferenceSession.create(model, options);
  // Each copy is [from, to]: shared memory into the session's arrays, and back out.
  const feeds = {};
  const copyIn = [];
  for (const { name, shape, offset, length } of inputs) {
    const own = new Float32Array(length);
    feeds[name] = new ort.Tensor('float32', own, shape);
    copyIn.push([new Float32Array(inputBuffer, offset, length), own]);
  }
  const fetches = {};
  const copyOut = [];
  for (const { name, dtype, shape, offset, length } of outputs) {
    const own = new ARRAYS[dtype](length);
    fetches[name] = new ort.Tensor(dtype, own, shape);
    copyOut.push([own, new ARRAYS[dtype](outputBuffer, offset, length)]);
  }
  const entry = { session, feeds, fetches, copyIn, copyOut };
  // Warm-up runs (a part's graph has no state outputs): the first runs of a session allocate.
  for (let warm = 0; warm < ${WARM_UP_RUNS}; warm++) await session.run(feeds, fetches);
  return entry;
}
async function serve() {
  for (let seen = 0; ; ) {
    Atomics.wait(words, ${ASKED}, seen);
    seen = Atomics.load(words, ${ASKED});
    const kind = Atomics.load(words, ${KIND});
    if (kind === ${EXIT}) break;
    try {
      if (kind === ${COMPILE}) {
        const request = receiveMessageOnPort(port).message;
        entries[request.index] = await open(request);
      } else {
        const entry = entries[Atomics.load(words, ${ENTRY})];
        for (const [from, to] of entry.copyIn) to.set(from);
        await entry.session.run(entry.feeds, entry.fetches);
        for (const [from, to] of entry.copyOut) to.set(from);
      }
      Atomics.store(words, ${FAILED}, 0);
    } catch (error) {
      port.postMessage(String((error && error.message) || error));
      Atomics.store(words, ${FAILED}, 1);
    }
    Atomics.add(words, ${ANSWERED}, 1);
    Atomics.notify(words, ${ANSWERED});
  }
  for (const entry of entries) if (entry !== undefined) await entry.session.release();
  port.close();
}
serve();
`;

/** The typed array of each ONNX element type a part's output may have. */
const ARRAYS: Record<
  OnnxType,
  { new (length: number): PartArray; new (buffer: ArrayBufferLike, offset: number, length: number): PartArray; BYTES_PER_ELEMENT: number }
> = {
  float32: Float32Array,
  int32: Int32Array,
  bool: Uint8Array,
  int64: BigInt64Array,
};
type PartArray = Float32Array | Int32Array | Uint8Array | BigInt64Array;

/** Where a value of a part lives in a worker's shared buffer. */
interface SharedValue {
  name: string;
  dtype: OnnxType;
  shape: number[];
  offset: number;
  length: number;
}

/** A worker thread that runs part graphs when asked through shared memory. */
class PartWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly words = new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT));
  private asked = 0;
  private failure: Error | undefined;
  private readonly failed: Promise<never>;

  constructor() {
    const onnxruntime = createRequire(import.meta.url).resolve('onnxruntime-node');
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { onnxruntime, control: this.words.buffer, port: port2 },
      transferList: [port2],
    });
    // A worker never keeps the process alive: an interrupted run exits as it would without it.
    this.worker.unref();
    this.port.unref();
    this.failed = new Promise((_, reject) => {
      this.worker.once('error', (error) => reject(this.fail(error)));
      this.worker.once('exit', () => reject(this.fail(new SdaeError("the native engine's worker thread exited"))));
    });
    // A failure outside a wait is thrown by the next request.
    this.failed.catch(() => {});
  }

  private fail(error: Error): Error {
    this.failure ??= error;
    return this.failure;
  }

  /** Asks for one request; {@link PartWorker.answer} waits for it. */
  private ask(kind: number, entry = 0): void {
    if (this.failure !== undefined) throw this.failure;
    Atomics.store(this.words, KIND, kind);
    Atomics.store(this.words, ENTRY, entry);
    this.asked++;
    Atomics.store(this.words, ASKED, this.asked);
    Atomics.notify(this.words, ASKED);
  }

  /** Waits for the last request: blocking this thread a moment (a part's run), then on the event loop. */
  async answer(blocking: boolean): Promise<void> {
    for (let now = Atomics.load(this.words, ANSWERED); now < this.asked; now = Atomics.load(this.words, ANSWERED)) {
      if (blocking && Atomics.wait(this.words, ANSWERED, now, BLOCKING_WAIT_MS) !== 'timed-out') continue;
      const { async, value } = waitAsync(this.words, ANSWERED, now);
      if (!async) continue;
      // A pending waitAsync does not keep Node's event loop alive: the worker does, while waited on.
      this.worker.ref();
      try {
        await Promise.race([value, this.failed]);
      } finally {
        this.worker.unref();
      }
    }
    if (Atomics.load(this.words, FAILED) === 1) {
      const text = receiveMessageOnPort(this.port)?.message as string | undefined;
      throw new SdaeError(`the native engine's worker thread failed: ${text ?? 'no reason given'}`);
    }
  }

  /** Compiles a part's graph as entry `index`, its values in two shared buffers, and warms it up. */
  async compile(request: {
    index: number;
    model: Uint8Array;
    options: object;
    inputs: SharedValue[];
    outputs: SharedValue[];
    inputBuffer: SharedArrayBuffer;
    outputBuffer: SharedArrayBuffer;
  }): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.port.postMessage(request);
    this.ask(COMPILE);
    await this.answer(false);
  }

  /** Starts a run of entry `index`; its inputs must be in its shared buffer. */
  start(index: number): void {
    this.ask(RUN, index);
  }

  /** Stops the worker: asked to, it releases its sessions and exits; it is terminated if it has not within a second. */
  async terminate(): Promise<void> {
    const running = this.failure === undefined;
    this.fail(new SdaeError("the native engine's worker thread was stopped"));
    if (running) {
      const exited = new Promise((resolve) => this.worker.once('exit', resolve));
      Atomics.store(this.words, KIND, EXIT);
      Atomics.add(this.words, ASKED, 1);
      Atomics.notify(this.words, ASKED);
      const timer = setTimeout(() => void this.worker.terminate(), 1000);
      await exited;
      clearTimeout(timer);
    } else await this.worker.terminate();
    this.port.close();
  }
}

/** `Atomics.waitAsync` (Node 16 and later; TypeScript's library declares it from es2024 on). */
const waitAsync = (
  Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string } }
).waitAsync;

/** Lays values out one after the other in a shared buffer (each at a multiple of 8 bytes). */
function layOut(values: readonly { name: string; dtype: OnnxType; shape: number[] }[]): {
  values: SharedValue[];
  buffer: SharedArrayBuffer;
} {
  let bytes = 0;
  const laid = values.map(({ name, dtype, shape }) => {
    const length = shape.reduce((product, size) => product * size, 1);
    const value = { name, dtype, shape, offset: bytes, length };
    bytes += Math.ceil((length * ARRAYS[dtype].BYTES_PER_ELEMENT) / 8) * 8;
    return value;
  });
  return { values: laid, buffer: new SharedArrayBuffer(Math.max(bytes, 8)) };
}

/** A typed view of one laid-out value. */
function viewOf(buffer: SharedArrayBuffer, value: SharedValue): PartArray {
  return new ARRAYS[value.dtype](buffer, value.offset, value.length);
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
  /** How many shapes were compiled: each one's index in the workers. */
  private entries = 0;
  /** The last step's compiled shapes. */
  private last: Compiled | undefined;
  /** The last call's end: each call waits for it (see {@link ShardedStep.inTurn}). */
  private turn: Promise<unknown> = Promise.resolve();
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
  runSteps(steps: readonly Record<string, StepFeed>[]): Promise<StepOutputs[]> {
    return this.inTurn(async () => {
      if (this.disposed) throw new SdaeError(`ShardedStep.run: the step "${this.definition.name}" has been disposed.`);
      const results: StepOutputs[] = [];
      for (const feeds of steps) results.push(await this.runOne(feeds));
      return results;
    });
  }

  /**
   * Runs `work` after every earlier call's: the workers' shared memory holds one step at a time,
   * so calls made at once (two runs, a run and a compile) run one after the other, in call order.
   */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async runOne(feeds: Record<string, StepFeed>): Promise<StepOutputs> {
    const compiled = await this.compiledFor(feeds);
    const state = this.state.load();
    const own = this.startParts(compiled, feeds, state);
    let ownError: unknown;
    try {
      await compiled.session.run(own, compiled.fetches);
    } catch (error) {
      ownError = error ?? new SdaeError('ShardedStep.run: the part failed');
    }
    // Every worker answers before anything is thrown, so that none runs on these buffers after.
    const answers = await Promise.allSettled(this.workers.slice(0, compiled.parts - 1).map((worker) => worker.answer(true)));
    if (ownError !== undefined) throw ownError;
    for (const answer of answers) if (answer.status === 'rejected') throw answer.reason;
    const { update } = compiled;
    const updated = await compiled.updateSession.run(this.updateInputs(compiled, feeds, state), this.state.fetches(update.stateOutputs));
    this.state.commit(update.stateOutputs, updated);
    return stepOutputs(compiled);
  }

  /**
   * Copies each worker's part (its rows of the split inputs, the rest whole, and the state) into
   * its shared memory and starts it; returns part 0's feeds for this thread.
   */
  private startParts(compiled: Compiled, feeds: Record<string, StepFeed>, state: Map<string, OrtTensor>): Record<string, OrtTensor> {
    const { inputs, states, parts } = compiled;
    const values: Float32Array[] = [];
    for (const input of inputs) {
      const feed = feeds[input.name];
      if (feed === undefined)
        throw new InvalidArgumentError('feeds', Object.keys(feeds), `ShardedStep.run: no feed for input "${input.name}".`);
      values.push(feed.values);
    }
    for (let worker = 0; worker < compiled.shared.length; worker++) {
      const views = compiled.shared[worker]!;
      for (let at = 0; at < inputs.length; at++) {
        const whole = values[at]!;
        const size = whole.length / parts;
        views[at]!.set(inputs[at]!.split ? whole.subarray((worker + 1) * size, (worker + 2) * size) : whole);
      }
      for (let at = 0; at < states.length; at++) views[inputs.length + at]!.set(state.get(states[at]!.name)!.data as Float32Array);
      this.workers[worker]!.start(compiled.index);
    }
    const own: Record<string, OrtTensor> = {};
    for (let at = 0; at < inputs.length; at++) {
      const { graphName, shape, split } = inputs[at]!;
      const whole = values[at]!;
      own[graphName] = new this.ort.Tensor('float32', split ? whole.subarray(0, whole.length / parts) : whole, shape);
    }
    for (const { name, graphName } of states) own[graphName] = state.get(name)!;
    return own;
  }

  /** The update's inputs: the parts' gradients combined into part 0's buffers, the optimiser's settings as fed, the state. */
  private updateInputs(compiled: Compiled, feeds: Record<string, StepFeed>, state: Map<string, OrtTensor>): Record<string, OrtTensor> {
    const inputs: Record<string, OrtTensor> = {};
    const scale = this.definition.combine === 'mean' ? compiled.parts : 1;
    for (const { combined, others, graphName, shape } of compiled.gradients) {
      for (const other of others) for (let at = 0; at < combined.length; at++) combined[at] += other[at]!;
      if (scale !== 1) for (let at = 0; at < combined.length; at++) combined[at] /= scale;
      inputs[graphName] = new this.ort.Tensor('float32', combined, shape);
    }
    for (const { name, graphName, shape } of compiled.settings)
      inputs[graphName] = new this.ort.Tensor('float32', feeds[name]!.values, shape);
    for (const [name, value] of compiled.update.stateInputs) inputs[value.graphName] = state.get(name)!;
    return inputs;
  }

  /** The compiled shapes of these feeds: the last step's when the shapes are the same (a loop's every step but a last smaller batch). */
  private compiledFor(feeds: Record<string, StepFeed>): Promise<Compiled> | Compiled {
    const last = this.last;
    if (last !== undefined && sameShapes(last.shapes, feeds)) return last;
    const shapes = Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, feed.shape]));
    return this.compile(shapes).then((compiled) => (this.last = compiled));
  }

  /** Nothing to copy back: the state is host memory. */
  async pull(): Promise<void> {}

  /** Writes the state into the tfjs variables (nothing when they are current). */
  syncToVariables(): void {
    this.state.writeToVariables(this.definition.name);
  }

  /** Takes the state from the tfjs variables again. */
  reloadFromVariables(): void {
    this.state.clear();
  }

  /** Compiles the step for these input shapes now (cached). */
  async compileFor(shapes: Record<string, readonly number[]>): Promise<void> {
    await this.inTurn(() => this.compile(shapes));
  }

  /** Frees the sessions and stops the worker threads. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // A step under way finishes first (its workers answer) before they are stopped.
    await this.turn;
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
      entry = this.compileNow(shapes);
      this.compiled.set(key, entry);
      entry.catch(() => this.compiled.delete(key));
    }
    return entry;
  }

  private async compileNow(shapes: Record<string, readonly number[]>): Promise<Compiled> {
    const rows = shapes.x?.[0];
    if (rows === undefined)
      throw new InvalidArgumentError(
        'feeds',
        Object.keys(shapes),
        'ShardedStep.run: the step needs an input x whose first axis is the batch.',
      );
    const parts = rows % this.parts === 0 && rows >= this.parts ? this.parts : 1;
    // The worker threads start (their isolates loading onnxruntime-node) while the graphs are traced.
    while (this.workers.length < parts - 1) this.workers.push(new PartWorker());
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
    const scalars = Object.fromEntries(Object.entries(shapes).filter(([, shape]) => shape.length === 0));
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
      { ...gradientShapes, ...scalars },
      options,
    );
    const model = encodeOnnxModel(part.graph);
    const session = await this.ort.InferenceSession.create(model, ONE_THREAD);
    const updateSession = await this.ort.InferenceSession.create(encodeOnnxModel(update.graph), ONE_THREAD);
    const fetches: Record<string, OrtTensor> = {};
    for (const value of part.outputs.values()) {
      const length = value.shape.reduce((product, size) => product * size, 1);
      fetches[value.graphName] = new this.ort.Tensor(value.dtype, new ARRAYS[value.dtype](length), value.shape);
    }
    const inputs = [...part.inputs].map(([name, value]) => {
      const shape = shapes[name];
      return {
        name,
        graphName: value.graphName,
        shape: value.shape,
        split: shape !== undefined && shape.length > 0 && shape[0] === rows && parts > 1,
      };
    });
    const states = [...part.stateInputs].map(([name, value]) => ({ name, graphName: value.graphName }));
    const inputValues = [...part.inputs.values(), ...part.stateInputs.values()];
    // Each worker's shared memory: the part's inputs (the step's, then the state) and its outputs.
    const index = this.entries++;
    const shared: Float32Array[][] = [];
    const sharedOutputs: Map<string, PartArray>[] = [];
    const compiling = this.workers.slice(0, parts - 1).map((worker) => {
      const inputBuffer = layOut(inputValues.map((value) => ({ name: value.graphName, dtype: 'float32' as const, shape: value.shape })));
      const outputBuffer = layOut(
        [...part.outputs.values()].map((value) => ({ name: value.graphName, dtype: value.dtype, shape: value.shape })),
      );
      shared.push(inputBuffer.values.map((value) => viewOf(inputBuffer.buffer, value) as Float32Array));
      sharedOutputs.push(new Map(outputBuffer.values.map((value) => [value.name, viewOf(outputBuffer.buffer, value)])));
      return worker.compile({
        index,
        model,
        options: ONE_THREAD,
        inputs: inputBuffer.values,
        outputs: outputBuffer.values,
        inputBuffer: inputBuffer.buffer,
        outputBuffer: outputBuffer.buffer,
      });
    });
    const piecesOf = (graphName: string): PartArray[] => [
      fetches[graphName]!.data as PartArray,
      ...sharedOutputs.map((outputs) => outputs.get(graphName)!),
    ];
    const gradients: Compiled['gradients'] = [];
    const settings: Compiled['settings'] = [];
    for (const [name, value] of update.inputs) {
      if (!name.startsWith(GRADIENT)) {
        settings.push({ name, graphName: value.graphName, shape: value.shape });
        continue;
      }
      const [combined, ...others] = piecesOf(part.outputs.get(name)!.graphName) as Float32Array[];
      gradients.push({ combined: combined!, others, graphName: value.graphName, shape: value.shape });
    }
    const outputs = [...part.outputs]
      .filter(([name]) => !name.startsWith(GRADIENT))
      .map(([name, value]) => ({ name, pieces: piecesOf(value.graphName) }));
    // This thread's session warms up while the workers compile and warm up theirs.
    const own: Record<string, OrtTensor> = {};
    for (const value of inputValues) {
      const length = value.shape.reduce((product, size) => product * size, 1);
      own[value.graphName] = new this.ort.Tensor('float32', new Float32Array(length), value.shape);
    }
    for (let warm = 0; warm < WARM_UP_RUNS; warm++) await session.run(own, fetches);
    await Promise.all(compiling);
    return {
      shapes: Object.entries(shapes),
      parts,
      part,
      session,
      fetches,
      index,
      inputs,
      states,
      shared,
      gradients,
      settings,
      outputs,
      update,
      updateSession,
    };
  }
}

/** Whether the feeds have exactly these shapes. */
function sameShapes(shapes: readonly [string, readonly number[]][], feeds: Record<string, StepFeed>): boolean {
  if (Object.keys(feeds).length !== shapes.length) return false;
  for (const [name, shape] of shapes) {
    const fed = feeds[name]?.shape;
    if (fed === undefined || fed.length !== shape.length) return false;
    for (let axis = 0; axis < shape.length; axis++) if (fed[axis] !== shape[axis]) return false;
  }
  return true;
}

/**
 * A step's outputs (copies: the buffers are written again next step): the loss averaged over the
 * (equal) parts, per-example outputs joined in the parts' order.
 */
function stepOutputs(compiled: Compiled): StepOutputs {
  const outputs: StepOutputs = {};
  for (const { name, pieces } of compiled.outputs) {
    if (name === 'loss') {
      let sum = 0;
      for (const piece of pieces) sum += piece[0] as number;
      outputs[name] = Float32Array.of(sum / compiled.parts);
      continue;
    }
    const first = pieces[0] as Float32Array | Int32Array | Uint8Array;
    const joined = new (first.constructor as Float32ArrayConstructor)(first.length * pieces.length);
    for (let at = 0; at < pieces.length; at++) joined.set(pieces[at] as Float32Array, at * first.length);
    outputs[name] = joined;
  }
  return outputs;
}
