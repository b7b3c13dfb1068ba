// Why tfjs's wasm backend did not start in a browser: its three binaries are fetched from the
// app's server, and a missing one only shows as a failed start. This names the file and the fix.

/** The binaries of `@tensorflow/tfjs-backend-wasm`; tfjs fetches the one the browser's features need. */
export const WASM_FILE_NAMES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/** The URL tfjs fetches `name` from, given `selectBackend`'s `wasmPaths` (a prefix or a map by file name). */
export function wasmFileUrl(name: string, wasmPaths: string | Record<string, string> | undefined, base: string): string {
  const path = typeof wasmPaths === 'string' ? `${wasmPaths}${name}` : (wasmPaths?.[name] ?? name);
  return new URL(path, base).href;
}

/**
 * In a browser, after wasm failed to start: the wasm files its server does not serve, as a
 * reason that names each and says how to fix it; undefined when all of them are served (the
 * failure has another cause) or the check itself cannot run.
 *
 * @example
 * const reason = await describeMissingWasmFiles('/wasm/'); // "tfjs-backend-wasm-simd.wasm is missing: ..."
 */
export async function describeMissingWasmFiles(wasmPaths: string | Record<string, string> | undefined): Promise<string | undefined> {
  if (typeof fetch !== 'function' || typeof location === 'undefined') return undefined;
  const base = typeof document !== 'undefined' ? document.baseURI : location.href;
  const checks = await Promise.all(
    WASM_FILE_NAMES.map(async (name) => {
      const url = wasmFileUrl(name, wasmPaths, base);
      try {
        const response = await fetch(url, { method: 'GET', cache: 'no-store' });
        await response.body?.cancel();
        return response.ok ? undefined : `${name} (${url}: HTTP ${response.status})`;
      } catch (error) {
        return `${name} (${url}: ${(error as Error).message})`;
      }
    }),
  );
  const missing = checks.filter((check) => check !== undefined);
  if (missing.length === 0) return undefined;
  return (
    `the server does not serve ${missing.join(', ')}. Copy the tfjs wasm files beside your app ` +
    `(npx sdae-copy-wasm <your static folder>, from @sdae/backend) and pass their folder's URL: ` +
    `selectBackend({ wasmPaths: '/<that folder>/' })`
  );
}
