/** The report as an XLSX workbook (exceljs): breaches, statistics per officer/unit/activity/day. */
import ExcelJS from 'exceljs';
import { bjTime, evidenceText, KIND_ZH, personText, RULE_ZH } from './labels.js';
import type { ComplianceReport } from './service.js';
import type { GroupStats } from './stats.js';

const pct = (x: number | null) => (x === null ? '' : Math.round(x * 1000) / 10);

export async function renderReportXlsx(r: ComplianceReport): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'enforcement-edge-gateway';
  wb.created = new Date(r.generatedAt);
  const sum = wb.addWorksheet('概况');
  sum.columns = [{ width: 36 }, { width: 16 }];
  sum.addRows([
    ['执法全过程记录合规报告', r.period.month],
    ['生成时间（北京时间）', bjTime(Date.parse(r.generatedAt))],
    [],
    ...Object.entries(r.counts).map(([k, n]) => [KIND_ZH[k as keyof typeof KIND_ZH], n]),
    [],
    ['记录事项数', r.stats.totals.sessions],
    ['记录时长（小时）', r.stats.totals.hoursRecorded],
    ['全过程记录覆盖率（%）', pct(r.stats.totals.coverage)],
    ['中止次数', r.stats.totals.interruptions],
    ['按时说明率（%）', pct(r.stats.totals.explainedInTime)],
    ['超期未存储片段', r.stats.totals.overdueClips],
    ['超期存储片段', r.stats.totals.lateClips],
    ['设备可用率（%）', pct(r.stats.devices.availability)],
  ]);
  sum.getRow(1).font = { bold: true, size: 14 };

  const b = wb.addWorksheet('问题清单');
  b.columns = [
    { header: '类别', width: 28 },
    { header: '规则', width: 28 },
    { header: '时间', width: 18 },
    { header: '对象', width: 36 },
    { header: '责任人', width: 36 },
    { header: '证据', width: 60 },
  ];
  for (const x of r.breaches) {
    b.addRow([
      KIND_ZH[x.kind],
      RULE_ZH[x.rule],
      bjTime(x.at),
      x.subject,
      x.responsible.map(personText).join('；'),
      evidenceText(x.evidence),
    ]);
  }
  b.getRow(1).font = { bold: true };

  const groups: [string, (GroupStats & { key: string; name?: string })[]][] = [
    ['按人员', r.stats.byOfficer],
    ['按部门', r.stats.byUnit],
    ['按事项类型', r.stats.byActivity],
    ['按日', r.stats.byDay],
  ];
  for (const [title, rows] of groups) {
    const s = wb.addWorksheet(title);
    s.columns = [
      { header: '项目', width: 20 },
      { header: '记录事项', width: 10 },
      { header: '记录时长（小时）', width: 16 },
      { header: '覆盖率（%）', width: 12 },
      { header: '中止次数', width: 10 },
      { header: '按时说明率（%）', width: 14 },
      { header: '超期未存储', width: 12 },
      { header: '超期存储', width: 10 },
    ];
    for (const g of rows) {
      s.addRow([
        g.name ?? g.key,
        g.sessions,
        g.hoursRecorded,
        pct(g.coverage),
        g.interruptions,
        pct(g.explainedInTime),
        g.overdueClips,
        g.lateClips,
      ]);
    }
    s.getRow(1).font = { bold: true };
  }
  const c = wb.addWorksheet('中止原因');
  c.columns = [
    { header: '原因', width: 16 },
    { header: '次数', width: 10 },
    { header: '已结束', width: 10 },
    { header: '按时说明', width: 10 },
  ];
  for (const x of r.stats.interruptionsByCause) c.addRow([x.cause, x.count, x.ended, x.explainedInTime]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
