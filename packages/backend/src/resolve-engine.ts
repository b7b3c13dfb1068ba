import { InvalidArgumentError, requireKnownKeys, requirePositiveInteger, resolveChoice, type KnownKeys } from '@sdae/core';
import { BackendUnavailableError, DeviceUnavailableError } from './errors';
import {
  deviceAdapter,
  formatAdapter,
  loadNativeEngine,
  type AdapterInfo,
  type ExecutionProvider,
  type NativeEngine,
} from './native/runtime/native-engine';
import { timeNativeProbeStep } from './probe-step';

/**
 * What runs the training steps: `'native'` (each step compiled from the model's own tfjs code into
 * one ONNX graph, run by onnxruntime-node: Node only), `'tfjs'` (op by op on the active tfjs
 * backend) or `'auto'` (native where it loads, else tfjs).
 */
export type EngineName = 'auto' | 'native' | 'tfjs';

/** Every valid {@link EngineName}. */
export const ENGINE_NAMES: readonly EngineName[] = ['auto', 'native', 'tfjs'];

/**
 * The onnxruntime execution provider the native engine's steps run on: `'cpu'`, a GPU provider
 * (`'webgpu'`: Vulkan, Metal or Direct3D 12 through Dawn; `'cuda'`; `'coreml'` on macOS; `'dml'`
 * on Windows) with the CPU provider behind it for any node it cannot run, or `'auto'`.
 */
export type DeviceName = 'auto' | ExecutionProvider;

/** Every valid {@link DeviceName}. */
export const DEVICE_NAMES: readonly DeviceName[] = ['auto', 'cpu', 'webgpu', 'cuda', 'coreml', 'dml'];

/** The GPU providers `device: 'auto'` considers, in order of preference, and the platforms it considers them on. */
const AUTO_DEVICES: readonly Exclude<ExecutionProvider, 'cpu'>[] = ['cuda', 'dml', 'webgpu'];
const AUTO_PLATFORMS: Record<Exclude<ExecutionProvider, 'cpu'>, readonly string[]> = {
  cuda: ['linux', 'win32'],
  dml: ['win32'],
  webgpu: ['linux', 'darwin', 'win32'],
  coreml: [],
};

/**
 * The rule that chose the device: `'requested'` (by name), `'no-gpu'` (no GPU provider started),
 * `'software-adapter'` (the GPU provider's adapter renders in software, slower than the CPU),
 * `'hardware-adapter'` (a GPU provider on a hardware adapter), `'probe'` (one timed step decided),
 * `'tfjs'` (the native engine does not run: no device).
 */
export type DeviceRule = 'requested' | 'no-gpu' | 'software-adapter' | 'hardware-adapter' | 'probe' | 'tfjs';

/** One device considered by {@link resolveEngine}, and how it went. */
export interface DeviceAttempt {
  device: ExecutionProvider;
  ok: boolean;
  reason: string;
  adapter?: AdapterInfo;
  /** The probe step's time, in milliseconds (`probe: true`). */
  milliseconds?: number;
}

/** What {@link resolveEngine} chose: the engine to train on and why. */
export type ResolvedEngine = {
  /** What was asked for (the options, defaults filled). */
  requested: { engine: EngineName; device: DeviceName };
  /** Every device considered, in order. */
  tried: DeviceAttempt[];
  rule: DeviceRule;
  /** One sentence: why this engine and device. */
  reason: string;
} & (
  | {
      engine: 'native';
      native: NativeEngine;
      device: ExecutionProvider;
      /** The providers a session gets, in order, e.g. ['webgpu', 'cpu']. */
      executionProviders: ExecutionProvider[];
      adapter: AdapterInfo | undefined;
      /** E.g. "onnxruntime-node 1.30.0 (native on webgpu: Mesa lavapipe ..., 2 threads)". */
      description: string;
    }
  | { engine: 'tfjs'; description: string }
);

/** Options of {@link resolveEngine}. */
export interface ResolveEngineOptions {
  /** @default 'auto' */
  engine?: EngineName;
  /** When unset, the SDAE_DEVICE environment variable (Node), else `'auto'`. @default 'auto' */
  device?: DeviceName;
  /** Threads of the native engine's pool. @default every core, or SDAE_NATIVE_THREADS */
  threads?: number;
  /**
   * With `device: 'auto'`: time one short step (a 784-128 layer's SGD step on 32 images) on each
   * hardware GPU provider that starts and on the CPU, and take the GPU only when it is faster.
   * @default false
   */
  probe?: boolean;
}

const RESOLVE_ENGINE_OPTION_KEYS: KnownKeys<ResolveEngineOptions> = { engine: true, device: true, threads: true, probe: true };

const resolved = new Map<string, Promise<ResolvedEngine>>();

/**
 * Chooses what trains, once per set of options in a process: the native engine on a device, or
 * tfjs, with the reason. `device: 'auto'` takes a GPU provider only when its adapter is hardware
 * (lavapipe, llvmpipe, SwiftShader rank below the CPU) and, with `probe`, only when one timed
 * step beats the CPU's. A device asked for by name must start.
 *
 * @throws {BackendUnavailableError} for `engine: 'native'` where onnxruntime-node cannot load.
 * @throws {DeviceUnavailableError} for a named device that cannot start, with what to install.
 * @throws {InvalidArgumentError} for unknown names, or a GPU device with `engine: 'tfjs'`.
 * @example
 * const engine = await resolveEngine({ device: 'auto' });
 * console.log(`${engine.description}: ${engine.reason}`);
 */
export async function resolveEngine(options: ResolveEngineOptions = {}): Promise<ResolvedEngine> {
  requireKnownKeys('resolveEngine', 'options', options, RESOLVE_ENGINE_OPTION_KEYS);
  const engine = resolveChoice('resolveEngine', 'engine', options.engine ?? 'auto', ENGINE_NAMES);
  const fromEnvironment = globalThis.process?.env?.SDAE_DEVICE;
  const [argument, value] =
    options.device !== undefined || fromEnvironment === undefined || fromEnvironment === ''
      ? ['device', options.device ?? 'auto']
      : ['SDAE_DEVICE', fromEnvironment];
  const device = resolveChoice('resolveEngine', argument, value, DEVICE_NAMES);
  const threads = options.threads === undefined ? undefined : requirePositiveInteger('resolveEngine', 'threads', options.threads);
  if (engine === 'tfjs' && device !== 'auto' && device !== 'cpu')
    throw new InvalidArgumentError(
      'device',
      device,
      `resolveEngine: device '${device}' (--device ${device}) runs the native engine's steps, but engine 'tfjs' was asked for. ` +
        `Use engine 'auto' or 'native' with it, or device 'auto'.`,
    );
  const key = JSON.stringify([engine, device, threads, options.probe === true]);
  let entry = resolved.get(key);
  if (entry === undefined) {
    entry = choose(engine, device, threads, options.probe === true);
    resolved.set(key, entry);
    entry.catch(() => resolved.delete(key));
  }
  return entry;
}

async function choose(engine: EngineName, device: DeviceName, threads: number | undefined, probe: boolean): Promise<ResolvedEngine> {
  const requested = { engine, device };
  const tfjs = (rule: DeviceRule, reason: string, tried: DeviceAttempt[] = []): ResolvedEngine => ({
    engine: 'tfjs',
    description: 'tfjs',
    requested,
    tried,
    rule,
    reason,
  });
  if (engine === 'tfjs') return tfjs('tfjs', "engine 'tfjs' was asked for");
  const withThreads = threads === undefined ? {} : { threads };
  const cpu = await loadNativeEngine(withThreads);
  if (!cpu.ok) {
    if (device !== 'auto' && device !== 'cpu') throw deviceUnavailable(device, cpu.reason, 'npm install onnxruntime-node');
    if (engine === 'native')
      throw new BackendUnavailableError(
        'native',
        cpu.reason,
        `engine 'native' (--engine native) cannot start here: ${cpu.reason}. ` +
          `Use engine 'auto' (--engine auto: the native engine where it loads, else tfjs) or 'tfjs' (--engine tfjs).`,
      );
    return tfjs('tfjs', `the native engine is unavailable: ${cpu.reason}`);
  }
  const native = (chosen: NativeEngine, rule: DeviceRule, reason: string, tried: DeviceAttempt[]): ResolvedEngine => ({
    engine: 'native',
    native: chosen,
    device: chosen.device,
    executionProviders: chosen.executionProviders,
    adapter: chosen.adapter,
    description: chosen.describe(),
    requested,
    tried,
    rule,
    reason,
  });
  if (device === 'cpu') return native(cpu.engine, 'requested', "device 'cpu' was asked for", []);
  if (device !== 'auto') {
    const status = await loadNativeEngine({ ...withThreads, device });
    if (!status.ok) throw deviceUnavailable(device, status.reason, status.device?.installHint ?? '');
    return native(status.engine, 'requested', `device '${device}' was asked for`, [attempt(status.engine)]);
  }
  const tried: DeviceAttempt[] = [];
  let cpuTime: number | undefined;
  const platform = globalThis.process?.platform;
  for (const candidate of AUTO_DEVICES.filter((name) => AUTO_PLATFORMS[name].includes(platform ?? ''))) {
    const adapter = deviceAdapter(candidate);
    // A software adapter is known from the system, without starting the provider.
    if (adapter?.software !== undefined) {
      tried.push({
        device: candidate,
        ok: false,
        adapter,
        reason: `its adapter renders in software (${formatAdapter(adapter)}): slower than the CPU`,
      });
      continue;
    }
    const status = await loadNativeEngine({ ...withThreads, device: candidate });
    if (!status.ok) {
      tried.push({ device: candidate, ok: false, reason: status.reason });
      continue;
    }
    if (!probe) {
      tried.push(attempt(status.engine));
      return native(
        status.engine,
        'hardware-adapter',
        `device auto: ${candidate} started on a hardware GPU (${adapterWords(status.engine)})`,
        tried,
      );
    }
    cpuTime ??= await timeNativeProbeStep(cpu.engine);
    const milliseconds = await timeNativeProbeStep(status.engine);
    tried.push({ ...attempt(status.engine), milliseconds, ok: milliseconds < cpuTime });
    if (milliseconds < cpuTime)
      return native(
        status.engine,
        'probe',
        `device auto: ${candidate}'s probe step took ${ms(milliseconds)} against the CPU's ${ms(cpuTime)}`,
        tried,
      );
  }
  const rule: DeviceRule =
    cpuTime !== undefined ? 'probe' : tried.some((entry) => entry.adapter?.software !== undefined) ? 'software-adapter' : 'no-gpu';
  const skipped = tried.map(
    (entry) =>
      `${entry.device}: ${entry.milliseconds === undefined ? entry.reason : `probe step ${ms(entry.milliseconds)}, the CPU's ${ms(cpuTime!)}`}`,
  );
  return native(cpu.engine, rule, `device auto stays on the CPU (${skipped.join('; ')})`, tried);
}

function attempt(engine: NativeEngine): DeviceAttempt {
  return {
    device: engine.device,
    ok: true,
    reason: `started (${adapterWords(engine)})`,
    ...(engine.adapter === undefined ? {} : { adapter: engine.adapter }),
  };
}

function adapterWords(engine: NativeEngine): string {
  return engine.adapter === undefined ? 'adapter not reported on this platform' : formatAdapter(engine.adapter);
}

const ms = (milliseconds: number) => `${milliseconds.toFixed(1)} ms`;

function deviceUnavailable(device: ExecutionProvider, reason: string, installHint: string): DeviceUnavailableError {
  return new DeviceUnavailableError(
    device,
    reason,
    installHint,
    `device '${device}' (--device ${device}) cannot start here: ${reason}. ${installHint === '' ? '' : `To use it: ${installHint}. `}` +
      `Or use device 'auto' (a hardware GPU where one starts, else the CPU) or 'cpu'.`,
  );
}
