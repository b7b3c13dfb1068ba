import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

// Node cannot import tfjs-core's ESM gradient files (extensionless imports), and no prebuilt
// tfjs-core bundle registers gradients, so the Node builds bundle those registration files the
// way the official @tensorflow/tfjs node bundle does. tfjs keeps its engine and registries in
// globals, so this adds code, not a second engine. The browser build leaves them to the app's
// bundler, which resolves tfjs-core's ESM directly (one copy).
const tfjsInternals = /^@tensorflow\/tfjs-core\/dist\//;
// stripInternal: the native engine's @internal constructors take onnxruntime-node's module, whose
// types would otherwise make every consumer install onnxruntime-node to type-check.
const common = { dts: { compilerOptions: { stripInternal: true } }, sourcemap: true, target: 'es2022' } as const;

// Threads for wasm in Node patch Node's workers, and the native engine loads a Node addon; the
// browser build takes the browser modules instead.
const browserModules: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'sdae-browser-modules',
  setup(build) {
    build.onResolve({ filter: /^\.\/wasm-threads$/ }, () => ({
      path: fileURLToPath(new URL('./src/wasm-threads.browser.ts', import.meta.url)),
    }));
    // The native engine is a Node addon: browsers get the module that says so.
    build.onResolve({ filter: /^\.\/native\/runtime\/native-engine$/ }, () => ({
      path: fileURLToPath(new URL('./src/native/runtime/native-engine.browser.ts', import.meta.url)),
    }));
  },
};

export default defineConfig([
  // ESM for Node; the testing helpers (vitest is ESM-only) share its chunks, so one module state.
  // vitest is a dev dependency (the testing entry is workspace-only): external, as tsup leaves only
  // dependencies and peers, so the tests' own vitest runs them.
  {
    ...common,
    entry: {
      index: 'src/index.ts',
      testing: 'src/testing.ts',
      webgl: 'src/webgl.ts',
      webgpu: 'src/webgpu.ts',
      'wasm-files': 'src/wasm-files.ts',
    },
    format: ['esm'],
    platform: 'node',
    external: ['vitest'],
    noExternal: [tfjsInternals],
  },
  // The webgl and webgpu entries only import their tfjs package: one file serves Node and browsers.
  {
    ...common,
    entry: { index: 'src/index.ts', webgl: 'src/webgl.ts', webgpu: 'src/webgpu.ts', 'wasm-files': 'src/wasm-files.ts' },
    format: ['cjs'],
    // wasm-files finds tfjs-backend-wasm from its own location (import.meta.url, shimmed in CJS).
    shims: true,
    platform: 'node',
    noExternal: [tfjsInternals],
  },
  { ...common, entry: { browser: 'src/index.ts' }, format: ['esm'], platform: 'browser', esbuildPlugins: [browserModules] },
]);
