/**
 * What "lays out" means for a manager page at 1366 and 1024 px: nothing overflows the window
 * sideways, no table column is squeezed to a character's width or its header broken over more than
 * two lines, no cell cuts its content. A screenshot of each state checked.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { screenshot } from './browser.js';

export async function expectTidyLayout(page: Page, name: string): Promise<void> {
  await page.locator('.ant-table-thead th').first().waitFor();
  await expect.poll(() => page.locator('.ant-spin-spinning').count(), { timeout: 15_000 }).toBe(0);
  const m = await page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    narrow: [...document.querySelectorAll<HTMLElement>('.ant-table-thead th')]
      .filter((th) => th.textContent?.trim() && th.getBoundingClientRect().width < 48)
      .map((th) => `${th.textContent} ${Math.round(th.getBoundingClientRect().width)}px`),
    wrapped: [...document.querySelectorAll<HTMLElement>('.ant-table-thead th')]
      .filter((th) => {
        const tops = new Set<number>();
        const walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
          const r = document.createRange();
          r.selectNodeContents(n);
          for (const x of r.getClientRects()) tops.add(Math.round(x.top));
        }
        return tops.size > 2;
      })
      .map((th) => th.textContent),
    clipped: [...document.querySelectorAll<HTMLElement>('.ant-table-tbody td')]
      // (A pinned column's shadow is drawn outside its cell: not content.)
      .filter((td) => !td.className.includes('ant-table-cell-fix') && td.scrollWidth > td.clientWidth + 1)
      .map((td) => td.textContent),
  }));
  expect({ page: name, ...m }).toEqual({ page: name, overflow: 0, narrow: [], wrapped: [], clipped: [] });
  await screenshot(page, `layout-${name}`);
}
