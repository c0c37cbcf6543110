import { NS } from './namespaces.js';

/**
 * Deliberately broken SOAP answers, so gateway tests can check that a misbehaving camera is
 * refused cleanly (issue #5: malformed XML, wrong namespace, huge body, entity expansion).
 */
export const BAD_SOAP_KINDS = ['malformed', 'wrong-namespace', 'huge', 'entity-expansion'] as const;
export type BadSoapKind = (typeof BAD_SOAP_KINDS)[number];

/** Size of the `huge` answer. */
export const HUGE_SOAP_BYTES = 8 * 1024 * 1024;

/** Turns the correct response envelope into a broken one of the given kind. */
export function breakSoap(kind: BadSoapKind, good: string): string {
  switch (kind) {
    case 'malformed':
      // Cut in the middle of the body: unclosed elements.
      return good.slice(0, Math.max(good.indexOf('<env:Body>') + 40, Math.floor(good.length / 2)));
    case 'wrong-namespace':
      // Same element names and prefixes, bound to namespaces that are not ONVIF's.
      return good
        .replace(`xmlns:tds="${NS.tds}"`, 'xmlns:tds="urn:example:not-onvif:device"')
        .replace(`xmlns:trt="${NS.trt}"`, 'xmlns:trt="urn:example:not-onvif:media"')
        .replace(`xmlns:timg="${NS.timg}"`, 'xmlns:timg="urn:example:not-onvif:imaging"')
        .replace(`xmlns:tt="${NS.tt}"`, 'xmlns:tt="urn:example:not-onvif:schema"');
    case 'huge': {
      const at = good.indexOf('</env:Body>');
      const pad = `<!--${'x'.repeat(HUGE_SOAP_BYTES)}-->`;
      return good.slice(0, at) + pad + good.slice(at);
    }
    case 'entity-expansion': {
      // "Billion laughs": 10 levels of 10 references expand to 10^10 bytes if processed.
      let dtd = '<!ENTITY e0 "lol">';
      for (let i = 1; i <= 10; i++) dtd += `<!ENTITY e${i} "${`&e${i - 1};`.repeat(10)}">`;
      const body = good
        .replace(/<\?xml[^>]*\?>\s*/, '')
        .replace('<env:Body>', '<env:Body><tt:Note>&e10;</tt:Note>');
      return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE env:Envelope [${dtd}]>\n${body}`;
    }
  }
}
