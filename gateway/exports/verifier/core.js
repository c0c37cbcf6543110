/*
 * Evidence-disc verification core: the five checks of gateway/custody/FORMATS.md §3 over the
 * Merkle log of §1 (RFC 9162 §2.1) and the signed checkpoint of §2.
 *
 * Plain JavaScript with no imports: buildVerifierFiles() inlines this one text into verify.mjs
 * (Node) and verify.html (browser), so both check exactly the same things. The environment hands
 * in what differs (`io`): the list of files, reading a small file, hashing a large one as a
 * stream, SHA-256 of a buffer and Ed25519 verification.
 *
 * Everything on the disc is hostile input: sizes are checked before reads, names are shown
 * escaped, and every finding names the file and the reason (a code plus zh/en text).
 */

/** Files every disc has besides the clips the manifest lists (FORMATS.md §3). */
const DISC_FIXED_FILES = [
  'README.txt',
  'manifest.json',
  'manifest.pdf',
  'receipt.pdf',
  'verify.html',
  'verify.mjs',
  'custody/checkpoint.json',
  'custody/gateway-key.json',
  'custody/audit.jsonl',
  'custody/proofs.json',
];
/** Read before anything is parsed: a disc cannot make the verifier load gigabytes of JSON. */
const DISC_LIMITS = {
  'custody/checkpoint.json': 64 * 1024,
  'custody/gateway-key.json': 64 * 1024,
  'custody/audit.jsonl': 256 * 1024 * 1024,
  'custody/proofs.json': 256 * 1024 * 1024,
  'manifest.json': 64 * 1024 * 1024,
};
const CHECKPOINT_HEADER = 'enforcement-gateway checkpoint v1\n';
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Verifies a disc. `io`:
 *   list(): Promise<{ path: string, bytes: number, regular: boolean }[]>   every file, '/'-separated
 *   read(path): Promise<Uint8Array>                                      a small file, whole
 *   hashFile(path, onBytes): Promise<string>                             lowercase hex, streamed
 *   sha256(bytes): Promise<Uint8Array>
 *   verifyEd25519(publicKey, message, signature): Promise<boolean>
 * `options`: { expectedFingerprint?: string (64 hex), onProgress?: (p) => void }
 */
export async function verifyDisc(io, options = {}) {
  const findings = [];
  const add = (code, file, params = {}) => findings.push({ code, file, ...params });
  const report = {
    ok: false,
    findings,
    key: null,
    checkpoint: null,
    export: null,
    files: [],
    counts: { files: 0, bytes: 0, filesOk: 0, auditLines: 0, proven: 0 },
  };
  const progress = options.onProgress ?? (() => {});
  const expected = options.expectedFingerprint ? normalizeFingerprint(options.expectedFingerprint) : null;

  const listing = await io.list();
  const onDisc = new Map(listing.map((f) => [f.path, f]));
  const utf8 = new TextDecoder('utf-8', { fatal: true });

  async function readSmall(path) {
    const f = onDisc.get(path);
    const max = DISC_LIMITS[path];
    if (!f) add('missing-file', path);
    else if (!f.regular) add('not-regular-file', path);
    else if (max !== undefined && f.bytes > max) add('too-large', path, { bytes: f.bytes, max });
    else {
      try {
        return await io.read(path);
      } catch (err) {
        add('unreadable', path, { error: errorText(err) });
      }
    }
    return null;
  }
  async function readJson(path) {
    const bytes = await readSmall(path);
    if (!bytes) return { bytes: null, value: undefined };
    try {
      return { bytes, value: JSON.parse(utf8.decode(bytes)) };
    } catch (err) {
      add('bad-json', path, { error: errorText(err) });
      return { bytes, value: undefined };
    }
  }

  /** A JSON file through its parser (null when absent, not JSON or not that shape; each reported). */
  async function readParsed(path, parse, what) {
    const read = await readJson(path);
    if (read.value === undefined) return { bytes: read.bytes, value: null };
    const value = parse(read.value);
    if (!value) add('bad-format', path, { what });
    return { bytes: read.bytes, value };
  }

  // §3.1 — the key, its fingerprint and the checkpoint's signature.
  progress({ phase: 'signature' });
  const keyFile = (await readParsed('custody/gateway-key.json', parseKeyFile, 'key')).value;
  const publicKey = keyFile?.raw ?? null;
  if (publicKey) {
    const fingerprint = toHex(await io.sha256(publicKey));
    report.key = {
      fingerprint,
      grouped: groupFingerprint(fingerprint),
      expected,
      matches: expected ? expected === fingerprint : null,
    };
    if (keyFile.fingerprint !== fingerprint) {
      add('key-fingerprint-mismatch', 'custody/gateway-key.json', {
        expected: String(keyFile.fingerprint).slice(0, 80),
        actual: fingerprint,
      });
    }
    if (expected && expected !== fingerprint) {
      add('key-not-expected', 'custody/gateway-key.json', { expected, actual: fingerprint });
    }
  } else if (expected) {
    report.key = { fingerprint: null, grouped: null, expected, matches: false };
  }

  const checkpoint = (await readParsed('custody/checkpoint.json', parseCheckpoint, 'checkpoint')).value;
  let signatureOk = false;
  if (checkpoint) {
    report.checkpoint = {
      origin: checkpoint.origin,
      treeSize: checkpoint.treeSize,
      rootHash: checkpoint.rootHash,
      at: checkpoint.at,
      keyId: checkpoint.keyId,
    };
    if (report.key?.fingerprint && checkpoint.keyId !== report.key.fingerprint) {
      add('checkpoint-key-mismatch', 'custody/checkpoint.json', {
        expected: report.key.fingerprint,
        actual: checkpoint.keyId,
      });
    }
    if (publicKey) {
      const message = new TextEncoder().encode(checkpointMessage(checkpoint));
      let valid = false;
      try {
        valid =
          checkpoint.signature.length === 64 &&
          (await io.verifyEd25519(publicKey, message, checkpoint.signature));
      } catch {
        valid = false;
      }
      if (valid) signatureOk = true;
      else add('bad-signature', 'custody/checkpoint.json', { fingerprint: report.key.fingerprint });
    }
  }
  report.signatureOk = signatureOk;

  // §3.2 — every audit line is proven to the signed root. Only proven lines count below.
  progress({ phase: 'proofs' });
  const proven = [];
  const auditBytes = await readSmall('custody/audit.jsonl');
  const proofsBySeq = (await readParsed('custody/proofs.json', parseProofs, 'proofs')).value;
  if (auditBytes) {
    const lines = splitLines(auditBytes);
    report.counts.auditLines = lines.length;
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      const line = lines[i];
      let entry;
      try {
        entry = JSON.parse(utf8.decode(line));
      } catch (err) {
        add('bad-audit-line', 'custody/audit.jsonl', { line: lineNo, error: errorText(err) });
        continue;
      }
      if (!isAuditEntry(entry)) {
        add('bad-audit-line', 'custody/audit.jsonl', { line: lineNo, error: 'not an audit entry' });
        continue;
      }
      if (!proofsBySeq || !checkpoint) continue;
      const proof = proofsBySeq.get(entry.seq);
      if (!proof) {
        add('proof-missing', 'custody/proofs.json', { line: lineNo, seq: entry.seq });
        continue;
      }
      if (proof.leafIndex !== entry.seq - 1 || proof.treeSize !== checkpoint.treeSize) {
        add('proof-mismatch', 'custody/proofs.json', {
          seq: entry.seq,
          leafIndex: proof.leafIndex,
          treeSize: proof.treeSize,
          checkpointTreeSize: checkpoint.treeSize,
        });
        continue;
      }
      const root = await rootFromInclusionProof(
        io.sha256,
        line,
        proof.leafIndex,
        proof.treeSize,
        proof.auditPath,
      );
      if (root === null || root !== checkpoint.rootHash) {
        add('proof-invalid', 'custody/proofs.json', {
          seq: entry.seq,
          line: lineNo,
          computed: root ?? '-',
          root: checkpoint.rootHash,
        });
        continue;
      }
      // Proven to the checkpoint's root. If that root's signature failed, the disc already fails
      // (bad-signature); the checks below still run so each finding is the cause, not an echo.
      proven.push(entry);
    }
  }
  report.counts.proven = proven.length;

  // §3.3 — the manifest (and its PDF) are the ones the proven export-built entry names.
  progress({ phase: 'manifest' });
  const manifestRead = await readParsed('manifest.json', parseManifest, 'manifest');
  const manifest = manifestRead.value;
  if (manifest) {
    report.export = {
      exportId: manifest.exportId,
      gatewayId: manifest.gatewayId,
      createdAt: manifest.createdAt,
      caseNo: manifest.caseNo,
      purpose: manifest.purpose,
      recipient: manifest.recipient,
      requestedBy: manifest.requestedBy,
      approvedBy: manifest.approvedBy,
      approvedAt: manifest.approvedAt,
      sensitivity: manifest.sensitivity,
    };
    const built = proven.find(
      (e) =>
        e.type === 'export-built' &&
        (e.subject === `export:${manifest.exportId}` || e.details?.exportId === manifest.exportId),
    );
    if (!built) {
      add('export-entry-missing', 'custody/audit.jsonl', { exportId: manifest.exportId });
    } else {
      const manifestSha = toHex(await io.sha256(manifestRead.bytes));
      if (built.details.manifestSha256 !== manifestSha) {
        add('manifest-mismatch', 'manifest.json', {
          expected: String(built.details.manifestSha256),
          actual: manifestSha,
        });
      }
      const pdf = onDisc.get('manifest.pdf');
      if (!pdf) add('missing-file', 'manifest.pdf');
      else if (!pdf.regular) add('not-regular-file', 'manifest.pdf');
      else {
        const pdfSha = await io.hashFile('manifest.pdf', () => {});
        if (built.details.manifestPdfSha256 !== pdfSha) {
          add('manifest-mismatch', 'manifest.pdf', {
            expected: String(built.details.manifestPdfSha256),
            actual: pdfSha,
          });
        }
      }
    }
  }

  // §3.4 — every listed file: present, same size, same SHA-256, and that SHA-256 proven at ingest.
  const listed = new Set();
  if (manifest) {
    const ingested = new Map();
    for (const e of proven) {
      if (e.type === 'ingest' && e.subject.startsWith('clip:') && typeof e.details?.sha256 === 'string') {
        const clipId = e.subject.slice('clip:'.length);
        if (!ingested.has(clipId)) ingested.set(clipId, []);
        ingested.get(clipId).push(e.details.sha256);
      }
    }
    const bytesTotal = manifest.files.reduce((n, f) => n + f.bytes, 0);
    let bytesDone = 0;
    report.counts.files = manifest.files.length;
    report.counts.bytes = bytesTotal;
    for (const f of manifest.files) {
      const row = { path: f.path, clipId: f.clipId, bytes: f.bytes, sha256: f.sha256, ok: false };
      report.files.push(row);
      const before = findings.length;
      if (!isSafeDiscPath(f.path) || DISC_FIXED_FILES.includes(f.path)) {
        add('bad-path', 'manifest.json', { path: f.path });
        continue;
      }
      if (listed.has(f.path)) {
        add('duplicate-path', 'manifest.json', { path: f.path });
        continue;
      }
      listed.add(f.path);
      const onDiscFile = onDisc.get(f.path);
      const sums = ingested.get(f.clipId);
      if (!sums) add('ingest-missing', f.path, { clipId: f.clipId });
      else if (!sums.includes(f.sha256)) {
        add('ingest-mismatch', f.path, { clipId: f.clipId, expected: sums[0], actual: f.sha256 });
      }
      if (!onDiscFile) add('missing-file', f.path);
      else if (!onDiscFile.regular) add('not-regular-file', f.path);
      else if (onDiscFile.bytes !== f.bytes) {
        add('size-mismatch', f.path, { expected: f.bytes, actual: onDiscFile.bytes });
      } else {
        const base = bytesDone;
        progress({ phase: 'hash', path: f.path, bytesDone: base, bytesTotal });
        let actual;
        try {
          actual = await io.hashFile(f.path, (done) =>
            progress({ phase: 'hash', path: f.path, bytesDone: base + done, bytesTotal }),
          );
        } catch (err) {
          add('unreadable', f.path, { error: errorText(err) });
        }
        if (actual !== undefined && actual !== f.sha256) {
          add('hash-mismatch', f.path, { expected: f.sha256, actual });
        }
      }
      bytesDone += f.bytes;
      row.ok = findings.length === before;
      if (row.ok) report.counts.filesOk++;
    }
  }

  // §3.5 — nothing on the disc besides the fixed files and the listed ones.
  for (const f of listing) {
    if (DISC_FIXED_FILES.includes(f.path) || listed.has(f.path)) {
      if (!f.regular && !findings.some((x) => x.file === f.path && x.code === 'not-regular-file')) {
        add('not-regular-file', f.path);
      }
      continue;
    }
    add('unexpected-file', f.path);
  }

  progress({ phase: 'done' });
  report.ok = findings.length === 0;
  return report;
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to (hex), or null if it is malformed. */
export async function rootFromInclusionProof(sha256, leafInput, leafIndex, treeSize, auditPath) {
  if (!(leafIndex >= 0 && leafIndex < treeSize)) return null;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = await sha256(concatBytes(Uint8Array.of(0), leafInput));
  for (const hex of auditPath) {
    const p = fromHex(hex);
    if (sn === 0 || !p || p.length !== 32) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concatBytes(Uint8Array.of(1), p, r));
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(concatBytes(Uint8Array.of(1), r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? toHex(r) : null;
}

/** The exact signed message of FORMATS.md §2. */
export function checkpointMessage(c) {
  return `${CHECKPOINT_HEADER}${c.origin}\n${c.treeSize}\n${c.rootHash}\n${c.at}\n`;
}

/** '0a1b2c…' (64 hex) with spaces, colons or dashes allowed, any case → 64 lowercase hex, or null. */
export function normalizeFingerprint(text) {
  const hex = String(text)
    .replace(/[\s:-]/g, '')
    .toLowerCase();
  return HEX64.test(hex) ? hex : null;
}

export function groupFingerprint(hex) {
  return hex.match(/.{1,4}/g).join(' ');
}

function parseKeyFile(k) {
  if (!isObject(k) || k.v !== 1 || k.alg !== 'Ed25519' || typeof k.publicKey !== 'string') return null;
  const raw = fromBase64(k.publicKey);
  return raw && raw.length === 32 ? { raw, fingerprint: k.fingerprint } : null;
}

function parseCheckpoint(c) {
  if (!isObject(c) || c.v !== 1) return null;
  if (typeof c.origin !== 'string' || c.origin.length > 256 || /[\n\r]/.test(c.origin)) return null;
  if (!Number.isSafeInteger(c.treeSize) || c.treeSize < 0) return null;
  if (typeof c.rootHash !== 'string' || !HEX64.test(c.rootHash)) return null;
  if (typeof c.at !== 'string' || c.at.length > 64 || /[\n\r]/.test(c.at)) return null;
  if (typeof c.keyId !== 'string' || c.keyId.length > 128) return null;
  const signature = typeof c.signature === 'string' ? fromBase64(c.signature) : null;
  if (!signature) return null;
  return {
    origin: c.origin,
    treeSize: c.treeSize,
    rootHash: c.rootHash,
    at: c.at,
    keyId: c.keyId,
    signature,
  };
}

function parseProofs(list) {
  if (!Array.isArray(list)) return null;
  const bySeq = new Map();
  for (const p of list) {
    const ok =
      isObject(p) &&
      Number.isSafeInteger(p.seq) &&
      Number.isSafeInteger(p.leafIndex) &&
      Number.isSafeInteger(p.treeSize) &&
      Array.isArray(p.auditPath) &&
      p.auditPath.length <= 64 &&
      p.auditPath.every((h) => typeof h === 'string' && HEX64.test(h));
    if (!ok) return null;
    bySeq.set(p.seq, p);
  }
  return bySeq;
}

function parseManifest(m) {
  if (!isObject(m) || m.v !== 1 || typeof m.exportId !== 'string' || !Array.isArray(m.files)) return null;
  for (const f of m.files) {
    const ok =
      isObject(f) &&
      typeof f.path === 'string' &&
      f.path.length <= 1024 &&
      typeof f.clipId === 'string' &&
      typeof f.sha256 === 'string' &&
      HEX64.test(f.sha256) &&
      Number.isSafeInteger(f.bytes) &&
      f.bytes >= 0;
    if (!ok) return null;
  }
  return m;
}

function isAuditEntry(e) {
  return (
    isObject(e) &&
    Number.isSafeInteger(e.seq) &&
    e.seq >= 1 &&
    typeof e.type === 'string' &&
    typeof e.subject === 'string' &&
    isObject(e.details)
  );
}

function isSafeDiscPath(p) {
  if (p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Lines of a JSONL file as byte ranges (the exact leaf input); a final newline ends the last line. */
function splitLines(bytes) {
  const lines = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function toHex(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += b.toString(16).padStart(2, '0');
  return s;
}

function fromHex(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function fromBase64(text) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0 || text.length > 4096) return null;
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function errorText(err) {
  return String(err?.message ?? err).slice(0, 200);
}

/** A UTC ISO time as Beijing time, 'YYYY-MM-DD HH:mm:ss' (what the office reads), or null. */
export function shanghaiTime(iso) {
  const d = new Date(iso);
  if (typeof iso !== 'string' || Number.isNaN(d.getTime())) return null;
  const parts = {};
  let fmt;
  try {
    fmt = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Shanghai',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    return null; // a runtime without time zone data
  }
  for (const p of fmt.formatToParts(d)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** A file name or value from the disc, safe to print: control characters escaped, length bounded. */
export function shown(value, max = 300) {
  let out = '';
  for (const ch of String(value)) {
    const c = ch.codePointAt(0);
    // C0/C1 controls, line/paragraph separators and bidi overrides (a name must read as it is).
    const hidden =
      c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e);
    out += hidden || (c >= 0x2066 && c <= 0x2069) ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
    if (out.length > max) return `${out.slice(0, max)}…`;
  }
  return out;
}

/** Why a finding was raised, in one language ('zh' or 'en'); the file name is not included. */
export function describeFinding(f, lang) {
  const t = FINDING_TEXT[f.code];
  if (!t) return f.code;
  return t[lang === 'en' ? 1 : 0](f);
}

/** `file: 中文 / English` — one line for a terminal or a log. */
export function formatFinding(f) {
  return `${shown(f.file)}: ${describeFinding(f, 'zh')} / ${describeFinding(f, 'en')}`;
}

const FINDING_TEXT = {
  'missing-file': [() => '文件缺失', () => 'file is missing'],
  'not-regular-file': [
    () => '不是普通文件（链接或特殊文件）',
    () => 'not a regular file (a link or a special file)',
  ],
  'too-large': [
    (f) => `文件过大：${f.bytes} 字节，上限 ${f.max}`,
    (f) => `file too large: ${f.bytes} bytes, at most ${f.max}`,
  ],
  unreadable: [(f) => `无法读取：${shown(f.error)}`, (f) => `cannot be read: ${shown(f.error)}`],
  'bad-json': [(f) => `不是有效的 JSON：${shown(f.error)}`, (f) => `not valid JSON: ${shown(f.error)}`],
  'bad-format': [
    (f) => `格式不符（${WHAT_ZH[f.what] ?? f.what}）`,
    (f) => `not a valid ${WHAT_EN[f.what] ?? f.what} file`,
  ],
  'key-fingerprint-mismatch': [
    (f) => `文件中的指纹 ${shown(f.expected)} 与公钥的 SHA-256 ${f.actual} 不符`,
    (f) => `the fingerprint it states (${shown(f.expected)}) is not the key's SHA-256 (${f.actual})`,
  ],
  'key-not-expected': [
    (f) => `公钥指纹与预期不符：预期 ${groupFingerprint(f.expected)}，光盘上为 ${groupFingerprint(f.actual)}`,
    (f) =>
      `key fingerprint is not the expected one: expected ${groupFingerprint(f.expected)}, disc has ${groupFingerprint(f.actual)}`,
  ],
  'checkpoint-key-mismatch': [
    (f) => `检查点的 keyId ${shown(f.actual)} 不是光盘公钥的指纹 ${f.expected}`,
    (f) => `checkpoint keyId ${shown(f.actual)} is not the disc key's fingerprint ${f.expected}`,
  ],
  'bad-signature': [
    (f) => `检查点签名无效（公钥 ${f.fingerprint ? groupFingerprint(f.fingerprint) : '-'}）`,
    (f) =>
      `checkpoint signature does not verify (key ${f.fingerprint ? groupFingerprint(f.fingerprint) : '-'})`,
  ],
  'bad-audit-line': [
    (f) => `第 ${f.line} 行不是有效的审计条目：${shown(f.error)}`,
    (f) => `line ${f.line} is not a valid audit entry: ${shown(f.error)}`,
  ],
  'proof-missing': [
    (f) => `审计条目 seq ${f.seq}（第 ${f.line} 行）没有包含证明`,
    (f) => `no inclusion proof for audit entry seq ${f.seq} (line ${f.line})`,
  ],
  'proof-mismatch': [
    (f) =>
      `seq ${f.seq} 的证明不对应：leafIndex ${f.leafIndex}（应为 ${f.seq - 1}），treeSize ${f.treeSize}（检查点为 ${f.checkpointTreeSize}）`,
    (f) =>
      `proof for seq ${f.seq} does not fit: leafIndex ${f.leafIndex} (should be ${f.seq - 1}), treeSize ${f.treeSize} (checkpoint has ${f.checkpointTreeSize})`,
  ],
  'proof-invalid': [
    (f) =>
      `seq ${f.seq}（audit.jsonl 第 ${f.line} 行）的包含证明不成立：算得根 ${f.computed}，检查点根 ${f.root}`,
    (f) =>
      `inclusion proof for seq ${f.seq} (audit.jsonl line ${f.line}) fails: it leads to ${f.computed}, the checkpoint root is ${f.root}`,
  ],
  'export-entry-missing': [
    (f) => `没有本次导出 ${shown(f.exportId)} 的已证明 export-built 条目`,
    (f) => `no proven export-built entry for export ${shown(f.exportId)}`,
  ],
  'manifest-mismatch': [
    (f) => `SHA-256 与已证明的 export-built 条目不符：应为 ${shown(f.expected)}，实为 ${f.actual}`,
    (f) =>
      `SHA-256 does not match the proven export-built entry: expected ${shown(f.expected)}, got ${f.actual}`,
  ],
  'size-mismatch': [
    (f) => `大小不符：应为 ${f.expected} 字节，实为 ${f.actual} 字节`,
    (f) => `size does not match: expected ${f.expected} bytes, got ${f.actual}`,
  ],
  'hash-mismatch': [
    (f) => `SHA-256 不符：应为 ${f.expected}，实为 ${f.actual}`,
    (f) => `SHA-256 does not match: expected ${f.expected}, got ${f.actual}`,
  ],
  'ingest-missing': [
    (f) => `片段 ${shown(f.clipId)} 没有已证明的入库（ingest）条目`,
    (f) => `no proven ingest entry for clip ${shown(f.clipId)}`,
  ],
  'ingest-mismatch': [
    (f) => `清单中的 SHA-256 ${f.actual} 与已证明的入库条目 ${shown(f.expected)} 不符`,
    (f) => `manifest SHA-256 ${f.actual} differs from the proven ingest entry's ${shown(f.expected)}`,
  ],
  'unexpected-file': [() => '清单之外的文件', () => 'file is not listed in the manifest'],
  'bad-path': [
    (f) => `清单列出的路径不允许：${shown(f.path)}`,
    (f) => `the manifest lists a path that is not allowed: ${shown(f.path)}`,
  ],
  'duplicate-path': [
    (f) => `清单重复列出 ${shown(f.path)}`,
    (f) => `the manifest lists ${shown(f.path)} twice`,
  ],
};
const WHAT_ZH = { key: '公钥文件', checkpoint: '检查点', proofs: '证明列表', manifest: '清单' };
const WHAT_EN = { key: 'key', checkpoint: 'checkpoint', proofs: 'proof list', manifest: 'manifest' };
