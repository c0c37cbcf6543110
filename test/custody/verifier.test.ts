/**
 * verify.mjs as a court's expert runs it: a real `node verify.mjs` child process on a disc folder
 * written per FORMATS.md §3. Each tampering is reported with the file and the reason code.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Disc, discsPerTest, newKey } from './disc-fixture.js';
import { flipBit, TAMPERINGS } from './disc-tamper.js';

interface Finding {
  code: string;
  file: string;
  zh: string;
  en: string;
  [k: string]: unknown;
}
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function node(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

async function verifyJson(disc: Disc, ...args: string[]) {
  const run = await node([join(disc.dir, 'verify.mjs'), disc.dir, '--json', ...args]);
  const report = JSON.parse(run.stdout) as {
    ok: boolean;
    findings: Finding[];
    key: { fingerprint: string; grouped: string; matches: boolean | null };
    counts: { files: number; filesOk: number; proven: number; auditLines: number };
  };
  return { ...run, report, found: report.findings.map((f) => [f.code, f.file]) };
}

const disc = discsPerTest();

describe('verify.mjs', () => {
  it('passes an untouched disc from its own folder and shows the key fingerprint in groups of four', async () => {
    const d = await disc();
    const run = await node([join(d.dir, 'verify.mjs')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('通过');
    expect(run.stdout).toContain('PASS');
    const groups = d.key.fingerprint.match(/.{4}/g)!;
    expect(run.stdout).toContain(groups.slice(0, 8).join(' '));
    expect(run.stdout).toContain(groups.slice(8).join(' '));
    expect(run.stdout).toContain('compare it group by group with the fingerprint on paper');
    expect(run.stdout).toContain('2026-12-07 16:00:00 北京时间 / Beijing (2026-12-07T08:00:00.000Z)');

    const json = await verifyJson(d, '--expect-key', groups.join(' ').toUpperCase());
    expect(json.code).toBe(0);
    expect(json.report.ok).toBe(true);
    expect(json.report.key.matches).toBe(true);
    expect(json.report.counts).toMatchObject({ files: 2, filesOk: 2, proven: 4, auditLines: 4 });
  });

  it.each(TAMPERINGS)('$name: reported with the file and the reason', async (t) => {
    const d = await disc(t.discKey ? { key: t.discKey } : undefined);
    await t.apply?.(d);
    const { code, found } = await verifyJson(d, ...(t.expectKey ? ['--expect-key', t.expectKey(d)] : []));
    expect(found).toEqual(t.found(d));
    expect(code).toBe(1);
  });

  it('a flipped bit, as a person reads it: the clip, why, expected and actual, in Chinese and English', async () => {
    const d = await disc();
    await flipBit(join(d.dir, d.clips[0]!.path), 7);
    const { report } = await verifyJson(d);
    expect(report.findings[0]!.zh).toContain(`SHA-256 不符：应为 ${d.clips[0]!.sha256}，实为 `);
    expect(report.findings[0]!.en).toContain(`SHA-256 does not match: expected ${d.clips[0]!.sha256}, got `);
    const human = await node([join(d.dir, 'verify.mjs')]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('clips/clip-a.mp4: SHA-256 不符');
    expect(human.stdout).toContain('/ SHA-256 does not match: expected');
    expect(human.stdout.match(/✗/g)).toHaveLength(1);
  });

  it('a disc re-made with another key names both fingerprints and still shows the disc key', async () => {
    const genuine = newKey();
    const d = await disc({ key: newKey() });
    const { report } = await verifyJson(d, '--expect-key', genuine.fingerprint);
    expect(report.key.matches).toBe(false);
    expect(report.findings[0]).toMatchObject({ expected: genuine.fingerprint, actual: d.key.fingerprint });
    const human = await node([join(d.dir, 'verify.mjs'), '--expect-key', genuine.fingerprint]);
    expect(human.stdout).toContain(d.key.fingerprint.match(/.{4}/g)!.slice(0, 8).join(' '));
    expect(human.stdout).toContain('is NOT the expected fingerprint');
  });

  it('a forged proof names the seq', async () => {
    const d = await disc();
    await TAMPERINGS.find((t) => t.name === 'a forged proof')!.apply!(d);
    const { report } = await verifyJson(d);
    expect(report.findings[0]).toMatchObject({ seq: d.seqs[1] });
  });

  it('a malformed --expect-key is a usage error (exit 2), not a verdict', async () => {
    const d = await disc();
    const run = await node([join(d.dir, 'verify.mjs'), '--expect-key', 'abc']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('64');
  });

  it('file names from the disc are printed with control characters escaped', async () => {
    const d = await disc();
    await writeFile(join(d.dir, 'clips', 'x\u001b[2Jy.mp4'), 'planted');
    const run = await node([join(d.dir, 'verify.mjs')]);
    expect(run.stdout).not.toContain('\u001b');
    expect(run.stdout).toContain('clips/x\\u001b[2Jy.mp4');
  });

  it('imports nothing but Node built-ins', async () => {
    const d = await disc();
    const mjs = await readFile(join(d.dir, 'verify.mjs'), 'utf8');
    const imports = [...mjs.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !i!.startsWith('node:'))).toEqual([]);
  });
});
