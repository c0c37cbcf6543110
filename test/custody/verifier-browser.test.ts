/**
 * verify.html as a court clerk uses it: opened from the disc folder (file://) in Chromium with no
 * network, the disc folder chosen in the directory picker. The same tamperings as verify.mjs
 * (disc-tamper.ts), each reported with the file and the reason.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../dashboard/browser.js';
import { ARTIFACTS } from '../dashboard/build.js';
import { type Disc, discsPerTest, newKey } from './disc-fixture.js';
import { flipBit, TAMPERINGS } from './disc-tamper.js';

let browser: Browser;
beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const disc = discsPerTest();

interface Opened {
  page: Page;
  /** Every URL the page asked for besides its own file. */
  requests: string[];
  close(): Promise<void>;
}

/** Opens the disc's own verify.html; `noWebCryptoEd25519` makes the browser lack the algorithm. */
async function openVerifier(d: Disc, opts: { noWebCryptoEd25519?: boolean } = {}): Promise<Opened> {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (r.url() !== pathToFileURL(join(d.dir, 'verify.html')).href) requests.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  if (opts.noWebCryptoEd25519) {
    await page.addInitScript(() => {
      const importKey = SubtleCrypto.prototype.importKey;
      SubtleCrypto.prototype.importKey = function (
        this: SubtleCrypto,
        ...args: Parameters<SubtleCrypto['importKey']>
      ) {
        const alg = args[2];
        const name = typeof alg === 'string' ? alg : alg.name;
        if (name === 'Ed25519')
          return Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'));
        return importKey.apply(this, args);
      } as SubtleCrypto['importKey'];
    });
  }
  await page.goto(pathToFileURL(join(d.dir, 'verify.html')).href);
  return {
    page,
    requests,
    async close() {
      expect(errors).toEqual([]);
      await context.close();
    },
  };
}

async function verify(o: Opened, d: Disc, expectKey?: string) {
  if (expectKey !== undefined) await o.page.locator('#expect-key').fill(expectKey);
  await o.page.locator('#disc-input').setInputFiles(d.dir);
  await o.page.locator('#result[data-state="pass"], #result[data-state="fail"]').waitFor();
  const state = await o.page.locator('#result').getAttribute('data-state');
  const found = await o.page
    .locator('#findings li')
    .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-code'), li.getAttribute('data-file')]));
  return { state, found };
}

describe('verify.html in Chromium, from file://', () => {
  it('passes an untouched disc, shows the key fingerprint in groups of four, uses no network', async () => {
    const d = await disc();
    const o = await openVerifier(d);
    expect(await o.page.locator('h1').textContent()).toBe('证据光盘离线校验');
    const { state, found } = await verify(o, d);
    expect(found).toEqual([]);
    expect(state).toBe('pass');
    expect(await o.page.locator('#status').textContent()).toContain('通过');
    const groups = d.key.fingerprint.match(/.{4}/g)!;
    expect(await o.page.locator('#fingerprint span').allTextContents()).toEqual([
      groups.slice(0, 8).join(' '),
      groups.slice(8).join(' '),
    ]);
    expect(await o.page.locator('#key-compare').textContent()).toContain('纸面记录');
    expect(await o.page.locator('#signature').textContent()).toContain('WebCrypto');
    expect(await o.page.locator('#facts').textContent()).toContain('2026-12-07 16:00:00 北京时间');
    expect(await o.page.locator('#files tr[data-ok="true"]').count()).toBe(2);
    await o.page.screenshot({ path: join(ARTIFACTS, 'verifier-html-pass-zh.png'), fullPage: true });

    await o.page.locator('#lang-toggle').click();
    expect(await o.page.locator('#status').textContent()).toContain('PASS');
    expect(await o.page.locator('h1').textContent()).toBe('Evidence disc verifier (offline)');
    expect(o.requests).toEqual([]);
    await o.close();
  });

  it('accepts the expected fingerprint as written on paper (groups, upper case)', async () => {
    const d = await disc();
    const o = await openVerifier(d);
    const { state } = await verify(o, d, d.key.fingerprint.toUpperCase().match(/.{4}/g)!.join(' '));
    expect(state).toBe('pass');
    expect(await o.page.locator('#key-compare').getAttribute('data-matches')).toBe('true');
    await o.close();
  });

  for (const t of TAMPERINGS) {
    it(`${t.name}: reported with the file and the reason`, async () => {
      const d = await disc(t.discKey ? { key: t.discKey } : undefined);
      await t.apply?.(d);
      const o = await openVerifier(d);
      const { state, found } = await verify(o, d, t.expectKey?.(d));
      expect(found).toEqual(t.found(d));
      expect(state).toBe('fail');
      await o.close();
    });
  }

  it('a flipped bit as the clerk reads it, zh then en; screenshot', async () => {
    const d = await disc();
    await flipBit(join(d.dir, d.clips[0]!.path), 99);
    await writeFile(join(d.dir, 'clips', 'clip-z.mp4'), 'planted');
    const o = await openVerifier(d);
    await verify(o, d, newKey().fingerprint);
    const text = await o.page.locator('#findings').textContent();
    expect(text).toContain(`clips/clip-a.mp4: SHA-256 不符：应为 ${d.clips[0]!.sha256}，实为 `);
    expect(text).toContain('clips/clip-z.mp4: 清单之外的文件');
    expect(text).toContain('公钥指纹与预期不符');
    expect(await o.page.locator('#files tr[data-path="clips/clip-a.mp4"]').getAttribute('data-ok')).toBe(
      'false',
    );
    await o.page.screenshot({ path: join(ARTIFACTS, 'verifier-html-fail-zh.png'), fullPage: true });
    await o.page.locator('#lang-toggle').click();
    const en = await o.page.locator('#findings').textContent();
    expect(en).toContain(`clips/clip-a.mp4: SHA-256 does not match: expected ${d.clips[0]!.sha256}, got `);
    expect(en).toContain('clips/clip-z.mp4: file is not listed in the manifest');
    await o.close();
  });

  it('without Ed25519 in WebCrypto, the inlined noble-ed25519 verifies (and rejects another key)', async () => {
    const d = await disc();
    const o = await openVerifier(d, { noWebCryptoEd25519: true });
    expect((await verify(o, d)).state).toBe('pass');
    expect(await o.page.locator('#signature').textContent()).toContain('noble-ed25519');
    await o.close();

    const forged = TAMPERINGS.find((t) => t.name === 'a checkpoint signed by another key')!;
    await forged.apply!(d);
    const o2 = await openVerifier(d, { noWebCryptoEd25519: true });
    const { found } = await verify(o2, d);
    expect(found).toEqual([['bad-signature', 'custody/checkpoint.json']]);
    await o2.close();
  });

  it('a clip too large to hash whole is hashed in slices; a flipped bit near its end is found', async () => {
    const d = await disc({
      clips: [
        { clipId: 'clip-a', bytes: 40_000 },
        { clipId: 'clip-b', bytes: 3_000 },
        { clipId: 'clip-big', bytes: 72 * 1024 * 1024 + 5 },
      ],
    });
    const o = await openVerifier(d);
    expect((await verify(o, d)).state).toBe('pass');
    await o.close();
    await flipBit(join(d.dir, 'clips', 'clip-big.mp4'), 72 * 1024 * 1024 + 1, 7);
    const o2 = await openVerifier(d);
    const { found } = await verify(o2, d);
    expect(found).toEqual([['hash-mismatch', 'clips/clip-big.mp4']]);
    await o2.close();
  });

  it('a disc folder dropped on the page is walked whole (directory entries read in batches)', async () => {
    const d = await disc();
    await writeFile(join(d.dir, 'clips', 'clip-z.mp4'), 'planted');
    const o = await openVerifier(d);
    // The files come from a second directory picker; the drop carries them as the browser's
    // FileSystemEntry tree would (a drag from the file manager cannot be scripted).
    await o.page.evaluate(() => {
      const input = document.createElement('input');
      input.type = 'file';
      input.webkitdirectory = true;
      input.id = 'drop-source';
      document.body.append(input);
    });
    await o.page.locator('#drop-source').setInputFiles(d.dir);
    await o.page.evaluate(() => {
      type Node = { name: string; file?: File; children: Map<string, Node> };
      const root: Node = { name: '', children: new Map() };
      for (const f of (document.getElementById('drop-source') as HTMLInputElement).files!) {
        let at = root;
        const parts = f.webkitRelativePath.split('/');
        parts.forEach((name, i) => {
          if (!at.children.has(name)) at.children.set(name, { name, children: new Map() });
          at = at.children.get(name)!;
          if (i === parts.length - 1) at.file = f;
        });
      }
      const entry = (n: Node): unknown =>
        n.file
          ? { name: n.name, isDirectory: false, isFile: true, file: (ok: (f: File) => void) => ok(n.file!) }
          : {
              name: n.name,
              isDirectory: true,
              isFile: false,
              createReader: () => {
                const rest = [...n.children.values()].map(entry);
                // Two at a time, then an empty batch: readEntries must be called until it is empty.
                return { readEntries: (ok: (b: unknown[]) => void) => ok(rest.splice(0, 2)) };
              },
            };
      const [folder] = [...root.children.values()];
      const ev = new Event('drop', { bubbles: true, cancelable: true });
      Object.defineProperty(ev, 'dataTransfer', {
        value: { items: [{ webkitGetAsEntry: () => entry(folder!) }] },
      });
      document.getElementById('drop-zone')!.dispatchEvent(ev);
    });
    await o.page.locator('#result[data-state="pass"], #result[data-state="fail"]').waitFor();
    const found = await o.page
      .locator('#findings li')
      .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-code'), li.getAttribute('data-file')]));
    expect(found).toEqual([['unexpected-file', 'clips/clip-z.mp4']]);
    expect(await o.page.locator('#files tr[data-ok="true"]').count()).toBe(2);
    await o.close();
  });

  it('without WebCrypto (not a secure context) it says so instead of a verdict', async () => {
    const d = await disc();
    const o = await openVerifier(d);
    await o.page.evaluate(() => Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined }));
    await o.page.locator('#disc-input').setInputFiles(d.dir);
    await o.page.locator('#result[data-state="error"]').waitFor();
    expect(await o.page.locator('#status').textContent()).toContain('不提供密码运算');
    expect(await o.page.locator('#findings li').count()).toBe(0);
    await o.close();
  });
});
