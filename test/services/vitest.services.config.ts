import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The probe tests with only the services setup (until vitest.config.ts lists it as a globalSetup). */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['src/probes/**/*.test.ts', 'test/services/**/*.test.ts'],
    globalSetup: ['test/services/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
