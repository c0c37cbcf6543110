/** Why a dock request or session ended (typed, with a stable `code`). */
import { dockErrorName } from '../../protocol/dock/index.js';

export type DockLinkErrorCode =
  /** The port closed (unplug, or we closed it). */
  | 'LINK_CLOSED'
  /** No answer after every retransmission (PROTOCOL.md §3.8). */
  | 'LINK_TIMEOUT'
  /** No answer to a request that must not be repeated (TIME_SYNC with adjustMs); the link lives on. */
  | 'NO_ANSWER'
  /** The recorder said HELLO again mid-session: it reset; everything in flight is void. */
  | 'PEER_RESET'
  /** The recorder answered with an ERROR frame. */
  | 'REMOTE_ERROR'
  /** A DATA chunk failed its check more often than we retry. */
  | 'BAD_CHUNKS'
  /** The recorder answered something that does not fit what we asked. */
  | 'PROTOCOL';

export class DockLinkError extends Error {
  override readonly name = 'DockLinkError';
  constructor(
    readonly code: DockLinkErrorCode,
    message: string,
    /** For REMOTE_ERROR: the DockErrorCode number from the ERROR body. */
    readonly remoteCode?: number,
  ) {
    super(message);
  }

  get remoteName(): string | undefined {
    return this.remoteCode === undefined
      ? undefined
      : (dockErrorName(this.remoteCode) ?? `0x${this.remoteCode.toString(16)}`);
  }
}
