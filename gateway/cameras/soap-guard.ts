/**
 * The gateway's guard against hostile or broken cameras: every SOAP exchange goes through here
 * before any XML library sees the answer. A camera is a network peer we do not control, so:
 * - a deadline for the whole exchange (a camera that drips one byte a second still ends),
 * - a size limit (a 50 MB answer is cut off at the limit, not buffered),
 * - strict UTF-8, no DTD at all (SOAP 1.2 Part 1 §5: "MUST NOT contain a Document Type Declaration",
 *   which also rules out entity expansion, the "billion laughs"),
 * - well-formed XML, a SOAP 1.2 Envelope and Body in the right namespace, and the expected
 *   response element in the service's namespace,
 * - SOAP faults mapped to typed errors (NotAuthorized -> CAMERA_AUTH).
 * Anything else is CAMERA_BAD_RESPONSE / CAMERA_UNREACHABLE; the gateway keeps running.
 */
import http from 'node:http';
import https from 'node:https';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { GatewayError } from '../errors.js';

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';

export interface SoapLimits {
  /** Largest answer accepted, bytes. */
  maxBytes: number;
  /** Whole exchange (connect, send, receive), ms. */
  deadlineMs: number;
}

export const DEFAULT_SOAP_LIMITS: SoapLimits = { maxBytes: 1024 * 1024, deadlineMs: 5000 };

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Name/value pairs as received (repeated headers such as WWW-Authenticate stay separate). */
  rawHeaders: string[];
  body: Buffer;
}

/** One HTTP exchange with a deadline and a size limit. Network failures are CAMERA_UNREACHABLE. */
export function boundedHttp(
  url: URL,
  opts: {
    method: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string | Buffer;
    limits: SoapLimits;
  },
): Promise<HttpAnswer> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(
      new GatewayError('CAMERA_BAD_RESPONSE', `refusing ${url.protocol} URL from camera`),
    );
  }
  const { maxBytes, deadlineMs } = opts.limits;
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (e: GatewayError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    };
    const req = lib.request(url, { method: opts.method, headers: opts.headers, agent: false }, (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        fail(tooBig(url, maxBytes, `declares ${declared} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          fail(tooBig(url, maxBytes, 'body exceeds it'));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks),
        });
      });
      res.on('error', (err) => fail(unreachable(url, err.message)));
    });
    const timer = setTimeout(
      () =>
        fail(
          new GatewayError('CAMERA_UNREACHABLE', `${url.host} did not answer within ${deadlineMs} ms`, {
            host: url.host,
          }),
        ),
      deadlineMs,
    );
    req.on('error', (err) => fail(unreachable(url, err.message)));
    req.end(opts.body);
  });
}

function tooBig(url: URL, maxBytes: number, why: string): GatewayError {
  return new GatewayError(
    'CAMERA_BAD_RESPONSE',
    `${url.host}: answer larger than ${maxBytes} bytes (${why})`,
    {
      host: url.host,
    },
  );
}

function unreachable(url: URL, why: string): GatewayError {
  return new GatewayError('CAMERA_UNREACHABLE', `${url.host} unreachable: ${why}`, { host: url.host });
}

/** Strict UTF-8 and no DTD; returns the text. */
export function safeXmlText(body: Buffer, host: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw bad(host, 'answer is not valid UTF-8');
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw bad(host, 'answer contains a DTD (refused: entity expansion)');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw bad(host, `malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  return text;
}

function bad(host: string, why: string): GatewayError {
  return new GatewayError('CAMERA_BAD_RESPONSE', `${host}: ${why}`, { host });
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: false,
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

/** A namespace-resolved view of one element: its children by `{ns}local`. */
export interface Resolved {
  node: XmlNode;
  scope: Map<string, string>;
}

function scopeOf(node: unknown, parent: Map<string, string>): Map<string, string> {
  if (!node || typeof node !== 'object') return parent;
  let scope = parent;
  for (const [k, v] of Object.entries(node as XmlNode)) {
    if (typeof v !== 'string') continue;
    if (k === '@_xmlns' || k.startsWith('@_xmlns:')) {
      if (scope === parent) scope = new Map(parent);
      scope.set(k === '@_xmlns' ? '' : k.slice(8), v);
    }
  }
  return scope;
}

function splitName(name: string): { prefix: string; local: string } {
  const i = name.indexOf(':');
  return i < 0 ? { prefix: '', local: name } : { prefix: name.slice(0, i), local: name.slice(i + 1) };
}

/** Child elements of `parent` as (namespace, local, resolved) triples. */
export function children(parent: Resolved): { ns: string | undefined; local: string; el: Resolved }[] {
  const out: { ns: string | undefined; local: string; el: Resolved }[] = [];
  for (const [name, value] of Object.entries(parent.node)) {
    if (name.startsWith('@_') || name === '#text' || name.startsWith('?')) continue;
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const node = (item && typeof item === 'object' ? item : { '#text': item }) as XmlNode;
      const scope = scopeOf(node, parent.scope);
      const { prefix, local } = splitName(name);
      out.push({ ns: scope.get(prefix), local, el: { node, scope } });
    }
  }
  return out;
}

export function textOf(r: Resolved | undefined): string {
  if (!r) return '';
  const t = r.node['#text'];
  return typeof t === 'string' ? t : '';
}

export function find(parent: Resolved, ns: string, local: string): Resolved | undefined {
  return children(parent).find((c) => c.ns === ns && c.local === local)?.el;
}

/** Parses checked XML text (see safeXmlText) into a namespace-resolved document node. */
export function parseResolved(text: string, host: string): Resolved {
  try {
    return { node: parser.parse(text) as XmlNode, scope: new Map() };
  } catch (e) {
    throw bad(host, `unparseable XML: ${(e as Error).message}`);
  }
}

export interface ExpectedResponse {
  ns: string;
  local: string;
}

/**
 * Validates a SOAP answer: envelope and body in the SOAP 1.2 namespace, faults mapped to typed
 * errors, and (when given) the expected response element in its service namespace.
 */
export function checkSoapAnswer(text: string, status: number, host: string, expect?: ExpectedResponse): void {
  const top = children(parseResolved(text, host));
  const env = top.find((c) => c.local === 'Envelope');
  if (!env || top.length !== 1) throw bad(host, `answer is not a SOAP envelope (HTTP ${status})`);
  if (env.ns !== SOAP12_NS) throw bad(host, `envelope namespace is ${env.ns ?? 'missing'}, not SOAP 1.2`);
  const body = find(env.el, SOAP12_NS, 'Body');
  if (!body) throw bad(host, 'SOAP envelope without Body');
  const fault = find(body, SOAP12_NS, 'Fault');
  if (fault) throw faultError(fault, status, host);
  if (status === 401)
    throw new GatewayError('CAMERA_AUTH', `${host} refused the credentials (HTTP 401)`, { host });
  if (status !== 200) throw bad(host, `HTTP ${status}`);
  if (!expect) return;
  const got = children(body)[0];
  if (!got || got.local !== expect.local || got.ns !== expect.ns) {
    const what = got ? `{${got.ns ?? ''}}${got.local}` : 'an empty Body';
    throw bad(host, `expected {${expect.ns}}${expect.local}, got ${what}`);
  }
}

const AUTH_SUBCODES = /(^|:)(NotAuthorized|FailedAuthentication|InvalidSecurity|InvalidSecurityToken)$/;

function faultError(fault: Resolved, status: number, host: string): GatewayError {
  const code = find(fault, SOAP12_NS, 'Code');
  const values: string[] = [];
  let level = code;
  while (level) {
    values.push(textOf(find(level, SOAP12_NS, 'Value')));
    level = find(level, SOAP12_NS, 'Subcode');
  }
  const reasonEl = find(fault, SOAP12_NS, 'Reason');
  const reason = (reasonEl && textOf(find(reasonEl, SOAP12_NS, 'Text'))) || values.join('/') || 'SOAP fault';
  const details = { host, fault: values.filter(Boolean), reason: reason.slice(0, 200) };
  if (status === 401 || values.some((v) => AUTH_SUBCODES.test(v))) {
    return new GatewayError(
      'CAMERA_AUTH',
      `${host} refused the credentials: ${reason.slice(0, 200)}`,
      details,
    );
  }
  return new GatewayError(
    'CAMERA_BAD_RESPONSE',
    `${host} answered a SOAP fault: ${reason.slice(0, 200)}`,
    details,
  );
}

/**
 * What a request expects back: the operation element in our own request body (first child of
 * s:Body) with its namespace, plus `Response`.
 */
export function expectedResponseOf(requestSoap: string): ExpectedResponse | undefined {
  const m = /<s:Body>\s*<([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)[\s/>]/.exec(requestSoap);
  if (!m) return undefined;
  const ns = new RegExp(`xmlns:${m[1]}="([^"]+)"`).exec(requestSoap)?.[1];
  return ns ? { ns, local: `${m[2]}Response` } : undefined;
}

/** One guarded SOAP 1.2 call: returns the validated XML text of the answer. */
export async function guardedSoapCall(url: URL, soap: string, limits: SoapLimits): Promise<string> {
  const answer = await boundedHttp(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/soap+xml; charset=utf-8',
      'content-length': String(Buffer.byteLength(soap)),
    },
    body: soap,
    limits,
  });
  // HTTP-level auth (some cameras put digest/basic in front of SOAP): no XML to read.
  if (answer.status === 401) {
    throw new GatewayError('CAMERA_AUTH', `${url.host} refused the credentials (HTTP 401)`, {
      host: url.host,
    });
  }
  if (answer.body.length === 0) throw bad(url.host, `empty answer (HTTP ${answer.status})`);
  const text = safeXmlText(answer.body, url.host);
  checkSoapAnswer(text, answer.status, url.host, expectedResponseOf(soap));
  return text;
}
