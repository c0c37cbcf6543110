/**
 * The only place MQTT topic strings are spelled (PROTOCOL.md §2.1).
 *
 *   rec/v1/{serial}/telemetry   recorder -> gateway  QoS 0
 *   rec/v1/{serial}/event       recorder -> gateway  QoS 1
 *   rec/v1/{serial}/status      recorder -> gateway  QoS 1, retained, also the last will
 *   rec/v1/{serial}/cmd         gateway  -> recorder QoS 1
 *   rec/v1/{serial}/cmd/res     recorder -> gateway  QoS 1
 */
import { Serial } from '../common.js';

export const TOPIC_ROOT = 'rec/v1';

export const TopicKind = ['telemetry', 'event', 'status', 'cmd', 'cmd/res'] as const;
export type TopicKind = (typeof TopicKind)[number];

/** Topics a recorder may publish on (its own serial only; enforced by the broker ACL). */
export const RECORDER_PUBLISH_KINDS: readonly TopicKind[] = ['telemetry', 'event', 'status', 'cmd/res'];
/** Topics a recorder may subscribe to. */
export const RECORDER_SUBSCRIBE_KINDS: readonly TopicKind[] = ['cmd'];

export function topic(serial: string, kind: TopicKind): string {
  return `${TOPIC_ROOT}/${Serial.parse(serial)}/${kind}`;
}

/** Subscription filter for one kind from every recorder (monitoring tools; the ACL refuses it to recorders). */
export function anyRecorder(kind: TopicKind): string {
  return `${TOPIC_ROOT}/+/${kind}`;
}

export const topics = {
  telemetry: (serial: string) => topic(serial, 'telemetry'),
  event: (serial: string) => topic(serial, 'event'),
  status: (serial: string) => topic(serial, 'status'),
  cmd: (serial: string) => topic(serial, 'cmd'),
  cmdResponse: (serial: string) => topic(serial, 'cmd/res'),
};

export interface ParsedTopic {
  serial: string;
  kind: TopicKind;
}

const prefix = `${TOPIC_ROOT}/`;

/** Parses a concrete topic (no wildcards). Returns null for anything that is not one of ours. */
export function parseTopic(t: string): ParsedTopic | null {
  if (!t.startsWith(prefix)) return null;
  const rest = t.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const serial = rest.slice(0, slash);
  const kind = rest.slice(slash + 1) as TopicKind;
  if (!TopicKind.includes(kind)) return null;
  if (!Serial.safeParse(serial).success) return null;
  return { serial, kind };
}
