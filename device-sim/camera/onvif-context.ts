import type { CameraState } from './state.js';
import { escapeXml, type XmlElement } from './xml.js';

/** Fixed facts about one camera, reported by GetDeviceInformation, scopes and discovery. */
export interface CameraIdentity {
  /** WS-Discovery endpoint reference, `urn:uuid:...`. */
  readonly endpoint: string;
  readonly name: string;
  readonly location: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly firmwareVersion: string;
  readonly serialNumber: string;
  readonly hardwareId: string;
  readonly address: string;
  readonly mac: string;
}

/** What an operation handler may read and change. */
export interface OnvifContext {
  readonly identity: CameraIdentity;
  readonly state: CameraState;
  /** The camera's clock (host clock + state.clock.offsetMs), ms since the epoch. */
  now(): number;
  readonly xaddrs: { readonly device: string; readonly media: string; readonly imaging: string };
  readonly streamUri: string;
  readonly snapshotUri: string;
  readonly scopes: readonly string[];
  /** Video source geometry of the stream actually served. */
  readonly source: { readonly width: number; readonly height: number; readonly fps: number };
}

/** Returns the response element (the content of env:Body); throws SoapFault. */
export type OperationHandler = (op: XmlElement, ctx: OnvifContext) => string;

/** `<name attrs>content</name>`; content is raw XML, attribute values are escaped. */
export function el(
  name: string,
  content: string | number | boolean = '',
  attrs: Record<string, string | number | boolean> = {},
): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  const c = String(content);
  return c === '' ? `<${name}${a}/>` : `<${name}${a}>${c}</${name}>`;
}

/** `<name>escaped text</name>`. */
export function tx(name: string, text: string | number | boolean): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

export function range(name: string, r: { min: number; max: number }): string {
  return el(name, tx('tt:Min', r.min) + tx('tt:Max', r.max));
}
