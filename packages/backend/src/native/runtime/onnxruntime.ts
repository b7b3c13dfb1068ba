// The one module that loads onnxruntime-node (an optional peer): every other module takes its types
// and its execution providers from here, so the package is imported, and a device started, once.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Module from 'node:module';
import type * as OnnxRuntime from 'onnxruntime-node';
import { encodeOnnxModel } from '../compiler/encode-onnx';

export type Ort = typeof OnnxRuntime;
export type OrtSession = OnnxRuntime.InferenceSession;
export type OrtTensor = OnnxRuntime.Tensor;

/** A specifier in a variable keeps bundlers from resolving the optional package. */
const ONNXRUNTIME_NODE = 'onnxruntime-node';

let loaded: Promise<Ort | string> | undefined;

/** Imports onnxruntime-node once; resolves with the module or the reason it cannot load. */
export function importOnnxRuntime(): Promise<Ort | string> {
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

/** The execution providers a native engine can run on (onnxruntime's names). */
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda' | 'coreml' | 'dml';

/** The folder holding onnxruntime-node's native library, where its postinstall puts the CUDA provider files. */
function bindingFolder(): string | undefined {
  const cache = (Module as unknown as { _cache?: Record<string, unknown> })._cache ?? {};
  const binding = Object.keys(cache).find((path) => path.endsWith('onnxruntime_binding.node'));
  return binding === undefined ? undefined : dirname(binding);
}

const CUDA_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/** How to install each GPU provider, for the refusals. */
export const INSTALL_HINTS: Record<Exclude<ExecutionProvider, 'cpu'>, string> = {
  webgpu:
    'WebGPU runs on Vulkan (Linux), Metal (macOS) or Direct3D 12 (Windows): install the GPU driver with its Vulkan ICD ' +
    '(on Debian without a GPU, Mesa >= 24 software Vulkan: apt-get install -t bookworm-backports mesa-vulkan-drivers)',
  cuda:
    "CUDA needs an NVIDIA GPU and driver, the CUDA 12 and cuDNN 9 libraries on the library path, and onnxruntime-node's CUDA provider " +
    'files (libonnxruntime_providers_cuda.so, libonnxruntime_providers_shared.so), which its postinstall fetches on linux x64 unless ' +
    'ONNXRUNTIME_NODE_INSTALL=skip was set: reinstall it with npm install onnxruntime-node (internet access needed)',
  coreml: "CoreML runs on macOS only, with onnxruntime-node's macOS build",
  dml: "DirectML runs on Windows only (Direct3D 12 GPU), with onnxruntime-node's Windows build",
};

/** The platforms whose onnxruntime-node build carries each provider. */
const PLATFORMS: Record<Exclude<ExecutionProvider, 'cpu'>, readonly string[]> = {
  webgpu: ['linux', 'darwin', 'win32'],
  cuda: ['linux', 'win32'],
  coreml: ['darwin'],
  dml: ['win32'],
};

/** A tiny graph (y = x + x) that a provider must compile and run to count as started. */
const PROBE_GRAPH = encodeOnnxModel({
  name: 'sdae-device-probe',
  nodes: [{ opType: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
  initializers: [],
  inputs: [{ name: 'x', type: 'float32', shape: [4] }],
  outputs: [{ name: 'y', type: 'float32', shape: [4] }],
});

const started = new Map<ExecutionProvider, Promise<string | undefined>>();

/**
 * Starts an execution provider once per process: undefined when it ran the probe graph exactly,
 * else why not (never throws). Missing provider files are found before onnxruntime tries to load
 * them, so a refusal costs milliseconds.
 */
export function startProvider(ort: Ort, provider: ExecutionProvider): Promise<string | undefined> {
  let entry = started.get(provider);
  if (entry === undefined) {
    entry = tryProvider(ort, provider);
    started.set(provider, entry);
  }
  return entry;
}

async function tryProvider(ort: Ort, provider: ExecutionProvider): Promise<string | undefined> {
  if (provider === 'cpu') return undefined;
  if (!PLATFORMS[provider].includes(process.platform)) return `${provider} is not part of onnxruntime-node on ${process.platform}`;
  const listed = (ort as { listSupportedBackends?: () => { name: string; bundled: boolean }[] }).listSupportedBackends?.();
  if (listed !== undefined && !listed.some((backend) => backend.name === provider))
    return `this onnxruntime-node build (${process.platform} ${process.arch}) has no ${provider} provider`;
  if (provider === 'cuda' && process.platform === 'linux') {
    const folder = bindingFolder();
    const missing = folder === undefined ? CUDA_FILES : CUDA_FILES.filter((file) => !existsSync(join(folder, file)));
    if (missing.length > 0)
      return `onnxruntime-node's CUDA provider files are missing (${missing.join(', ')}${folder === undefined ? '' : ` in ${folder.slice(folder.lastIndexOf('onnxruntime-node'))}`})`;
  }
  try {
    const session = await ort.InferenceSession.create(PROBE_GRAPH, { executionProviders: [provider], logSeverityLevel: 4 });
    try {
      const x = new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [4]);
      const { y } = await session.run({ x });
      const values = Array.from(y!.data as Float32Array);
      return values.join() === '2,4,6,8'
        ? undefined
        : `${provider} ran the probe graph wrongly (x + x of 1,2,3,4 gave ${values.join(', ')})`;
    } finally {
      await session.release();
    }
  } catch (error) {
    const message = ((error as Error).message ?? String(error)).split('\n')[0]!;
    return `${provider} could not start: ${message.replace(/^.*(Failed to get a WebGPU adapter)/, '$1')}`;
  }
}
