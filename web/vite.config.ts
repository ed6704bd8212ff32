import { defineConfig } from "vite";

// `npm run dev` serves the UI with hot reload and forwards /api (WebSocket
// too) to a running vigil: VIGIL_URL=http://127.0.0.1:8080 npm run dev.
// The Host header is kept (changeOrigin false) so vigil's Origin check sees
// the same origin the browser sent.
const target = process.env.VIGIL_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { target: "es2020", sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": { target, ws: true, changeOrigin: false } },
  },
});
