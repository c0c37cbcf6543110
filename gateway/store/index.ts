/** The store's public API (see clip-store.ts for the ingest sequence). */
export { AuditLog, type AuditLogOptions, type AuditReport, entryHash, GENESIS_HASH } from './audit-log.js';
export { canonicalJson, sha256Hex } from './canonical.js';
export { ClipIndex, type ClipQuery, type TimeRange } from './clip-index.js';
export {
  type AccessedClip,
  type ActorOpt,
  type BlobRef,
  ClipStore,
  type ClipStoreOptions,
  clipSubject,
  type OpenedClip,
  type TempTransfer,
  type TempWriterRequest,
} from './clip-store.js';
export { DiskReserve, type DiskStatus } from './disk-reserve.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { hashFile, RateLimit } from './hash-file.js';
export { type Area, StoreLayout } from './layout.js';
export { isOnHold, type RetireAction } from './legal-hold.js';
export { clipState, deadlineOf, isPending } from './records.js';
export type { ReindexReport } from './reindex.js';
export * from './schema.js';
export { type FinishedTransfer, TempWriter } from './temp-writer.js';
export type { BlobReport, VerifyReport } from './verify.js';
