import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vitest/config";

// What the bundle is built from. tests/web/test_assets.py hashes the same files the same way (in
// Python, without Node) and fails when the committed bundle is older than the sources.
const INPUTS = ["index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "src"];

function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

export function sourceHash(root: string): string {
  const hash = createHash("sha256");
  const paths = INPUTS.flatMap((p) => files(join(root, p)))
    .map((p) => relative(root, p).split("\\").join("/"))
    .filter((p) => !p.endsWith(".test.ts"))
    .sort();
  for (const p of paths) {
    hash.update(p + "\n");
    hash.update(readFileSync(join(root, p)));
    hash.update("\n");
  }
  return hash.digest("hex");
}

function buildInfo(): Plugin {
  return {
    name: "wakesmith-build-info",
    generateBundle() {
      this.emitFile({ type: "asset", fileName: "build-info.json", source: JSON.stringify({ sources_sha256: sourceHash(fileURLToPath(new URL(".", import.meta.url))) }, null, 2) + "\n" });
    },
  };
}

// The bundle is committed into the Python package (training/wakesmith/server/static) so that neither
// the add-on nor a pip install needs Node. `base: "./"` keeps every asset URL relative: under Home
// Assistant's ingress the page lives below a per-session path prefix.
export default defineConfig({
  base: "./",
  plugins: [buildInfo()],
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
