import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type BadSoapKind, breakSoap } from './bad-soap.js';
import { CameraSimError } from './errors.js';
import type { HttpAuth } from './http-auth.js';
import { listen } from './listen.js';
import { silentLogger } from './log.js';
import { NS } from './namespaces.js';
import type { OnvifContext, OperationHandler } from './onvif-context.js';
import { deviceOperations } from './onvif-device.js';
import { imagingOperations } from './onvif-imaging.js';
import { mediaOperations } from './onvif-media.js';
import { faultEnvelope, faults, SoapFault, soapEnvelope, soapRequest } from './soap.js';
import { NonceCache, verifyUsernameToken } from './wsse.js';
import { attr, DEFAULT_MAX_XML_BYTES, parseXml } from './xml.js';

export const SERVICE_PATHS = {
  device: '/onvif/device_service',
  media: '/onvif/media_service',
  imaging: '/onvif/imaging_service',
  snapshot: '/onvif/snapshot.jpg',
} as const;

const OPERATIONS: Record<string, Record<string, OperationHandler>> = {
  [NS.tds]: deviceOperations,
  [NS.trt]: mediaOperations,
  [NS.timg]: imagingOperations,
};

/** ONVIF access class PRE_AUTH as this camera applies it: only the clock is readable without a token. */
const PRE_AUTH = new Set([`${NS.tds}#GetSystemDateAndTime`]);

/** Header blocks this camera processes; any other with mustUnderstand=true is a MustUnderstand fault. */
const UNDERSTOOD_HEADER_NS = new Set<string>([NS.wsse, NS.wsa]);

export interface OnvifHttpServerOptions {
  host: string;
  port: number;
  ctx: OnvifContext;
  user: string;
  password: string;
  /** Accepted |wsu:Created - camera clock| for UsernameTokens. */
  maxTokenSkewMs?: number;
  maxBodyBytes?: number;
  /** HTTP auth for the snapshot URL. */
  snapshotAuth: HttpAuth;
  /** The latest JPEG; may wait briefly for the first one. */
  snapshot: () => Promise<Buffer | undefined>;
  logger?: Logger;
}

/** SOAP 1.2 over HTTP for the device, media and imaging services, plus the JPEG snapshot. */
export class OnvifHttpServer {
  private server: Server | undefined;
  private readonly log: Logger;
  private readonly nonces = new NonceCache();
  private readonly maxBody: number;
  /** While true, requests are read and never answered (the `hang` fault). */
  hung = false;
  /** When set, successful SOAP answers are replaced by broken ones of this kind (the `badSoap` fault). */
  badSoap: BadSoapKind | undefined;
  /** SOAP requests answered, by outcome. */
  readonly counts = { ok: 0, fault: 0 };

  constructor(private readonly opts: OnvifHttpServerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_XML_BYTES;
  }

  async start(): Promise<number> {
    const server = createServer((req, res) => this.onRequest(req, res));
    server.keepAliveTimeout = 5000;
    this.server = server;
    return listen(server, this.opts.port, this.opts.host);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.hung) {
      req.resume(); // read and ignore: the socket stays open, no answer comes
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    if (path === SERVICE_PATHS.snapshot) {
      this.snapshot(req, res);
      return;
    }
    if (path !== SERVICE_PATHS.device && path !== SERVICE_PATHS.media && path !== SERVICE_PATHS.imaging) {
      this.plain(res, 404, 'Not Found');
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      this.plain(res, 405, 'Method Not Allowed');
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBody) {
      this.refuseTooLarge(req, res, declared);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxBody) {
        this.refuseTooLarge(req, res, size);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent || size > this.maxBody) return;
      this.soap(Buffer.concat(chunks), res);
    });
    req.on('error', (err) => this.log.debug({ err }, 'onvif http: request stream error'));
  }

  private refuseTooLarge(req: IncomingMessage, res: ServerResponse, size: number): void {
    if (res.headersSent) return;
    this.log.warn({ size, limit: this.maxBody }, 'onvif http: body too large, refused');
    const f = new SoapFault('Sender', ['InvalidArgs'], `request body exceeds ${this.maxBody} bytes`);
    this.counts.fault++;
    this.send(res, 413, faultEnvelope(f), true);
    req.resume();
  }

  private soap(body: Buffer, res: ServerResponse): void {
    try {
      const xml = this.handle(body);
      this.counts.ok++;
      this.send(res, 200, this.badSoap ? breakSoap(this.badSoap, xml) : xml);
    } catch (err) {
      const fault =
        err instanceof SoapFault
          ? err
          : err instanceof CameraSimError
            ? faults.wellFormed(err.message)
            : new SoapFault('Receiver', [], 'internal error');
      if (!(err instanceof SoapFault) && !(err instanceof CameraSimError)) {
        this.log.error({ err }, 'onvif http: handler failed');
      } else {
        this.log.info({ fault: fault.message }, 'onvif http: request refused');
      }
      this.counts.fault++;
      this.send(res, fault.httpStatus, faultEnvelope(fault));
    }
  }

  /** Parses, authenticates and dispatches one SOAP request; returns the response envelope. */
  private handle(body: Buffer): string {
    const { header, operation } = soapRequest(parseXml(body, { maxBytes: this.maxBody }));
    for (const h of header?.children ?? []) {
      const mu = attr(h, 'mustUnderstand', NS.env);
      if ((mu === 'true' || mu === '1') && !UNDERSTOOD_HEADER_NS.has(h.ns)) {
        throw new SoapFault('MustUnderstand', [], `header {${h.ns}}${h.local} not understood`);
      }
    }
    const handler = OPERATIONS[operation.ns]?.[operation.local];
    if (!handler) throw faults.actionNotSupported(`{${operation.ns}}${operation.local}`);
    if (!PRE_AUTH.has(`${operation.ns}#${operation.local}`)) {
      const refusal = verifyUsernameToken(header, {
        user: this.opts.user,
        password: this.opts.password,
        nowMs: this.opts.ctx.now(),
        maxSkewMs: this.opts.maxTokenSkewMs ?? 300_000,
        nonces: this.nonces,
      });
      if (refusal) {
        this.log.info({ refusal, operation: operation.local }, 'onvif http: not authorized');
        throw faults.notAuthorized();
      }
    }
    return soapEnvelope(handler(operation, this.opts.ctx));
  }

  private snapshot(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      this.plain(res, 405, 'Method Not Allowed');
      return;
    }
    const auth = this.opts.snapshotAuth.check(req.method, req.headers.authorization);
    if (auth !== 'ok') {
      res.setHeader('WWW-Authenticate', this.opts.snapshotAuth.challenges(auth === 'stale'));
      this.plain(res, 401, 'Unauthorized');
      return;
    }
    this.opts.snapshot().then(
      (jpeg) => {
        if (res.destroyed) return;
        if (!jpeg) {
          res.setHeader('Retry-After', '1');
          this.plain(res, 503, 'No picture yet');
          return;
        }
        res.writeHead(200, {
          'Content-Type': 'image/jpeg',
          'Content-Length': jpeg.length,
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : jpeg);
      },
      (err) => {
        this.log.error({ err }, 'onvif http: snapshot failed');
        this.plain(res, 500, 'Snapshot failed');
      },
    );
  }

  private send(res: ServerResponse, status: number, xml: string, close = false): void {
    const buf = Buffer.from(xml, 'utf8');
    res.writeHead(status, {
      'Content-Type': 'application/soap+xml; charset=utf-8',
      'Content-Length': buf.length,
      ...(close ? { Connection: 'close' } : {}),
    });
    res.end(buf);
  }

  private plain(res: ServerResponse, status: number, text: string): void {
    const buf = Buffer.from(`${text}\n`);
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': buf.length });
    res.end(buf);
  }
}
