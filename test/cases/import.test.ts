/**
 * Importing a unit's case list over real HTTP: CSV (UTF-8 and GB18030) and XLSX with bad rows —
 * each bad row reported by row, column and reason and kept out whole, the good rows in; files
 * beyond the size bound and ZIPs declaring a huge unpacked size refused before they are read.
 */
import { execFileSync } from 'node:child_process';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipDeclaredSize } from '../../gateway/cases/table-file.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let legal: ApiClient;
let officer: ApiClient;

beforeAll(async () => {
  gw = await startGateway({
    cases: { numberFormats: { 市场科: '市罚\\d{4}-\\d{1,4}' }, importMaxBytes: 64 * 1024 },
  });
  legal = await gw.as('legal-affairs');
  officer = await gw.as('officer');
  // An existing case the file repeats.
  await legal.post('/api/cases', { caseNo: '市罚2026-1', type: 'penalty', title: '已登记', unit: '市场科' });
});

afterAll(async () => {
  await gw?.stop();
});

async function upload(c: ApiClient, body: Uint8Array | string, query = '') {
  const res = await fetch(`${gw.url}/api/cases/import${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/octet-stream' },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  return { status: res.status, body: await res.json() };
}

const HEADER = ['案件编号', '案件类型', '案件名称', '承办单位', '执法人员', '当事人', '阶段'];
const ROWS = (officerName: string) => [
  ['市罚2026-2', '行政处罚', '无证经营网吧案', '市场科', officerName, '张三、李四', '调查'],
  ['市罚2026-1', '行政处罚', '重复登记', '市场科', '', '', ''],
  ['XX-9', '行政处罚', '编号不合格式', '市场科', '', '', ''],
  ['市罚2026-3', '罚款', '类型不明', '市场科', '', '', ''],
  ['市罚2026-4', 'penalty', '', '市场科', '', '', ''],
  ['市罚2026-2', '行政许可', '同一文件重复', '市场科', '', '', ''],
  ['许可2026-8', '行政许可', '卫星接收设施许可', '技术科', '', '某某小区物业', '受理'],
  ['市罚2026-5', '行政处罚', '人员名不合规', '市场科', 'Not A User!', '', ''],
];
const GOOD = ['市罚2026-2', '许可2026-8'];

function expectReport(body: {
  imported: string[];
  errors: { row: number; column: string; reason: string }[];
}) {
  expect(body.imported).toEqual(GOOD);
  const errs = body.errors.map((e) => [e.row, e.column]);
  expect(errs).toEqual([
    [3, '案件编号'],
    [4, '案件编号'],
    [5, '案件类型'],
    [6, '案件名称'],
    [7, '案件编号'],
    [9, '执法人员'],
  ]);
  expect(body.errors.map((e) => (e as { code?: string }).code)).toEqual([
    'exists',
    'format',
    'type',
    'required',
    'duplicate',
    'officer',
  ]);
  expect(body.errors[0]!.reason).toBe('already registered');
  expect(body.errors[1]!.reason).toMatch(/format of unit 市场科/);
  expect(body.errors[2]!.reason).toMatch(/unknown case type "罚款"/);
  expect(body.errors[3]!.reason).toBe('required');
  expect(body.errors[4]!.reason).toBe('same case number as row 2');
  expect(body.errors[5]!.reason).toBe('not an officer username (2-32 of a-z 0-9 . _ -): Not、A、User!');
}

describe('case list import', () => {
  it('CSV: reports each bad row, keeps it out whole, imports the good ones', async () => {
    const csv = [HEADER, ...ROWS(officer.username)]
      .map((r) => r.map((c) => (c.includes(',') ? `"${c}"` : c)).join(','))
      .join('\r\n');
    // Only legal affairs import.
    expect((await upload(officer, csv)).status).toBe(403);
    const dry = await upload(legal, csv, '?dryRun=true');
    expect(dry.body).toMatchObject({ dryRun: true, imported: GOOD });
    expect((await legal.get(`/api/cases/${encodeURIComponent('市罚2026-2')}`)).status).toBe(404);

    const r = await upload(legal, `\ufeff${csv}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ format: 'csv', rows: 8 });
    expectReport(r.body);
    const got = (await legal.get(`/api/cases/${encodeURIComponent('市罚2026-2')}`)).body;
    expect(got).toMatchObject({
      type: 'penalty',
      stage: 'investigation',
      officers: [officer.username],
      parties: ['张三', '李四'],
      source: 'import',
    });
    // The bad rows left nothing behind.
    for (const no of ['XX-9', '市罚2026-3', '市罚2026-4', '市罚2026-5']) {
      expect((await legal.get(`/api/cases/${encodeURIComponent(no)}`)).status).toBe(404);
    }
    // The importing officer can see the case naming them.
    expect((await officer.get('/api/cases')).body.map((c: { caseNo: string }) => c.caseNo)).toEqual([
      '市罚2026-2',
    ]);
  });

  it('XLSX and GB18030 CSV: the same report', async () => {
    await gw.stop();
    gw = await startGateway({
      cases: { numberFormats: { 市场科: '市罚\\d{4}-\\d{1,4}' }, importMaxBytes: 64 * 1024 },
    });
    legal = await gw.as('legal-affairs');
    officer = await gw.as('officer');
    await legal.post('/api/cases', {
      caseNo: '市罚2026-1',
      type: 'penalty',
      title: '已登记',
      unit: '市场科',
    });

    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('案件');
    ws.addRow(HEADER);
    for (const row of ROWS(officer.username)) ws.addRow(row);
    const xlsx = new Uint8Array(await wb.xlsx.writeBuffer());
    const r = await upload(legal, xlsx);
    expect(r.status).toBe(200);
    expect(r.body.format).toBe('xlsx');
    expectReport(r.body);

    // Excel in a Chinese locale saves CSV as GB18030; the same rows (already in now) as duplicates.
    const gbk = encodeGb18030([HEADER, ...ROWS(officer.username)].map((x) => x.join(',')).join('\n'));
    const again = await upload(legal, gbk);
    expect(again.body.imported).toEqual([]);
    expect(
      again.body.errors.filter((e: { reason: string }) => e.reason === 'already registered'),
    ).toHaveLength(3);
  });

  it('refuses files over the bound, a header without the needed columns, and ZIP bombs by their directory', async () => {
    const big = `${HEADER.join(',')}\n${'x,'.repeat(40_000)}`;
    expect((await upload(legal, big)).status).toBe(413);
    const noCols = await upload(legal, 'foo,bar\n1,2');
    expect(noCols.status).toBe(400);
    expect(noCols.body.error.details.missing).toEqual(['caseNo', 'type', 'title', 'unit']);

    // A ZIP whose directory declares 4 GiB unpacked (one stored entry, lying size).
    const bomb = zipWithDeclaredSize(0xfffffffe);
    expect(zipDeclaredSize(bomb)).toBe(0xfffffffe);
    const r = await upload(legal, bomb);
    expect(r.status).toBe(413);
    expect(r.body.error.message).toMatch(/unpacks to/);
  });
});

/** GB18030 bytes of a string, through iconv in the system (Node decodes GB18030 but has no encoder). */
function encodeGb18030(text: string): Uint8Array {
  return new Uint8Array(execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text }));
}

/** A minimal ZIP: one local header, one central directory entry, the end record. */
function zipWithDeclaredSize(size: number): Uint8Array {
  const name = Buffer.from('xl/a.xml');
  const data = Buffer.from('x');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt32LE(1, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt32LE(1, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(name.length, 28);
  const localPart = Buffer.concat([local, name, data]);
  const centralPart = Buffer.concat([central, name]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralPart.length, 12);
  end.writeUInt32LE(localPart.length, 16);
  return new Uint8Array(Buffer.concat([localPart, centralPart, end]));
}
