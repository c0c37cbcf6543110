/**
 * Evidence exports (R23, R24, R25) against a real gateway over HTTP: requests, the principal's
 * refusal, no self-approval, an officer limited to their own clips, approval -> legal hold -> the
 * disc built by xorriso, downloaded over HTTP (each download its own audit entry), read back with
 * a foreign tool (xorriso -osirrox extract, isoinfo) and compared byte for byte, the hand-over
 * logged; an altered original fails the build naming the clip; an altered image aborts its
 * download short of its length.
 */
import { execFile } from 'node:child_process';
import { chmod, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkTables } from '../../gateway/clips/chunk-table.js';
import { packIso } from '../../gateway/exports/xorriso.js';
import type { ClipRecord } from '../../gateway/store/index.js';
import type { ApiClient, TestGateway } from '../helpers/gateway.js';
import { startGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { clipBytes, sha256 } from '../store/helpers.js';

const run = promisify(execFile);
const T0 = Date.now() - 3_600_000;

let gw: TestGateway;
let legal: ApiClient;
let principal: ApiClient;
let officer: ApiClient;
let both: ApiClient;
let work: string;
const originals = new Map<string, Buffer>();

async function seed(
  clipId: string,
  size: number,
  over: Partial<Parameters<TestGateway['app']['store']['ingestFile']>[1]> = {},
) {
  const bytes = clipBytes(originals.size + 11, size);
  // The first clips look like MP4 (ftyp at 4) so they go on the disc as .mp4.
  if (originals.size % 2 === 0) bytes.write('ftypisom', 4, 'latin1');
  const path = join(work, `${clipId}.src`);
  await writeFile(path, bytes);
  const i = originals.size;
  const r = await gw.app.store.ingestFile(path, {
    clipId,
    source: { kind: 'recorder', id: 'REC-EXP-1' },
    sessionId: 'sess-exp-1',
    officer: { id: officer.username, name: '王警官', certNo: 'ZJ-1234' },
    caseNo: 'CASE-EXP-1',
    activity: 'inspection',
    start: T0 + i * 60_000,
    end: T0 + i * 60_000 + 55_000,
    ...over,
  });
  originals.set(clipId, bytes);
  return r as ClipRecord;
}

const body = (clipIds: string[], more: Record<string, unknown> = {}) => ({
  clipIds,
  caseNo: 'CASE-EXP-1',
  purpose: '移送法院作为证据',
  recipient: { kind: 'court', name: '某某区人民法院' },
  outsideRequest: { requestedBy: '某某区人民法院 张法官', basis: '调取证据通知书 (2026) 某法调 12 号' },
  sensitivity: 'normal',
  ...more,
});

async function auditOf(exportId: string) {
  return gw.app.store.audit.bySubject(`export:${exportId}`);
}

async function ready(id: string) {
  return waitFor(
    async () => {
      const r = await legal.get(`/api/exports/${id}`);
      return r.body.state === 'building' || r.body.state === 'requested' ? undefined : r.body;
    },
    `export ${id} built`,
    60_000,
    50,
  );
}

async function download(client: ApiClient, id: string) {
  const res = await fetch(`${gw.url}/api/exports/${id}/image`, {
    headers: { authorization: `Bearer ${client.token}` },
  });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'exports-test-'));
  gw = await startGateway();
  legal = await gw.as('legal-affairs');
  principal = await gw.as('principal');
  officer = await gw.as('officer');
  both = await gw.as(['legal-affairs', 'principal']);
  await seed('clip-a', 300_000);
  await seed('clip-b', 1_000_003);
  await seed('clip-c', 70_000);
  await seed('other-1', 50_000, {
    sessionId: 'sess-other',
    officer: { id: 'someone-else', name: '李警官', certNo: 'ZJ-9' },
  });
  // Made right after ingest; an original unchanged since is not re-hashed for a disc.
  for (const id of ['clip-a', 'clip-b', 'clip-c']) await tableOf(id);
});

async function tableOf(clipId: string) {
  const tables = new ChunkTables(gw.app.db);
  const { sha256 } = (await gw.app.store.index.get(clipId))!;
  return waitFor(() => tables.get(sha256), `chunk table of ${clipId}`);
}

afterAll(async () => {
  await gw?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('export requests and the principal decision (R24, R25)', () => {
  it('records a request from an outside body, and the principal refuses it with a reason', async () => {
    const req = await legal.post('/api/exports', body(['clip-a']));
    expect(req.status).toBe(200);
    expect(req.body).toMatchObject({
      state: 'requested',
      requestedBy: { username: legal.username },
      caseNo: 'CASE-EXP-1',
      recipient: { kind: 'court' },
      outsideRequest: { requestedBy: '某某区人民法院 张法官' },
      clipIds: ['clip-a'],
    });
    const refused = await principal.post(`/api/exports/${req.body.id}/refuse`, { reason: '与本案无关' });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({
      state: 'refused',
      reason: '与本案无关',
      decidedBy: { username: principal.username },
    });
    expect((await principal.post(`/api/exports/${req.body.id}/approve`, {})).status).toBe(409);
    const types = (await auditOf(req.body.id)).map((e) => e.type);
    expect(types).toEqual(['export-request', 'export-refused']);
    expect((await principal.post(`/api/exports/${req.body.id}/refuse`, {})).status).toBe(400);
  });

  it('refuses a decision on one own request, even to a principal', async () => {
    const req = await both.post('/api/exports', body(['clip-a']));
    expect(req.status).toBe(200);
    const self = await both.post(`/api/exports/${req.body.id}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/own export request/);
    expect((await both.post(`/api/exports/${req.body.id}/refuse`, { reason: 'x' })).status).toBe(403);
    expect((await legal.get(`/api/exports/${req.body.id}`)).body.state).toBe('requested');
    expect((await auditOf(req.body.id)).map((e) => e.type)).toEqual(['export-request']);
  });

  it('lets an officer request only clips of their own sessions, and see only their requests', async () => {
    const foreign = await officer.post('/api/exports', body(['clip-a', 'other-1']));
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toMatch(/other-1/);
    const own = await officer.post('/api/exports', body([], { sessionIds: ['sess-exp-1'] }));
    expect(own.status).toBe(200);
    expect(own.body.clipIds.sort()).toEqual(['clip-a', 'clip-b', 'clip-c']);
    const mine = await officer.get('/api/exports');
    expect(mine.body.map((e: { id: string }) => e.id)).toEqual([own.body.id]);
    const other = await gw.as('officer');
    expect((await other.get(`/api/exports/${own.body.id}`)).status).toBe(404);
    expect((await legal.get('/api/exports')).body.length).toBeGreaterThanOrEqual(3);
    await principal.post(`/api/exports/${own.body.id}/refuse`, { reason: '重复申请' });
  });

  it('validates requests (zod): recipient kind, an empty selection, unknown clips', async () => {
    expect(
      (await legal.post('/api/exports', body(['clip-a'], { recipient: { kind: 'press', name: 'x' } })))
        .status,
    ).toBe(400);
    expect((await legal.post('/api/exports', body([]))).status).toBe(400);
    expect((await legal.post('/api/exports', body(['no-such-clip']))).status).toBe(404);
  });
});

describe('approved export: legal hold, the disc, downloads and hand-over (R23)', () => {
  let id: string;
  let image: Buffer;
  let disc: string;

  it('builds the disc on approval and puts the clips on legal hold', async () => {
    const req = await legal.post('/api/exports', body(['clip-a', 'clip-b', 'clip-c']));
    id = req.body.id;
    const ok = await principal.post(`/api/exports/${id}/approve`, { note: '同意移送' });
    expect(ok.status).toBe(200);
    expect(['building', 'ready']).toContain(ok.body.state);
    const done = await ready(id);
    expect(done.error).toBeUndefined();
    expect(done).toMatchObject({
      state: 'ready',
      decidedBy: { username: principal.username },
      reason: '同意移送',
    });
    expect(done.image.name).toMatch(/\.iso$/);
    // Each original is the very file whose whole hash matched after ingest: checked by its identity.
    expect(done.originals).toEqual({ rehashed: 0, unchanged: 3 });
    expect(done.progress.bytesDone).toBe(done.progress.bytesTotal);
    const clip = await legal.get('/api/clips/clip-b');
    expect(clip.body.legalHolds).toEqual([expect.objectContaining({ exportId: id, caseNo: 'CASE-EXP-1' })]);
    await expect(gw.app.store.assertMayRetire('clip-b', 'expire')).rejects.toMatchObject({
      code: 'LEGAL_HOLD',
    });
    await expect(gw.app.store.assertMayRetire('other-1', 'move')).resolves.toBeUndefined();
    const holds = (await gw.app.store.audit.bySubject('clip:clip-a')).filter((e) => e.type === 'legal-hold');
    expect(holds.map((e) => e.details.exportId)).toEqual([id]);
    expect((await auditOf(id)).map((e) => e.type)).toEqual([
      'export-request',
      'export-approval',
      'export-built',
      'export-ready',
    ]);
  });

  it('serves the image over HTTP, each download its own audit entry', async () => {
    const view = (await legal.get(`/api/exports/${id}`)).body;
    const first = await download(legal, id);
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get('x-content-sha256')).toBe(view.image.sha256);
    expect(first.bytes.length).toBe(view.image.bytes);
    expect(sha256(first.bytes)).toBe(view.image.sha256);
    const second = await download(principal, id);
    expect(sha256(second.bytes)).toBe(view.image.sha256);
    const downloads = (await auditOf(id)).filter((e) => e.type === 'export-download');
    expect(downloads.map((e) => e.actor)).toEqual([legal.username, principal.username]);
    expect((await download(officer, id)).res.status).toBe(403);
    image = first.bytes;
  });

  it('reads back with a foreign tool: every clip byte-identical, the manifest right', async () => {
    const iso = join(work, 'disc.iso');
    await writeFile(iso, image);
    disc = join(work, 'disc');
    await run('xorriso', ['-indev', iso, '-osirrox', 'on', '-extract', '/', disc]);
    const names = (await readdir(disc)).sort();
    expect(names).toEqual(
      [
        'README.txt',
        'clips',
        'custody',
        'manifest.json',
        'manifest.pdf',
        'receipt.pdf',
        'verify.html',
        'verify.mjs',
      ].sort(),
    );
    expect((await readdir(join(disc, 'custody'))).sort()).toEqual([
      'audit.jsonl',
      'checkpoint.json',
      'gateway-key.json',
      'proofs.json',
    ]);
    const manifestRaw = await readFile(join(disc, 'manifest.json'));
    const m = JSON.parse(manifestRaw.toString('utf8'));
    expect(m).toMatchObject({
      v: 1,
      exportId: id,
      caseNo: 'CASE-EXP-1',
      recipient: { kind: 'court', name: '某某区人民法院' },
      requestedBy: { username: legal.username },
      approvedBy: { username: principal.username },
      sensitivity: 'normal',
    });
    expect(m.files.map((f: { clipId: string }) => f.clipId)).toEqual(['clip-a', 'clip-b', 'clip-c']);
    expect((await readdir(join(disc, 'clips'))).sort()).toEqual(
      m.files.map((f: { path: string }) => f.path.slice(6)).sort(),
    );
    for (const f of m.files) {
      const onDisc = await readFile(join(disc, f.path));
      expect(onDisc.equals(originals.get(f.clipId)!), f.clipId).toBe(true);
      expect(f.sha256).toBe(sha256(onDisc));
      expect(f.bytes).toBe(onDisc.length);
      expect(f.officer).toEqual({ id: officer.username, name: '王警官', certNo: 'ZJ-1234' });
      expect(f.recorderSerial).toBe('REC-EXP-1');
      expect(f.stage).toBe('investigation');
      expect(f.start.shanghai).toMatch(/\+08:00$/);
      expect(f.upload.withinDeadline).toBe(true);
      expect(f.collector.who).toBe('王警官 (ZJ-1234)');
    }
    expect(m.files[0].path).toMatch(/^clips\/clip-a\.mp4$/);
    expect(m.files[1].path).toMatch(/^clips\/clip-b\.bin$/);
    expect(m.sessions).toEqual([
      expect.objectContaining({ sessionId: 'sess-exp-1', clipsOnDisc: 3, clipsInStore: 3 }),
    ]);
    // FORMATS.md §3 item 3: the built entry on the disc holds the manifest's hashes.
    const lines = (await readFile(join(disc, 'custody/audit.jsonl'), 'utf8')).trimEnd().split('\n');
    const entries = lines.map((l) => JSON.parse(l));
    const built = entries.find((e) => e.type === 'export-built' && e.subject === `export:${id}`);
    expect(built.details.manifestSha256).toBe(sha256(manifestRaw));
    expect(built.details.manifestPdfSha256).toBe(sha256(await readFile(join(disc, 'manifest.pdf'))));
    const ingests = entries.filter((e) => e.type === 'ingest').map((e) => e.subject);
    expect(ingests.sort()).toEqual(['clip:clip-a', 'clip:clip-b', 'clip:clip-c']);
    const log = (await readFile(gw.app.store.audit.file, 'utf8')).split('\n');
    for (const e of entries) expect(lines[entries.indexOf(e)]).toBe(log[e.seq - 1]);
    const proofs = JSON.parse(await readFile(join(disc, 'custody/proofs.json'), 'utf8'));
    expect(proofs.map((p: { seq: number }) => p.seq)).toEqual(entries.map((e) => e.seq));
    // The disc's own verifier, as a court's expert runs it on the extracted folder (FORMATS.md §3).
    const fingerprint = gw.app.custody.publicKeyJson().fingerprint;
    const verified = await run(process.execPath, [
      join(disc, 'verify.mjs'),
      disc,
      '--json',
      '--expect-key',
      fingerprint,
    ]).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(verified.stdout);
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, key: { matches: true }, counts: { files: 3, filesOk: 3 } });
    expect(report.counts.proven).toBe(entries.length);
    // isoinfo reads the same files through the Joliet tree.
    const { stdout } = await run('isoinfo', ['-J', '-f', '-i', iso]);
    expect(stdout.split('\n')).toEqual(expect.arrayContaining(['/manifest.json', '/clips/clip-b.bin']));
  });

  it('records the hash of the image as its file holds it; a byte flipped before the record is caught by the disc verifier', async () => {
    // The disc just read back, packed again by packIso through a wrapper: the real xorriso writes
    // into a side file, one byte of clip-b is flipped there, and only then do the bytes reach the
    // image file (fd 3) that the gateway hashes, fsyncs and records.
    const root = join(work, 'flip-root');
    await cp(disc, root, { recursive: true });
    await rm(join(root, 'clips'), { recursive: true });
    const m = JSON.parse(await readFile(join(disc, 'manifest.json'), 'utf8'));
    const needle = originals.get('clip-b')!.subarray(500_000, 500_064).toString('hex');
    const wrapper = join(work, 'xorriso-flip.sh');
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        'set -e',
        `side='${join(work, 'flip-side.iso')}'`,
        'xorriso "$@" 3>"$side"',
        `'${process.execPath}' -e 'const fs=require("fs");const b=fs.readFileSync(process.argv[1]);const i=b.indexOf(Buffer.from(process.argv[2],"hex"));if(i<0)process.exit(9);b[i]^=1;fs.writeFileSync(process.argv[1],b)' "$side" ${needle}`,
        'cat "$side" >&3',
        '',
      ].join('\n'),
      { mode: 0o700 },
    );
    const iso = join(work, 'flipped.iso');
    const got = await packIso(
      {
        rootDir: root,
        files: m.files.map((f: { path: string }) => ({ from: join(disc, f.path), to: `/${f.path}` })),
        volumeId: 'FLIP',
      },
      iso,
      { xorriso: wrapper },
    );
    const onDisk = await readFile(iso);
    expect(got).toEqual({ sha256: sha256(onDisk), bytes: onDisk.length });
    const out = join(work, 'flipped');
    await run('xorriso', ['-indev', iso, '-osirrox', 'on', '-extract', '/', out]);
    const verified = await run(process.execPath, [join(out, 'verify.mjs'), out, '--json']).then(
      () => ({ stdout: '{"ok":true,"findings":[]}' }),
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
    );
    const report = JSON.parse(verified.stdout);
    expect(report.ok).toBe(false);
    expect(report.findings.map((f: { code: string; file: string }) => [f.code, f.file])).toEqual([
      ['hash-mismatch', 'clips/clip-b.bin'],
    ]);
  });

  it('serves the receipt and the printable manifest as PDF', async () => {
    for (const p of ['receipt', 'manifest.pdf']) {
      const r = await fetch(`${gw.url}/api/exports/${id}/${p}`, {
        headers: { authorization: `Bearer ${legal.token}` },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/pdf');
      expect(
        Buffer.from(await r.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');
    }
  });

  it('logs the hand-over of the disc', async () => {
    const h = await legal.post(`/api/exports/${id}/handover`, {
      to: '某某区人民法院 张法官',
      note: '当面交接',
    });
    expect(h.status).toBe(200);
    const e = (await auditOf(id)).filter((x) => x.type === 'export-handover');
    expect(e).toEqual([
      expect.objectContaining({
        actor: legal.username,
        details: expect.objectContaining({ to: '某某区人民法院 张法官' }),
      }),
    ]);
  });

  it('aborts a download whose image no longer matches its hash, short of its length', async () => {
    const path = join(gw.dataDir, 'exports', id, `evidence-${id}.iso`);
    await chmod(path, 0o600);
    const altered = Buffer.from(image);
    altered[altered.length - 5000]! ^= 0x01;
    await writeFile(path, altered);
    const res = await fetch(`${gw.url}/api/exports/${id}/image`, {
      headers: { authorization: `Bearer ${legal.token}` },
    });
    const got = await res.arrayBuffer().then(
      (b) => Buffer.from(b),
      () => undefined,
    );
    expect(got === undefined || got.length < image.length).toBe(true);
    await waitFor(
      async () => (await auditOf(id)).some((e) => e.type === 'integrity-failure'),
      'integrity-failure entry',
    );
    await writeFile(path, image);
  });
});

describe('a secret export (R25)', () => {
  it('gives its image to the principal only', async () => {
    const req = await legal.post('/api/exports', body(['clip-b'], { sensitivity: 'secret' }));
    await principal.post(`/api/exports/${req.body.id}/approve`, {});
    expect((await ready(req.body.id)).state).toBe('ready');
    const refused = await download(legal, req.body.id);
    expect(refused.res.status).toBe(403);
    const taken = await download(principal, req.body.id);
    expect(taken.res.status).toBe(200);
    const downloads = (await auditOf(req.body.id)).filter((e) => e.type === 'export-download');
    expect(downloads.map((e) => e.actor)).toEqual([principal.username]);
  });
});

describe('an altered original', () => {
  it('re-hashes an original that has no record of a matching whole hash', async () => {
    const { sha256 } = (await gw.app.store.index.get('clip-a'))!;
    await new ChunkTables(gw.app.db).delete(sha256);
    const req = await legal.post('/api/exports', body(['clip-a', 'clip-b']));
    await principal.post(`/api/exports/${req.body.id}/approve`, {});
    const done = await ready(req.body.id);
    expect(done.state).toBe('ready');
    expect(done.originals).toEqual({ rehashed: 1, unchanged: 1 });
  });

  it('fails the build, naming the clip, and ships nothing', async () => {
    const r = await gw.app.store.index.get('clip-c');
    const blob = gw.app.store.layout.blobPath('blobs', r!.sha256);
    // Its table says it was hashed whole and matched; the write below changes its identity.
    expect((await tableOf('clip-c')).identity).toBeDefined();
    const good = await readFile(blob);
    const bad = Buffer.from(good);
    bad[100]! ^= 0xff;
    await chmod(blob, 0o644);
    await writeFile(blob, bad);
    try {
      const req = await legal.post('/api/exports', body(['clip-a', 'clip-c']));
      await principal.post(`/api/exports/${req.body.id}/approve`, {});
      const done = await ready(req.body.id);
      expect(done.state).toBe('failed');
      expect(done.error).toMatch(/clip clip-c/);
      expect(done.image).toBeUndefined();
      // The manifest was logged as built from the recorded hashes; the failure follows it, naming the clip.
      const log = await auditOf(req.body.id);
      const types = log.map((e) => e.type);
      expect(types.indexOf('export-failed')).toBeGreaterThan(types.indexOf('export-built'));
      expect(log.find((e) => e.type === 'export-failed')!.details).toMatchObject({ clipIds: ['clip-c'] });
      expect((await download(principal, req.body.id)).res.status).toBe(409);
      const failures = (await gw.app.store.audit.bySubject('clip:clip-c')).filter(
        (e) => e.type === 'integrity-failure',
      );
      expect(failures).toHaveLength(1);
      // The altered bytes left blobs/ for quarantine, and the principal is told (R25).
      expect(failures[0]!.details).toMatchObject({ kind: 'altered', detectedBy: `export ${req.body.id}` });
      expect((await gw.app.store.index.get('clip-c'))?.state).toBe('quarantined');
      await expect
        .poll(() => gw.app.alerts.activeFor('integrity-failure', 'clip:clip-c')?.severity)
        .toBe('critical');
      const files = await readdir(join(gw.dataDir, 'exports', req.body.id)).catch(() => []);
      expect(files.filter((f) => f.endsWith('.iso'))).toEqual([]);
    } finally {
      await writeFile(blob, good);
      await chmod(blob, 0o444);
    }
  });
});
