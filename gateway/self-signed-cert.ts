/**
 * `gateway cert self-signed`: a certificate and key for HTTPS (and MQTT over TLS) on a new
 * install, made by the openssl CLI. Browsers warn about a self-signed certificate until it is
 * trusted on each workstation; an office with its own CA should use a certificate from it instead.
 * The key is written owner-only (0600) and never leaves its directory through a wider mode: it is
 * made in a private (0700) temp directory and renamed into place.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GatewayError } from './errors.js';

const run = promisify(execFile);

export interface SelfSignedOptions {
  certFile: string;
  keyFile: string;
  /** Host names and IP addresses the dashboard is reached by (subjectAltName). */
  hosts: string[];
  days: number;
  /** Replace existing files. */
  force?: boolean;
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

export async function makeSelfSignedCert(
  o: SelfSignedOptions,
): Promise<{ certFile: string; keyFile: string }> {
  const certFile = resolve(o.certFile);
  const keyFile = resolve(o.keyFile);
  if (!o.hosts.length) throw new GatewayError('BAD_REQUEST', 'give at least one host name or address');
  for (const h of o.hosts) {
    if (!isIP(h) && !HOST.test(h)) throw new GatewayError('BAD_REQUEST', `not a host name or address: ${h}`);
  }
  if (!o.force) {
    for (const f of [certFile, keyFile]) {
      if (
        await stat(f).then(
          () => true,
          () => false,
        )
      ) {
        throw new GatewayError('CONFLICT', `${f} exists (give --force to replace it)`);
      }
    }
  }
  await mkdir(dirname(keyFile), { recursive: true });
  await mkdir(dirname(certFile), { recursive: true });
  const tmp = await mkdtemp(join(dirname(keyFile), '.cert-'));
  try {
    await chmod(tmp, 0o700);
    const san = o.hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    const [tmpKey, tmpCert] = [join(tmp, 'key.pem'), join(tmp, 'cert.pem')];
    try {
      await run(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          tmpKey,
          '-out',
          tmpCert,
          '-days',
          String(o.days),
          '-subj',
          `/CN=${o.hosts[0]}`,
          '-addext',
          `subjectAltName=${san}`,
        ],
        { timeout: 30_000 },
      );
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === 'ENOENT') throw new GatewayError('UNAVAILABLE', 'openssl not found: install openssl');
      throw new GatewayError(
        'INTERNAL',
        `openssl failed: ${(err.stderr ?? err.message).trim().slice(0, 300)}`,
      );
    }
    await chmod(tmpKey, 0o600);
    await chmod(tmpCert, 0o644);
    await rename(tmpKey, keyFile);
    await rename(tmpCert, certFile);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { certFile, keyFile };
}
