/**
 * `npm run bench -- dashboard [--rounds R]`: the fleet page in Chromium (playwright-core, Debian's
 * chromium), a cold browser cache every round (a new context, signed in through the API first).
 *
 * - `transfer_kb`: bytes on the wire for the page load (CDP `encodedDataLength`: compressed
 *   bodies plus headers), from navigation to the first useful paint.
 * - `first_paint_ms`: navigation start to the fleet table's count being visible (the page has its
 *   data: the first useful paint); `fcp_ms` is Chromium's first contentful paint, for context.
 * No baseline (an absolute goal: < 500 kB transferred). Medians of the rounds.
 */
import { parseArgs } from 'node:util';
import { launchChromium, newPage } from '../test/dashboard/browser.js';
import { ensureDashboardBuilt } from '../test/dashboard/build.js';
import { startGateway } from '../test/helpers/gateway.js';
import { fields, machine, round2, spread } from './lib/rounds.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Math.max(5, Number(values.rounds));
const host = machine();

await ensureDashboardBuilt();
const gw = await startGateway();
const browser = await launchChromium();
try {
  await gw.app.users.add({
    username: 'bench-manager',
    displayName: 'Bench',
    roles: ['equipment-manager'],
    password: 'bench-dashboard-pw',
  });
  const kb: number[] = [];
  const paint: number[] = [];
  const fcp: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const { context, page } = await newPage(browser, gw.url);
    const res = await page.request.post('/api/login', {
      data: { username: 'bench-manager', password: 'bench-dashboard-pw' },
    });
    if (res.status() !== 200) throw new Error(`login: ${res.status()}`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let bytes = 0;
    cdp.on('Network.loadingFinished', (e) => {
      bytes += e.encodedDataLength;
    });
    const t0 = performance.now();
    await page.goto('/fleet', { waitUntil: 'commit' });
    await page.getByTestId('fleet-count').waitFor();
    paint.push(performance.now() - t0);
    kb.push(bytes / 1024);
    fcp.push(
      await page.evaluate(
        () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
      ),
    );
    await context.close();
  }
  console.log(
    JSON.stringify({
      bench: 'dashboard',
      ...host,
      rounds,
      page: '/fleet',
      cache: 'cold',
      transfer_kb: round2(spread(kb).median),
      first_paint_ms: round2(spread(paint).median),
      ...fields('transfer_kb', kb),
      ...fields('first_paint_ms', paint),
      fcp_ms: round2(spread(fcp).median),
      goal_transfer_kb: 500,
    }),
  );
} finally {
  await browser.close();
  await gw.stop();
}
