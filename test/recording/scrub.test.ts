/** The scrubber every camera/ffmpeg string passes before an API response, a log or an audit entry. */
import { describe, expect, it } from 'vitest';
import { scrub } from '../../gateway/scrub.js';

const PW = 'p@ss:w0rd/1';

describe('scrub', () => {
  it('removes URL userinfo, the configured password in any encoding, and auth fields', () => {
    const ffmpeg = `rtsp://admin:${encodeURIComponent(PW)}@10.0.0.5:554/s1: Invalid data found when processing input`;
    expect(scrub(ffmpeg, { secrets: [PW] })).toBe(
      'rtsp://***@10.0.0.5:554/s1: Invalid data found when processing input',
    );
    const raw = `camera said: password ${PW} is wrong; Authorization: Digest username="admin", response="0123abcd"`;
    const out = scrub(raw, { secrets: [PW] });
    expect(out).not.toContain(PW);
    expect(out).not.toContain('0123abcd');
    expect(scrub('GET / HTTP/1.1\r\nAuthorization: Basic YWRtaW46cHc=\r\n')).not.toContain('YWRtaW46cHc=');
    expect(scrub('nonce="abc123", cnonce="zz9", response=ffee00')).toBe(
      'nonce=***, cnonce=***, response=***',
    );
    expect(scrub('WWW-Authenticate: Digest realm="cam", nonce="n1"')).toBe('WWW-Authenticate: ***');
  });

  it('bounds the result and replaces control characters (no log line injection)', () => {
    expect(scrub('x'.repeat(10_000)).length).toBeLessThanOrEqual(500);
    expect(scrub('a'.repeat(100), { max: 20 })).toHaveLength(20);
    expect(scrub('line1\u0000\u001b[31mred\r')).toBe('line1  [31mred ');
  });

  it('a password cut in half by the input bound leaves no part of it behind', () => {
    const text = `${'y'.repeat(16_384 - 4)}${PW}`;
    const out = scrub(text, { secrets: [PW], max: 20_000 });
    expect(out).not.toContain('p@ss');
    // Many replacements before the cut do not pull the cut secret into view either.
    const many = `${PW.repeat(1480)}${'z'.repeat(100)}${PW}`.slice(0, 20_000);
    expect(scrub(many, { secrets: [PW], max: 15_000 })).not.toMatch(/p@s|p%40/);
  });

  it('replaces a one-time relay URL by the camera URL, and takes errors and objects', () => {
    const out = scrub('rtsp://127.0.0.1:4000/TOKEN: Connection refused', {
      replace: [['rtsp://127.0.0.1:4000/TOKEN', 'rtsp://10.0.0.5/s1']],
    });
    expect(out).toBe('rtsp://10.0.0.5/s1: Connection refused');
    expect(scrub(new Error(`bad ${PW}`), { secrets: [PW] })).toBe('bad ***');
    expect(scrub({ url: `rtsp://a:b@h/` })).toContain('rtsp://***@h/');
  });
});
