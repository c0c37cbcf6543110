import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload, MAX_PAYLOAD_BYTES } from '../../protocol/mqtt/decode.js';
import type { schemaForKind } from '../../protocol/mqtt/messages.js';
import {
  anyRecorder,
  parseTopic,
  RECORDER_PUBLISH_KINDS,
  RECORDER_SUBSCRIBE_KINDS,
  TopicKind,
  topic,
  topics,
} from '../../protocol/mqtt/topics.js';
import * as ex from '../../protocol/vectors/examples.js';
import { mqttVectors } from './load-vectors.js';

describe('MQTT topics', () => {
  it('builds and parses every kind', () => {
    for (const kind of TopicKind) {
      const t = topic('RB-0001_a', kind);
      expect(t).toBe(`rec/v1/RB-0001_a/${kind}`);
      expect(parseTopic(t)).toEqual({ serial: 'RB-0001_a', kind });
    }
    expect(topics.telemetry('X1')).toBe('rec/v1/X1/telemetry');
    expect(topics.event('X1')).toBe('rec/v1/X1/event');
    expect(topics.status('X1')).toBe('rec/v1/X1/status');
    expect(topics.cmd('X1')).toBe('rec/v1/X1/cmd');
    expect(topics.cmdResponse('X1')).toBe('rec/v1/X1/cmd/res');
    expect(anyRecorder('telemetry')).toBe('rec/v1/+/telemetry');
  });

  it('refuses serials that are not topic-safe', () => {
    for (const bad of ['', 'a/b', '+', '#', 'a b', '-x', 'x'.repeat(33)])
      expect(() => topic(bad, 'event')).toThrow();
  });

  it('parses nothing that is not exactly one of ours', () => {
    for (const t of [
      'rec/v1/RB1',
      'rec/v1/RB1/',
      'rec/v1//event',
      'rec/v1/+/event',
      'rec/v1/#',
      'rec/v2/RB1/event',
      'rec/v1/RB1/cmd/res/x',
      'rec/v1/RB1/Event',
      'xrec/v1/RB1/event',
    ]) {
      expect(parseTopic(t), t).toBeNull();
    }
  });

  it('lets a recorder publish only uplink kinds and subscribe only to cmd', () => {
    expect([...RECORDER_PUBLISH_KINDS].sort()).toEqual(['cmd/res', 'event', 'status', 'telemetry']);
    expect(RECORDER_SUBSCRIBE_KINDS).toEqual(['cmd']);
  });
});

describe('MQTT payloads round trip', () => {
  const cases: [keyof typeof schemaForKind, unknown][] = [
    ['telemetry', ex.telemetry],
    ...ex.events.map((e) => ['event', e] as [keyof typeof schemaForKind, unknown]),
    ['status', ex.statusOnline],
    ['status', ex.statusWill],
    ...ex.commands.map((c) => ['cmd', c] as [keyof typeof schemaForKind, unknown]),
    ...ex.responses.map((r) => ['cmd/res', r] as [keyof typeof schemaForKind, unknown]),
  ];

  it('covers every event type and command', () => {
    expect(new Set(ex.events.map((e) => e.type)).size).toBe(8);
    expect(ex.commands.map((c) => c.cmd).sort()).toEqual(['config', 'locate', 'time-sync']);
  });

  for (const [kind, msg] of cases) {
    const label = (msg as { type?: string; cmd?: string }).type ?? (msg as { cmd?: string }).cmd ?? '';
    it(`${kind} ${label}`, () => {
      const r = decodePayload(kind, encodePayload(msg));
      expect(r).toEqual({ ok: true, value: msg });
    });
  }

  it('strips unknown fields, rejects unknown v, bad JSON, wrong types and oversize payloads', () => {
    const extra = decodePayload('status', encodePayload({ ...ex.statusOnline, future: [1, 2] }));
    expect(extra).toEqual({ ok: true, value: ex.statusOnline });
    expect(decodePayload('telemetry', encodePayload({ ...ex.telemetry, v: 2 })).ok).toBe(false);
    expect(decodePayload('telemetry', encodePayload({ ...ex.telemetry, v: 2 }))).toMatchObject({
      code: 'BAD_VERSION',
    });
    expect(decodePayload('event', Buffer.from('{'))).toMatchObject({ code: 'BAD_JSON' });
    expect(decodePayload('event', encodePayload({ ...ex.events[0], type: 'nope' }))).toMatchObject({
      code: 'BAD_PAYLOAD',
    });
    const { v: _v, ...noV } = ex.statusOnline;
    expect(decodePayload('status', encodePayload(noV))).toMatchObject({ code: 'BAD_PAYLOAD' });
    expect(decodePayload('cmd', new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toMatchObject({ code: 'TOO_LARGE' });
  });
});

describe('MQTT vectors', () => {
  const vectors = mqttVectors();
  it('has a vector for every topic kind', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(20);
    const kinds = new Set(vectors.map((v) => parseTopic(v.topic)?.kind));
    expect([...kinds].sort()).toEqual([...TopicKind].sort());
  });
  for (const v of vectors) {
    it(`${v.name}: ${v.meaning}`, () => {
      const t = parseTopic(v.topic);
      if (!t) throw new Error(`not our topic: ${v.topic}`);
      const r = decodePayload(t.kind, Buffer.from(v.payload));
      expect(r.ok ? { ok: true, value: r.value } : { ok: false, code: r.code }).toEqual(v.expect);
    });
  }
});
