/**
 * The case registry over real HTTP (R9–R13, R24): legal affairs register and edit any case;
 * officers only cases naming them; unit number formats; numbers unique in their normalised form;
 * fuzzy search; every change a `case-admin` audit entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let legal: ApiClient;
let alice: ApiClient;
let bob: ApiClient;
let principal: ApiClient;

beforeAll(async () => {
  gw = await startGateway({ cases: { numberFormats: { 市场科: '广电罚〔\\d{4}〕\\d{1,4}号' } } });
  legal = await gw.as('legal-affairs');
  alice = await gw.as('officer');
  bob = await gw.as('officer');
  principal = await gw.as('principal');
});

afterAll(async () => {
  await gw?.stop();
});

const path = (no: string) => `/api/cases/${encodeURIComponent(no)}`;

describe('case registry', () => {
  it('legal affairs register and edit; officers only cases naming them', async () => {
    const created = await legal.post('/api/cases', {
      caseNo: '广电罚〔2026〕12号',
      type: 'penalty',
      title: '某某网吧无证经营案',
      unit: '市场科',
      officers: [alice.username],
      parties: ['张三', '某某网络科技有限公司'],
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      stage: 'application-acceptance',
      stageHistory: [{ stage: 'application-acceptance', by: legal.username }],
      createdBy: legal.username,
    });

    // Unique in normalised form: other brackets, full-width digits, spaces are the same number.
    const dup = await legal.post('/api/cases', {
      caseNo: '广电罚[２０２６]12号',
      type: 'penalty',
      title: 'x',
      unit: '其他科',
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details).toMatchObject({ reason: 'CASE_EXISTS', caseNo: '广电罚〔2026〕12号' });

    // The unit's number format.
    const bad = await legal.post('/api/cases', {
      caseNo: 'X-1',
      type: 'penalty',
      title: 'x',
      unit: '市场科',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toMatchObject({ reason: 'CASE_NO_FORMAT' });

    // Alice (on the case) moves it on and edits it; Bob sees nothing of it and cannot change it.
    const moved = await alice.post(`${path('广电罚〔2026〕12号')}/stage`, {
      stage: 'investigation',
      note: '立案调查',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.stageHistory.map((s: { stage: string; by: string }) => [s.stage, s.by])).toEqual([
      ['application-acceptance', legal.username],
      ['investigation', alice.username],
    ]);
    expect(
      (await alice.request('PATCH', path('广电罚〔2026〕12号'), { title: '某某网吧无证经营网络视听案' }))
        .status,
    ).toBe(200);
    expect((await bob.get(path('广电罚〔2026〕12号'))).status).toBe(404);
    expect((await bob.request('PATCH', path('广电罚〔2026〕12号'), { title: 'mine now' })).status).toBe(404);
    expect(
      (await bob.post(`${path('广电罚〔2026〕12号')}/stage`, { stage: 'closing-archiving' })).status,
    ).toBe(404);
    expect((await bob.get('/api/cases')).body).toEqual([]);

    // An officer registers a case only naming themself; and cannot take themself off it.
    const notMine = await bob.post('/api/cases', {
      caseNo: 'QT-2026-7',
      type: 'other-enforcement',
      title: 't',
      unit: '技术科',
    });
    expect(notMine.status).toBe(403);
    expect(notMine.body.error.details).toMatchObject({ reason: 'NOT_ON_CASE' });
    const mine = await bob.post('/api/cases', {
      caseNo: 'QT-2026-7',
      type: 'other-enforcement',
      title: '卫星地面接收设施检查',
      unit: '技术科',
      officers: [bob.username],
      parties: ['李四'],
    });
    expect(mine.status).toBe(200);
    expect((await bob.request('PATCH', path('QT-2026-7'), { officers: [alice.username] })).status).toBe(403);

    // Supervisors read all; only editors write.
    expect((await principal.get('/api/cases')).body).toHaveLength(2);
    expect((await principal.request('PATCH', path('QT-2026-7'), { title: 'x' })).status).toBe(403);

    // Every change is in the audit log.
    const audit = await principal.get('/api/audit?type=case-admin&limit=50');
    expect(audit.status).toBe(200);
    const actions = (audit.body as { details: { action: string } }[]).map((e) => e.details.action);
    expect(actions.sort()).toEqual(['create', 'create', 'edit', 'stage'].sort());
  });

  it('searches fuzzily by number, party, officer and date', async () => {
    const q = async (s: string) =>
      ((await legal.get(`/api/cases?${s}`)).body as { caseNo: string }[]).map((c) => c.caseNo).sort();
    expect(await q('caseNo=2026 12')).toEqual(['广电罚〔2026〕12号']);
    expect(await q(`q=${encodeURIComponent('罚(2026)12')}`)).toEqual(['广电罚〔2026〕12号']);
    expect(await q(`party=${encodeURIComponent('网络科技')}`)).toEqual(['广电罚〔2026〕12号']);
    expect(await q(`officer=${encodeURIComponent(bob.username)}`)).toEqual(['QT-2026-7']);
    // Officer by display name (test users are 测试N).
    const bobName = (await bob.get('/api/me')).body.displayName as string;
    expect(await q(`officer=${encodeURIComponent(bobName)}`)).toEqual(['QT-2026-7']);
    expect(await q('caseNo=qt2026')).toEqual(['QT-2026-7']);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    expect(await q(`date=${today}`)).toHaveLength(2);
    expect(await q('date=1999-01-01')).toEqual([]);
  });
});
