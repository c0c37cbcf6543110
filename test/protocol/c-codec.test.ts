/**
 * The C reference codec (protocol/c/) against every vector of protocol/vectors/: the receiver
 * gives each dock vector's events, the encoders reproduce every `encodes` vector byte for byte,
 * and CRC-32C (table and bitwise) and COBS give checks.json. Built and run under ASan + UBSan.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cobsDecode, DockType } from '../../protocol/dock/index.js';
import { hex, wireBytes } from '../../protocol/vectors/format.js';
import { cHarness, expectLine, runHarness, StreamFile } from './c-codec.js';
import { checks, dockVectors } from './load-vectors.js';

const vectors = dockVectors();
let dir = '';
beforeAll(async () => {
  cHarness();
  dir = await mkdtemp(join(tmpdir(), 'dock-c-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cmd = (lines: string[]) =>
  runHarness(['cmd'], `${lines.join('\n')}\n`)
    .trimEnd()
    .split('\n');

describe('C reference codec (protocol/c)', () => {
  it('decodes every dock vector to its expected events, fed in one piece and in its own chunks', () => {
    const f = new StreamFile();
    const want: string[] = [];
    for (const v of vectors) {
      for (const c of v.chunks) f.feed(wireBytes(c));
      f.reset();
      want.push(...v.expect.map(expectLine), 'RESET');
    }
    writeFileSync(join(dir, 'vectors.bin'), f.bytes());
    const got = runHarness(['parse', join(dir, 'vectors.bin')])
      .trimEnd()
      .split('\n');
    expect(got).toEqual(want);
    expect(vectors.length).toBeGreaterThanOrEqual(44);
  });

  it('encodes every `encodes` vector byte for byte (frames, and the READ, DATA and ERROR bodies from their fields)', () => {
    const encodes = vectors.filter((v) => v.encodes);
    const lines: string[] = [];
    const want: string[] = [];
    for (const v of encodes) {
      const wire = Buffer.concat(v.chunks.map(wireBytes));
      const frame = cobsDecode(wire.subarray(1, wire.length - 1))!;
      const body = frame.subarray(4, frame.length - 4);
      const e = v.expect[0]!;
      if (!e.ok) throw new Error('encodes without a frame');
      lines.push(`frame ${e.frame.version} ${e.frame.typeCode} ${e.frame.seq} ${hex(body)}`);
      want.push(hex(wire));
      const b = e.frame.body;
      if (e.frame.typeCode === DockType.READ) {
        lines.push(`read ${b.clipId} ${b.offset} ${b.length}`);
        want.push(hex(body));
      } else if (e.frame.typeCode === DockType.DATA) {
        lines.push(`data ${b.clipId} ${b.offset} ${b.eof ? 1 : 0} ${b.chunk}`);
        want.push(hex(body));
      } else if (e.frame.typeCode === DockType.ERROR) {
        lines.push(`error ${b.code} ${Buffer.from(b.message as string).toString('hex')}`);
        want.push(hex(body));
      }
    }
    expect(encodes.length).toBeGreaterThanOrEqual(19);
    expect(cmd(lines)).toEqual(want);
  });

  it('CRC-32C by table and bit by bit, and COBS both ways, give checks.json', () => {
    const c = checks();
    const lines = [
      ...c.crc32c.cases.flatMap((k) => [`crc ${k.hex}`, `crcbit ${k.hex}`]),
      ...c.cobs.flatMap((k) => [`cobs ${k.data}`, `uncobs ${k.cobs}`]),
      // A trailing empty 0x01 block after a 0xFF block is accepted (§3.2); 0x00 inside is not.
      `uncobs ff${'01'.repeat(254)}01`,
      'uncobs 030100',
      'uncobs 05aa',
    ];
    const want = [
      ...c.crc32c.cases.flatMap((k) => [
        k.crc.replace(/^0x/, '').toLowerCase().padStart(8, '0'),
        k.crc.replace(/^0x/, '').toLowerCase().padStart(8, '0'),
      ]),
      ...c.cobs.flatMap((k) => [k.cobs, k.data]),
      '01'.repeat(254),
      'null',
      'null',
    ];
    expect(c.crc32c.cases.length).toBeGreaterThanOrEqual(4);
    expect(cmd(lines)).toEqual(want);
  });

  it('refuses what the layouts cannot carry (encoders return nothing, never write past the buffer)', () => {
    const id64 = 'A'.repeat(64);
    expect(
      cmd([
        `read ${id64} 0 61440`,
        `read ${id64}A 0 1`,
        'read bad/id 0 1',
        'read RB1 9007199254740992 1',
        'read RB1 0 0',
        'read RB1 0 61441',
        `data RB1 0 1 ${'00'.repeat(61_441)}`,
        `error 1 ${'41'.repeat(1025)}`,
      ]),
    ).toEqual([
      `${Buffer.from(id64).toString('hex')}${'00'.repeat(8)}00f00000`,
      '',
      '',
      '',
      '',
      '',
      'fail',
      'fail',
    ]);
  });
});
