/**
 * The text people receive: Chinese, times in the office's zone (stored UTC). Pure: built from the
 * alert alone, so a delivery retried after a restart says exactly what the first try said.
 */
import type { Alert } from '../events.js';
import { scrub } from '../scrub.js';

export interface NotifyMessage {
  /** One line: subject of the e-mail, title of a robot's markdown card. */
  title: string;
  /** Plain lines. */
  lines: string[];
}

const SEVERITY: Record<string, string> = { critical: '严重', warning: '警告', info: '提示' };

const RULE_TITLE: Record<string, string> = {
  'interruption-cannot-continue': '执法记录无法继续',
  'interruption-unresumed': '执法记录中止后未按时恢复',
  'integrity-failure': '原始记录完整性校验失败',
  'audit-log-integrity': '审计日志与已签发检查点不符',
  'export-integrity': '光盘导出时原始记录校验失败',
  'custody-witness': '检查点未能送达见证方',
  'clip-overdue': '音像记录超过 24 小时未上传',
  'disk-reserve': '网关存储空间不足，已暂停采集',
  'recorder-fault': '执法记录仪故障',
  'recorder-lost': '执法记录仪报失',
  'clip-quarantined': '采集时发现记录被篡改，已隔离',
  'release-refused': '记录仪释放记录被拒绝',
  'clip-lost-on-recorder': '记录仪上的记录丢失',
};

const CAUSE: Record<string, string> = {
  battery: '电量耗尽',
  storage: '存储已满',
  fault: '设备故障',
  obstruction: '受到阻挠',
  weather: '恶劣天气',
  'contact-lost': '信号中断',
  gap: '记录间断',
  'stream-lost': '录像信号中断',
  'auth-failed': '认证失败',
};

const SOURCE: Record<string, string> = { recorder: '执法记录仪', camera: '听证室摄像机' };

/** `2026-12-07 23:07:22（北京时间）` for Asia/Shanghai; other zones name themselves. */
export function localTime(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '时间未知';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  const zone = timeZone === 'Asia/Shanghai' ? '北京时间' : timeZone;
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')}（${zone}）`;
}

const str = (v: unknown, max = 120): string | undefined =>
  typeof v === 'string' || typeof v === 'number' ? scrub(String(v), { max }) : undefined;

function officerText(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as { name?: unknown; certNo?: unknown };
  const name = str(o.name, 40);
  const cert = str(o.certNo, 40);
  return name ? `${name}${cert ? `（执法证号 ${cert}）` : ''}` : undefined;
}

export function alertMessage(alert: Alert, timeZone: string): NotifyMessage {
  const d = alert.details ?? {};
  const sev = SEVERITY[alert.severity] ?? alert.severity;
  const what = RULE_TITLE[alert.rule] ?? `告警（${scrub(alert.rule, { max: 64 })}）`;
  const title = `【${sev}】${what}`;
  const lines: string[] = [`时间：${localTime(alert.at, timeZone)}`];
  const source = str(d.source);
  const device = str(d.device) ?? str(d.serial);
  if (device) lines.push(`设备：${source ? `${SOURCE[source] ?? source} ` : ''}${device}`);
  const officer = officerText(d.officer);
  if (officer) lines.push(`执法人员：${officer}`);
  const cause = str(d.cause);
  if (cause) lines.push(`原因：${CAUSE[cause] ?? cause}`);
  const clip = str(d.clipId);
  if (clip) lines.push(`记录：${clip}`);
  if (typeof d.freeBytes === 'number') lines.push(`剩余空间：${(d.freeBytes / 1e9).toFixed(2)} GB`);
  if (!device && !clip) lines.push(`对象：${scrub(alert.subject, { max: 200 })}`);
  if (alert.rule.startsWith('interruption-'))
    lines.push('依规定（R19）须立即报告局主要负责人，并事后书面说明。');
  if (alert.rule === 'clip-overdue') lines.push('依规定（R22）记录须在 24 小时内存入指定存储。');
  // Messages already written in Chinese by their rule add what the lines above cannot say.
  if (/[\u4e00-\u9fff]/.test(alert.message)) lines.push(`详情：${scrub(alert.message, { max: 300 })}`);
  lines.push('请登录执法记录网关处理。');
  return { title, lines };
}
