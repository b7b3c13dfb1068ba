import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  // tsup leaves dependencies and peers external, not optional dependencies: the CLI loads them at run time.
  external: ['bullmq', 'onnxruntime-node'],
};

export default defineConfig([
  // The command as CommonJS, so that it and the packages it imports (their CommonJS builds, tfjs's
  // own) load by require: see src/main.ts.
  // Its clean spares the executable, which the other build writes at the same time.
  { ...shared, entry: { entry: 'src/entry.ts' }, format: ['cjs'], shims: true, clean: ['**/*', '!main.js', '!main.js.map'] },
  // The executable: an ES module that requires the command.
  {
    ...shared,
    entry: { main: 'src/main.ts' },
    format: ['esm'],
    external: [...shared.external!, './entry.cjs'],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
