import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file at a time: two at once on a 2-core box halve the suite's time, but a hearing read
    // over RTP/UDP then loses packets often enough to show a false interruption.
    maxWorkers: 1,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
