/**
 * Middleware every HTTP response passes: bounded request bodies, browser security headers, and the
 * JSON-only rule for requests that change state on the strength of a cookie.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { GatewayError } from '../errors.js';

/**
 * The dashboard is one origin: its scripts, styles and the API. antd writes its styles at run time
 * (CSS-in-JS), hence 'unsafe-inline' for styles only; scripts are the built files, never inline.
 * frame-ancestors 'none': no page may frame the dashboard (clickjacking).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('content-security-policy', CONTENT_SECURITY_POLICY);
    h.set('x-content-type-options', 'nosniff');
    h.set('referrer-policy', 'no-referrer');
    h.set('x-frame-options', 'DENY');
    h.set('cross-origin-opener-policy', 'same-origin');
    if (new URL(c.req.url).protocol === 'https:') {
      h.set('strict-transport-security', 'max-age=15552000');
    }
  };
}

/**
 * Refuses a body over `maxBytes` with 413: at once when Content-Length says so, else as soon as
 * the streamed chunks pass the limit (nothing beyond it is buffered). The rest of the upload is
 * drained and the connection closed by @hono/node-server.
 */
export function bodyLimited(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      c.header('connection', 'close');
      return c.json(
        { error: { code: 'PAYLOAD_TOO_LARGE', message: `request body over ${maxBytes} bytes` } },
        413,
      );
    },
  });
}

/** 415 unless the request says its body is JSON (HTML forms cannot send application/json cross-site). */
export function requireJson(c: Context): void {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  }
}

/** The peer's IP address (IPv4-mapped IPv6 as plain IPv4); behind a proxy, the proxy's. */
export function remoteAddress(c: Context): string {
  const a = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress;
  if (!a) return 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
