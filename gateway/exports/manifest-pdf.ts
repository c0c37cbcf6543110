/**
 * `manifest.pdf`: the evidence disc's manifest printed in Chinese for the case file (R23 "written
 * note: who, when, where collected"), the same facts as `manifest.json`.
 */
import { renderPdf } from '../pdf/document.js';
import type { Manifest, ManifestFile, ManifestSession, Stage } from './manifest.js';
import type { RecipientKind, Sensitivity } from './schema.js';

const RECIPIENT: Record<RecipientKind, string> = {
  court: '人民法院',
  procuratorate: '人民检察院',
  discipline: '纪检监察机关',
  superior: '上级机关',
  'public-security': '公安机关',
  party: '当事人',
  other: '其他',
};
const SENSITIVITY: Record<Sensitivity, string> = {
  normal: '普通',
  confidential: '秘密（内部）',
  secret: '涉密',
};
const STAGE: Record<Stage, string> = {
  'application-acceptance': '申请与受理',
  investigation: '调查取证',
  'review-decision': '审查决定',
  'service-execution': '送达执行',
  'closing-archiving': '结案归档',
};
const ACTIVITY: Record<string, string> = {
  acceptance: '受理',
  inquiry: '询问',
  inspection: '检查',
  'evidence-collection': '取证',
  sampling: '抽样',
  testing: '检测',
  preservation: '证据保全',
  seizure: '查封扣押',
  'notice-of-rights': '告知权利',
  hearing: '听证',
  'expert-review': '专家评审',
  decision: '决定',
  service: '送达',
  execution: '执行',
  'on-site-enforcement': '现场执法',
  archiving: '归档',
  other: '其他',
};
const CAUSE: Record<string, string> = {
  battery: '电量不足',
  storage: '存储已满',
  fault: '设备故障或损坏',
  obstruction: '阻挠',
  weather: '恶劣天气',
  'contact-lost': '失去联系',
  gap: '片段间断',
  'stream-lost': '视频流中断',
};

const bj = (t: { shanghai: string }) => t.shanghai.replace('T', ' ').replace(/\.\d{3}\+08:00$/, '');
const utc = (t: { utc: string }) => t.utc.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
const mb = (n: number) => `${(n / 1_048_576).toFixed(2)} MiB（${n} 字节）`;

export function renderManifestPdf(m: Manifest): Promise<Buffer> {
  return renderPdf({ title: `证据光盘清单 ${m.caseNo}`, subject: m.exportId }, (doc) => {
    doc.fontSize(18).text('执法音像记录证据光盘清单', { align: 'center' });
    doc.moveDown(0.5).fontSize(10);
    const line = (k: string, v: string) => doc.text(`${k}：${v}`);
    line('导出编号', m.exportId);
    line('网关', m.gatewayId);
    line('案件编号', m.caseNo);
    line('用途', m.purpose);
    line('接收单位', `${RECIPIENT[m.recipient.kind]} · ${m.recipient.name}`);
    if (m.outsideRequest) {
      line('调取单位及人员', m.outsideRequest.requestedBy);
      line('调取依据', m.outsideRequest.basis);
      if (m.outsideRequest.reference) line('文号', m.outsideRequest.reference);
    }
    line('密级', SENSITIVITY[m.sensitivity]);
    line('申请人', `${m.requestedBy.name}（${m.requestedBy.username}）`);
    line('批准人', `${m.approvedBy.name}（${m.approvedBy.username}），${m.approvedAt}`);
    line('制作时间（UTC）', m.createdAt);
    line('文件数', `${m.files.length}，共 ${mb(m.files.reduce((s, f) => s + f.bytes, 0))}`);
    doc.moveDown();
    for (const [i, f] of m.files.entries()) fileBlock(doc, f, i + 1);
    if (m.sessions.length > 0) {
      doc.moveDown().fontSize(14).text('记录过程与中止情况');
      for (const s of m.sessions) sessionBlock(doc, s);
    }
    doc.moveDown().fontSize(9);
    doc.text(
      '每个文件的 SHA-256 与网关审计日志中的入库记录一致，可用光盘上的 verify.html 或 verify.mjs 离线核验（见 README.txt）。',
    );
  });
}

type Doc = Parameters<Parameters<typeof renderPdf>[1]>[0];

function fileBlock(doc: Doc, f: ManifestFile, n: number): void {
  doc.fontSize(12).text(`${n}. ${f.path}`);
  doc.fontSize(9);
  const line = (k: string, v: string) => doc.text(`    ${k}：${v}`);
  line('SHA-256', f.sha256);
  line('大小', mb(f.bytes));
  line('设备', f.recorderSerial ? `执法记录仪 ${f.recorderSerial}` : `听证室摄像机 ${f.cameraId}`);
  line('执法人员', f.officer ? `${f.officer.name}，执法证号 ${f.officer.certNo}` : '—');
  line('开始', `${bj(f.start)}（北京时间） / ${utc(f.start)}`);
  line('结束', `${bj(f.end)}（北京时间） / ${utc(f.end)}`);
  line('时长', `${f.durationS} 秒`);
  line(
    '地点',
    f.place ??
      (f.position ? `${f.position.lat.toFixed(5)}, ${f.position.lon.toFixed(5)}` : '未知（设备未报告位置）'),
  );
  line('案件编号', f.caseNo ?? '—');
  line('阶段 / 活动', `${f.stage ? STAGE[f.stage] : '—'} / ${f.activity ? ACTIVITY[f.activity] : '—'}`);
  line('采集人 / 时间 / 地点', `${f.collector.who} / ${f.collector.when} / ${f.collector.where ?? '—'}`);
  const within = f.upload.withinDeadline;
  line(
    '上传存储',
    `${f.upload.ingestedAt ?? '—'}，期限 ${bj(f.upload.deadline)}（北京时间），${within === null ? '—' : within ? '按期' : '逾期'}`,
  );
  line('记录会话', f.sessionId);
  doc.moveDown(0.4);
}

function sessionBlock(doc: Doc, s: ManifestSession): void {
  doc.fontSize(11).text(`${s.kind === 'hearing' ? '听证' : '执法记录'} ${s.sessionId}（${s.device ?? '—'}）`);
  doc.fontSize(9);
  const cov = s.coverage === null ? '—' : `${(s.coverage * 100).toFixed(1)}%`;
  doc.text(
    `    时段：${s.start ? bj(s.start) : '—'} 至 ${s.end ? bj(s.end) : '—'}（北京时间）；覆盖率 ${cov}；本盘片段 ${s.clipsOnDisc}/${s.clipsInStore}`,
  );
  if (s.flags.length > 0) doc.text(`    合规标记：${s.flags.join('、')}`);
  if (s.interruptions.length === 0) doc.text('    中止记录：无');
  for (const i of s.interruptions) {
    doc.text(
      `    中止 ${i.id}：原因 ${CAUSE[i.cause] ?? i.cause}，${bj(i.start)} 至 ${i.end ? bj(i.end) : '未恢复'}；` +
        `${i.resumed ? '已恢复' : '未恢复'}；${i.resumeStatement ? '恢复时已口头说明原因' : '无恢复说明'}`,
    );
    doc.text(
      `        书面说明：${i.explanation ? `${i.explanation.text}（${i.explanation.author}，${i.explanation.at}）` : '尚无'}`,
    );
  }
  doc.moveDown(0.4);
}
