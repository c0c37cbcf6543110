import { NS, nsDecls } from './namespaces.js';
import { child, escapeXml, type XmlElement } from './xml.js';

/** SOAP 1.2 fault codes (SOAP 1.2 Part 1 §5.4.6). */
export type FaultCode = 'VersionMismatch' | 'MustUnderstand' | 'Sender' | 'Receiver';

/** A SOAP fault the camera answers with; `subcodes` are `ter:` local names (ONVIF Core §5.11). */
export class SoapFault extends Error {
  constructor(
    readonly code: FaultCode,
    readonly subcodes: readonly string[],
    readonly reason: string,
  ) {
    super(`${code}${subcodes.map((s) => `/ter:${s}`).join('')}: ${reason}`);
    this.name = 'SoapFault';
  }

  /** SOAP 1.2 Part 2 §7.5.1.2: env:Sender -> 400, env:VersionMismatch/MustUnderstand/Receiver -> 500. */
  get httpStatus(): number {
    return this.code === 'Sender' ? 400 : 500;
  }
}

export const faults = {
  notAuthorized: () => new SoapFault('Sender', ['NotAuthorized'], 'Sender not Authorized'),
  actionNotSupported: (what: string) =>
    new SoapFault('Receiver', ['ActionNotSupported'], `Optional Action Not Implemented: ${what}`),
  wellFormed: (why: string) => new SoapFault('Sender', ['WellFormed'], `Well-formed Error: ${why}`),
  invalidArgVal: (sub: string, why: string) => new SoapFault('Sender', ['InvalidArgVal', sub], why),
  invalidArgs: (why: string) => new SoapFault('Sender', ['InvalidArgs'], why),
  versionMismatch: () => new SoapFault('VersionMismatch', [], 'SOAP 1.2 envelope expected'),
};

const ENVELOPE_PREFIXES = ['env', 'ter', 'tt', 'tds', 'trt', 'timg'] as const;

export function soapEnvelope(body: string, header = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope ${nsDecls(ENVELOPE_PREFIXES)}>` +
    (header ? `<env:Header>${header}</env:Header>` : '') +
    `<env:Body>${body}</env:Body></env:Envelope>`
  );
}

export function faultEnvelope(f: SoapFault): string {
  // Subcodes nest: Code/Subcode/Subcode (SOAP 1.2 Part 1 §5.4.6).
  let sub = '';
  for (const s of [...f.subcodes].reverse()) {
    sub = `<env:Subcode><env:Value>ter:${s}</env:Value>${sub}</env:Subcode>`;
  }
  return soapEnvelope(
    `<env:Fault><env:Code><env:Value>env:${f.code}</env:Value>${sub}</env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${escapeXml(f.reason)}</env:Text></env:Reason></env:Fault>`,
  );
}

export interface SoapRequest {
  readonly header: XmlElement | undefined;
  /** The operation element: the first child of env:Body. */
  readonly operation: XmlElement;
}

/** Checks the envelope shape; throws SoapFault. */
export function soapRequest(root: XmlElement): SoapRequest {
  if (root.local !== 'Envelope' || root.ns !== NS.env) {
    if (root.local === 'Envelope') throw faults.versionMismatch();
    throw faults.wellFormed('root element is not a SOAP envelope');
  }
  const header = child(root, NS.env, 'Header');
  const body = child(root, NS.env, 'Body');
  if (!body) throw faults.wellFormed('no env:Body');
  const operation = body.children[0];
  if (!operation) throw faults.wellFormed('empty env:Body');
  return { header, operation };
}
