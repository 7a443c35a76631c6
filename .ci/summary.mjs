// Prints vitest's totals as one plain line ("N passed, N failed") for CI logs.
import { readFileSync } from "node:fs";

const file = process.argv[2];
try {
  const report = JSON.parse(readFileSync(file, "utf8"));
  console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
} catch {
  console.log(`tests: no report at ${file}`);
  process.exitCode = 1;
}
