import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { probeMessage, WSD_MULTICAST, WSD_PORT } from './discovery-messages.js';
import { CameraSimError } from './errors.js';
import { NS } from './namespaces.js';
import { child, childText, parseXml } from './xml.js';

/** What one ProbeMatch said. */
export interface ProbeMatch {
  endpoint: string;
  types: string[];
  scopes: string[];
  xaddrs: string[];
  metadataVersion: number;
  /** Where the answer came from. */
  from: { address: string; port: number };
}

export interface ProbeOptions {
  /** Address of the interface to send the multicast Probe on (default loopback). */
  interfaceAddress?: string;
  /** How long to collect answers. */
  waitMs?: number;
  /** Requested types as QNames with dn:/tds: prefixes; '' probes for everything. */
  types?: string;
  scopes?: string;
  port?: number;
}

/**
 * A standards-correct WS-Discovery client: one multicast Probe, answers collected for `waitMs`,
 * only ProbeMatches whose RelatesTo is this Probe's MessageID, one entry per endpoint.
 */
export async function probe(opts: ProbeOptions = {}): Promise<ProbeMatch[]> {
  const messageId = `urn:uuid:${randomUUID()}`;
  const sock = createSocket({ type: 'udp4' });
  const found = new Map<string, ProbeMatch>();
  sock.on('message', (msg, from) => {
    try {
      const root = parseXml(msg);
      const hdr = child(root, NS.env, 'Header');
      if (childText(hdr, NS.wsa, 'RelatesTo') !== messageId) return;
      const m = child(child(child(root, NS.env, 'Body'), NS.d, 'ProbeMatches'), NS.d, 'ProbeMatch');
      const endpoint = childText(child(m, NS.wsa, 'EndpointReference'), NS.wsa, 'Address');
      if (!m || !endpoint || found.has(endpoint)) return;
      const list = (local: string) => (childText(m, NS.d, local) ?? '').split(/\s+/).filter((s) => s !== '');
      found.set(endpoint, {
        endpoint,
        types: list('Types'),
        scopes: list('Scopes'),
        xaddrs: list('XAddrs'),
        metadataVersion: Number(childText(m, NS.d, 'MetadataVersion') ?? 0),
        from: { address: from.address, port: from.port },
      });
    } catch {
      // not a well-formed answer: ignored like any other stray datagram
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ port: 0, address: '0.0.0.0' }, () => resolve());
    });
    sock.setMulticastInterface(opts.interfaceAddress ?? '127.0.0.1');
    sock.setMulticastTTL(1);
    const xml = probeMessage(messageId, opts.types ?? 'dn:NetworkVideoTransmitter', opts.scopes);
    await new Promise<void>((resolve, reject) =>
      sock.send(xml, opts.port ?? WSD_PORT, WSD_MULTICAST, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise((r) => setTimeout(r, opts.waitMs ?? 1500));
  } catch (err) {
    throw new CameraSimError('PROBE_FAILED', (err as Error).message);
  } finally {
    sock.close();
  }
  return [...found.values()];
}
