/** `gateway central`: the province's view of every office (PROTOCOL.md §7.3). */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { OfficeId } from '../../protocol/upstream/topics.js';
import { HttpConfig } from '../config.js';
import { GatewayError } from '../errors.js';

export const CentralConfig = z.object({
  dataDir: z.string().default('./data-central'),
  timeZone: z.string().default('Asia/Shanghai'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  http: HttpConfig.default(HttpConfig.parse({ port: 8090 })),
  broker: z
    .object({
      /** The province broker (mqtts:// in production). */
      url: z.url().default('mqtt://127.0.0.1:1883'),
      username: z.string().min(1).max(64).default('central'),
      /** A file holding central's password on the broker (never in config). */
      passwordFile: z.string().min(1).optional(),
      caFile: z.string().min(1).optional(),
      /** The persistent session's id: keep it stable, the broker queues for it while central is down. */
      clientId: z.string().min(1).max(64).default('central'),
      reconnectS: z.number().positive().default(5),
    })
    .default({ url: 'mqtt://127.0.0.1:1883', username: 'central', clientId: 'central', reconnectS: 5 }),
  /**
   * The province's archive bucket (the offices' `archive`), read-only for central: originals are
   * read by the version each office reported. Without it the originals are listed, not served.
   */
  archive: z
    .object({
      endpoint: z.url(),
      region: z.string().min(1).max(64).default('us-east-1'),
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{2,62}$/)
        .default('originals'),
      /** JSON `{ "accessKeyId", "secretAccessKey" }` of a read-only user (a secret never sits in config). */
      credentialsFile: z.string().min(1),
    })
    .optional(),
  /** Each office's key fingerprint as recorded on paper; an office not listed is pinned on first use. */
  fingerprints: z.record(OfficeId, z.string().regex(/^[0-9a-f]{64}$/)).default({}),
});
export type CentralConfig = z.infer<typeof CentralConfig>;
export type CentralConfigInput = z.input<typeof CentralConfig>;

export function parseCentralConfig(input: unknown, source = 'config'): CentralConfig {
  const r = CentralConfig.safeParse(input ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GatewayError('CONFIG_INVALID', `${source} is invalid:\n${lines.join('\n')}`);
  }
  return r.data;
}

export async function loadCentralConfig(path?: string): Promise<CentralConfig> {
  if (!path) return parseCentralConfig({});
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new GatewayError('CONFIG_INVALID', `cannot read config ${path}: ${(e as Error).message}`);
  }
  return parseCentralConfig(json, path);
}
