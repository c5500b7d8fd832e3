import { defineConfig } from "vitest/config";

// The bundle is committed into the Python package (training/wakesmith/server/static) so that neither
// the add-on nor a pip install needs Node. `base: "./"` keeps every asset URL relative: under Home
// Assistant's ingress the page lives below a per-session path prefix.
export default defineConfig({
  base: "./",
  build: {
    outDir: "../wakesmith/server/static",
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 200,
  },
  server: {
    // `npm run dev` against `wakesmith serve` on its default port.
    proxy: { "/api": { target: "http://127.0.0.1:8787", ws: true } },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
