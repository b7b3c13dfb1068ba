import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { describeMissingWasmFiles } from './wasm-check';
import { prepareWasmThreads, resolveWasmThreads, wasmThreadsInUse, wasmThreadsUnsupported } from './wasm-threads';
import { requireKnownKeys, resolveChoice, type KnownKeys } from '@sdae/core';
import { BackendUnavailableError } from './errors';
import { timeProbeStep } from './probe-step';
import {
  type BackendAttempt,
  type BackendReport,
  type ProbeTiming,
  type RendererNote,
  report,
  summarizeNativeEngine,
} from './backend-report';
import { BACKEND_NAMES, type BackendName, DEFAULT_PREFERENCE, type Platform, SPECS } from './backend-specs';

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

export const SELECT_BACKEND_OPTION_KEYS: KnownKeys<SelectBackendOptions> = {
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

export function moduleMissing(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return (
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /Cannot find (module|package)|Could not resolve|Failed to resolve|Failed to fetch dynamically imported module/.test(String(error))
  );
}

export function missingReason(name: BackendName, packageName: string): string {
  const gpu = name === 'tensorflow-gpu' ? ' with CUDA 11.2 and cuDNN 8.1' : '';
  return (
    `${packageName} is not installed (it is optional: its install script downloads libtensorflow, which needs internet access). ` +
    `To use it${gpu}: npm install ${packageName}`
  );
}

export async function tryBackend(name: BackendName, platform: Platform, options: SelectBackendOptions): Promise<BackendAttempt> {
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
export function silenceNodeAdvice(tfjsName: string): void {
  const backend = tf.findBackend(tfjsName) as { firstUse?: boolean } | null;
  if (backend !== null && backend.firstUse === true) backend.firstUse = false;
}

/** Whether tfjs has already initialised this backend in this process. */
export function startedBefore(tfjsName: string): boolean {
  return (tf.engine().registry as Record<string, unknown>)[tfjsName] !== undefined;
}

export function describeStarted(name: BackendName, whyOneThread: string | undefined): string {
  if (name === 'wasm') {
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = wasmThreadsInUse();
    return `started (SIMD ${simd ? 'on' : 'off'}, ${threads > 1 ? `${threads} threads` : `single thread${whyOneThread === undefined ? '' : `: ${whyOneThread}`}`})`;
  }
  return 'started';
}

export function readEnvironmentBackend(): string | undefined {
  if (typeof process === 'undefined' || process.env === undefined) return undefined;
  const value = process.env.SDAE_BACKEND;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The backend asked for by the option, else by SDAE_BACKEND; undefined for automatic choice. */
export function resolveRequest(options: SelectBackendOptions): BackendName | undefined {
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
export async function readRenderers(preference: readonly BackendName[], platform: Platform): Promise<RendererNote[]> {
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
