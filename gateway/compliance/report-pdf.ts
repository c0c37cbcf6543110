/**
 * The report as a printable PDF in Chinese: pdfkit with the CJK font (pdf/document.ts), as the
 * custody receipts and evidence manifests are drawn — no browser on the box at run time.
 */
import { type Pdf, renderPdf } from '../pdf/document.js';
import { BREACH_KINDS } from './breaches.js';
import { bjTime, evidenceText, KIND_ZH, personText, RULE_ZH } from './labels.js';
import type { ComplianceReport } from './service.js';

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const MAX_ROWS = 400;

export function renderReportPdf(r: ComplianceReport): Promise<Buffer> {
  return renderPdf({ title: `执法全过程记录合规报告 ${r.period.month}`, subject: 'R26 / R7' }, (doc) => {
    doc.fontSize(18).text(`执法全过程记录合规报告（${r.period.month}）`, { align: 'center' });
    doc.moveDown(0.3);
    doc
      .fontSize(9)
      .fillColor('#555')
      .text(
        `统计期间：${bjTime(r.period.from)} 至 ${bjTime(r.period.to)}（北京时间）　生成时间：${bjTime(Date.parse(r.generatedAt))}`,
        { align: 'center' },
      );
    doc.fillColor('#000').moveDown();

    heading(doc, '一、问题汇总（R26）');
    for (const k of BREACH_KINDS) line(doc, `${KIND_ZH[k]}`, `${r.counts[k]} 项`);
    doc.moveDown(0.5);

    heading(doc, '二、统计（R7）');
    const t = r.stats.totals;
    line(doc, '记录事项', `${t.sessions} 个`);
    line(doc, '记录时长', `${t.hoursRecorded} 小时`);
    line(doc, '全过程记录覆盖率', pct(t.coverage));
    line(doc, '中止次数 / 按时书面说明率', `${t.interruptions} 次 / ${pct(t.explainedInTime)}`);
    line(doc, '超期未存储 / 超期存储片段', `${t.overdueClips} / ${t.lateClips}`);
    const d = r.stats.uploadDelay;
    line(doc, '存储时延（中位 / 90% / 最长）', `${d.p50H ?? '—'} / ${d.p90H ?? '—'} / ${d.maxH ?? '—'} 小时`);
    line(doc, '设备可用率', `${pct(r.stats.devices.availability)}（${r.stats.devices.count} 台）`);
    doc.moveDown(0.5);
    doc.fontSize(10).text('按部门：', { continued: false });
    for (const u of r.stats.byUnit) {
      line(
        doc,
        `　${u.key === '-' ? '听证室 / 未指定' : u.key}`,
        `${u.sessions} 个事项，${u.hoursRecorded} 小时，覆盖率 ${pct(u.coverage)}，中止 ${u.interruptions} 次`,
      );
    }
    doc.moveDown(0.5);

    heading(doc, '三、问题清单（责任人及证据）');
    if (r.breaches.length === 0) doc.fontSize(10).text('本期未发现问题。');
    for (const [i, b] of r.breaches.slice(0, MAX_ROWS).entries()) {
      if (doc.y > doc.page.height - 120) doc.addPage();
      doc
        .fontSize(10)
        .fillColor('#000')
        .text(`${i + 1}. ${KIND_ZH[b.kind]} · ${RULE_ZH[b.rule]}　${bjTime(b.at)}`);
      doc.fontSize(9).fillColor('#333');
      doc.text(`对象：${b.subject}`, { indent: 14 });
      doc.text(`责任人：${b.responsible.map(personText).join('；')}`, { indent: 14 });
      doc.text(`证据：${evidenceText(b.evidence)}`, { indent: 14 });
    }
    if (r.breaches.length > MAX_ROWS) {
      doc.fontSize(9).text(`另有 ${r.breaches.length - MAX_ROWS} 项见 XLSX 报表。`);
    }
    doc.moveDown();
    doc
      .fontSize(8)
      .fillColor('#555')
      .text(
        `判定规则见 gateway/compliance/RULES.md：中断容差 ${r.rules.gapToleranceS} 秒，书面说明期限 ${r.rules.explainWithinH} 小时，故障处理期限 ${r.rules.faultIgnoredH} 小时，维护周期 ${r.rules.maintenanceEveryDays} 天。`,
      );
  });
}

function heading(doc: Pdf, text: string): void {
  doc.fontSize(13).fillColor('#000').text(text);
  doc.moveDown(0.3);
}

function line(doc: Pdf, label: string, value: string): void {
  doc.fontSize(10).fillColor('#000').text(`${label}：${value}`);
}
