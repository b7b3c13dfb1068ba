import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, SdaeError, environmentInteger, requireKnownKeys, requirePositiveInteger, type KnownKeys } from '@sdae/core';
import { encodeOnnxModel } from './onnx-proto';
import { NATIVE_THREADS_PER_CORE } from './native-threads';
import { traceStep, type StepDefinition, type TracedStep } from './trace-step';

// onnxruntime-node is an optional peer: only its types are imported statically.
import type * as OnnxRuntime from 'onnxruntime-node';

type Ort = typeof OnnxRuntime;
type OrtSession = OnnxRuntime.InferenceSession;
type OrtTensor = OnnxRuntime.Tensor;

/** A specifier in a variable keeps bundlers from resolving the optional package. */
const ONNXRUNTIME_NODE = 'onnxruntime-node';

/** What {@link loadNativeEngine} found: the engine, or why there is none. */
export type NativeEngineStatus = { ok: true; engine: NativeEngine } | { ok: false; reason: string };

/** Options of {@link loadNativeEngine}. */
export interface NativeEngineOptions {
  /**
   * Threads of onnxruntime's one intra-op pool. The environment variable `SDAE_NATIVE_THREADS`
   * overrides the default. @default every core (`os.availableParallelism()`)
   */
  threads?: number;
}

const NATIVE_ENGINE_OPTION_KEYS: KnownKeys<NativeEngineOptions> = { threads: true };

let loaded: Promise<Ort | string> | undefined;

/** Imports onnxruntime-node once; resolves with the module or the reason it cannot load. */
function importOnnxRuntime(): Promise<Ort | string> {
  loaded ??= import(/* @vite-ignore */ ONNXRUNTIME_NODE).then(
    (module: Ort & { default?: Ort }) => (module.InferenceSession === undefined && module.default !== undefined ? module.default : module),
    (error: unknown) => {
      const message = (error as Error).message ?? String(error);
      return /Cannot find (package|module)/.test(message)
        ? 'onnxruntime-node is not installed (npm install onnxruntime-node; npm users may set ONNXRUNTIME_NODE_INSTALL=skip)'
        : `onnxruntime-node failed to load: ${message.split('\n')[0]}`;
    },
  );
  return loaded;
}

function resolveThreads(options: NativeEngineOptions): number {
  if (options.threads !== undefined) return requirePositiveInteger('loadNativeEngine', 'threads', options.threads);
  const fromEnvironment = environmentInteger(
    'loadNativeEngine',
    'SDAE_NATIVE_THREADS',
    globalThis.process?.env?.SDAE_NATIVE_THREADS,
    availableParallelism() * NATIVE_THREADS_PER_CORE,
    `${NATIVE_THREADS_PER_CORE} per core of the ${availableParallelism()} here: more only wait on each other and each costs memory`,
  );
  return fromEnvironment ?? availableParallelism();
}

/**
 * Loads the native engine (onnxruntime-node) when it is installed. Never throws for a missing or
 * broken install: the status says why, so callers fall back to tfjs with a reason to report.
 *
 * @throws {InvalidArgumentError} for an unknown option or a `threads` that is not a positive integer.
 * @example
 * const status = await loadNativeEngine();
 * console.log(status.ok ? status.engine.describe() : status.reason);
 */
export async function loadNativeEngine(options: NativeEngineOptions = {}): Promise<NativeEngineStatus> {
  requireKnownKeys('loadNativeEngine', 'options', options, NATIVE_ENGINE_OPTION_KEYS);
  const threads = resolveThreads(options);
  const ort = await importOnnxRuntime();
  if (typeof ort === 'string') return { ok: false, reason: ort };
  return { ok: true, engine: new NativeEngine(ort, threads) };
}

/** onnxruntime-node, running compiled training steps on one pool of threads. */
export class NativeEngine {
  readonly name = 'onnxruntime' as const;
  /** The onnxruntime version. */
  readonly version: string;

  /** @internal Use {@link loadNativeEngine}. */
  constructor(
    private readonly ort: Ort,
    readonly threads: number,
  ) {
    this.version = (ort.env as { versions?: { common?: string } }).versions?.common ?? 'unknown';
  }

  /** One line for reports: what runs the steps and on how many threads. */
  describe(): string {
    return `onnxruntime-node ${this.version} (native, ${this.threads} thread${this.threads === 1 ? '' : 's'})`;
  }

  /**
   * Prepares a step for native training. Nothing is traced until the first {@link NativeStep.run},
   * which compiles the step for the shapes it is fed (and again for each new set of shapes).
   */
  prepare(definition: StepDefinition): NativeStep {
    return new NativeStep(this.ort, this.threads, definition);
  }
}

/**
 * One intra-op pool of `threads`. Its threads wait without spinning: between two runs the
 * JavaScript thread prepares the next batch on the same cores, and spinning pool threads took
 * them from it (the notebook CNN's 1 ms steps ran 15-25 % faster without; the dA's and SdA's
 * steps, which run eight steps per call, the same).
 */
function sessionOptions(threads: number) {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    graphOptimizationLevel: 'all' as const,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/** A fed input: its values and shape. */
export interface StepFeed {
  values: Float32Array;
  shape: readonly number[];
}

interface CompiledShape {
  traced: TracedStep;
  session: OrtSession;
}

/**
 * A training step compiled to ONNX and run by onnxruntime, keeping the state (weights, optimiser
 * slots) in native tensors between steps. The tfjs variables are written only by
 * {@link NativeStep.syncToVariables}; after changing them in tfjs, call
 * {@link NativeStep.reloadFromVariables}.
 */
export class NativeStep {
  private readonly compiled = new Map<string, Promise<CompiledShape>>();
  /** The state as native tensors, by state name; undefined until the first run. */
  private state: Map<string, OrtTensor> | undefined;
  /** For each updated state tensor, the buffer its next value is written into (the one read last step). */
  private spare = new Map<string, OrtTensor>();
  private dirty = false;
  private disposed = false;

  /** @internal Use {@link NativeEngine.prepare}. */
  constructor(
    private readonly ort: Ort,
    private readonly threads: number,
    private readonly definition: StepDefinition,
  ) {}

  /** The graphs compiled so far (one per set of input shapes), for reports and tests. */
  async graphs(): Promise<TracedStep[]> {
    return Promise.all([...this.compiled.values()].map(async (entry) => (await entry).traced));
  }

  /**
   * Runs one step: feeds the inputs and the current state, keeps the new state natively and
   * returns the step's own outputs (copied, by name).
   *
   * @throws {UnsupportedKernelError} (at the first run of a shape) when the step cannot be compiled.
   */
  async run(feeds: Record<string, StepFeed>): Promise<StepOutputs> {
    return (await this.runSteps([feeds]))[0]!;
  }

  /**
   * Runs several steps in order as one graph (the step traced once per step, each reading the
   * state the one before wrote) and returns each step's outputs. The result equals that many
   * {@link NativeStep.run} calls; it is faster because onnxruntime-node copies every output into a
   * new JavaScript buffer, so a run that hands back the new weights costs about 1 ms per 4 MB of
   * state: eight steps of a 784-1000-1000-1000 network took 3.4-4.1 ms each this way, 9.8-10.9 ms
   * one by one.
   *
   * @throws {UnsupportedKernelError} (at the first run of a shape) when the step cannot be compiled.
   */
  async runSteps(steps: readonly Record<string, StepFeed>[]): Promise<StepOutputs[]> {
    if (this.disposed) throw new SdaeError(`NativeStep.run: the step "${this.definition.name}" has been disposed.`);
    const feeds = unrolledFeeds(steps);
    const { traced, session } = await this.compileShapes(steps.length, shapesOf(feeds));
    const state = this.loadState();
    const inputs: Record<string, OrtTensor> = {};
    for (const [name, value] of traced.inputs) {
      const feed = feeds[name];
      if (feed === undefined) throw new InvalidArgumentError('feeds', Object.keys(feeds), `NativeStep.run: no feed for input "${name}".`);
      inputs[value.graphName] = new this.ort.Tensor('float32', feed.values, value.shape);
    }
    for (const [name, value] of traced.stateInputs) inputs[value.graphName] = state.get(name)!;
    // The new state is written into preallocated buffers, two per state tensor used in turn, so a
    // step allocates (and the garbage collector frees) no weight-sized arrays.
    const fetches: Record<string, OrtTensor | null> = {};
    for (const value of traced.outputs.values()) fetches[value.graphName] = null;
    for (const [name, value] of traced.stateOutputs) {
      let spare = this.spare.get(name);
      if (spare === undefined || spare.data.length !== state.get(name)!.data.length) {
        spare = new this.ort.Tensor('float32', new Float32Array(state.get(name)!.data.length), value.shape);
      }
      fetches[value.graphName] = spare;
    }
    const results = await session.run(inputs, fetches);
    for (const [name, value] of traced.stateOutputs) {
      this.spare.set(name, state.get(name)!);
      state.set(name, results[value.graphName]!);
    }
    if (traced.stateOutputs.size > 0) this.dirty = true;
    const outputs = steps.map((): StepOutputs => ({}));
    for (const [name, value] of traced.outputs) {
      const { base, step } = stepOf(name, steps.length);
      outputs[step]![base] = results[value.graphName]!.data as Float32Array | Int32Array | Uint8Array;
    }
    return outputs;
  }

  /** Writes the native state into the tfjs variables (nothing when they are current). */
  syncToVariables(): void {
    if (!this.dirty || this.state === undefined) return;
    for (const [name, variable] of this.definition.state) {
      const tensor = this.state.get(name);
      if (tensor === undefined) continue;
      // A copy: the native buffer is written again by a later step.
      tf.tidy(() => variable.assign(tf.tensor((tensor.data as Float32Array).slice(), variable.shape, 'float32')));
    }
    this.dirty = false;
  }

  /** Takes the state from the tfjs variables again (after they were restored or set in tfjs). */
  reloadFromVariables(): void {
    this.state = undefined;
    this.spare.clear();
    this.dirty = false;
  }

  /** Frees the sessions. The tfjs variables keep the values of the last sync. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.state = undefined;
    this.spare.clear();
    const entries = await Promise.allSettled(this.compiled.values());
    for (const entry of entries) if (entry.status === 'fulfilled') await entry.value.session.release();
    this.compiled.clear();
  }

  private loadState(): Map<string, OrtTensor> {
    if (this.state === undefined) {
      this.state = new Map();
      for (const [name, variable] of this.definition.state) {
        this.state.set(name, new this.ort.Tensor('float32', Float32Array.from(variable.dataSync() as Float32Array), [...variable.shape]));
      }
    }
    return this.state;
  }

  /**
   * Compiles the step for these input shapes now (cached), so that a step that cannot be compiled
   * is known before anything is fed.
   *
   * @throws {UnsupportedKernelError} when the step runs a kernel the native engine cannot express.
   */
  async compileFor(shapes: Record<string, readonly number[]>): Promise<void> {
    await this.compileShapes(1, shapes);
  }

  /** The graph of `count` steps with these (unrolled) input shapes, compiled once. */
  private compileShapes(count: number, shapes: Record<string, readonly number[]>): Promise<CompiledShape> {
    const key = JSON.stringify(Object.entries(shapes).sort(([a], [b]) => (a < b ? -1 : 1)));
    let entry = this.compiled.get(key);
    if (entry === undefined) {
      entry = (async () => {
        // The trace reads the tfjs variables: they must hold the current state first.
        this.syncToVariables();
        const traced = await traceStep(unrolled(this.definition, count), shapes);
        const session = await this.ort.InferenceSession.create(encodeOnnxModel(traced.graph), sessionOptions(this.threads));
        return { traced, session };
      })();
      this.compiled.set(key, entry);
      entry.catch(() => this.compiled.delete(key));
    }
    return entry;
  }
}

/** One step's outputs by name. */
export type StepOutputs = Record<string, Float32Array | Int32Array | Uint8Array>;

/** Steps run as one graph name their inputs and outputs `name@k` (the k-th step's); one step keeps the plain names. */
function unrolledFeeds(steps: readonly Record<string, StepFeed>[]): Record<string, StepFeed> {
  if (steps.length === 1) return steps[0]!;
  const feeds: Record<string, StepFeed> = {};
  steps.forEach((step, index) => {
    for (const [name, feed] of Object.entries(step)) feeds[`${name}@${index}`] = feed;
  });
  return feeds;
}

/** The name and step of an unrolled graph's input or output (see {@link unrolledFeeds}). */
function stepOf(name: string, count: number): { base: string; step: number } {
  if (count === 1) return { base: name, step: 0 };
  const at = name.lastIndexOf('@');
  return { base: name.slice(0, at), step: Number(name.slice(at + 1)) };
}

function shapesOf(feeds: Record<string, StepFeed>): Record<string, readonly number[]> {
  return Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, feed.shape]));
}

/** The definition run `count` times in a row, each run reading the state the one before assigned. */
function unrolled(definition: StepDefinition, count: number): StepDefinition {
  if (count === 1) return definition;
  return {
    name: definition.name,
    state: definition.state,
    step: (inputs) => {
      const stepInputs = Array.from({ length: count }, (): Record<string, tf.Tensor> => ({}));
      for (const [name, tensor] of Object.entries(inputs)) {
        const { base, step } = stepOf(name, count);
        stepInputs[step]![base] = tensor;
      }
      const outputs: Record<string, tf.Tensor> = {};
      stepInputs.forEach((fed, index) => {
        for (const [name, tensor] of Object.entries(definition.step(fed))) outputs[`${name}@${index}`] = tensor;
      });
      return outputs;
    },
  };
}
