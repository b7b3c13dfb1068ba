import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { describeMissingWasmFiles } from './wasm-check';
import { prepareWasmThreads, resolveWasmThreads, wasmThreadsInUse, wasmThreadsUnsupported } from './wasm-threads';
import { requireKnownKeys, resolveChoice, type KnownKeys } from '@sdae/core';
import { BackendUnavailableError } from './errors';
import { filledKernels, type FilledKernel } from './kernels/training-kernels';
import { resolveEngine, type DeviceRule, type ResolveEngineOptions, type ResolvedEngine } from './resolve-engine';
import { SdaeError } from '@sdae/core';
import { webglRenderer, webgpuRenderer, type GpuRenderer } from './gpu-renderer';
import { timeProbeStep } from './probe-step';

/**
 * The backends sdae can run on. `'tensorflow-gpu'` and `'tensorflow'` are libtensorflow through
 * @tensorflow/tfjs-node-gpu and @tensorflow/tfjs-node (Node only); `'webgpu'` and `'webgl'` run in
 * browsers; `'wasm'` and `'cpu'` everywhere.
 */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Where the code runs. */
export type Platform = 'node' | 'browser';

/** The names {@link selectBackend} accepts, fastest first. */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** The default order of preference on each platform. */
export const DEFAULT_PREFERENCE: Record<Platform, readonly BackendName[]> = {
  node: ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'],
  browser: ['webgpu', 'webgl', 'wasm', 'cpu'],
};

interface BackendSpec {
  /** The name tfjs registers the backend under. */
  tfjsName: string;
  platforms: readonly Platform[];
  /** Loads the package that registers the backend; undefined when it is always registered. */
  load?: () => Promise<unknown>;
  /** The package, named in reasons. */
  packageName?: string;
  /**
   * The sdae entry whose import registers the backend (browser backends: an app imports the ones
   * it wants, so bundles carry only those); undefined when it is always registered or loaded here.
   */
  entry?: string;
  /** Says why the backend cannot work here before it is loaded, or undefined when it may. */
  precheck?: () => Promise<string | undefined>;
  /** What renders this GPU backend here (read before it starts), or undefined without a GPU. */
  renderer?: () => Promise<GpuRenderer | undefined>;
}

interface GpuLike {
  requestAdapter: () => Promise<unknown>;
}

/** Why WebGPU cannot run here (no navigator.gpu, no adapter), or undefined when an adapter exists. */
async function webgpuUnavailable(): Promise<string | undefined> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (gpu === undefined)
    return 'this browser has no WebGPU (navigator.gpu is undefined: it needs a browser with WebGPU and a secure context)';
  try {
    if ((await gpu.requestAdapter()) === null) return 'WebGPU found no adapter (no usable GPU here, or the GPU is blocklisted)';
  } catch (error) {
    return `the WebGPU adapter request failed: ${(error as Error).message}`;
  }
  return undefined;
}

// A specifier in a variable keeps bundlers from trying to resolve these optional packages.
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
const TFJS_NODE = '@tensorflow/tfjs-node';

const SPECS: Record<BackendName, BackendSpec> = {
  'tensorflow-gpu': {
    tfjsName: 'tensorflow',
    platforms: ['node'],
    packageName: TFJS_NODE_GPU,
    load: () => import(/* @vite-ignore */ TFJS_NODE_GPU),
  },
  tensorflow: { tfjsName: 'tensorflow', platforms: ['node'], packageName: TFJS_NODE, load: () => import(/* @vite-ignore */ TFJS_NODE) },
  webgpu: {
    tfjsName: 'webgpu',
    platforms: ['browser'],
    packageName: '@tensorflow/tfjs-backend-webgpu',
    entry: '@sdae/backend/webgpu',
    precheck: webgpuUnavailable,
    renderer: webgpuRenderer,
  },
  webgl: {
    tfjsName: 'webgl',
    platforms: ['browser'],
    packageName: '@tensorflow/tfjs-backend-webgl',
    entry: '@sdae/backend/webgl',
    renderer: async () => webglRenderer(),
  },
  wasm: { tfjsName: 'wasm', platforms: ['node', 'browser'] },
  cpu: { tfjsName: 'cpu', platforms: ['node', 'browser'] },
};

/** One backend that was tried, and how it went. */
export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was chosen or why it could not start. */
  reason: string;
  /** How long loading and initialising took, in milliseconds. */
  milliseconds: number;
}

/**
 * The rule that decided a choice: `'requested'` (by name), `'fallback'` (the named one could not
 * start), `'order'` (the first of the order that started), `'software-renderer'` (a GPU backend
 * that renders in software ranked below wasm, which started), `'probe'` (the fastest probe step).
 */
export type SelectionRule = 'requested' | 'fallback' | 'order' | 'software-renderer' | 'probe';

/** What renders a GPU backend here, as {@link selectBackend} found before ranking. */
export interface RendererNote {
  name: BackendName;
  /** The WebGL renderer string or the WebGPU adapter's description. */
  renderer: string;
  /** The software renderer it names (e.g. 'SwiftShader'), undefined for a hardware GPU. */
  software: string | undefined;
}

/** One probe step's time on a backend that started (`probe: true`). */
export interface ProbeTiming {
  name: BackendName;
  /** The median of three timed steps after a warm-up, in milliseconds. */
  milliseconds: number;
}

/** What {@link selectBackend} did and why. */
export interface BackendReport {
  /** The backend now active. */
  backend: BackendName;
  platform: Platform;
  /** The backend asked for by name (option or SDAE_BACKEND), or undefined when chosen automatically. */
  requested: BackendName | undefined;
  /** Every backend tried, in order, with `ok` and a reason. */
  tried: BackendAttempt[];
  /** The kernels sdae registered for this backend's training. */
  filledKernels: FilledKernel[];
  /** One sentence for people: what was chosen and why. */
  explanation: string;
  /** The rule that decided. */
  rule: SelectionRule;
  /** What renders each GPU backend that was ranked (browsers, automatic choice). */
  renderers: RendererNote[];
  /** The probe step's time on each backend that started (`probe: true`); empty otherwise. */
  probes: ProbeTiming[];
  /**
   * The native training engine (onnxruntime-node, Node only), which the training loops prefer to
   * the tfjs backend when it loads; the tfjs backend still evaluates and runs everything else.
   */
  native: NativeEngineSummary;
}

/** Whether the native engine loads here: what it is and on which device, or why not ({@link resolveEngine}'s answer). */
export interface NativeEngineSummary {
  available: boolean;
  /** E.g. "onnxruntime-node 1.30.0 (native, 2 threads)"; the reason it is missing otherwise. */
  description: string;
  /** The device the native engine trains on ('cpu', 'webgpu'...), undefined when it is unavailable. */
  device?: string;
  /** The rule that chose the device, and why, in words. */
  rule?: DeviceRule;
  reason?: string;
  /** The resolver's full answer (devices tried, adapters), undefined when it refused. */
  resolved?: ResolvedEngine;
}

/**
 * Says whether the native engine is available and on which device, from {@link resolveEngine}
 * (which loads onnxruntime-node once per process). A refusal (a named device that cannot start)
 * is reported, not thrown.
 */
export async function summarizeNativeEngine(options: ResolveEngineOptions = {}): Promise<NativeEngineSummary> {
  try {
    const resolved = await resolveEngine(options.engine === undefined ? { ...options, engine: 'auto' } : options);
    if (resolved.engine === 'tfjs')
      return { available: false, description: resolved.reason, rule: resolved.rule, reason: resolved.reason, resolved };
    return {
      available: true,
      description: resolved.description,
      device: resolved.device,
      rule: resolved.rule,
      reason: resolved.reason,
      resolved,
    };
  } catch (error) {
    if (!SdaeError.isInstance(error)) throw error;
    return { available: false, description: error.message };
  }
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * A backend by name, or `'auto'` for the fastest that starts. When unset, the SDAE_BACKEND
   * environment variable (Node) is read.
   * @default 'auto'
   */
  backend?: BackendName | 'auto';
  /**
   * With an explicit backend that cannot start: fall back to the default order instead of
   * throwing {@link BackendUnavailableError}.
   * @default false
   */
  allowFallback?: boolean;
  /** The order to try in `'auto'` mode. @default DEFAULT_PREFERENCE[platform] */
  preference?: readonly BackendName[];
  /**
   * Where the browser finds the tfjs wasm binaries (passed to `setWasmPaths`), for bundled apps.
   * Node finds them by itself.
   * @default undefined
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * Node only: threads for the wasm backend (XNNPACK's pool), 1 to 8; 1 runs tfjs's
   * single-threaded build. Takes effect when wasm first starts in the process. When unset, the
   * SDAE_WASM_THREADS environment variable is read, else every core is used (at most 8).
   * Browsers decide by themselves (threads need a cross-origin isolated page).
   */
  wasmThreads?: number;
  /**
   * In `'auto'` mode: start every candidate, time one short training step on each (a 784-128
   * layer's gradient on 32 images) and keep the fastest, reporting the timings, instead of
   * keeping the first that starts. Costs the start-up of every backend.
   * @default false
   */
  probe?: boolean;
}

const SELECT_BACKEND_OPTION_KEYS: KnownKeys<SelectBackendOptions> = {
  backend: true,
  allowFallback: true,
  preference: true,
  wasmPaths: true,
  wasmThreads: true,
  probe: true,
};

/** The platform this code runs on. */
export function detectPlatform(): Platform {
  const node = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  const browserLike = typeof window !== 'undefined' || typeof importScripts === 'function';
  return node && !browserLike ? 'node' : 'browser';
}

declare function importScripts(...urls: string[]): void;

function moduleMissing(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /Cannot find (module|package)|Could not resolve|Failed to resolve|Failed to fetch dynamically imported module/.test(String(error))
  );
}

function missingReason(name: BackendName, packageName: string): string {
  const gpu = name === 'tensorflow-gpu' ? ' with CUDA 11.2 and cuDNN 8.1' : '';
  return (
    `${packageName} is not installed (it is optional: its install script downloads libtensorflow, which needs internet access). ` +
    `To use it${gpu}: npm install ${packageName}`
  );
}

async function tryBackend(name: BackendName, platform: Platform, options: SelectBackendOptions): Promise<BackendAttempt> {
  const spec = SPECS[name];
  const started = performance.now();
  const attempt = (ok: boolean, reason: string): BackendAttempt => ({ name, ok, reason, milliseconds: performance.now() - started });
  if (!spec.platforms.includes(platform)) return attempt(false, `${name} runs only in ${spec.platforms.join(' and ')}, not in ${platform}`);
  if (spec.entry !== undefined && tf.findBackendFactory(spec.tfjsName) === null)
    return attempt(false, `not included in this app: import '${spec.entry}' (after npm install ${spec.packageName}) to offer it`);
  const unavailable = await spec.precheck?.();
  if (unavailable !== undefined) return attempt(false, unavailable);
  if (spec.load !== undefined) {
    try {
      await spec.load();
    } catch (error) {
      return attempt(
        false,
        moduleMissing(error) ? missingReason(name, spec.packageName!) : `${spec.packageName} failed to load: ${(error as Error).message}`,
      );
    }
  }
  if (name === 'wasm' && options.wasmPaths !== undefined) {
    setWasmPaths(options.wasmPaths);
  }
  if (tf.findBackendFactory(spec.tfjsName) === null) return attempt(false, `${spec.tfjsName} is not registered with tfjs`);
  // wasm in Node: threads are chosen when the backend first starts in the process.
  const threads =
    name === 'wasm' && platform === 'node' && !startedBefore(spec.tfjsName) ? resolveWasmThreads(options.wasmThreads) : undefined;
  const noThreads = threads !== undefined && threads > 1 ? wasmThreadsUnsupported() : undefined;
  const restore = threads !== undefined && threads > 1 && noThreads === undefined ? prepareWasmThreads(threads) : undefined;
  let initialised = false;
  try {
    initialised = await tf.setBackend(spec.tfjsName);
  } catch (error) {
    return attempt(false, `initialisation failed: ${(error as Error).message}`);
  } finally {
    restore?.();
  }
  if (!initialised) {
    const missing = name === 'wasm' && platform === 'browser' ? await describeMissingWasmFiles(options.wasmPaths) : undefined;
    return attempt(false, missing ?? `initialisation failed (tfjs could not start the ${spec.tfjsName} backend here)`);
  }
  silenceNodeAdvice(spec.tfjsName);
  return attempt(true, describeStarted(name, noThreads));
}

/**
 * Keeps tfjs's cpu backend from printing its "install tfjs-node" banner on first use: the
 * backend was chosen here, and the report (and `sdae backends`) says which ones there are.
 */
function silenceNodeAdvice(tfjsName: string): void {
  const backend = tf.findBackend(tfjsName) as { firstUse?: boolean } | null;
  if (backend !== null && backend.firstUse === true) backend.firstUse = false;
}

/** Whether tfjs has already initialised this backend in this process. */
function startedBefore(tfjsName: string): boolean {
  return (tf.engine().registry as Record<string, unknown>)[tfjsName] !== undefined;
}

function describeStarted(name: BackendName, whyOneThread: string | undefined): string {
  if (name === 'wasm') {
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = wasmThreadsInUse();
    return `started (SIMD ${simd ? 'on' : 'off'}, ${threads > 1 ? `${threads} threads` : `single thread${whyOneThread === undefined ? '' : `: ${whyOneThread}`}`})`;
  }
  return 'started';
}

function readEnvironmentBackend(): string | undefined {
  if (typeof process === 'undefined' || process.env === undefined) return undefined;
  const value = process.env.SDAE_BACKEND;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The backend asked for by the option, else by SDAE_BACKEND; undefined for automatic choice. */
function resolveRequest(options: SelectBackendOptions): BackendName | undefined {
  const [argument, value] = options.backend !== undefined ? ['backend', options.backend] : ['SDAE_BACKEND', readEnvironmentBackend()];
  if (value === undefined) return undefined;
  const choice = resolveChoice('selectBackend', argument, value, ['auto', ...BACKEND_NAMES] as const);
  return choice === 'auto' ? undefined : choice;
}

/**
 * Picks, initialises and activates a tfjs backend, and says what it did. By default it tries the
 * platform's backends fastest first (Node: tensorflow-gpu, tensorflow, wasm, cpu; browser:
 * webgpu, webgl, wasm, cpu) and keeps the first that starts; a GPU backend that renders in
 * software (SwiftShader, llvmpipe, lavapipe: read from the WebGL renderer string or the WebGPU
 * adapter info) ranks below wasm. With `probe: true` it times one short step on every backend
 * that starts and keeps the fastest. The report's `rule` says which of these decided. A backend asked for by name (option
 * or SDAE_BACKEND) must start, unless `allowFallback` is set.
 *
 * @throws {BackendUnavailableError} when the requested backend cannot start, with the reason.
 * @throws {InvalidArgumentError} for an unknown backend name, listing the valid ones.
 * @example
 * const report = await selectBackend();
 * console.log(report.explanation); // "wasm: the first backend that started here (tensorflow-gpu: ...)"
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendReport> {
  requireKnownKeys('selectBackend', 'options', options, SELECT_BACKEND_OPTION_KEYS);
  const platform = detectPlatform();
  const requested = resolveRequest(options);
  const preference = (options.preference ?? DEFAULT_PREFERENCE[platform]).map((name) =>
    resolveChoice('selectBackend', 'preference', name, BACKEND_NAMES),
  );
  const renderers = requested === undefined ? await readRenderers(preference, platform) : [];
  const wasm = preference.indexOf('wasm');
  const demoted = renderers.filter((note) => note.software !== undefined && wasm >= 0 && preference.indexOf(note.name) < wasm);
  const ranked = rankSoftwareBelowWasm(preference, new Set(demoted.map((note) => note.name)));
  const order =
    requested === undefined ? ranked : [requested, ...(options.allowFallback ? ranked.filter((name) => name !== requested) : [])];
  const probe = options.probe === true && requested === undefined;
  const tried: BackendAttempt[] = [];
  const probes: ProbeTiming[] = [];
  for (const name of order) {
    const attempt = await tryBackend(name, platform, options);
    tried.push(attempt);
    if (attempt.ok && probe) {
      probes.push({ name, milliseconds: await timeProbeStep() });
    } else if (attempt.ok) {
      return report(name, platform, requested, tried, { renderers, demoted, probes }, await summarizeNativeEngine());
    } else if (name === requested && !options.allowFallback) {
      throw new BackendUnavailableError(
        name,
        attempt.reason,
        `selectBackend: backend '${name}' cannot start here: ${attempt.reason}. ` +
          `Choose another backend (${DEFAULT_PREFERENCE[platform].join(', ')}), or pass allowFallback: true.`,
      );
    }
  }
  if (probes.length > 0) {
    const fastest = probes.reduce((best, timing) => (timing.milliseconds < best.milliseconds ? timing : best));
    await tf.setBackend(SPECS[fastest.name].tfjsName);
    return report(fastest.name, platform, requested, tried, { renderers, demoted, probes }, await summarizeNativeEngine());
  }
  throw new BackendUnavailableError(
    order.join(', '),
    tried.map((attempt) => `${attempt.name}: ${attempt.reason}`).join('; '),
    `selectBackend: no backend could start here (${tried.map((attempt) => `${attempt.name}: ${attempt.reason}`).join('; ')}).`,
  );
}

/** What renders each registered GPU backend of the preference (browsers only). */
async function readRenderers(preference: readonly BackendName[], platform: Platform): Promise<RendererNote[]> {
  const notes: RendererNote[] = [];
  for (const name of preference) {
    const spec = SPECS[name];
    if (spec.renderer === undefined || !spec.platforms.includes(platform) || tf.findBackendFactory(spec.tfjsName) === null) continue;
    const found = await spec.renderer().catch(() => undefined);
    if (found !== undefined) notes.push({ name, ...found });
  }
  return notes;
}

/**
 * The order with every backend in `software` that comes before wasm moved just after it: a GPU
 * backend rendering in software (SwiftShader, llvmpipe, lavapipe) is slower than wasm (in
 * Chromium without a GPU: 103 ms against 9.9 ms for a dA minibatch).
 *
 * @example rankSoftwareBelowWasm(['webgpu', 'webgl', 'wasm', 'cpu'], new Set(['webgl'])); // ['webgpu', 'wasm', 'webgl', 'cpu']
 */
export function rankSoftwareBelowWasm(order: readonly BackendName[], software: ReadonlySet<BackendName>): BackendName[] {
  const wasm = order.indexOf('wasm');
  if (wasm < 0) return [...order];
  const demoted = order.filter((name, index) => index < wasm && software.has(name));
  const rest = order.filter((name) => !demoted.includes(name));
  const after = rest.indexOf('wasm') + 1;
  return [...rest.slice(0, after), ...demoted, ...rest.slice(after)];
}

function report(
  chosen: BackendName,
  platform: Platform,
  requested: BackendName | undefined,
  tried: BackendAttempt[],
  ranking: { renderers: RendererNote[]; demoted: RendererNote[]; probes: ProbeTiming[] },
  native: NativeEngineSummary,
): BackendReport {
  const { renderers, demoted, probes } = ranking;
  const rule: SelectionRule =
    requested === chosen
      ? 'requested'
      : requested !== undefined
        ? 'fallback'
        : probes.length > 0
          ? 'probe'
          : chosen === 'wasm' && demoted.length > 0
            ? 'software-renderer'
            : 'order';
  return {
    backend: chosen,
    platform,
    requested,
    tried,
    filledKernels: filledKernels(SPECS[chosen].tfjsName),
    explanation: explain(chosen, rule, requested, tried, demoted, probes),
    rule,
    renderers,
    probes,
    native,
  };
}

function explain(
  chosen: BackendName,
  rule: SelectionRule,
  requested: BackendName | undefined,
  tried: BackendAttempt[],
  demoted: RendererNote[],
  probes: ProbeTiming[],
): string {
  const failed = tried.filter((attempt) => !attempt.ok).map((attempt) => `${attempt.name}: ${attempt.reason}`);
  const why = {
    requested: 'asked for by name',
    fallback: `fallback, '${requested}' could not start`,
    order: 'the first backend of the order that started here',
    'software-renderer': `${demoted.map((note) => `${note.name} renders in software on ${note.software} (${note.renderer})`).join(' and ')}, slower than wasm, so it ranks below wasm, which started`,
    probe: `the fastest probe step (${probes.map((timing) => `${timing.name} ${timing.milliseconds.toFixed(1)} ms`).join(', ')})`,
  }[rule];
  return `${chosen}: ${why}${failed.length > 0 ? ` (skipped ${failed.join('; ')})` : ''}.`;
}

/** Whether a backend can run here, and why not. */
export interface BackendStatus {
  name: BackendName;
  available: boolean;
  reason: string;
}

/**
 * Says which backends work on this platform and why the others do not, by trying each one. The
 * backend active before the call is active again afterwards.
 *
 * @example (await listBackends()).map((status) => `${status.name}: ${status.available ? 'yes' : status.reason}`);
 */
export async function listBackends(options: Pick<SelectBackendOptions, 'wasmPaths' | 'wasmThreads'> = {}): Promise<BackendStatus[]> {
  const platform = detectPlatform();
  const previous = activeBackendName();
  const statuses: BackendStatus[] = [];
  for (const name of BACKEND_NAMES) {
    const attempt = await tryBackend(name, platform, options);
    statuses.push({ name, available: attempt.ok, reason: attempt.reason });
  }
  if (previous !== undefined) await tf.setBackend(previous);
  return statuses;
}

function activeBackendName(): string | undefined {
  try {
    return tf.getBackend() ?? undefined;
  } catch {
    return undefined; // No backend initialised yet.
  }
}

/** Lists a report's attempts as lines for a terminal. */
export function formatBackendReport(report: BackendReport): string {
  const native = report.native.available
    ? `engine: ${report.native.description}, each training step compiled to one ONNX graph; tfjs ${report.backend} runs the rest`
    : `engine: tfjs ${report.backend} (no native engine: ${report.native.description})`;
  const devices = (report.native.resolved?.tried ?? []).map(
    (attempt) => `  device ${attempt.ok ? 'ok  ' : 'no  '} ${attempt.device.padEnd(7)} ${attempt.reason}`,
  );
  const deviceLines = report.native.available
    ? [`  device: ${report.native.device} (${report.native.rule}: ${report.native.reason})`, ...devices]
    : [];
  const lines = [native, ...deviceLines, `backend: ${report.backend} on ${report.platform}`, `  ${report.explanation}`];
  for (const attempt of report.tried) lines.push(`  ${attempt.ok ? 'ok  ' : 'no  '} ${attempt.name.padEnd(14)} ${attempt.reason}`);
  for (const note of report.renderers)
    lines.push(
      `  renderer ${note.name}: ${note.renderer}${note.software === undefined ? '' : ` (software: ${note.software}, ranked below wasm)`}`,
    );
  for (const timing of report.probes) lines.push(`  probe ${timing.name}: ${timing.milliseconds.toFixed(1)} ms per step`);
  for (const kernel of report.filledKernels)
    lines.push(
      `  kernel ${kernel.kernelName} on ${kernel.backendName}: ${kernel.reason === 'missing' ? 'added (missing in tfjs)' : 'replaced (stock one is slow)'}`,
    );
  return lines.join('\n');
}
