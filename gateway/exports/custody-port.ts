/**
 * What an evidence disc needs from the custody service (gateway/custody, FORMATS.md §1-2): a fresh
 * signed checkpoint, the exact bytes of log lines, inclusion proofs to that checkpoint, the public
 * key file and the printable custody receipt. The export code depends on this port only.
 */
export interface Checkpoint {
  v: 1;
  origin: string;
  treeSize: number;
  rootHash: string;
  at: string;
  keyId: string;
  signature: string;
}

export interface CustodyPort {
  /** The gateway id checkpoints carry as `origin`. */
  gatewayId(): string;
  /** Signs a checkpoint over the whole log as it is now (and sends it to the witnesses). */
  issueCheckpoint(reason: string, actor: string): Promise<Checkpoint>;
  /** Leaf inputs of entries `seqs`: the exact bytes of each line, without the newline (FORMATS.md §1). */
  leafInputs(seqs: readonly number[]): Promise<Buffer[]>;
  /** RFC 9162 §2.1.3 audit paths of leaves `seq - 1` in the tree of `treeSize`, lowercase hex. */
  inclusionProofs(seqs: readonly number[], treeSize: number): Promise<string[][]>;
  /** `gateway-key.json` as it goes on a disc (FORMATS.md §2). */
  publicKeyJson(): Promise<string>;
  /** The one-page custody receipt (托管凭证) of a checkpoint, PDF. */
  renderCustodyReceipt(cp: Checkpoint): Promise<Buffer>;
}
