/** `README.txt` of an evidence disc: what is on it and how to check it, in Chinese and English. */
import type { Manifest } from './manifest.js';

export function readmeText(m: Manifest, keyFingerprint: string): string {
  const fp = keyFingerprint.replace(/(.{4})/g, '$1 ').trim();
  return `执法音像记录证据光盘 / Evidence disc of enforcement recordings
导出编号 Export: ${m.exportId}
案件编号 Case: ${m.caseNo}
网关 Gateway: ${m.gatewayId}
网关公钥指纹 Gateway key fingerprint:
  ${fp}

【中文】
本光盘内容：
  clips/                 原始音像记录文件，逐字节未经改动
  manifest.json          清单（每个文件的 SHA-256、大小、设备、执法人员及执法证号、时间、地点、
                         案件、阶段、活动、采集人、上传期限、会话覆盖率及中止情况）
  manifest.pdf           清单的打印版
  receipt.pdf            本盘检查点的托管凭证（根哈希二维码）
  custody/               网关签名检查点、公钥、相关审计日志条目及其默克尔包含证明
  verify.html, verify.mjs 离线核验程序
核验方法：
  1. 在任意现代浏览器中打开 verify.html，选择本光盘的根目录（无需联网）；或
  2. 在装有 Node.js 的电脑上运行：node verify.mjs <光盘目录>
  核验程序检查：检查点签名、每条审计日志条目的包含证明、清单与已签名的 export-built 条目一致、
  每个文件的大小与 SHA-256 与清单及入库记录一致、光盘上没有多余文件。
  请将显示的公钥指纹与法制部门纸质登记的指纹比对。

[English]
On this disc:
  clips/                 the original recordings, byte for byte
  manifest.json          what is on the disc and why (per file SHA-256, size, device, officer and
                         certificate number, times, place, case, stage, activity, collector,
                         upload deadline, session coverage and interruptions)
  manifest.pdf           the manifest, printable (Chinese)
  receipt.pdf            custody receipt of this disc's checkpoint (root hash as a QR code)
  custody/               signed checkpoint, public key, the audit log entries concerned and their
                         Merkle inclusion proofs (RFC 9162)
  verify.html, verify.mjs offline verifiers
To verify:
  1. open verify.html in any current browser and choose the disc's root folder (no network); or
  2. with Node.js: node verify.mjs <disc directory>
  They check the checkpoint signature, an inclusion proof for every audit entry, that the manifest
  matches the signed export-built entry, that every file has the size and SHA-256 of the manifest
  and of its ingest entry, and that the disc holds no other file.
  Compare the key fingerprint shown with the one the legal-affairs office recorded on paper.
`.replace(/\n/g, '\r\n');
}
