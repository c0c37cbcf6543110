/**
 * The custody receipt (托管凭证): one printable page per checkpoint for the principal to sign and
 * file (R25). The QR code holds the checkpoint itself (FORMATS.md §2, compact JSON), so the paper
 * is a held checkpoint: scanned into a file, `gateway verify --checkpoint FILE` checks the log
 * against it. Times in Asia/Shanghai and UTC.
 */
import { drawQr, renderPdf } from '../pdf/document.js';
import type { Checkpoint } from './checkpoint.js';
import { groupFingerprint } from './signing-key.js';

export function shanghaiTime(iso: string): string {
  const parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')}`;
}

export function renderCustodyReceipt(cp: Checkpoint): Promise<Buffer> {
  return renderPdf(
    { title: `审计日志托管凭证 ${cp.origin} #${cp.treeSize}`, subject: 'custody receipt' },
    (doc) => {
      const left = doc.page.margins.left;
      const width = doc.page.width - left - doc.page.margins.right;
      doc.fontSize(20).text('审计日志托管凭证', { align: 'center' });
      doc.fontSize(10).fillColor('#555555').text('Custody receipt of the audit log (signed checkpoint)', {
        align: 'center',
      });
      doc.fillColor('#000000').moveDown(1.2);
      const qrSize = 170;
      const top = doc.y;
      drawQr(doc, JSON.stringify(cp), left + width - qrSize, top, qrSize);
      const textWidth = width - qrSize - 16;
      const field = (label: string, value: string, mono = false) => {
        doc.fontSize(9).fillColor('#555555').text(label, left, doc.y, { width: textWidth });
        doc
          .fontSize(mono ? 10 : 12)
          .fillColor('#000000')
          .text(value, left, doc.y, { width: textWidth });
        doc.moveDown(0.5);
      };
      doc.y = top;
      field('网关标识 Gateway', cp.origin);
      field('日志条目数 Tree size (entries 1 – N)', String(cp.treeSize));
      field('签发时间（北京时间）Issued, Asia/Shanghai', shanghaiTime(cp.at));
      field('签发时间（UTC）Issued, UTC', cp.at);
      doc.y = Math.max(doc.y, top + qrSize + 8);
      doc.x = left;
      const wide = (label: string, value: string) => {
        doc.fontSize(9).fillColor('#555555').text(label, left, doc.y, { width });
        doc.fontSize(11).fillColor('#000000').text(value, left, doc.y, { width });
        doc.moveDown(0.5);
      };
      wide('根哈希 Root hash (SHA-256, RFC 9162)', groupFingerprint(cp.rootHash));
      wide('签名密钥指纹 Key fingerprint (SHA-256 of the Ed25519 public key)', groupFingerprint(cp.keyId));
      wide('签名 Signature (Ed25519, base64)', cp.signature);
      doc.moveDown(0.5);
      doc
        .fontSize(10)
        .text(
          '本凭证记录执法记录边缘网关审计日志在上述时间的状态：前 N 条日志记录的全部内容由根哈希唯一确定，并由网关密钥签名。' +
            '凭证离开网关后，任何人（包括持有网关密钥者）删除、修改或插入其中任何一条记录，都会被“gateway verify --checkpoint”查出。' +
            '请核对密钥指纹与法制部门登记在册的指纹一致，签字后归档保存。',
          left,
          doc.y,
          { width, lineGap: 3 },
        );
      doc.moveDown(2.5);
      const y = doc.y;
      doc.fontSize(12).text('单位负责人（签字）：________________________', left, y);
      doc.text('日期：____________________', left + width * 0.62, y);
      doc.moveDown(2);
      const y2 = doc.y;
      doc.text('法制部门经办人（签字）：______________________', left, y2);
      doc.text('日期：____________________', left + width * 0.62, y2);
    },
  );
}
