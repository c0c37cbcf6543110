/**
 * Layering: what the gateway and the simulator share lives below both (protocol/, e.g. the dock
 * frame link and serial bindings in protocol/dock/link/), so the simulator, the protocol and the
 * vendors' conformance kit never import the gateway.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Every relative import/export specifier of a file, resolved to a repo path. */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const specs = [...src.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(root, resolve(dirname(file), s)));
}

describe('import layering', () => {
  for (const dir of ['device-sim', 'protocol', 'conformance']) {
    it(`${dir}/ imports nothing from gateway/`, () => {
      const files = tsFiles(dir);
      expect(files.length).toBeGreaterThan(3);
      const bad = files.flatMap((f) =>
        importsOf(f)
          .filter((p) => p === 'gateway' || p.startsWith('gateway/'))
          .map((p) => `${relative(root, f)} -> ${p}`),
      );
      expect(bad).toEqual([]);
    });
  }

  // Roles, users and query parameters are domain notions the services share; only the composition
  // roots (any app.ts, main.ts) and HTTP route modules may reach into the HTTP layer.
  it('gateway services import nothing from gateway/api/', () => {
    const files = tsFiles('gateway').filter((f) => {
      const rel = relative(root, f);
      return (
        !rel.startsWith('gateway/api/') && !/(^|\/)(routes|app)\.ts$/.test(rel) && rel !== 'gateway/main.ts'
      );
    });
    expect(files.length).toBeGreaterThan(50);
    const bad = files.flatMap((f) =>
      importsOf(f)
        .filter((p) => p.startsWith('gateway/api/'))
        .map((p) => `${relative(root, f)} -> ${p}`),
    );
    expect(bad).toEqual([]);
  });

  // The API's response types are one module, so services can change without the bundle following.
  it('dashboard/ imports from gateway/ only gateway/api/responses.ts', () => {
    const files = tsFiles('dashboard/src');
    expect(files.length).toBeGreaterThan(20);
    const bad = files.flatMap((f) =>
      importsOf(f)
        .filter((p) => p.startsWith('gateway/') && p !== 'gateway/api/responses.js')
        .map((p) => `${relative(root, f)} -> ${p}`),
    );
    expect(bad).toEqual([]);
    expect(files.some((f) => importsOf(f).includes('gateway/api/responses.js'))).toBe(true);
  });

  it('the rule sees an import when there is one', () => {
    expect(importsOf(join(root, 'gateway/dock/routes.ts'))).toContain('gateway/api/server.js');
    expect(importsOf(join(root, 'protocol/dock/link/frame-link.ts')).length).toBeGreaterThan(0);
  });
});
