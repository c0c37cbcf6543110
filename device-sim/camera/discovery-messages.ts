import { randomUUID } from 'node:crypto';
import { NS, nsDecls } from './namespaces.js';
import { attr, child, childText, escapeXml, resolveQName, type XmlElement } from './xml.js';

/** WS-Discovery 2005/04 messages over SOAP 1.2 with WS-Addressing 2004/08 (ONVIF Core §7). */

export const WSD_MULTICAST = '239.255.255.250';
export const WSD_PORT = 3702;
export const WSD_TO = 'urn:schemas-xmlsoap-org:ws:2005:04:discovery';
export const WSA_ANONYMOUS = `${NS.wsa}/role/anonymous`;
export const ACTION = {
  probe: `${NS.d}/Probe`,
  probeMatches: `${NS.d}/ProbeMatches`,
  hello: `${NS.d}/Hello`,
  bye: `${NS.d}/Bye`,
} as const;

/** A QName by namespace URI. */
export interface TypeName {
  ns: string;
  local: string;
}

/** ONVIF Core §7.3.1: a transmitter is `dn:NetworkVideoTransmitter`; devices also announce `tds:Device`. */
export const CAMERA_TYPES: readonly TypeName[] = [
  { ns: NS.dn, local: 'NetworkVideoTransmitter' },
  { ns: NS.tds, local: 'Device' },
];

export interface TargetDescription {
  /** `urn:uuid:...` */
  endpoint: string;
  types: readonly TypeName[];
  scopes: readonly string[];
  xaddrs: readonly string[];
  metadataVersion: number;
}

export interface AppSequence {
  instanceId: number;
  messageNumber: number;
}

const PREFIX_BY_NS: Record<string, string> = { [NS.dn]: 'dn', [NS.tds]: 'tds' };

function typesText(types: readonly TypeName[]): string {
  return types.map((t) => `${PREFIX_BY_NS[t.ns] ?? 'dn'}:${t.local}`).join(' ');
}

function envelope(header: string, body: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<env:Envelope ${nsDecls(['env', 'wsa', 'd', 'dn', 'tds'])}>` +
    `<env:Header>${header}</env:Header><env:Body>${body}</env:Body></env:Envelope>`
  );
}

function header(action: string, to: string, seq: AppSequence, relatesTo?: string): string {
  return (
    `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
    (relatesTo ? `<wsa:RelatesTo>${escapeXml(relatesTo)}</wsa:RelatesTo>` : '') +
    `<wsa:To>${escapeXml(to)}</wsa:To><wsa:Action>${action}</wsa:Action>` +
    `<d:AppSequence InstanceId="${seq.instanceId}" MessageNumber="${seq.messageNumber}"/>`
  );
}

function target(t: TargetDescription, withDetails: boolean): string {
  return (
    `<wsa:EndpointReference><wsa:Address>${escapeXml(t.endpoint)}</wsa:Address></wsa:EndpointReference>` +
    (withDetails
      ? `<d:Types>${typesText(t.types)}</d:Types>` +
        `<d:Scopes>${t.scopes.map(escapeXml).join(' ')}</d:Scopes>` +
        `<d:XAddrs>${t.xaddrs.map(escapeXml).join(' ')}</d:XAddrs>`
      : '') +
    `<d:MetadataVersion>${t.metadataVersion}</d:MetadataVersion>`
  );
}

/** Unicast answer to a Probe (WS-Discovery §5.3): RelatesTo the probe's MessageID. */
export function probeMatchesMessage(
  t: TargetDescription,
  probeMessageId: string,
  seq: AppSequence,
  replyTo?: string,
): string {
  return envelope(
    header(ACTION.probeMatches, replyTo ?? WSA_ANONYMOUS, seq, probeMessageId),
    `<d:ProbeMatches><d:ProbeMatch>${target(t, true)}</d:ProbeMatch></d:ProbeMatches>`,
  );
}

export function helloMessage(t: TargetDescription, seq: AppSequence): string {
  return envelope(header(ACTION.hello, WSD_TO, seq), `<d:Hello>${target(t, true)}</d:Hello>`);
}

export function byeMessage(t: TargetDescription, seq: AppSequence): string {
  return envelope(
    header(ACTION.bye, WSD_TO, seq),
    `<d:Bye><wsa:EndpointReference><wsa:Address>${escapeXml(t.endpoint)}</wsa:Address></wsa:EndpointReference></d:Bye>`,
  );
}

/** Client side: a Probe for `types` (QNames in the dn/tds namespaces), as ONVIF clients send it. */
export function probeMessage(
  messageId: string,
  types = 'dn:NetworkVideoTransmitter',
  scopes?: string,
): string {
  return envelope(
    `<wsa:MessageID>${escapeXml(messageId)}</wsa:MessageID>` +
      `<wsa:ReplyTo><wsa:Address>${WSA_ANONYMOUS}</wsa:Address></wsa:ReplyTo>` +
      `<wsa:To env:mustUnderstand="true">${WSD_TO}</wsa:To>` +
      `<wsa:Action env:mustUnderstand="true">${ACTION.probe}</wsa:Action>`,
    `<d:Probe>${types ? `<d:Types>${escapeXml(types)}</d:Types>` : ''}` +
      `${scopes ? `<d:Scopes>${escapeXml(scopes)}</d:Scopes>` : ''}</d:Probe>`,
  );
}

export interface ParsedProbe {
  messageId: string;
  replyTo: string | undefined;
  /** Resolved requested types; `undefined` namespace when the prefix was not declared. */
  types: { ns: string | undefined; local: string }[];
  scopes: string[];
  matchBy: string;
}

/** Reads a Probe envelope; undefined if the document is not a WS-Discovery 2005/04 Probe. */
export function readProbe(root: XmlElement): ParsedProbe | undefined {
  if (root.ns !== NS.env || root.local !== 'Envelope') return undefined;
  const hdr = child(root, NS.env, 'Header');
  const probe = child(child(root, NS.env, 'Body'), NS.d, 'Probe');
  if (!probe || childText(hdr, NS.wsa, 'Action') !== ACTION.probe) return undefined;
  const messageId = childText(hdr, NS.wsa, 'MessageID');
  if (!messageId) return undefined;
  const typesEl = child(probe, NS.d, 'Types');
  const scopesEl = child(probe, NS.d, 'Scopes');
  return {
    messageId,
    replyTo: childText(child(hdr, NS.wsa, 'ReplyTo'), NS.wsa, 'Address'),
    types: typesEl ? split(typesEl.text).map((q) => resolveQName(typesEl, q)) : [],
    scopes: scopesEl ? split(scopesEl.text) : [],
    matchBy: (scopesEl && attr(scopesEl, 'MatchBy')) || `${NS.d}/rfc3986`,
  };
}

const split = (s: string) => s.split(/\s+/).filter((x) => x !== '');

/** RFC 3986 matching (WS-Discovery §5.1): same scheme/authority, probe path a segment-wise prefix. */
function rfc3986Match(probe: string, ours: string): boolean {
  const norm = (s: string) => {
    try {
      const u = new URL(s);
      return {
        head: `${u.protocol}//${u.host.toLowerCase()}`,
        segs: u.pathname.split('/').filter((x) => x !== ''),
      };
    } catch {
      return undefined;
    }
  };
  const a = norm(probe);
  const b = norm(ours);
  if (!a || !b || a.head !== b.head || a.segs.length > b.segs.length) return false;
  return a.segs.every((s, i) => s === b.segs[i]);
}

/** Does the target match the probe (WS-Discovery §5.1: every requested type and scope)? */
export function probeMatches(p: ParsedProbe, t: TargetDescription): boolean {
  const typesOk = p.types.every((q) =>
    t.types.some((ours) => ours.local === q.local && (q.ns === undefined || q.ns === ours.ns)),
  );
  if (!typesOk) return false;
  const rule = p.matchBy;
  return p.scopes.every((s) =>
    t.scopes.some((ours) =>
      rule === `${NS.d}/rfc3986` ? rfc3986Match(s, ours) : rule === `${NS.d}/strcmp0` ? s === ours : false,
    ),
  );
}
