// The tfjs backends sdae knows: their names, where each runs, the preference order per platform and
// how each is loaded.
import { webglRenderer, webgpuRenderer, type GpuRenderer } from './gpu-renderer';

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

export interface BackendSpec {
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

export interface GpuLike {
  requestAdapter: () => Promise<unknown>;
}

/** Why WebGPU cannot run here (no navigator.gpu, no adapter), or undefined when an adapter exists. */
export async function webgpuUnavailable(): Promise<string | undefined> {
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
export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
export const TFJS_NODE = '@tensorflow/tfjs-node';

export const SPECS: Record<BackendName, BackendSpec> = {
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
