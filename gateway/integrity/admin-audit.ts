/**
 * Administration leaves a trace (R3, R21, R24): accounts, recorder registrations and credentials,
 * cameras, and the configuration the gateway runs with. The services that change these take an
 * audit sink and append before the change is stored: no sink, no audit (offline unit use only).
 */
import type { GatewayConfig } from '../config.js';
import { canonicalJson, sha256Hex } from '../store/canonical.js';
import type { AuditInput } from '../store/schema.js';

export type AuditSink = (entry: AuditInput) => Promise<unknown>;

/**
 * SHA-256 of the effective config (defaults filled in) as canonical JSON: the same settings give
 * the same hash whatever the file's layout. Secrets in it (camera passwords) are hashed, never
 * written out.
 */
export function configSha256(config: GatewayConfig): string {
  return sha256Hex(canonicalJson(config));
}

/** `config-loaded`, at each start. */
export function configLoadedEntry(config: GatewayConfig, source: string | undefined): AuditInput {
  return {
    type: 'config-loaded',
    actor: 'gateway',
    subject: 'config:gateway',
    details: {
      sha256: configSha256(config),
      source: source ?? 'embedded defaults',
      pid: process.pid,
      node: process.version,
    },
  };
}

/** A URL as it may be written down: no user name or password in it. */
export function withoutUserinfo(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
