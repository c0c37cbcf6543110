/*
 * verify.html's page logic: the reader picks the disc folder (or drops it), the shared core
 * checks it. No network: the page's CSP allows only its own inline script and style. Ed25519
 * through WebCrypto where the browser has it, else the inlined @noble/ed25519 (`noble`). SHA-256
 * through WebCrypto for files up to WHOLE_FILE_MAX, larger ones in slices (createSha256) so a
 * multi-GB clip is never held in memory.
 */
const WHOLE_FILE_MAX = 64 * 1024 * 1024;
const SLICE = 8 * 1024 * 1024;

const TEXT = {
  zh: {
    title: '证据光盘离线校验',
    intro:
      '本页面在您的浏览器中离线运行，不联网，不会上传任何内容。它检查光盘上的每个文件是否与签名检查点一致：录像原件的 SHA-256、审计条目的包含证明、检查点的 Ed25519 签名，以及光盘上没有多余或缺失的文件。',
    expectLabel: '纸面记录的公钥指纹（可选）',
    expectHint:
      '填写后，本页面会核对光盘上的公钥是否就是这把公钥。不填写时，请把下方显示的指纹与纸面记录逐组核对。',
    pick: '选择光盘所在的文件夹（光盘根目录）：',
    drop: '也可以把光盘文件夹拖放到此处。',
    rerun: '重新校验',
    keyTitle: '公钥指纹（SHA-256）',
    findingsTitle: '发现的问题',
    filesTitle: '文件',
    running: '正在校验…',
    hashing: (p) => `正在计算 SHA-256：${p}`,
    pass: '通过：光盘内容与签名检查点一致。',
    fail: (n) => `未通过：发现 ${n} 项问题。`,
    error: (e) => `校验出错：${e}`,
    compareOnPaper: '请将上面的指纹与纸面记录逐组核对。',
    keyMatches: '✓ 与填写的预期指纹一致。',
    keyDiffers: (e) => `✗ 与填写的预期指纹不符。预期：${e}`,
    badExpect: '指纹应为 64 位十六进制数字（可含空格）。',
    export: '导出编号',
    caseNo: '案号',
    recipient: '接收方',
    approvedBy: '批准人',
    checkpoint: '检查点',
    beijing: '北京时间',
    signature: '签名',
    sigValid: (impl) => `有效（${impl}）`,
    sigInvalid: '无效',
    files: '文件',
    audit: '审计条目',
    filesCount: (r) => `${r.counts.filesOk}/${r.counts.files} 通过，${size(r.counts.bytes)}`,
    auditCount: (r) => `${r.counts.proven}/${r.counts.auditLines} 已证明`,
    ok: '通过',
    bad: '未通过',
    noFiles: '未选择任何文件。',
    noCrypto: '此浏览器在本页面不提供密码运算（WebCrypto）。请直接从光盘打开 verify.html，或换用其他浏览器。',
  },
  en: {
    title: 'Evidence disc verifier (offline)',
    intro:
      'This page runs offline in your browser; it uses no network and uploads nothing. It checks every file on the disc against the signed checkpoint: the SHA-256 of each original recording, the inclusion proofs of the audit entries, the Ed25519 signature of the checkpoint, and that no file is missing or added.',
    expectLabel: 'Key fingerprint recorded on paper (optional)',
    expectHint:
      'If you enter it, the page checks that the key on the disc is this key. If not, compare the fingerprint shown below with the paper record group by group.',
    pick: 'Choose the disc folder (the root of the disc):',
    drop: 'Or drop the disc folder here.',
    rerun: 'Verify again',
    keyTitle: 'Key fingerprint (SHA-256)',
    findingsTitle: 'Problems found',
    filesTitle: 'Files',
    running: 'Verifying…',
    hashing: (p) => `Computing SHA-256: ${p}`,
    pass: 'PASS: the disc matches its signed checkpoint.',
    fail: (n) => `FAIL: ${n} problem(s) found.`,
    error: (e) => `Verification error: ${e}`,
    compareOnPaper: 'Compare the fingerprint above with the paper record, group by group.',
    keyMatches: '✓ Matches the expected fingerprint you entered.',
    keyDiffers: (e) => `✗ Is NOT the expected fingerprint you entered. Expected: ${e}`,
    badExpect: 'A fingerprint is 64 hexadecimal digits (spaces allowed).',
    export: 'Export',
    caseNo: 'Case no.',
    recipient: 'Recipient',
    approvedBy: 'Approved by',
    checkpoint: 'Checkpoint',
    beijing: 'Beijing time',
    signature: 'Signature',
    sigValid: (impl) => `valid (${impl})`,
    sigInvalid: 'INVALID',
    files: 'Files',
    audit: 'Audit entries',
    filesCount: (r) => `${r.counts.filesOk}/${r.counts.files} passed, ${size(r.counts.bytes)}`,
    auditCount: (r) => `${r.counts.proven}/${r.counts.auditLines} proven`,
    ok: 'OK',
    bad: 'FAILED',
    noFiles: 'No files were chosen.',
    noCrypto:
      'This browser offers no cryptography (WebCrypto) to this page. Open verify.html straight from the disc, or use another browser.',
  },
};

const $ = (id) => document.getElementById(id);
const state = {
  lang: 'zh',
  usedExpect: '',
  entries: null,
  report: null,
  error: null,
  progress: null,
  signatureImpl: '',
};
const size = (n) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/** Ed25519: WebCrypto first; the inlined noble-ed25519 where the browser lacks the algorithm. */
async function verifyEd25519(publicKey, message, signature) {
  let key;
  try {
    key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    key = null;
  }
  if (key) {
    state.signatureImpl = 'WebCrypto';
    return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  }
  state.signatureImpl = 'noble-ed25519';
  try {
    return await noble.verifyAsync(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

async function hashFile(file, onBytes) {
  if (file.size <= WHOLE_FILE_MAX) {
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    onBytes(file.size);
    return toHex(digest);
  }
  const hash = createSha256();
  for (let off = 0; off < file.size; off += SLICE) {
    const part = new Uint8Array(await file.slice(off, off + SLICE).arrayBuffer());
    hash.update(part);
    onBytes(Math.min(file.size, off + SLICE));
  }
  return toHex(hash.digest());
}

function browserIo(entries) {
  const byPath = new Map(entries.map((e) => [e.path, e.file]));
  return {
    list: async () => entries.map((e) => ({ path: e.path, bytes: e.file.size, regular: true })),
    read: async (path) => new Uint8Array(await byPath.get(path).arrayBuffer()),
    hashFile: (path, onBytes) => hashFile(byPath.get(path), onBytes),
    sha256: async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)),
    verifyEd25519,
  };
}

/** From <input webkitdirectory>: paths start with the chosen folder's name, which is dropped. */
function entriesFromInput(files) {
  return Array.from(files, (file) => {
    const rel = file.webkitRelativePath || file.name;
    return { path: rel.split('/').slice(1).join('/') || file.name, file };
  });
}

/** From a drop: one folder dropped → its contents are the disc; several items → they are. */
async function entriesFromDrop(items) {
  const roots = Array.from(items, (i) => i.webkitGetAsEntry?.()).filter(Boolean);
  const out = [];
  const readAll = (reader) =>
    new Promise((resolve, reject) => {
      const all = [];
      const next = () =>
        reader.readEntries((batch) => {
          if (batch.length === 0) resolve(all);
          else {
            all.push(...batch);
            next();
          }
        }, reject);
      next();
    });
  async function walk(entry, prefix) {
    if (entry.isDirectory) {
      for (const child of await readAll(entry.createReader())) await walk(child, `${prefix}${child.name}/`);
    } else {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ path: prefix.slice(0, -1), file });
    }
  }
  if (roots.length === 1 && roots[0].isDirectory) {
    for (const child of await readAll(roots[0].createReader())) await walk(child, `${child.name}/`);
  } else {
    for (const r of roots) await walk(r, `${r.name}/`);
  }
  return out;
}

function expectedFingerprint() {
  const raw = $('expect-key').value.trim();
  if (!raw) return { value: undefined, ok: true };
  const value = normalizeFingerprint(raw);
  return { value: value ?? undefined, ok: value !== null };
}

async function run() {
  if (!state.entries) return;
  const t = TEXT[state.lang];
  const expected = expectedFingerprint();
  state.usedExpect = $('expect-key').value.trim();
  $('expect-error').hidden = expected.ok;
  if (!expected.ok) {
    $('expect-error').textContent = t.badExpect;
    return;
  }
  state.report = null;
  state.error = null;
  state.progress = null;
  $('result').dataset.state = 'running';
  render();
  try {
    if (state.entries.length === 0) throw new Error(TEXT[state.lang].noFiles);
    // WebCrypto exists only in a secure context (file:// is one); served over plain http it is absent.
    if (!globalThis.crypto?.subtle) throw new Error(TEXT[state.lang].noCrypto);
    state.report = await verifyDisc(browserIo(state.entries), {
      expectedFingerprint: expected.value,
      onProgress: (p) => {
        state.progress = p;
        renderProgress();
      },
    });
    $('result').dataset.state = state.report.ok ? 'pass' : 'fail';
  } catch (err) {
    state.error = String(err?.message ?? err);
    $('result').dataset.state = 'error';
  }
  render();
}

function renderProgress() {
  const p = state.progress;
  const bar = $('progress');
  if (p?.phase === 'hash' && p.bytesTotal > 0) {
    bar.hidden = false;
    bar.value = p.bytesDone / p.bytesTotal;
    $('status').textContent = TEXT[state.lang].hashing(shown(p.path, 80));
  }
}

function render() {
  const t = TEXT[state.lang];
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title =
    state.lang === 'zh' ? '证据光盘离线校验 · Evidence disc verifier' : 'Evidence disc verifier';
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t[node.dataset.i18n];
  $('lang-toggle').textContent = state.lang === 'zh' ? 'English' : '中文';
  $('rerun').hidden = !state.entries;
  const running = $('result').dataset.state === 'running';
  $('progress').hidden = !running;
  const r = state.report;
  $('status').textContent = running
    ? t.running
    : state.error
      ? t.error(state.error)
      : r
        ? r.ok
          ? t.pass
          : t.fail(r.findings.length)
        : '';
  $('key-box').hidden = !r?.key?.fingerprint;
  // Two lines of eight groups, as `gateway key show` prints it for the paper record.
  const groups = r?.key?.grouped?.split(' ') ?? [];
  $('fingerprint').replaceChildren(
    ...(groups.length
      ? [el('span', groups.slice(0, 8).join(' ')), el('span', groups.slice(8).join(' '))]
      : []),
  );
  $('key-compare').textContent = !r?.key
    ? ''
    : r.key.matches === true
      ? t.keyMatches
      : r.key.matches === false
        ? t.keyDiffers(groupFingerprint(r.key.expected))
        : t.compareOnPaper;
  $('key-compare').dataset.matches = String(r?.key?.matches ?? '');

  const facts = $('facts');
  facts.replaceChildren();
  const fact = (label, value, id) =>
    facts.append(el('dt', label), el('dd', shown(value ?? '-'), id ? { id } : {}));
  if (r) {
    if (r.export) {
      fact(t.export, r.export.exportId);
      fact(t.caseNo, r.export.caseNo);
      fact(t.recipient, r.export.recipient?.name);
      fact(t.approvedBy, r.export.approvedBy?.name);
    }
    if (r.checkpoint) {
      const bj = shanghaiTime(r.checkpoint.at);
      const at = bj ? `${bj} ${t.beijing} (${r.checkpoint.at})` : r.checkpoint.at;
      fact(t.checkpoint, `${r.checkpoint.origin} · ${r.checkpoint.treeSize} · ${at}`);
      fact(t.signature, r.signatureOk ? t.sigValid(state.signatureImpl) : t.sigInvalid, 'signature');
    }
    fact(t.files, t.filesCount(r));
    fact(t.audit, t.auditCount(r));
  }

  const list = $('findings');
  list.replaceChildren();
  for (const f of r?.findings ?? []) {
    const li = el('li', undefined, { 'data-code': f.code, 'data-file': f.file });
    li.append(el('strong', shown(f.file)), el('span', `: ${describeFinding(f, state.lang)}`));
    list.append(li);
  }
  $('findings-title').hidden = !r || r.findings.length === 0;

  const body = $('files').tBodies[0];
  body.replaceChildren();
  for (const f of r?.files ?? []) {
    const tr = el('tr', undefined, { 'data-path': f.path, 'data-ok': String(f.ok) });
    tr.append(el('td', f.ok ? t.ok : t.bad), el('td', shown(f.path)), el('td', size(f.bytes)));
    tr.append(el('td', f.sha256, { class: 'hash' }));
    body.append(tr);
  }
  $('files-title').hidden = !r || r.files.length === 0;
}

function start() {
  $('disc-input').addEventListener('change', (ev) => {
    state.entries = entriesFromInput(ev.target.files);
    run();
  });
  $('rerun').addEventListener('click', run);
  // A changed fingerprint re-checks the chosen disc; leaving the field unchanged does not.
  $('expect-key').addEventListener('change', () => {
    if ($('expect-key').value.trim() !== state.usedExpect) run();
  });
  $('lang-toggle').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    render();
  });
  const zone = $('drop-zone');
  for (const type of ['dragenter', 'dragover']) {
    zone.addEventListener(type, (ev) => {
      ev.preventDefault();
      zone.classList.add('over');
    });
  }
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', async (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    try {
      state.entries = await entriesFromDrop(ev.dataTransfer.items);
    } catch (err) {
      state.entries = null;
      state.error = String(err?.message ?? err);
      render();
      return;
    }
    run();
  });
  render();
}

start();
