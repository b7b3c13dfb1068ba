import { defineConfig } from 'vite';
import { staticData } from './vite-plugin-static-data.ts';

export default defineConfig({
  // Relative URLs: the built app works from any folder of any static file server.
  base: './',
  plugins: [staticData()],
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // sdae's errors derive their markers (and names) from their class names: minified names would
    // print as 'Vm: ...' and would not match another copy's markers.
    rolldownOptions: { output: { keepNames: true } },
  },
});
