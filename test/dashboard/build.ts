/**
 * Builds the dashboard into dashboard/dist when it is missing or older than its sources, with vite's
 * build() API (what `vite build --config dashboard/vite.config.ts` does). Builds into a temp dir and
 * renames it into place, so a gateway started meanwhile never sees half a build.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DASHBOARD = join(ROOT, 'dashboard');
export const DIST = join(DASHBOARD, 'dist');
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');

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
  );
  return statSync(index).mtimeMs >= sources;
}

export async function ensureDashboardBuilt(): Promise<void> {
  if (distIsFresh()) return;
  const { build } = await import('vite');
  const tmp = join(DASHBOARD, `.dist-${process.pid}`);
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
