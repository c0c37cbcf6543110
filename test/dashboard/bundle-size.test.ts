/**
 * The first load stays under the size goal (bench `dashboard`, < 500 kB transferred): the entry
 * chunk, the fleet page's chunk and every chunk they import statically, gzip-compressed as the
 * gateway sends them. Measured on the build; the bench measures the same in Chromium.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST, ensureDashboardBuilt } from './build.js';

const ASSETS = join(DIST, 'assets');

/** Chunks `file` imports statically (`import … from"./x.js"`, `import"./x.js"`), not `import()`. */
function staticImports(file: string): string[] {
  const src = readFileSync(join(ASSETS, file), 'utf8');
  return [...src.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)].map((m) => m[1]!);
}

function closure(roots: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...staticImports(f));
  }
  return seen;
}

describe('dashboard bundle', () => {
  beforeAll(ensureDashboardBuilt, 120_000);

  it('the fleet page loads under 500 kB of compressed JavaScript, echarts not among it', () => {
    const html = readFileSync(join(DIST, 'index.html'), 'utf8');
    const entry = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1];
    const fleet = readdirSync(ASSETS).find((f) => /^FleetPage-.*\.js$/.test(f));
    expect(entry && fleet).toBeTruthy();
    const preloaded = [...html.matchAll(/modulepreload[^>]*href="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!);
    const files = closure([entry!, fleet!, ...preloaded]);
    const kb = [...files].reduce((n, f) => n + gzipSync(readFileSync(join(ASSETS, f))).length, 0) / 1024;
    console.log(`first load: ${files.size} chunks, ${kb.toFixed(1)} kB gzip`);
    expect(kb).toBeLessThan(500);
    const text = [...files].map((f) => readFileSync(join(ASSETS, f), 'utf8')).join('');
    expect(text).not.toMatch(/echarts/i);
  });
});
