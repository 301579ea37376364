import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources, so tests never run stale builds.
  resolve: { conditions: ['tandem-source'] },
  ssr: { resolve: { conditions: ['tandem-source'], externalConditions: ['tandem-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Crash simulations run hundreds of seeded cases; the default 5 s is for unit tests.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
