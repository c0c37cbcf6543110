import { defineConfig } from 'vitest/config';

// Files that read live RTP from a camera over loopback run one at a time, after the rest: on a
// 2-core box a second test file beside them starves ffmpeg's UDP reader into losing packets, which
// a hearing rightly records as an interruption (R19). Everything else runs two files at a time.
const media = [
  'test/hearings/**/*.test.ts',
  'test/recording/**/*.test.ts',
  'test/camera-sim/rtsp.test.ts',
  'test/dashboard/hearing*.test.ts',
];

const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    projects: [
      {
        test: {
          ...shared,
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: media,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'media',
          include: media,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
