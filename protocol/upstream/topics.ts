/**
 * The only place upstream topic strings are spelled (PROTOCOL.md §7): an office gateway's bridge
 * publishes to the province's central broker under its own namespace, which the central broker's
 * ACL confines it to.
 *
 *   office/v1/{office}/health       office -> central  QoS 1  fleet snapshot, backlog, statistics
 *   office/v1/{office}/event        office -> central  QoS 1  interruptions, flags, recorder events
 *   office/v1/{office}/alert        office -> central  QoS 1  alerts raised and cleared
 *   office/v1/{office}/checkpoint   office -> central  QoS 1  signed checkpoint + consistency proof
 *   office/v1/{office}/status       office -> central  QoS 1, retained, also the last will
 */
import { z } from 'zod';

export const UPSTREAM_ROOT = 'office/v1';

/** An office id: also its MQTT username on the central broker and its checkpoints' `origin`. */
export const OfficeId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'office: 1-64 of [A-Za-z0-9_.-]');
export type OfficeId = z.infer<typeof OfficeId>;

export const UpstreamKind = ['health', 'event', 'alert', 'checkpoint', 'status'] as const;
export type UpstreamKind = (typeof UpstreamKind)[number];

export function upstreamTopic(office: string, kind: UpstreamKind): string {
  return `${UPSTREAM_ROOT}/${OfficeId.parse(office)}/${kind}`;
}

/** What central subscribes to: every kind from every office. */
export const ALL_OFFICES = `${UPSTREAM_ROOT}/+/+`;

/** The ACL pattern that confines an office to its namespace (mosquitto's `%u` is the username). */
export const OFFICE_ACL_PATTERN = `${UPSTREAM_ROOT}/%u/#`;

export interface ParsedUpstreamTopic {
  office: string;
  kind: UpstreamKind;
}

const prefix = `${UPSTREAM_ROOT}/`;

/** Parses a concrete topic; null for anything that is not one of ours. */
export function parseUpstreamTopic(t: string): ParsedUpstreamTopic | null {
  if (!t.startsWith(prefix) || t.length > 256) return null;
  const parts = t.slice(prefix.length).split('/');
  if (parts.length !== 2) return null;
  const [office, kind] = parts as [string, string];
  if (!OfficeId.safeParse(office).success) return null;
  if (!UpstreamKind.includes(kind as UpstreamKind)) return null;
  return { office, kind: kind as UpstreamKind };
}
