/**
 * One delivery over one channel: a generic JSON webhook, the 企业微信 (WeCom) and 钉钉 (DingTalk)
 * group-robot formats, or e-mail over SMTP. A send resolves when the far end accepted the message
 * and throws a DeliveryError otherwise. The bots' URLs carry their tokens: nothing here puts a URL
 * query, a secret or a password into an error, a log line or an audit entry.
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import type { Alert } from '../events.js';
import { scrub } from '../scrub.js';
import type { NotificationsConfig, NotifyChannel } from './config.js';
import { alertMessage } from './message.js';

export class DeliveryError extends Error {
  constructor(
    /** `http-<status>`, `bot-errcode`, `timeout`, `network`, `smtp`, `secret-unreadable`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a channel is called in logs and audit entries: never its URL's query (the token). */
export function channelLabel(c: NotifyChannel, url?: string): string {
  if (c.kind === 'email') return `${c.kind}:${c.id}`;
  try {
    const u = new URL(url ?? c.url ?? '');
    return `${c.kind}:${c.id} ${u.origin}${u.pathname}`;
  } catch {
    return `${c.kind}:${c.id}`;
  }
}

async function secretFrom(file: string): Promise<string> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (!text) throw new Error('empty');
    return text;
  } catch {
    // The path is config, not secret; the content never appears.
    throw new DeliveryError('secret-unreadable', `cannot read secret file ${file}`);
  }
}

/** DingTalk 加签: sign = base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)), both in the query. */
export function dingtalkSignedUrl(url: string, secret: string, timestampMs: number): string {
  const sign = createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
  const u = new URL(url);
  u.searchParams.set('timestamp', String(timestampMs));
  u.searchParams.set('sign', sign);
  return u.toString();
}

export function webhookBody(alert: Alert, cfg: NotificationsConfig): Record<string, unknown> {
  const m = alertMessage(alert, cfg.timeZone);
  return {
    type: 'alert',
    id: alert.id,
    rule: alert.rule,
    severity: alert.severity,
    subject: alert.subject,
    at: alert.at,
    notify: alert.notify,
    title: m.title,
    text: m.lines.join('\n'),
    details: alert.details ?? {},
  };
}

export function robotBody(kind: 'wecom' | 'dingtalk', alert: Alert, cfg: NotificationsConfig): unknown {
  const m = alertMessage(alert, cfg.timeZone);
  const text = [`### ${m.title}`, ...m.lines.map((l) => `> ${l}`)].join('\n');
  return kind === 'wecom'
    ? { msgtype: 'markdown', markdown: { content: text } }
    : { msgtype: 'markdown', markdown: { title: m.title, text } };
}

const MAX_REPLY = 64 * 1024;

/** Reads at most MAX_REPLY bytes of a reply (a hostile endpoint may stream forever). */
async function boundedText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  while (n < MAX_REPLY) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, MAX_REPLY).toString('utf8');
}

async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === 'TimeoutError') throw new DeliveryError('timeout', `no answer within ${timeoutMs} ms`);
    throw new DeliveryError('network', scrub(err.cause?.code ?? err.message, { max: 120 }));
  }
  const text = await boundedText(res).catch(() => '');
  if (!res.ok)
    throw new DeliveryError(`http-${res.status}`, `HTTP ${res.status}: ${scrub(text, { max: 200 })}`);
  return text;
}

/** Both robots answer 200 with `{"errcode":0}` on success and a non-zero errcode otherwise. */
function checkBotReply(text: string): void {
  let reply: { errcode?: unknown; errmsg?: unknown };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    throw new DeliveryError('bot-reply', `reply is not JSON: ${scrub(text, { max: 120 })}`);
  }
  if (reply.errcode !== 0)
    throw new DeliveryError(
      'bot-errcode',
      `errcode ${scrub(String(reply.errcode), { max: 20 })}: ${scrub(String(reply.errmsg ?? ''), { max: 200 })}`,
    );
}

export interface SendResult {
  /** Who it went to, as it may be audited (addresses, or the channel label). */
  to: string[];
}

export async function send(
  channel: NotifyChannel,
  alert: Alert,
  cfg: NotificationsConfig,
  now: () => number = Date.now,
): Promise<SendResult> {
  const timeoutMs = cfg.timeoutS * 1000;
  if (channel.kind === 'email') return sendMail(channel.to, alert, cfg, timeoutMs);
  const url = channel.url ?? (await secretFrom(channel.urlFile as string));
  const label = channelLabel(channel, url);
  if (channel.kind === 'webhook') {
    const body = JSON.stringify(webhookBody(alert, cfg));
    const headers: Record<string, string> = {};
    if (channel.secretFile) {
      const secret = await secretFrom(channel.secretFile);
      headers['x-gateway-signature'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    }
    await postJson(url, body, headers, timeoutMs);
    return { to: [label] };
  }
  const target =
    channel.kind === 'dingtalk' && channel.secretFile
      ? dingtalkSignedUrl(url, await secretFrom(channel.secretFile), now())
      : url;
  checkBotReply(await postJson(target, JSON.stringify(robotBody(channel.kind, alert, cfg)), {}, timeoutMs));
  return { to: [label] };
}

async function sendMail(
  to: readonly string[],
  alert: Alert,
  cfg: NotificationsConfig,
  timeoutMs: number,
): Promise<SendResult> {
  const smtp = cfg.smtp;
  if (!smtp) throw new DeliveryError('smtp', 'no smtp configured');
  const pass = smtp.passwordFile ? await secretFrom(smtp.passwordFile) : undefined;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTLS,
    ...(smtp.user ? { auth: { user: smtp.user, pass } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // nodemailer logs nothing unless asked: no credentials reach our logs from it.
    logger: false,
  });
  const m = alertMessage(alert, cfg.timeZone);
  try {
    await transport.sendMail({
      from: smtp.from,
      to: [...to],
      subject: m.title,
      text: `${m.lines.join('\n')}\n`,
      headers: { 'X-Gateway-Alert': alert.id },
    });
  } catch (e) {
    const err = e as Error & { code?: string; responseCode?: number };
    const code = err.responseCode ? `smtp-${err.responseCode}` : 'smtp';
    throw new DeliveryError(code, scrub(err.message, { max: 200, secrets: [pass] }));
  } finally {
    transport.close();
  }
  return { to: [...to] };
}
