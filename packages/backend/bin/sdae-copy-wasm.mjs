#!/usr/bin/env node
// sdae-copy-wasm <folder>: copies tfjs's wasm binaries into a browser app's static folder.
import { copyWasmFiles } from '../dist/wasm-files.js';

const [destination, ...rest] = process.argv.slice(2);
if (destination === undefined || rest.length > 0 || destination.startsWith('-')) {
  console.error(
    'usage: sdae-copy-wasm <folder>\n' +
      "Copies tfjs's three wasm binaries into <folder> (your app's static files); then pass the folder's URL to selectBackend({ wasmPaths: '/<folder>/' }).",
  );
  process.exit(2);
}
for (const file of await copyWasmFiles(destination)) console.log(`wrote ${file}`);
