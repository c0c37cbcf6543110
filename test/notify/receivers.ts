/** Real local endpoints for notification tests: an HTTP receiver and aiosmtpd (python3-aiosmtpd). */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export interface Received {
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON under test
  body: any;
}

/** Answers each request with `reply(n)` (n counts from 1): status and body. */
export async function httpReceiver(reply: (n: number, r: Received) => { status: number; body: string }) {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const r: Received = { path: u.pathname, query: u.searchParams, headers: req.headers, raw, body };
      got.push(r);
      const a = reply(got.length, r);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    got,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

export interface Mail {
  /** The SMTP envelope: MAIL FROM and RCPT TO. */
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** RFC 2047 encoded words (B and Q), as nodemailer writes a Chinese subject. */
export function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _cs, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : Buffer.from(
            data
              .replace(/_/g, ' ')
              .replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

/**
 * aiosmtpd with the Sink handler (smtp_sink.py: one JSON line per message, envelope included).
 * Debian's python3 is used directly: `python3` on PATH may be a pyenv shim without the package.
 */
export async function smtpServer(port?: number) {
  const listenPort = port ?? (await freePort());
  const proc: ChildProcess = spawn(
    '/usr/bin/python3',
    ['-m', 'aiosmtpd', '-n', '-c', 'smtp_sink.Sink', '-l', `127.0.0.1:${listenPort}`],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONPATH: HERE } },
  );
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  proc.stderr?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  // Ready when it accepts a connection.
  await waitFor(
    () =>
      new Promise<boolean>((ok) => {
        const c = connect(listenPort, '127.0.0.1');
        c.on('connect', () => {
          c.destroy();
          ok(true);
        });
        c.on('error', () => ok(false));
      }),
    'aiosmtpd listening',
    20_000,
    100,
  );
  const mails = (): Mail[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        const m = JSON.parse(l) as { from: string; to: string[]; data: string };
        const [head = '', ...rest] = m.data.replace(/\r/g, '').split('\n\n');
        const subject = /^Subject: (.*)$/m.exec(head.replace(/\n[ \t]+/g, ' '))?.[1] ?? '';
        return { from: m.from, to: m.to, subject: decodeWords(subject), text: rest.join('\n\n') };
      });
  return {
    port: listenPort,
    mails,
    output: () => out,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((ok) => (proc.exitCode !== null ? ok(null) : proc.once('exit', ok)));
    },
  };
}
