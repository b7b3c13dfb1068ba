// Threads for tfjs's wasm backend in Node. The browser build replaces this module with
// ./wasm-threads.browser.ts (tsup.config.ts), since browsers need none of it.
//
// tfjs-backend-wasm ships a threaded SIMD build (Emscripten pthreads, XNNPACK's thread pool),
// and its Emscripten code supports Node's worker_threads, but tfjs switches it off in Node
// (tensorflow/tfjs#3830) for two reasons this module works around, for the one tfjs version it
// was written against:
// 1. tfjs hands Emscripten its pthread worker script, and the main script the workers load, as
//    Blob URLs; Node's Worker cannot start from a blob: URL. While the backend starts, this
//    module keeps the text of each Blob made from strings, and starts each pthread worker from
//    that text with `eval: true`, the main script inlined where the worker would fetch it.
// 2. tfjs caps the pool at half the logical cores (it assumes two hyperthreads per core), which
//    on a 2-core machine is one thread. While the module instantiates, os.cpus() reports twice
//    the threads asked for.
// 3. Emscripten starts 8 pthread workers whatever the thread count; those past the pthreads the
//    threads asked for need are deferred (see deferred-worker.ts), started only if given a thread.
// Every patch is removed once the backend has started.
import os from 'node:os';
import { Worker as NodeWorker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { parseDecimal, requireNumber, requirePositiveInteger } from '@sdae/core';
import { BackendUnavailableError } from './errors';
import { DeferredWorker } from './deferred-worker';

/** The tfjs-backend-wasm version whose bundle layout this module knows. */
const KNOWN_VERSION = '4.22.0';
/** tfjs's pthread pool: the workers it starts with, so the most threads XNNPACK can use. */
export const MAX_WASM_THREADS = 8;

/** Where the worker script loads the main script from its Blob URL (replaced by the text). */
const WORKER_LOADS_MAIN_SCRIPT =
  /if\(typeof e\.data\.urlOrBlob=="string"\)\{importScripts\(e\.data\.urlOrBlob\)\}else\{var objectUrl=URL\.createObjectURL\(e\.data\.urlOrBlob\);importScripts\(objectUrl\);URL\.revokeObjectURL\(objectUrl\)\}/;
/** The main script's first words, as tfjs builds it. */
const MAIN_SCRIPT_START = 'var WasmBackendModuleThreadedSimd';
/** The bundle-scope names the factory's source uses; the worker defines them before it runs. */
const WORKER_PRELUDE =
  "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n";

/**
 * The parent's Node flags for a pthread worker, minus those that would make its eval'd CommonJS
 * script an ES module (`node --input-type=module -e ...`): there `require` is undefined and every
 * worker dies. Workers inherit `process.execArgv` unless told otherwise.
 */
function pthreadExecArgv(): string[] {
  const flags: string[] = [];
  for (let index = 0; index < process.execArgv.length; index++) {
    const flag = process.execArgv[index]!;
    if (flag === '--input-type' || flag === '--experimental-default-type') index++;
    else if (!flag.startsWith('--input-type=') && !flag.startsWith('--experimental-default-type=')) flags.push(flag);
  }
  return flags;
}

/**
 * The wasm threads asked for: the option, else SDAE_WASM_THREADS, else every core (at most
 * {@link MAX_WASM_THREADS}). 1 means tfjs's single-threaded build.
 */
export function resolveWasmThreads(option: number | undefined): number {
  const fromEnvironment = process.env.SDAE_WASM_THREADS?.trim();
  if (option === undefined && (fromEnvironment === undefined || fromEnvironment === ''))
    return Math.min(os.availableParallelism(), MAX_WASM_THREADS);
  const argument = option !== undefined ? 'wasmThreads' : 'SDAE_WASM_THREADS';
  // An unparsable SDAE_WASM_THREADS is shown as the text it was.
  const value = option ?? (Number.isFinite(parseDecimal(fromEnvironment!)) ? parseDecimal(fromEnvironment!) : fromEnvironment);
  requirePositiveInteger('selectBackend', argument, value);
  return requireNumber('selectBackend', argument, value, { min: 1, max: MAX_WASM_THREADS });
}

/** Why threads cannot be used with the installed tfjs-backend-wasm, or undefined. */
export function wasmThreadsUnsupported(): string | undefined {
  if (version_wasm !== KNOWN_VERSION) return `threads in Node need @tensorflow/tfjs-backend-wasm ${KNOWN_VERSION}, found ${version_wasm}`;
  if (typeof SharedArrayBuffer === 'undefined') return 'this Node has no SharedArrayBuffer';
  return undefined;
}

/**
 * Sets tfjs up to start the threaded wasm build with `threads` threads when the wasm backend
 * next initialises. Returns the function that removes the temporary patches; call it once
 * `tf.setBackend('wasm')` has settled.
 */
export function prepareWasmThreads(threads: number): () => void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);

  const texts = new WeakMap<Blob, string>();
  const byUrl = new Map<string, string>();
  let mainScript: string | undefined;
  const NativeBlob = globalThis.Blob;
  const nativeCreateObjectURL = URL.createObjectURL;
  const nativeCpus = os.cpus;
  const hadWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  let assignedWorker: unknown;
  // XNNPACK's pool runs on threads - 1 pthreads (the main thread is the other), and Emscripten
  // hands out the pool's last workers first: the first ones made are deferred. With 2, 4 and 8
  // threads no deferred worker was ever started.
  let deferredLeft = MAX_WASM_THREADS - (threads - 1);

  class RememberingBlob extends NativeBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts !== undefined && parts.every((part) => typeof part === 'string')) {
        const text = parts.join('');
        texts.set(this, text);
        if (text.startsWith(MAIN_SCRIPT_START)) mainScript = text;
      }
    }
  }
  class PthreadWorker extends NodeWorker {
    constructor(url: string | URL, options?: ConstructorParameters<typeof NodeWorker>[1]) {
      const workerScript = byUrl.get(String(url));
      if (workerScript === undefined) {
        super(url, options);
        return;
      }
      if (mainScript === undefined || !WORKER_LOADS_MAIN_SCRIPT.test(workerScript)) {
        throw new BackendUnavailableError(
          'wasm',
          `tfjs-backend-wasm ${version_wasm}'s pthread scripts are not the ones expected`,
          `@sdae/backend: the threaded wasm backend cannot start: tfjs-backend-wasm ${version_wasm}'s pthread scripts are not the ones ` +
            'this version of @sdae/backend expects. Run with SDAE_WASM_THREADS=1 (single-threaded wasm), or install the ' +
            'tfjs-backend-wasm version that @sdae/backend depends on.',
        );
      }
      const main = mainScript;
      super(WORKER_PRELUDE + workerScript.replace(WORKER_LOADS_MAIN_SCRIPT, () => `(0,eval)(${JSON.stringify(main)});`), {
        ...options,
        eval: true,
        execArgv: pthreadExecArgv(),
      });
    }

    // Emscripten refs a worker while it runs a pthread, and XNNPACK's pool threads run for the
    // life of the process, which would then never exit. The main thread always waits for its
    // pool synchronously, so no pthread has work of its own to finish.
    override ref(): void {}

    // The worker has the main script inlined; posting its Blob would only hold a port open and
    // keep Node from exiting.
    override postMessage(message: unknown, transferList?: Parameters<NodeWorker['postMessage']>[1]): void {
      const load = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (load?.cmd === 'load' && load.urlOrBlob instanceof NativeBlob) {
        super.postMessage({ ...load, urlOrBlob: null }, transferList);
        return;
      }
      super.postMessage(message, transferList);
    }
  }

  globalThis.Blob = RememberingBlob as typeof Blob;
  URL.createObjectURL = (blob: Blob) => {
    const url = nativeCreateObjectURL(blob);
    const text = texts.get(blob);
    if (text !== undefined) byUrl.set(url, text);
    return url;
  };
  os.cpus = () => {
    const cpus = nativeCpus();
    return Array.from({ length: 2 * threads }, (_, index) => cpus[index % cpus.length]!);
  };
  // A constructor that returns a deferred worker for the first pthread workers asked for.
  const PoolWorker = function (url: string | URL, options?: ConstructorParameters<typeof NodeWorker>[1]) {
    if (byUrl.has(String(url)) && deferredLeft > 0) {
      deferredLeft -= 1;
      return new DeferredWorker(() => new PthreadWorker(url, options));
    }
    return new PthreadWorker(url, options);
  } as unknown as typeof NodeWorker;
  // Emscripten assigns global.Worker = worker_threads.Worker, then creates its workers.
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => PoolWorker,
    set: (value) => (assignedWorker = value),
  });

  return () => {
    globalThis.Blob = NativeBlob;
    URL.createObjectURL = nativeCreateObjectURL;
    os.cpus = nativeCpus;
    for (const url of byUrl.keys()) URL.revokeObjectURL(url);
    if (hadWorker !== undefined) Object.defineProperty(globalThis, 'Worker', hadWorker);
    else if (assignedWorker !== undefined)
      Object.defineProperty(globalThis, 'Worker', { configurable: true, writable: true, value: assignedWorker });
    else delete (globalThis as { Worker?: unknown }).Worker;
  };
}

export { wasmThreadsInUse } from './wasm-threads-in-use';
