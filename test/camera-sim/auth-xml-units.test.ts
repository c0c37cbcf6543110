import { describe, expect, it } from 'vitest';
import { probeMatches, readProbe } from '../../device-sim/camera/discovery-messages.js';
import { CameraSimError } from '../../device-sim/camera/errors.js';
import { digestAuthorization, HttpAuth } from '../../device-sim/camera/http-auth.js';
import { NS } from '../../device-sim/camera/namespaces.js';
import { posixTzOffsetMinutes } from '../../device-sim/camera/onvif-device.js';
import { NonceCache, usernameTokenHeader, verifyUsernameToken } from '../../device-sim/camera/wsse.js';
import { child, parseXml } from '../../device-sim/camera/xml.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof CameraSimError ? err.code : 'other';
  }
  return 'none';
};

describe('XML parsing', () => {
  it('resolves namespaces whatever the prefixes, and decodes the predefined entities', () => {
    const root = parseXml(
      '<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope"><a:Body><x:Op xmlns:x="urn:x">1 &lt; 2 &amp;&#x41;</x:Op></a:Body></a:Envelope>',
    );
    const op = child(child(root, NS.env, 'Body'), 'urn:x', 'Op');
    expect(op?.text).toBe('1 < 2 &A');
  });

  it('refuses DTDs, entity definitions, undeclared entities and prefixes, bad nesting and oversize documents', () => {
    expect(codeOf(() => parseXml('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'))).toBe('XML_DTD');
    expect(codeOf(() => parseXml('<a>&x;</a>'))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml('<p:a/>'))).toBe('XML_NAMESPACE');
    expect(codeOf(() => parseXml('<a><b></a>'))).toBe('XML_MALFORMED');
    expect(codeOf(() => parseXml(`<a>${'x'.repeat(70_000)}</a>`))).toBe('XML_TOO_LARGE');
    expect(codeOf(() => parseXml('<a/><b/>'))).toBe('XML_MALFORMED');
  });
});

describe('WS-UsernameToken PasswordDigest', () => {
  const header = (xml: string) => parseXml(`<e:Header xmlns:e="${NS.env}">${xml}</e:Header>`);
  const now = Date.UTC(2026, 0, 1);
  const check = (nonces = new NonceCache()) => ({
    user: 'admin',
    password: 'secret',
    nowMs: now,
    maxSkewMs: 60_000,
    nonces,
  });

  it('accepts the right password and refuses a wrong one, a replayed nonce and a stale Created', () => {
    const good = header(usernameTokenHeader('admin', 'secret', now));
    const c = check();
    expect(verifyUsernameToken(good, c)).toBeUndefined();
    expect(verifyUsernameToken(good, c)).toBe('replayed-nonce');
    expect(verifyUsernameToken(header(usernameTokenHeader('admin', 'wrong', now)), check())).toBe(
      'bad-digest',
    );
    expect(verifyUsernameToken(header(usernameTokenHeader('other', 'secret', now)), check())).toBe(
      'unknown-user',
    );
    expect(verifyUsernameToken(header(usernameTokenHeader('admin', 'secret', now - 120_000)), check())).toBe(
      'stale-created',
    );
    expect(verifyUsernameToken(header(''), check())).toBe('missing-security');
  });
});

describe('HTTP Digest and Basic', () => {
  const auth = new HttpAuth({ realm: 'cam', user: 'u', password: 'p', schemes: 'digest' });

  it('accepts a correct digest, refuses a wrong password, a forged nonce and Basic when Digest only', () => {
    const challenge = auth.challenges()[0]!;
    expect(challenge).toMatch(/^Digest realm="cam", nonce="[0-9a-f]+", algorithm=MD5, qop="auth"$/);
    const ok = digestAuthorization({
      challenge,
      method: 'DESCRIBE',
      uri: 'rtsp://h/x',
      user: 'u',
      password: 'p',
    });
    expect(auth.check('DESCRIBE', ok)).toBe('ok');
    const bad = digestAuthorization({
      challenge,
      method: 'DESCRIBE',
      uri: 'rtsp://h/x',
      user: 'u',
      password: 'q',
    });
    expect(auth.check('DESCRIBE', bad)).toBe('denied');
    const forged = digestAuthorization({
      challenge: 'Digest realm="cam", nonce="00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff"',
      method: 'DESCRIBE',
      uri: 'rtsp://h/x',
      user: 'u',
      password: 'p',
    });
    expect(auth.check('DESCRIBE', forged)).toBe('denied');
    expect(auth.check('DESCRIBE', `Basic ${Buffer.from('u:p').toString('base64')}`)).toBe('denied');
    expect(auth.check('DESCRIBE', undefined)).toBe('missing');
  });

  it('reports an expired nonce as stale', () => {
    const short = new HttpAuth({ realm: 'cam', user: 'u', password: 'p', nonceTtlMs: -1 });
    const challenge = short.challenges()[0]!;
    const a = digestAuthorization({ challenge, method: 'PLAY', uri: 'rtsp://h/x', user: 'u', password: 'p' });
    expect(short.check('PLAY', a)).toBe('stale');
  });

  it('accepts Basic when configured', () => {
    const basic = new HttpAuth({ realm: 'cam', user: 'u', password: 'p', schemes: 'digest+basic' });
    expect(basic.challenges()).toHaveLength(2);
    expect(basic.check('GET', `Basic ${Buffer.from('u:p').toString('base64')}`)).toBe('ok');
    expect(basic.check('GET', `Basic ${Buffer.from('u:x').toString('base64')}`)).toBe('denied');
  });
});

describe('WS-Discovery probe matching', () => {
  const target = {
    endpoint: 'urn:uuid:1',
    types: [{ ns: NS.dn, local: 'NetworkVideoTransmitter' }],
    scopes: ['onvif://www.onvif.org/name/Room_1', 'onvif://www.onvif.org/type/video_encoder'],
    xaddrs: ['http://127.0.0.2:1/onvif/device_service'],
    metadataVersion: 1,
  };
  const probe = (body: string) =>
    readProbe(
      parseXml(
        `<s:Envelope xmlns:s="${NS.env}" xmlns:a="${NS.wsa}"><s:Header><a:MessageID>uuid:1</a:MessageID>` +
          `<a:Action>${NS.d}/Probe</a:Action></s:Header><s:Body><Probe xmlns="${NS.d}">${body}</Probe></s:Body></s:Envelope>`,
      ),
    )!;

  it('matches types by namespace, not prefix, and scopes segment-wise (rfc3986)', () => {
    expect(probeMatches(probe(`<Types xmlns:q="${NS.dn}">q:NetworkVideoTransmitter</Types>`), target)).toBe(
      true,
    );
    expect(probeMatches(probe('<Types xmlns:q="urn:other">q:NetworkVideoTransmitter</Types>'), target)).toBe(
      false,
    );
    expect(probeMatches(probe(`<Types xmlns:q="${NS.dn}">q:NetworkVideoDisplay</Types>`), target)).toBe(
      false,
    );
    expect(probeMatches(probe('<Types/>'), target)).toBe(true);
    expect(probeMatches(probe(''), target)).toBe(true);
    expect(probeMatches(probe('<Scopes>onvif://www.onvif.org/name</Scopes>'), target)).toBe(true);
    expect(probeMatches(probe('<Scopes>onvif://www.onvif.org/na</Scopes>'), target)).toBe(false);
    expect(
      probeMatches(
        probe(`<Scopes MatchBy="${NS.d}/strcmp0">onvif://www.onvif.org/type/video_encoder</Scopes>`),
        target,
      ),
    ).toBe(true);
  });
});

describe('POSIX TZ', () => {
  it('inverts the POSIX sign', () => {
    expect(posixTzOffsetMinutes('UTC0')).toBe(0);
    expect(posixTzOffsetMinutes('CET-1CEST,M3.5.0,M10.5.0/3')).toBe(60);
    expect(posixTzOffsetMinutes('EST5EDT')).toBe(-300);
    expect(posixTzOffsetMinutes('IST-5:30')).toBe(330);
    expect(posixTzOffsetMinutes('nonsense')).toBeUndefined();
  });
});
