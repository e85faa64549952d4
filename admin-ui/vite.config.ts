// Vite build of the admin console; `npm run dev` proxies API calls to a running backend.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const backend = process.env.SAGAPORT_BACKEND_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/api': backend,
      '/readyz': backend,
      '/healthz': backend,
    },
  },
});
