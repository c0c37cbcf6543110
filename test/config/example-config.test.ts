/** gateway.example.json is a config the gateway accepts, with no field it would silently ignore. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../gateway/config.js';

const FILE = new URL('../../gateway.example.json', import.meta.url);

/** Every key path in `input` ("a.b.0.c"); zod drops unknown keys, so each must survive parsing. */
function paths(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => paths(x, `${prefix}${i}.`));
  if (v && typeof v === 'object')
    return Object.entries(v).flatMap(([k, x]) => [`${prefix}${k}`, ...paths(x, `${prefix}${k}.`)]);
  return [];
}

describe('gateway.example.json', () => {
  it('parses against the config schema and every field in it is one the gateway reads', async () => {
    const json = JSON.parse(await readFile(FILE, 'utf8'));
    const config = parseConfig(json, 'gateway.example.json');
    const kept = new Set(paths(config));
    expect(paths(json).filter((p) => !kept.has(p))).toEqual([]);
    expect(config.notifications.channels.map((c) => c.kind)).toEqual(['email', 'wecom', 'dingtalk']);
  });

  it('the check catches a misspelt field', () => {
    const json = { http: { sesionHours: 8 } };
    const kept = new Set(paths(parseConfig(json)));
    expect(paths(json).filter((p) => !kept.has(p))).toEqual(['http.sesionHours']);
  });
});
