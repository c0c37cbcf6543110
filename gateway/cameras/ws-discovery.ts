/**
 * WS-Discovery (2005/04, WS-Addressing 2004/08) probe for ONVIF NetworkVideoTransmitters.
 * Ours rather than node-onvif's: node-onvif's probe is a module singleton (two probes at once
 * clobber each other) and cannot choose the multicast interface, which loopback needs (both sides
 * must name 127.0.0.1, DEPENDENCIES.md). Answers are checked like SOAP answers (soap-guard.ts).
 */
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import type { Logger } from '../log.js';
import { DiscoveredCamera } from './control.js';
import {
  children,
  find,
  parseResolved,
  type Resolved,
  SOAP12_NS,
  safeXmlText,
  textOf,
} from './soap-guard.js';

export const WSD_GROUP = '239.255.255.250';
export const WSD_PORT = 3702;
export const NS_WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
export const NS_WSD = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
export const NS_DN = 'http://www.onvif.org/ver10/network/wsdl';

export interface ProbeOptions {
  timeoutMs: number;
  /** IPv4 address of the interface to probe on (127.0.0.1 for loopback); default: the OS's choice. */
  interfaceAddress?: string;
  log?: Logger;
}

export function probeMessage(messageId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${SOAP12_NS}" xmlns:a="${NS_WSA}" xmlns:d="${NS_WSD}" xmlns:dn="${NS_DN}">` +
    '<s:Header>' +
    `<a:Action s:mustUnderstand="1">${NS_WSD}/Probe</a:Action>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    `<a:ReplyTo><a:Address>${NS_WSA}/role/anonymous</a:Address></a:ReplyTo>` +
    '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>' +
    '</s:Header>' +
    '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>' +
    '</s:Envelope>'
  );
}

/**
 * Parses one datagram; returns the cameras it announces, or [] for anything that is not a
 * ProbeMatches relating to `messageId` (other traffic on the group is normal, not an error).
 */
export function parseProbeMatches(buf: Buffer, from: string, messageId: string): DiscoveredCamera[] {
  const text = safeXmlText(buf, from);
  const doc = parseResolved(text, from);
  const env = children(doc).find((c) => c.ns === SOAP12_NS && c.local === 'Envelope')?.el;
  if (!env) return [];
  const header = find(env, SOAP12_NS, 'Header');
  const relatesTo = header ? textOf(find(header, NS_WSA, 'RelatesTo')) : '';
  if (relatesTo !== messageId) return [];
  const body = find(env, SOAP12_NS, 'Body');
  const matches = body && find(body, NS_WSD, 'ProbeMatches');
  if (!matches) return [];
  const out: DiscoveredCamera[] = [];
  for (const m of children(matches)) {
    if (m.ns !== NS_WSD || m.local !== 'ProbeMatch') continue;
    const cam = probeMatch(m.el, from);
    if (cam) out.push(cam);
  }
  return out;
}

function probeMatch(m: Resolved, from: string): DiscoveredCamera | null {
  const epr = find(m, NS_WSA, 'EndpointReference');
  const urn = textOf(epr && find(epr, NS_WSA, 'Address'));
  const types = textOf(find(m, NS_WSD, 'Types'));
  if (!/(^|[\s:])NetworkVideoTransmitter(\s|$)/.test(types)) return null;
  const scopes = textOf(find(m, NS_WSD, 'Scopes'))
    .split(/\s+/)
    .filter(Boolean);
  const xaddrs = textOf(find(m, NS_WSD, 'XAddrs'))
    .split(/\s+/)
    .filter((x) => /^https?:\/\//.test(x));
  // Prefer the address the answer came from (a camera may list several interfaces).
  const xaddr = xaddrs.find((x) => safeHost(x) === from) ?? xaddrs[0];
  const scope = (kind: string) => {
    const s = scopes.find((x) => x.startsWith(`onvif://www.onvif.org/${kind}/`));
    return s ? decodeScope(s.slice(`onvif://www.onvif.org/${kind}/`.length)) : '';
  };
  const parsed = DiscoveredCamera.safeParse({
    urn,
    xaddr,
    xaddrs,
    scopes,
    name: scope('name'),
    hardware: scope('hardware'),
    location: scope('location'),
    address: from,
  });
  return parsed.success ? parsed.data : null;
}

function safeHost(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

function decodeScope(s: string): string {
  try {
    return decodeURIComponent(s).replace(/_/g, ' ');
  } catch {
    return s;
  }
}

/** Probes, listens for `timeoutMs`, returns one entry per endpoint (first answer wins). */
export async function probe(opts: ProbeOptions): Promise<DiscoveredCamera[]> {
  const messageId = `urn:uuid:${randomUUID()}`;
  const found = new Map<string, DiscoveredCamera>();
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  try {
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.bind(0, () => {
        sock.off('error', rej);
        res();
      });
    });
    sock.on('error', (err) => opts.log?.warn({ err: err.message }, 'ws-discovery socket error'));
    if (opts.interfaceAddress) sock.setMulticastInterface(opts.interfaceAddress);
    sock.setMulticastTTL(1);
    sock.on('message', (buf, rinfo) => {
      try {
        for (const cam of parseProbeMatches(buf, rinfo.address, messageId)) {
          if (!found.has(cam.urn)) found.set(cam.urn, cam);
        }
      } catch (err) {
        opts.log?.warn({ from: rinfo.address, err: (err as Error).message }, 'ws-discovery answer refused');
      }
    });
    const msg = Buffer.from(probeMessage(messageId));
    // UDP may drop a datagram: send the same Probe (same MessageID) three times (WS-Discovery §3.1.2).
    const sends = [0, 150, 400].filter((t) => t < opts.timeoutMs);
    const timers = sends.map((t) =>
      setTimeout(
        () => sock.send(msg, WSD_PORT, WSD_GROUP, (err) => err && opts.log?.warn({ err }, 'probe send')),
        t,
      ),
    );
    await new Promise((res) => setTimeout(res, opts.timeoutMs));
    for (const t of timers) clearTimeout(t);
  } finally {
    await new Promise<void>((res) => sock.close(() => res()));
  }
  return [...found.values()];
}
