import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // tsup leaves dependencies and peers external, not optional dependencies: the CLI loads them at run time.
  external: ['bullmq', 'onnxruntime-node'],
  banner: { js: '#!/usr/bin/env node' },
});
