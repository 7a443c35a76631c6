import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // CI asks for a JSON report as well, to print one summary line.
    reporters: process.env.HITL_VITEST_JSON ? ["default", "json"] : ["default"],
    ...(process.env.HITL_VITEST_JSON ? { outputFile: { json: process.env.HITL_VITEST_JSON } } : {}),
    projects: [
      {
        // TypeScript in .cts files too (cli/src/lib/*.cts: CommonJS that the ES modules import).
        esbuild: { include: /\.(c|m)?tsx?$/ },
        test: {
          name: "unit",
          include: [
            "verifier/test/**/*.test.ts",
            "signing-host/test/**/*.test.ts",
            "sdk/test/**/*.test.ts",
            "cli/test/**/*.test.ts",
            "server/test/**/*.test.ts",
            "extension/test/**/*.test.ts",
          ],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts"],
          // Each file drives real Chromium + a real native host; two cores, so one file at a time.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
