/** Chinese wording of the report (PDF, XLSX): breach kinds and rules as RULES.md names them. */
import type { BreachKind, BreachRule, Responsible } from './breaches.js';

export const KIND_ZH: Record<BreachKind, string> = {
  'not-recorded': '（一）未按规定记录',
  'device-not-maintained': '（二）设备未维护致记录灭失',
  'not-stored': '（三）未按规定存储',
  'original-altered': '（四）原始记录被删改或毁损',
  'released-without-approval': '（五）未经批准对外提供',
};

export const RULE_ZH: Record<BreachRule, string> = {
  'session-no-recording': '全过程记录事项无任何音像记录',
  'session-gap-unrecorded': '全过程记录中断且无中止记录',
  'case-stage-unrecorded': '案件环节无音像记录',
  'loss-fault-ignored': '故障未处理期间记录灭失',
  'loss-maintenance-overdue': '超期未维护期间记录灭失',
  'upload-late': '超过24小时才存储',
  'upload-overdue': '超过24小时仍未存储',
  'interruption-unexplained': '中止记录未按时书面说明',
  'integrity-failure': '原始记录被篡改或缺失',
  'quarantined-at-ingest': '上传时校验不符（已隔离）',
  'export-unapproved': '未经批准导出或移交',
  'access-unapproved': '未经批准调取',
};

export const RESPONSIBLE_ZH: Record<Responsible['kind'], string> = {
  officer: '执法人员',
  custodian: '设备管理人',
  user: '操作人',
  office: '部门',
};

export function personText(p: Responsible): string {
  const who = p.name ?? p.id ?? '未能确定';
  return `${RESPONSIBLE_ZH[p.kind]} ${who}${p.certNo && p.certNo !== '-' ? `（执法证号 ${p.certNo}）` : ''}`;
}

export function evidenceText(e: {
  clipIds: string[];
  interruptionIds: string[];
  auditSeqs: number[];
}): string {
  const parts: string[] = [];
  if (e.clipIds.length)
    parts.push(
      `片段 ${e.clipIds.slice(0, 5).join('、')}${e.clipIds.length > 5 ? ` 等${e.clipIds.length}个` : ''}`,
    );
  if (e.interruptionIds.length) parts.push(`中止记录 ${e.interruptionIds.join('、')}`);
  if (e.auditSeqs.length) parts.push(`审计日志 #${e.auditSeqs.join('、#')}`);
  return parts.join('；') || '—';
}

/** Office time (UTC+8), `YYYY-MM-DD HH:mm`. */
export function bjTime(t: number): string {
  return new Date(t + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}
