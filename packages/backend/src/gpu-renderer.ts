// What renders a browser's GPU backends: the WebGL renderer string (WEBGL_debug_renderer_info)
// and the WebGPU adapter's info, read before the backend starts, so that a software renderer
// (SwiftShader, llvmpipe, lavapipe), slower than wasm, ranks below it.

/** The software renderers sdae knows, as they appear in renderer strings. */
const SOFTWARE_RENDERERS: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  ['SwiftShader', /swiftshader/i],
  ['llvmpipe', /llvmpipe/i],
  ['lavapipe', /lavapipe/i],
  ['softpipe', /softpipe/i],
  ['Microsoft Basic Render Driver', /microsoft basic render/i],
];

/**
 * The software renderer a renderer string names, or undefined for a hardware GPU.
 *
 * @example softwareRendererName('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)'); // 'SwiftShader'
 */
export function softwareRendererName(renderer: string): string | undefined {
  return SOFTWARE_RENDERERS.find(([, pattern]) => pattern.test(renderer))?.[0];
}

/** What renders a GPU backend here. */
export interface GpuRenderer {
  /** The renderer string (WebGL) or the adapter's vendor, architecture, device and description (WebGPU). */
  renderer: string;
  /** The software renderer it names, or undefined for a hardware GPU. */
  software: string | undefined;
}

interface WebglLike {
  getExtension: (name: string) => { UNMASKED_RENDERER_WEBGL?: number; loseContext?: () => void } | null;
  getParameter: (parameter: number) => unknown;
  RENDERER: number;
}

/** The WebGL renderer string, or undefined where there is no WebGL context. */
export function webglRenderer(): GpuRenderer | undefined {
  const canvas =
    typeof OffscreenCanvas !== 'undefined'
      ? new OffscreenCanvas(1, 1)
      : typeof document !== 'undefined'
        ? document.createElement('canvas')
        : undefined;
  const gl = (canvas?.getContext('webgl2') ?? canvas?.getContext('webgl')) as WebglLike | null | undefined;
  if (gl === null || gl === undefined) return undefined;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(debug?.UNMASKED_RENDERER_WEBGL ?? gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext?.();
  return { renderer, software: softwareRendererName(renderer) };
}

interface AdapterLike {
  info?: Record<string, unknown>;
  requestAdapterInfo?: () => Promise<Record<string, unknown>>;
  isFallbackAdapter?: boolean;
}

/** The WebGPU adapter's description, or undefined where there is no adapter. */
export async function webgpuRenderer(): Promise<GpuRenderer | undefined> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter: () => Promise<AdapterLike | null> } } }).navigator?.gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (adapter === null || adapter === undefined) return undefined;
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.().catch(() => undefined)) ?? {};
  return describeWebgpuAdapter(info, adapter.isFallbackAdapter === true);
}

/**
 * A WebGPU adapter's (or device's `adapterInfo`) vendor, architecture, device and description,
 * and the software renderer they name: SwiftShader and the like, or any fallback adapter.
 *
 * @example describeWebgpuAdapter({ vendor: 'google', architecture: 'swiftshader' }).software; // 'SwiftShader'
 */
export function describeWebgpuAdapter(info: Record<string, unknown>, fallback = false): GpuRenderer {
  const renderer = ['vendor', 'architecture', 'device', 'description']
    .map((key) => info[key])
    .filter((value) => typeof value === 'string' && value !== '')
    .join(' ');
  const isFallback = fallback || info.isFallbackAdapter === true;
  return { renderer, software: softwareRendererName(renderer) ?? (isFallback ? 'a fallback (software) adapter' : undefined) };
}
