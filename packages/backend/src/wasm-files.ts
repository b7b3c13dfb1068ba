// @sdae/backend/wasm-files (Node): the tfjs wasm binaries a browser app must serve, and a copy step.
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { WASM_FILE_NAMES } from './wasm-check';

export { WASM_FILE_NAMES } from './wasm-check';

/**
 * The folder holding the wasm binaries of the `@tensorflow/tfjs-backend-wasm` that this
 * `@sdae/backend` loads (the same version, so the binaries match its JavaScript).
 *
 * @example console.log(wasmFileDirectory()); // .../node_modules/@tensorflow/tfjs-backend-wasm/dist
 */
export function wasmFileDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/**
 * Copies the three tfjs wasm binaries into `destination` (created if needed), for a browser app
 * to serve: then `selectBackend({ wasmPaths: '<URL of destination>/' })`. Resolves with the
 * paths written.
 *
 * @example
 * await copyWasmFiles('public/wasm'); // then selectBackend({ wasmPaths: '/wasm/' }) in the page
 */
export async function copyWasmFiles(destination: string): Promise<string[]> {
  const source = wasmFileDirectory();
  await mkdir(destination, { recursive: true });
  return Promise.all(
    WASM_FILE_NAMES.map(async (name) => {
      const target = resolve(destination, name);
      await copyFile(join(source, name), target);
      return target;
    }),
  );
}
