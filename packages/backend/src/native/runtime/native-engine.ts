import { availableParallelism } from 'node:os';
import { InvalidArgumentError, SdaeError, environmentInteger, requireKnownKeys, requirePositiveInteger, type KnownKeys } from '@sdae/core';
import { encodeOnnxModel } from '../compiler/encode-onnx';
import type { TracedStep } from '../compiler/ir';
import { traceStep, type StepDefinition } from '../compiler/trace';
import { sharedShapes, stepOf, unrollStep, unrolledFeeds } from '../compiler/unroll';
import {
  INSTALL_HINTS,
  importOnnxRuntime,
  startProvider,
  type ExecutionProvider,
  type Ort,
  type OrtSession,
  type OrtTensor,
} from './onnxruntime';
import { findAdapter } from './adapter';
import { formatAdapter, type AdapterInfo } from './adapter-info';
import { StepState, deviceTensorCount } from './device-state';
import { NATIVE_THREADS_PER_CORE } from './native-threads';
import { nchwcBlock } from './nchwc-probe';
import { ShardedStep, type ShardedStepDefinition } from './sharded-step';

/**
 * What {@link loadNativeEngine} found: the engine, or why there is none. `device` is set when
 * onnxruntime-node loads but the asked-for execution provider cannot start, with how to install it.
 */
export type NativeEngineStatus =
  { ok: true; engine: NativeEngine } | { ok: false; reason: string; device?: { name: ExecutionProvider; installHint: string } };

/** Options of {@link loadNativeEngine}. */
export interface NativeEngineOptions {
  /**
   * Threads of onnxruntime's one intra-op pool. The environment variable `SDAE_NATIVE_THREADS`
   * overrides the default. @default every core (`os.availableParallelism()`)
   */
  threads?: number;
  /**
   * The execution provider the steps run on; onnxruntime's CPU provider runs any node the GPU
   * provider cannot. @default 'cpu'
   */
  device?: ExecutionProvider;
}

const NATIVE_ENGINE_OPTION_KEYS: KnownKeys<NativeEngineOptions> = { threads: true, device: true };

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
  const device = options.device ?? 'cpu';
  if (device === 'cpu') return { ok: true, engine: new NativeEngine(ort, threads, 'cpu', undefined) };
  const refused = await startProvider(ort, device);
  if (refused !== undefined) return { ok: false, reason: refused, device: { name: device, installHint: INSTALL_HINTS[device] } };
  return { ok: true, engine: new NativeEngine(ort, threads, device, findAdapter(device)) };
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
    /** The execution provider the steps run on. */
    readonly device: ExecutionProvider,
    /** The GPU adapter the provider runs on, where the system says; undefined on the CPU. */
    readonly adapter: AdapterInfo | undefined,
  ) {
    this.version = (ort.env as { versions?: { common?: string } }).versions?.common ?? 'unknown';
  }

  /** The execution providers a session is given, in order: the device's, then the CPU's for the rest. */
  get executionProviders(): ExecutionProvider[] {
    return this.device === 'cpu' ? ['cpu'] : [this.device, 'cpu'];
  }

  /** One line for reports: what runs the steps, on which device and how many threads. */
  describe(): string {
    const threads = `${this.threads} thread${this.threads === 1 ? '' : 's'}`;
    if (this.device === 'cpu') return `onnxruntime-node ${this.version} (native, ${threads})`;
    const adapter = this.adapter === undefined ? 'adapter not reported here' : formatAdapter(this.adapter);
    return `onnxruntime-node ${this.version} (native on ${this.device}: ${adapter}; cpu behind it, ${threads})`;
  }

  /**
   * Prepares a step for native training. Nothing is traced until the first {@link NativeStep.run},
   * which compiles the step for the shapes it is fed (and again for each new set of shapes).
   */
  prepare(definition: StepDefinition, options: PrepareOptions = {}): NativeStep {
    return new NativeStep(this.ort, this.threads, this.executionProviders, definition, options);
  }

  /**
   * Prepares a step whose batch runs in parts at once, one per thread (the CPU provider only): see
   * {@link ShardedStep}. Worth it for small models, whose many small kernels gain little from
   * onnxruntime's own threads.
   *
   * @throws {InvalidArgumentError} on a GPU provider, or with `parts` under 2 or above the engine's threads.
   */
  prepareSharded(definition: ShardedStepDefinition, parts = this.threads, options: PrepareOptions = {}): ShardedStep {
    if (this.device !== 'cpu')
      throw new InvalidArgumentError(
        'device',
        this.device,
        `NativeEngine.prepareSharded: parts of a batch run on the CPU provider only; this engine runs on ${this.device}.`,
      );
    if (!Number.isInteger(parts) || parts < 2 || parts > this.threads)
      throw new InvalidArgumentError(
        'parts',
        parts,
        `NativeEngine.prepareSharded: parts must be a whole number from 2 to the engine's ${this.threads} threads; received ${parts}.`,
      );
    return new ShardedStep(this.ort, parts, definition, () => traceOptions(this.ort, ['cpu'], options));
  }
}

/** How a step is traced for these providers: the CPU's own forms (pooling indices, Col2Im, blocked convolutions) or the GPU's. */
async function traceOptions(
  ort: Ort,
  providers: readonly ExecutionProvider[],
  options: PrepareOptions,
): Promise<Parameters<typeof traceStep>[2]> {
  const cpu = providers[0] === 'cpu';
  const block = cpu && options.blockedConvolutions !== false ? await nchwcBlock(ort) : undefined;
  return {
    maxPoolGradient: options.maxPoolGradient ?? (cpu ? 'indices' : 'compare'),
    convolutionInputGradient: options.convolutionInputGradient ?? (cpu ? 'col2im' : 'transposed'),
    ...(block === undefined ? {} : { nchwcBlock: block }),
  };
}

/** Options of {@link NativeEngine.prepare}. */
export interface PrepareOptions {
  /**
   * How max pooling's gradient is compiled: `'indices'` from MaxPool's Indices output (the CPU
   * provider's fastest), `'compare'` by comparing each window with its maximum (GPU providers:
   * WebGPU's MaxPool has no Indices output). Both give tfjs's result (the first maximum of a window).
   * @default 'indices' on the CPU, else 'compare'
   */
  maxPoolGradient?: 'indices' | 'compare';
  /**
   * How a convolution's gradient with respect to its input is compiled: `'col2im'` as one matrix
   * product of the filters with dy and a Col2Im (the CPU provider's fastest: its ConvTranspose runs
   * one small product per image, slower on 2 threads than on 1), `'transposed'` as a ConvTranspose
   * (GPU providers, which may lack Col2Im). Both give tfjs's result.
   * @default 'col2im' on the CPU, else 'transposed'
   */
  convolutionInputGradient?: 'col2im' | 'transposed';
  /**
   * Whether convolutions of several channels run on onnxruntime's blocked-channel (NCHWc) CPU
   * kernels, where this machine's onnxruntime has them (a probe finds their channel block once).
   * @default true on the CPU (GPU providers never)
   */
  blockedConvolutions?: boolean;
}

/**
 * One intra-op pool of `threads`. Its threads wait without spinning: between two runs the
 * JavaScript thread prepares the next batch on the same cores, and spinning pool threads took
 * them from it (the notebook CNN's 1 ms steps ran 15-25 % faster without; the dA's and SdA's
 * steps, which run eight steps per call, the same).
 */
function sessionOptions(threads: number, providers: readonly ExecutionProvider[], deviceOutputs: readonly string[]) {
  return {
    executionProviders: [...providers],
    ...(deviceOutputs.length === 0
      ? {}
      : { preferredOutputLocation: Object.fromEntries(deviceOutputs.map((name) => [name, 'gpu-buffer' as const])) }),
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
  /** The traced step for each set of input shapes; unrolled copies of it run several steps. */
  private readonly traces = new Map<string, Promise<TracedStep>>();
  private readonly state: StepState;
  private disposed = false;

  /** @internal Use {@link NativeEngine.prepare}. */
  constructor(
    ort: Ort,
    private readonly threads: number,
    private readonly providers: readonly ExecutionProvider[],
    private readonly definition: StepDefinition,
    private readonly options: PrepareOptions,
  ) {
    this.ort = ort;
    this.state = new StepState(ort, providers, definition.state, providers[0] === 'webgpu');
  }

  private readonly ort: Ort;

  /** How many times the state was copied back from the device (0 on the CPU provider, whose state is host memory). */
  get stateReads(): number {
    return this.state.reads;
  }

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
   * Runs several steps in order as one graph (the step's graph unrolled, each copy reading the
   * state the one before wrote) and returns each step's outputs. The result equals that many
   * {@link NativeStep.run} calls; it is faster because onnxruntime-node copies every output into a
   * new JavaScript buffer, so a run that hands back the new weights costs about 1 ms per 4 MB of
   * state: eight steps of a 784-1000-1000-1000 network took 3.4-4.1 ms each this way, 9.8-10.9 ms
   * one by one. On WebGPU the state stays on the GPU between runs, so one step a run costs no copy.
   *
   * @throws {UnsupportedKernelError} (at the first run of a shape) when the step cannot be compiled.
   */
  async runSteps(steps: readonly Record<string, StepFeed>[]): Promise<StepOutputs[]> {
    if (this.disposed) throw new SdaeError(`NativeStep.run: the step "${this.definition.name}" has been disposed.`);
    const feeds = unrolledFeeds(steps);
    const { traced, session } = await this.compileShapes(steps.length, sharedShapes(steps));
    const state = this.state.load();
    const inputs: Record<string, OrtTensor> = {};
    for (const [name, value] of traced.inputs) {
      const feed = feeds[name];
      if (feed === undefined) throw new InvalidArgumentError('feeds', Object.keys(feeds), `NativeStep.run: no feed for input "${name}".`);
      inputs[value.graphName] = new this.ort.Tensor('float32', feed.values, value.shape);
    }
    for (const [name, value] of traced.stateInputs) inputs[value.graphName] = state.get(name)!;
    // On the CPU the new state is written into preallocated buffers, two per state tensor used in
    // turn, so a step allocates (and the garbage collector frees) no weight-sized arrays.
    const fetches: Record<string, OrtTensor | null> = this.state.fetches(traced.stateOutputs);
    for (const value of traced.outputs.values()) fetches[value.graphName] = null;
    const results = await session.run(inputs, fetches);
    this.state.commit(traced.stateOutputs, results);
    const outputs = steps.map((): StepOutputs => ({}));
    for (const [name, value] of traced.outputs) {
      const { base, step } = stepOf(name, steps.length);
      outputs[step]![base] = results[value.graphName]!.data as Float32Array | Int32Array | Uint8Array;
    }
    return outputs;
  }

  /**
   * Copies the state back from the GPU (WebGPU) so that {@link NativeStep.syncToVariables} can
   * write it; nothing on the CPU provider or when nothing changed since the last pull.
   */
  async pull(): Promise<void> {
    await this.state.pull();
  }

  /**
   * Writes the native state into the tfjs variables (nothing when they are current).
   *
   * @throws {SdaeError} on WebGPU when the GPU holds newer state than the last {@link NativeStep.pull}.
   */
  syncToVariables(): void {
    this.state.writeToVariables(this.definition.name);
  }

  /** Takes the state from the tfjs variables again (after they were restored or set in tfjs). */
  reloadFromVariables(): void {
    this.state.clear();
  }

  /** Frees the sessions and the device buffers. The tfjs variables keep the values of the last sync. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.state.dispose();
    const entries = await Promise.allSettled(this.compiled.values());
    for (const entry of entries) if (entry.status === 'fulfilled') await entry.value.session.release();
    this.compiled.clear();
    this.traces.clear();
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

  /** The graph of `count` steps with these (one step's) input shapes, compiled once. */
  private compileShapes(count: number, shapes: Record<string, readonly number[]>): Promise<CompiledShape> {
    const shapesKey = JSON.stringify(Object.entries(shapes).sort(([a], [b]) => (a < b ? -1 : 1)));
    const key = `${count} ${shapesKey}`;
    let entry = this.compiled.get(key);
    if (entry === undefined) {
      entry = (async () => {
        const traced = unrollStep(await this.traceFor(shapesKey, shapes), count);
        const onDevice = this.state.onDevice ? [...traced.stateOutputs.values()].map((value) => value.graphName) : [];
        const session = await this.ort.InferenceSession.create(
          encodeOnnxModel(traced.graph),
          sessionOptions(this.threads, this.providers, onDevice),
        );
        return { traced, session };
      })();
      this.compiled.set(key, entry);
      entry.catch(() => this.compiled.delete(key));
    }
    return entry;
  }

  /** The step traced for these input shapes, once. */
  private traceFor(key: string, shapes: Record<string, readonly number[]>): Promise<TracedStep> {
    let entry = this.traces.get(key);
    if (entry === undefined) {
      entry = (async () => {
        // The trace reads the tfjs variables: they must hold the current state first.
        await this.pull();
        this.syncToVariables();
        return traceStep(this.definition, shapes, await traceOptions(this.ort, this.providers, this.options));
      })();
      this.traces.set(key, entry);
      entry.catch(() => this.traces.delete(key));
    }
    return entry;
  }
}

/** One step's outputs by name. */
export type StepOutputs = Record<string, Float32Array | Int32Array | Uint8Array>;

/**
 * The adapter a GPU execution provider would run on here, read without starting it (see
 * {@link findAdapter}); undefined on the CPU or where the system does not say.
 */
export function deviceAdapter(device: ExecutionProvider): AdapterInfo | undefined {
  return device === 'cpu' ? undefined : findAdapter(device);
}

export { formatAdapter, deviceTensorCount };
export type { AdapterInfo, ExecutionProvider };
