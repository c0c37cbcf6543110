/**
 * A stand-in for the custody service until it is wired in: real log line bytes, but an unsigned
 * checkpoint and empty proofs. Only the export tests that do not verify signatures use it.
 */
import { readFile } from 'node:fs/promises';
import type { Checkpoint, CustodyPort } from '../../gateway/exports/custody-port.js';
import { renderPdf } from '../../gateway/pdf/document.js';
import type { AuditLog } from '../../gateway/store/index.js';

export function fakeCustody(audit: () => AuditLog): CustodyPort {
  const lines = async () => (await readFile(audit().file, 'utf8')).split('\n').filter(Boolean);
  return {
    gatewayId: () => 'gw-test',
    async issueCheckpoint() {
      const treeSize = audit().head.seq;
      return {
        v: 1,
        origin: 'gw-test',
        treeSize,
        rootHash: '0'.repeat(64),
        at: new Date().toISOString(),
        keyId: '0'.repeat(64),
        signature: '',
      } satisfies Checkpoint;
    },
    async leafInput(seq) {
      return Buffer.from((await lines())[seq - 1]!, 'utf8');
    },
    async inclusionProof() {
      return [];
    },
    async publicKeyJson() {
      return JSON.stringify({ v: 1, alg: 'Ed25519', publicKey: '', fingerprint: '0'.repeat(64) });
    },
    renderCustodyReceipt: (cp) =>
      renderPdf({ title: 'receipt' }, (doc) => void doc.text(`托管凭证 ${cp.treeSize}`)),
  };
}
