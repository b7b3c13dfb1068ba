import { defineConfig } from 'tsup';

// Node cannot import tfjs-core's ESM gradient files (extensionless imports), and no prebuilt
// tfjs-core bundle registers gradients, so the Node builds bundle those registration files the
// way the official @tensorflow/tfjs node bundle does. tfjs keeps its engine and registries in
// globals, so this adds code, not a second engine. The browser build leaves them to the app's
// bundler, which resolves tfjs-core's ESM directly (one copy).
const tfjsInternals = /^@tensorflow\/tfjs-core\/dist\//;

export default defineConfig([
  {
    entry: { index: 'src/index.ts', testing: 'src/testing.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    noExternal: [tfjsInternals],
  },
  {
    entry: { browser: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'browser',
  },
]);
