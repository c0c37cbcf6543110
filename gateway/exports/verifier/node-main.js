/*
 * verify.mjs: the disc verifier for plain Node.js ≥ 18, no dependencies.
 *   node verify.mjs [DISC_DIR] [--expect-key HEX] [--json]
 * DISC_DIR defaults to the folder this script is in. Exit 0 when every check passes, 1 when one
 * fails, 2 on a usage error. Clips are hashed as streams (a multi-GB clip is never held whole).
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `用法 / usage: node verify.mjs [光盘目录 / DISC_DIR] [--expect-key 指纹 / FINGERPRINT] [--json]`;

function parseArgs(argv) {
  const out = { dir: null, expect: null, json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') out.json = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--expect-key') out.expect = argv[++i] ?? '';
    else if (a.startsWith('--expect-key=')) out.expect = a.slice('--expect-key='.length);
    else if (a.startsWith('-')) throw new Error(`未知选项 / unknown option: ${shown(a)}`);
    else if (out.dir === null) out.dir = a;
    else throw new Error(`多余的参数 / extra argument: ${shown(a)}`);
  }
  return out;
}

/** Every non-directory under `root`, '/'-separated; links and special files are listed as such. */
async function listDisc(root) {
  const out = [];
  async function walk(dir) {
    for (const ent of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, ent.name);
      const path = relative(root, full).split(sep).join('/');
      if (ent.isDirectory()) await walk(full);
      else {
        const st = await lstat(full);
        out.push({ path, bytes: st.size, regular: st.isFile() });
      }
    }
  }
  await walk(root);
  return out;
}

function nodeIo(root) {
  const full = (path) => join(root, ...path.split('/'));
  return {
    list: () => listDisc(root),
    read: async (path) => new Uint8Array(await readFile(full(path))),
    hashFile: (path, onBytes) =>
      new Promise((resolve, reject) => {
        const hash = createHash('sha256');
        let done = 0;
        const stream = createReadStream(full(path), { highWaterMark: 1024 * 1024 });
        stream.on('data', (chunk) => {
          hash.update(chunk);
          done += chunk.length;
          onBytes(done);
        });
        stream.on('error', reject);
        stream.on('end', () => resolve(hash.digest('hex')));
      }),
    sha256: async (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest()),
    verifyEd25519: async (publicKey, message, signature) => {
      const x = Buffer.from(publicKey).toString('base64url');
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
      return verifySignature(null, message, key, signature);
    },
  };
}

/** '2026-12-08 00:30:15 北京时间 / Beijing (2026-12-07T16:30:15.167Z)' */
function atText(at) {
  const bj = shanghaiTime(at);
  return bj ? `${bj} 北京时间 / Beijing (${shown(at)})` : shown(at);
}

function printReport(r, dir) {
  const lines = [];
  const mb = (n) => (n / 1024 / 1024).toFixed(1);
  lines.push('证据光盘校验 / Evidence disc verification');
  lines.push(`光盘 / Disc: ${shown(dir)}`);
  if (r.export) {
    lines.push(`导出 / Export: ${shown(r.export.exportId)}   案号 / Case: ${shown(r.export.caseNo ?? '-')}`);
  }
  if (r.key?.fingerprint) {
    const groups = r.key.grouped.split(' ');
    lines.push('公钥指纹 / Key fingerprint (SHA-256):');
    lines.push(`    ${groups.slice(0, 8).join(' ')}`);
    lines.push(`    ${groups.slice(8).join(' ')}`);
    if (r.key.matches === true) lines.push('    ✓ 与预期指纹一致 / matches the expected fingerprint');
    else if (r.key.matches === false) lines.push('    ✗ 与预期指纹不符 / is NOT the expected fingerprint');
    else
      lines.push('    请与纸面记录的指纹逐组核对 / compare it group by group with the fingerprint on paper');
  }
  if (r.checkpoint) {
    lines.push(
      `检查点 / Checkpoint: ${shown(r.checkpoint.origin)} · ${r.checkpoint.treeSize} · ${atText(r.checkpoint.at)} · ${
        r.signatureOk ? '签名有效 / signature valid' : '签名无效 / signature INVALID'
      }`,
    );
  }
  lines.push(
    `文件 / Files: ${r.counts.filesOk}/${r.counts.files} 通过 / passed (${mb(r.counts.bytes)} MB)   审计条目 / Audit entries: ${r.counts.proven}/${r.counts.auditLines} 已证明 / proven`,
  );
  if (r.ok) {
    lines.push(
      '结果 / Result: 通过 — 光盘内容与签名检查点一致 / PASS — the disc matches its signed checkpoint',
    );
  } else {
    lines.push(`结果 / Result: 未通过 / FAIL — ${r.findings.length} 项问题 / problem(s):`);
    for (const f of r.findings) lines.push(`  ✗ ${formatFinding(f)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(argv) {
  let args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let expectedFingerprint;
  if (args.expect !== null) {
    expectedFingerprint = normalizeFingerprint(args.expect);
    if (!expectedFingerprint) {
      process.stderr.write(`--expect-key 需要 64 位十六进制指纹 / needs a 64-hex fingerprint\n${USAGE}\n`);
      return 2;
    }
  }
  const dir = args.dir ?? fileURLToPath(new URL('.', import.meta.url));
  const st = await lstat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    process.stderr.write(`不是目录 / not a directory: ${shown(dir)}\n`);
    return 2;
  }
  const tty = process.stderr.isTTY && !args.json;
  let lastShown = 0;
  const report = await verifyDisc(nodeIo(dir), {
    expectedFingerprint,
    onProgress: (p) => {
      if (!tty || p.phase !== 'hash' || Date.now() - lastShown < 200) return;
      lastShown = Date.now();
      const pct = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
      process.stderr.write(`\r校验中 / hashing ${pct}%  ${shown(p.path, 60)}\u001b[K`);
    },
  });
  if (tty) process.stderr.write('\r\u001b[K');
  if (args.json) {
    const findings = report.findings.map((f) => ({
      ...f,
      zh: describeFinding(f, 'zh'),
      en: describeFinding(f, 'en'),
    }));
    process.stdout.write(`${JSON.stringify({ ...report, findings }, null, 2)}\n`);
  } else printReport(report, dir);
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`校验出错 / verification error: ${shown(err?.stack ?? err, 2000)}\n`);
    process.exitCode = 1;
  },
);
