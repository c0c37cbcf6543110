/**
 * Notification settings (R19: the principal is told at once, also when nobody has the dashboard
 * open). Tokens and passwords are read from files named here, never written in the config itself:
 * the config's SHA-256 is audited at each start and the file is readable by the service account.
 */
import { z } from 'zod';

const ChannelId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);
/** Roles this channel tells: an alert goes to a channel when one of its `notify` roles is here. */
const Roles = z.array(z.string().min(1).max(64)).min(1);
/** The URL itself, or a file holding it (WeCom and DingTalk URLs carry the bot's token). */
const UrlSource = { url: z.string().url().optional(), urlFile: z.string().min(1).optional() };
const oneUrl = (c: { url?: string; urlFile?: string }) => (c.url === undefined) !== (c.urlFile === undefined);
const ONE_URL = { message: 'give exactly one of url or urlFile' };

export const WebhookChannel = z
  .object({
    kind: z.literal('webhook'),
    id: ChannelId,
    roles: Roles,
    ...UrlSource,
    /** HMAC-SHA256 of the body with this file's secret, sent as `x-gateway-signature: sha256=<hex>`. */
    secretFile: z.string().min(1).optional(),
  })
  .refine(oneUrl, ONE_URL);

/** 企业微信 group robot: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=... */
export const WecomChannel = z
  .object({ kind: z.literal('wecom'), id: ChannelId, roles: Roles, ...UrlSource })
  .refine(oneUrl, ONE_URL);

/** 钉钉 group robot: https://oapi.dingtalk.com/robot/send?access_token=...; `secretFile` for 加签. */
export const DingtalkChannel = z
  .object({
    kind: z.literal('dingtalk'),
    id: ChannelId,
    roles: Roles,
    ...UrlSource,
    secretFile: z.string().min(1).optional(),
  })
  .refine(oneUrl, ONE_URL);

export const EmailChannel = z.object({
  kind: z.literal('email'),
  id: ChannelId,
  roles: Roles,
  to: z.array(z.email()).min(1).max(50),
});

export const NotifyChannel = z.union([WebhookChannel, WecomChannel, DingtalkChannel, EmailChannel]);
export type NotifyChannel = z.infer<typeof NotifyChannel>;

export const SmtpConfig = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(25),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  /** Refuse to send unless STARTTLS succeeds. */
  requireTLS: z.boolean().default(false),
  user: z.string().optional(),
  passwordFile: z.string().min(1).optional(),
  from: z.string().min(3).max(320),
});

export const NotificationsConfig = z
  .object({
    /** Alerts at or above this severity are sent out. */
    minSeverity: z.enum(['info', 'warning', 'critical']).default('critical'),
    /** And these rules whatever their severity (R22 overdue uploads, the disk reserve). */
    rules: z.array(z.string().min(1).max(64)).default(['clip-overdue', 'disk-reserve']),
    channels: z.array(NotifyChannel).default([]),
    smtp: SmtpConfig.optional(),
    /** Each delivery is tried this often, waiting baseS x 2^(n-1) (at most maxS) between tries. */
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(50).default(8),
        baseS: z.number().positive().default(2),
        maxS: z.number().positive().default(600),
      })
      .default({ maxAttempts: 8, baseS: 2, maxS: 600 }),
    /** One HTTP request or SMTP exchange may take this long. */
    timeoutS: z.number().positive().max(120).default(15),
    /** Message times are shown in this zone. */
    timeZone: z.string().default('Asia/Shanghai'),
  })
  .refine((n) => !n.channels.some((c) => c.kind === 'email') || n.smtp !== undefined, {
    message: 'an email channel needs notifications.smtp',
    path: ['smtp'],
  })
  .refine((n) => new Set(n.channels.map((c) => c.id)).size === n.channels.length, {
    message: 'channel ids must be unique',
    path: ['channels'],
  });
export type NotificationsConfig = z.infer<typeof NotificationsConfig>;
