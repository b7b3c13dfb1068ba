import { defineConfig } from 'vite';
import { staticData } from './vite-plugin-static-data.ts';

export default defineConfig({
  // Relative URLs: the built app works from any folder of any static file server.
  base: './',
  plugins: [staticData()],
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
