/**
 * Dashboard build: `vite build --config dashboard/vite.config.ts` -> dashboard/dist, served by the
 * gateway (gateway/app.ts). Offline: every asset is bundled, no CDN. `vite --config ...` serves it
 * for development with /api proxied to a gateway on GATEWAY_URL (default http://127.0.0.1:8080).
 *
 * Chunks are left to the bundler: every page is a dynamic import (Shell.tsx), so a page's antd
 * components and echarts load with the page. Hand-made vendor groups pulled all of antd, and a
 * shared helper that landed in the echarts group, into the first load (bench `dashboard`,
 * goal < 500 kB).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': { target: process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
