// The browser build's ./wasm-threads (tsup.config.ts): browsers start tfjs's threaded wasm build
// by themselves when the page is cross-origin isolated, so there is nothing to prepare.

/** In the browser, tfjs decides (the option is ignored). */
export function resolveWasmThreads(): number {
  return 1;
}

export function wasmThreadsUnsupported(): string | undefined {
  return 'in a browser tfjs chooses the threaded build itself (the page must be cross-origin isolated)';
}

export function prepareWasmThreads(): () => void {
  return () => undefined;
}

export { wasmThreadsInUse } from './wasm-threads-in-use';
