import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CameraSimError } from './errors.js';
import { NS } from './namespaces.js';

/** A namespace-resolved XML element: what SOAP dispatch and WS-Discovery matching need. */
export interface XmlElement {
  readonly ns: string;
  readonly local: string;
  readonly attrs: readonly XmlAttr[];
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element, entities decoded. */
  readonly text: string;
  /** Prefix -> namespace URI in scope at this element ('' is the default namespace). */
  readonly scope: ReadonlyMap<string, string>;
}

export interface XmlAttr {
  readonly ns: string;
  readonly local: string;
  readonly value: string;
}

export interface ParseXmlOptions {
  /** Bytes; larger documents are refused before parsing. */
  maxBytes?: number;
}

export const DEFAULT_MAX_XML_BYTES = 64 * 1024;

// Entity processing is off in the parser (no DTD entities, no expansion); the five predefined
// entities and character references are decoded here, anything else is refused.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 64,
});

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&\s]{1,10});|&/g, (m, name: string | undefined) => {
    if (name === undefined) throw new CameraSimError('XML_MALFORMED', 'bare "&" in character data');
    const pre = PREDEFINED[name];
    if (pre !== undefined) return pre;
    const num = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
    if (num) {
      const cp = num[1] !== undefined ? Number.parseInt(num[1], 16) : Number(num[2]);
      if (cp > 0x10ffff || cp === 0)
        throw new CameraSimError('XML_MALFORMED', `bad character reference ${m}`);
      return String.fromCodePoint(cp);
    }
    throw new CameraSimError('XML_MALFORMED', `undeclared entity ${m}`);
  });
}

type RawNode = Record<string, unknown>;

function splitQName(q: string): [prefix: string, local: string] {
  const i = q.indexOf(':');
  return i < 0 ? ['', q] : [q.slice(0, i), q.slice(i + 1)];
}

function build(tag: string, raw: RawNode, parentScope: ReadonlyMap<string, string>): XmlElement {
  const rawAttrs = (raw[':@'] ?? {}) as Record<string, string>;
  let scope = parentScope;
  const plain: [string, string][] = [];
  for (const [k, v] of Object.entries(rawAttrs)) {
    const name = k.slice(2);
    const value = decodeEntities(String(v));
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      (scope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), value);
    } else {
      plain.push([name, value]);
    }
  }
  const [prefix, local] = splitQName(tag);
  const ns = scope.get(prefix);
  if (ns === undefined)
    throw new CameraSimError('XML_NAMESPACE', `undeclared prefix "${prefix}" on <${tag}>`);
  const attrs: XmlAttr[] = plain.map(([name, value]) => {
    const [p, l] = splitQName(name);
    // Unprefixed attributes are in no namespace (Namespaces in XML §6.3).
    const ans = p === '' ? '' : scope.get(p);
    if (ans === undefined) throw new CameraSimError('XML_NAMESPACE', `undeclared prefix "${p}" on @${name}`);
    return { ns: ans, local: l, value };
  });
  const children: XmlElement[] = [];
  let text = '';
  for (const item of (raw[tag] ?? []) as RawNode[]) {
    if ('#text' in item) {
      text += decodeEntities(String(item['#text']));
    } else if ('#cdata' in item) {
      for (const c of item['#cdata'] as RawNode[]) text += String(c['#text'] ?? '');
    } else {
      const childTag = Object.keys(item).find((k) => k !== ':@');
      if (childTag !== undefined) children.push(build(childTag, item, scope));
    }
  }
  return { ns, local, attrs, children, text, scope };
}

/**
 * Parses a document into a namespace-resolved tree. Refuses (CameraSimError) documents that are
 * too large, not well formed, carry a DTD (SOAP 1.2 Part 1 §5: "MUST NOT contain a document type
 * declaration"), use undeclared entities, or use undeclared prefixes.
 */
export function parseXml(input: string | Buffer, opts: ParseXmlOptions = {}): XmlElement {
  const max = opts.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (bytes > max) throw new CameraSimError('XML_TOO_LARGE', `document is ${bytes} bytes, limit ${max}`);
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(text))
    throw new CameraSimError('XML_DTD', 'document type declarations are refused');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new CameraSimError(
      'XML_MALFORMED',
      `${valid.err.msg} (line ${valid.err.line}, col ${valid.err.col})`,
    );
  }
  let nodes: RawNode[];
  try {
    nodes = parser.parse(text) as RawNode[];
  } catch (err) {
    throw new CameraSimError('XML_MALFORMED', (err as Error).message);
  }
  const roots = nodes.filter((n) => !('#text' in n) || String(n['#text']).trim() !== '');
  const root = roots[0];
  const rootTag = root ? Object.keys(root).find((k) => k !== ':@') : undefined;
  if (!root || roots.length !== 1 || rootTag === undefined || rootTag.startsWith('#')) {
    throw new CameraSimError('XML_MALFORMED', 'expected exactly one root element');
  }
  return build(
    rootTag,
    root,
    new Map([
      ['xml', NS.xml],
      ['', ''],
    ]),
  );
}

export function child(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.ns === ns && c.local === local);
}

export function children(el: XmlElement | undefined, ns: string, local: string): XmlElement[] {
  return el ? el.children.filter((c) => c.ns === ns && c.local === local) : [];
}

/** Text of the first matching child, trimmed; undefined if absent. */
export function childText(el: XmlElement | undefined, ns: string, local: string): string | undefined {
  return child(el, ns, local)?.text.trim();
}

/** Follows a path of children in one namespace. */
export function path(el: XmlElement | undefined, ns: string, ...locals: string[]): XmlElement | undefined {
  let cur = el;
  for (const l of locals) cur = child(cur, ns, l);
  return cur;
}

export function attr(el: XmlElement | undefined, local: string, ns = ''): string | undefined {
  return el?.attrs.find((a) => a.ns === ns && a.local === local)?.value;
}

/** Resolves a QName written in element content (e.g. `dn:NetworkVideoTransmitter`) in `el`'s scope. */
export function resolveQName(el: XmlElement, qname: string): { ns: string | undefined; local: string } {
  const [prefix, local] = splitQName(qname);
  const ns = el.scope.get(prefix);
  // No namespace at all (unprefixed, no default): undefined, so matching falls back to the local name.
  return { ns: ns === '' ? undefined : ns, local };
}

export function escapeXml(s: string | number | boolean): string {
  return String(s).replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
  );
}
