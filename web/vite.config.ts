import { defineConfig } from "vitest/config";

// Preact through esbuild's automatic JSX runtime: no Babel plugin needed for a production build.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    target: "es2022",
    // The budget is checked by `make bench` (tests/web/test_bundle.py); Vite's own warning would be noise.
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
