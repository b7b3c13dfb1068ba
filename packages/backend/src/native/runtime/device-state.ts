import * as tf from '@tensorflow/tfjs-core';
import { SdaeError } from '@sdae/core';
import { encodeOnnxModel } from '../compiler/encode-onnx';
import type { ExecutionProvider, Ort, OrtSession, OrtTensor } from './onnxruntime';
import type { StepValue } from '../compiler/ir';

/** Device tensors (GPU buffers) held by every step's state in this process, for leak tests. */
let liveDeviceTensors = 0;

/** How many state tensors live in device buffers now, over every native step of the process. */
export function deviceTensorCount(): number {
  return liveDeviceTensors;
}

/**
 * A step's state (weights, optimiser slots) between runs. On the CPU provider it is host memory,
 * written into two preallocated buffers per tensor in turn. On WebGPU it stays in GPU buffers:
 * each run's new state (`preferredOutputLocation: 'gpu-buffer'`) is the next run's input, and the
 * values come back to JavaScript only when {@link StepState.pull} is called (epoch ends,
 * checkpoints, reads), through a small graph of Identity nodes on the same device.
 */
export class StepState {
  /** The current state by name; undefined until the first run. */
  private current: Map<string, OrtTensor> | undefined;
  /** Host copies of the state, as of the last pull or load (device mode). */
  private host = new Map<string, Float32Array>();
  /** For each updated state tensor, the host buffer its next value is written into (CPU mode). */
  private readonly spare = new Map<string, OrtTensor>();
  private reader: { session: Promise<OrtSession>; names: string[] } | undefined;
  /** Whether the device holds values newer than {@link StepState.host}. */
  private stale = false;
  /** How many times the state was copied back from the device. */
  reads = 0;
  /** Whether a run changed the state since it was last written into the tfjs variables. */
  private dirty = false;

  constructor(
    private readonly ort: Ort,
    private readonly providers: readonly ExecutionProvider[],
    private readonly variables: ReadonlyMap<string, tf.Variable>,
    readonly onDevice: boolean,
  ) {}

  /** The state to feed, loaded from the tfjs variables on first use. */
  load(): Map<string, OrtTensor> {
    if (this.current === undefined) {
      this.current = new Map();
      for (const [name, variable] of this.variables) {
        const values = Float32Array.from(variable.dataSync() as Float32Array);
        this.current.set(name, new this.ort.Tensor('float32', values, [...variable.shape]));
        if (this.onDevice) this.host.set(name, values);
      }
    }
    return this.current;
  }

  /** The buffers a run writes the new state into: preallocated host buffers, or none (the device allocates). */
  fetches(outputs: ReadonlyMap<string, StepValue>): Record<string, OrtTensor | null> {
    const state = this.load();
    const fetches: Record<string, OrtTensor | null> = {};
    for (const [name, value] of outputs) {
      if (this.onDevice) {
        fetches[value.graphName] = null;
        continue;
      }
      let spare = this.spare.get(name);
      if (spare === undefined || spare.data.length !== state.get(name)!.data.length) {
        spare = new this.ort.Tensor('float32', new Float32Array(state.get(name)!.data.length), value.shape);
      }
      fetches[value.graphName] = spare;
    }
    return fetches;
  }

  /** Takes a run's new state; the device buffers it replaces are freed. */
  commit(outputs: ReadonlyMap<string, StepValue>, results: Record<string, OrtTensor>): void {
    const state = this.load();
    for (const [name, value] of outputs) {
      const previous = state.get(name)!;
      state.set(name, results[value.graphName]!);
      if (!this.onDevice) {
        this.spare.set(name, previous);
        continue;
      }
      liveDeviceTensors++;
      if (previous.location === 'gpu-buffer') {
        previous.dispose();
        liveDeviceTensors--;
      }
    }
    if (outputs.size > 0) this.dirty = true;
    if (this.onDevice && outputs.size > 0) this.stale = true;
  }

  /** Copies the device's state back to host memory (nothing on the CPU, or when it is current). */
  async pull(): Promise<void> {
    if (!this.onDevice || !this.stale || this.current === undefined) return;
    const names = [...this.current.keys()];
    this.reader ??= {
      session: this.ort.InferenceSession.create(encodeOnnxModel(readGraph(this.current)), { executionProviders: [...this.providers] }),
      names,
    };
    const session = await this.reader.session;
    const inputs = Object.fromEntries(this.reader.names.map((name, index) => [`s${index}`, this.current!.get(name)!]));
    const results = await session.run(inputs);
    this.reader.names.forEach((name, index) => this.host.set(name, results[`r${index}`]!.data as Float32Array));
    this.reads++;
    this.stale = false;
  }

  /**
   * The state's values on the host, by name (copies are the caller's to make).
   *
   * @throws {SdaeError} on a device whose newer state was not pulled ({@link StepState.pull}).
   */
  values(stepName: string): Map<string, Float32Array> {
    if (this.current === undefined) return new Map();
    if (!this.onDevice) return new Map([...this.current].map(([name, tensor]) => [name, tensor.data as Float32Array]));
    if (this.stale)
      throw new SdaeError(
        `NativeStep.syncToVariables: the weights of "${stepName}" are on the GPU and newer than the last copy read back. ` +
          `Read weights after the loop's epoch ends (or call the step runner's flush first), not between two steps.`,
      );
    return this.host;
  }

  /**
   * Writes the state's values into its tfjs variables (copies: the native buffers are written again
   * by later steps); nothing when no run changed them since the last write or load.
   */
  writeToVariables(stepName: string): void {
    if (!this.dirty) return;
    const values = this.values(stepName);
    for (const [name, variable] of this.variables) {
      const tensor = values.get(name);
      if (tensor === undefined) continue;
      tf.tidy(() => variable.assign(tf.tensor(tensor.slice(), variable.shape, 'float32')));
    }
    this.dirty = false;
  }

  /** Forgets the state (the next run loads it from the variables again) and frees its device buffers. */
  clear(): void {
    for (const tensor of this.current?.values() ?? []) {
      if (tensor.location !== 'gpu-buffer') continue;
      tensor.dispose();
      liveDeviceTensors--;
    }
    this.current = undefined;
    this.host.clear();
    this.spare.clear();
    this.stale = false;
    this.dirty = false;
  }

  /** Frees everything, the read-back graph included. */
  async dispose(): Promise<void> {
    this.clear();
    const reader = this.reader;
    this.reader = undefined;
    if (reader !== undefined) await (await reader.session).release();
  }
}

/** A graph that hands each state tensor back as a host output: `s<i>` to `r<i>`. */
function readGraph(state: ReadonlyMap<string, OrtTensor>) {
  const tensors = [...state.values()];
  return {
    name: 'sdae-read-state',
    nodes: tensors.map((_, index) => ({ opType: 'Identity', inputs: [`s${index}`], outputs: [`r${index}`] })),
    initializers: [],
    inputs: tensors.map((tensor, index) => ({ name: `s${index}`, type: 'float32' as const, shape: [...tensor.dims] })),
    outputs: tensors.map((tensor, index) => ({ name: `r${index}`, type: 'float32' as const, shape: [...tensor.dims] })),
  };
}
