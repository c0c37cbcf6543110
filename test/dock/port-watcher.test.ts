import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePattern, PortWatcher } from '../../gateway/dock/port-watcher.js';

describe('compilePattern', () => {
  it('matches wildcards in the last component only', () => {
    const p = compilePattern('/dev/ttyACM*');
    expect(p.dir).toBe('/dev');
    expect(p.test('ttyACM0')).toBe(true);
    expect(p.test('ttyACM12')).toBe(true);
    expect(p.test('ttyUSB0')).toBe(false);
    expect(compilePattern('/dev/ttyS?').test('ttyS1')).toBe(true);
    expect(compilePattern('/dev/ttyS?').test('ttyS10')).toBe(false);
    expect(compilePattern('/tmp/a.b').test('aXb')).toBe(false);
  });
});

describe('PortWatcher', () => {
  it('notices ports appearing and disappearing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ports-'));
    const events: string[] = [];
    let wake: () => void = () => {};
    const next = () => new Promise<void>((r) => (wake = r));
    const w = new PortWatcher({
      patterns: [join(dir, 'dock*')],
      rescanMs: 100,
      onAdded: (p) => {
        events.push(`+${p}`);
        wake();
      },
      onRemoved: (p) => {
        events.push(`-${p}`);
        wake();
      },
    });
    await writeFile(join(dir, 'dock0'), '');
    await w.start();
    expect(w.ports).toEqual([join(dir, 'dock0')]);
    let seen = next();
    await writeFile(join(dir, 'dock1'), '');
    await writeFile(join(dir, 'other'), '');
    await seen;
    seen = next();
    await rm(join(dir, 'dock0'));
    await seen;
    await w.stop();
    expect(events).toEqual([`+${join(dir, 'dock0')}`, `+${join(dir, 'dock1')}`, `-${join(dir, 'dock0')}`]);
  });
});
