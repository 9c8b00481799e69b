import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/** Where the wasm backend's binaries are served, relative to the page. */
const WASM_DIR = 'tfjs-wasm';

/**
 * Serves tfjs-backend-wasm's `.wasm` binaries under `tfjs-wasm/` (the page points the backend there
 * with `setWasmPaths`): copied into the build, and answered by the dev server.
 */
function tfjsWasmBinaries(): Plugin {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const binaries = readdirSync(dist).filter((file) => file.endsWith('.wasm'));
  return {
    name: 'tfjs-wasm-binaries',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const file = request.url?.match(new RegExp(`/${WASM_DIR}/([\\w.-]+\\.wasm)$`))?.[1];
        if (!file || !binaries.includes(file)) return next();
        response.setHeader('Content-Type', 'application/wasm');
        response.end(readFileSync(join(dist, file)));
      });
    },
    generateBundle() {
      for (const file of binaries) {
        this.emitFile({
          type: 'asset',
          fileName: `${WASM_DIR}/${file}`,
          source: readFileSync(join(dist, file)),
        });
      }
    },
  };
}

export default defineConfig({
  // Relative URLs: the built site works from any directory of a static server.
  base: './',
  plugins: [tfjsWasmBinaries()],
  build: { target: 'es2022', outDir: 'dist', chunkSizeWarningLimit: 4096 },
});
