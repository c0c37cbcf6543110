/**
 * Broker ACL (issue #3): a recorder publishes only on its own telemetry/event/status/cmd-response
 * topics and subscribes only to its own command topic (PROTOCOL.md §2.1). Topics come from
 * protocol/mqtt/topics.ts; this module never spells one.
 */
import {
  RECORDER_PUBLISH_KINDS,
  RECORDER_SUBSCRIBE_KINDS,
  type TopicKind,
  topic,
} from '../../protocol/mqtt/topics.js';

/** What one recorder may do, precomputed at connect so the per-message check is one Map lookup. */
export interface RecorderAcl {
  serial: string;
  /** Exact topic -> kind, for the topics it may publish on. */
  publish: ReadonlyMap<string, TopicKind>;
  /** Exact topic filters it may subscribe to (no wildcards). */
  subscribe: ReadonlySet<string>;
}

export function aclFor(serial: string): RecorderAcl {
  return {
    serial,
    publish: new Map(RECORDER_PUBLISH_KINDS.map((k) => [topic(serial, k), k] as const)),
    subscribe: new Set(RECORDER_SUBSCRIBE_KINDS.map((k) => topic(serial, k))),
  };
}

/** The topic kind when allowed, else null. */
export function mayPublish(acl: RecorderAcl, t: string): TopicKind | null {
  return acl.publish.get(t) ?? null;
}

export function maySubscribe(acl: RecorderAcl, filter: string): boolean {
  return acl.subscribe.has(filter);
}
