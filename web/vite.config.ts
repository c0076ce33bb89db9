import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/web', import.meta.url));

// `npx vite --config web/vite.config.ts` serves the dashboard with hot reload and forwards the
// API to a running `keel server` (KEEL_API_URL, default http://127.0.0.1:4040).
const apiTarget = process.env.KEEL_API_URL ?? 'http://127.0.0.1:4040';

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': apiTarget,
      '/v1': apiTarget,
    },
  },
});
