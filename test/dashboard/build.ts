/**
 * Builds the dashboard into dashboard/dist when it is missing or older than its sources, with vite's
 * build() API (what `vite build --config dashboard/vite.config.ts` does). Builds into a temp dir and
 * renames it into place, so a gateway started meanwhile never sees half a build.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DASHBOARD = join(ROOT, 'dashboard');
export const DIST = join(DASHBOARD, 'dist');
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');
/** Lock and half-made builds live under node_modules/.cache (ignored, same filesystem as dist). */
const WORK = join(ROOT, 'node_modules', '.cache', 'dashboard-build');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newestMtime(join(path, name)));
  return max;
}

export function distIsFresh(): boolean {
  const index = join(DIST, 'index.html');
  if (!existsSync(index)) return false;
  const sources = Math.max(
    newestMtime(join(DASHBOARD, 'src')),
    newestMtime(join(DASHBOARD, 'index.html')),
    newestMtime(join(DASHBOARD, 'vite.config.ts')),
    // The one gateway module the dashboard bundles (not type-only).
    newestMtime(join(ROOT, 'gateway', 'fleet', 'maintenance-kinds.ts')),
  );
  return statSync(index).mtimeMs >= sources;
}

/** Test files run in parallel: one builds, the others wait for it (a lock directory). */
async function withBuildLock(fn: () => Promise<void>): Promise<void> {
  await mkdir(WORK, { recursive: true });
  const lock = join(WORK, 'lock');
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left by a killed run goes stale.
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 180_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export async function ensureDashboardBuilt(): Promise<void> {
  if (distIsFresh()) return;
  await withBuildLock(async () => {
    if (!distIsFresh()) await buildInto();
  });
}

async function buildInto(): Promise<void> {
  const { build } = await import('vite');
  const tmp = join(WORK, `dist-${process.pid}`);
  await build({
    configFile: join(DASHBOARD, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: tmp, emptyOutDir: true },
  });
  await rm(DIST, { recursive: true, force: true });
  try {
    await rename(tmp, DIST);
  } catch (err) {
    // Another test process put a fresh build in place first.
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(join(DIST, 'index.html'))) throw err;
  }
}
