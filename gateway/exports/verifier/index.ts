/**
 * The two offline verifiers every evidence disc carries (FORMATS.md §3, R23): `verify.mjs` for
 * plain Node.js and `verify.html` for any current browser, both assembled from the one plain-JS
 * core (core.js) so they check exactly the same things. verify.html is one self-contained file:
 * its script and style are inline and pinned by hash in a CSP that allows nothing else (no
 * network, no other origin), and @noble/ed25519 is inlined (from node_modules, unchanged but for
 * its export line) for browsers without Ed25519 in WebCrypto.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export type VerifierFile = 'verify.html' | 'verify.mjs';

let built: Promise<Record<VerifierFile, Buffer>> | undefined;

/** Both verifier files, byte for byte as they go on a disc (built once per process). */
export function buildVerifierFiles(): Promise<Record<VerifierFile, Buffer>> {
  built ??= assemble().catch((err: unknown) => {
    built = undefined;
    throw err;
  });
  return built.then((files) => ({
    'verify.html': Buffer.from(files['verify.html']),
    'verify.mjs': Buffer.from(files['verify.mjs']),
  }));
}

const asset = (name: string) => readFile(new URL(`./${name}`, import.meta.url), 'utf8');

async function assemble(): Promise<Record<VerifierFile, Buffer>> {
  const [core, sha256, nodeMain, browserMain, page, css, noble] = await Promise.all([
    asset('core.js').then(stripExports),
    asset('sha256.js').then(stripExports),
    asset('node-main.js'),
    asset('browser-main.js'),
    asset('page.html'),
    asset('page.css'),
    readFile(fileURLToPath(import.meta.resolve('@noble/ed25519')), 'utf8').then(wrapNoble),
  ]);
  // The core goes first: node-main's last statement runs main(), which needs the core's consts.
  const mjs = `#!/usr/bin/env node\n${core}\n${nodeMain}`;
  const script = `'use strict';\n${noble}\n${sha256}\n${core}\n${browserMain}`;
  for (const [name, text] of [
    ['script', script],
    ['style', css],
  ] as const) {
    // Inline content must not end its own element early (HTML §4.12.1.3).
    if (/<\/(script|style)|<!--/i.test(text))
      throw new Error(`verify.html: ${name} contains an end tag or <!--`);
  }
  const csp = [
    "default-src 'none'",
    `script-src '${cspHash(script)}'`,
    `style-src '${cspHash(css)}'`,
    "img-src 'none'",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const html = page
    .replace('%CSP%', () => csp)
    .replace('/*STYLE*/', () => css)
    .replace('/*SCRIPT*/', () => script);
  return { 'verify.html': Buffer.from(html, 'utf8'), 'verify.mjs': Buffer.from(mjs, 'utf8') };
}

/** core.js and sha256.js are ES modules (so they can be linted and read alone); inlined, they are plain text. */
function stripExports(src: string): string {
  const out = src.replace(/^export (?=(async )?function |const )/gm, '');
  if (/^(export|import)[\s{*]/m.test(out)) throw new Error('verifier core: unexpected import/export');
  return out;
}

/** noble-ed25519 in its own scope, only verifyAsync visible to the page. */
function wrapNoble(src: string): string {
  const exportLine = /^export \{[^}]*\};?\s*$/m;
  if (!exportLine.test(src)) throw new Error('@noble/ed25519: export line not found');
  return `const noble = (() => {\n${src.replace(exportLine, '')}\nreturn { verifyAsync };\n})();`;
}

function cspHash(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}
