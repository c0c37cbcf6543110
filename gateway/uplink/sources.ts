/**
 * What of the office goes upstream (PROTOCOL.md §7.2): bus events mapped to upstream payloads, pure.
 * Text that came from devices or users is scrubbed and bounded before it leaves the box.
 */
import type { Alert, GatewayEvents } from '../events.js';
import { scrub } from '../scrub.js';
import type { AlertBody, EventBody } from './messages.js';

const text = (t: unknown, max: number) => scrub(t, { max });

export function alertRaised(a: Alert): AlertBody {
  return {
    action: 'raised',
    rule: text(a.rule, 64),
    subject: text(a.subject, 160),
    severity: a.severity,
    message: text(a.message, 500),
  };
}

export function alertCleared(a: GatewayEvents['alert.cleared']): AlertBody {
  return {
    action: 'cleared',
    rule: text(a.rule, 64),
    subject: text(a.subject, 160),
    severity: null,
    message: '',
  };
}

/**
 * The events the province follows off the bus: interruptions (R19), flagged sessions (R16),
 * integrity (R25). Each original archived, with the SHA-256 central checks the archive's copy
 * against, is reported by the archive itself in the batch that records it (bridge.reportArchived).
 */
export const FORWARDED_EVENTS = [
  'interruption.opened',
  'interruption.updated',
  'session.flagged',
  'integrity.failed',
] as const;
export type ForwardedEvent = (typeof FORWARDED_EVENTS)[number] | 'clip.archived';

export function eventBody<K extends ForwardedEvent>(name: K, p: GatewayEvents[K]): EventBody {
  const e = p as Partial<
    GatewayEvents['interruption.opened'] &
      GatewayEvents['interruption.updated'] &
      GatewayEvents['session.flagged'] &
      GatewayEvents['integrity.failed'] &
      GatewayEvents['clip.archived']
  >;
  const details: EventBody['details'] = {};
  const put = (k: string, v: unknown) => {
    if (v === undefined) return;
    details[k] = v === null || typeof v === 'number' || typeof v === 'boolean' ? v : text(v, 500);
  };
  switch (name) {
    case 'interruption.opened':
      put('id', e.id);
      put('source', e.source);
      put('cause', e.cause);
      put('sessionId', e.sessionId);
      return { type: name, subject: text(e.device, 160), details };
    case 'interruption.updated':
      put('status', e.status);
      return { type: name, subject: text(e.id, 160), details };
    case 'session.flagged':
      put('sessionId', e.sessionId);
      put('flag', e.flag);
      return { type: name, subject: text(e.serial, 160), details };
    case 'clip.archived':
      for (const k of ['bucket', 'key', 'versionId', 'sha256', 'bytes', 'retainUntil'] as const) put(k, e[k]);
      put('legalHold', e.legalHold);
      put('sourceKind', e.source?.kind);
      put('sourceId', e.source?.id);
      put('activity', e.activity);
      put('start', e.start);
      put('end', e.end);
      return { type: name, subject: text(e.clipId, 160), details };
    default:
      put('kind', e.kind);
      put('message', e.message);
      put('detectedBy', e.detectedBy);
      return { type: name, subject: text(e.subject, 160), details };
  }
}
