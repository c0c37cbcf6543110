/** Dock link numbers shared by gateway, simulator and firmware (PROTOCOL.md §3). */

/** Dock-link protocol versions this implementation speaks (header byte 0). */
export const DOCK_VERSIONS: readonly number[] = [1];
export const DOCK_VERSION = 1;

/** Frame header: version u8, type u8, seq u16 LE. */
export const HEADER_BYTES = 4;
/** CRC-32C trailer, u32 LE. */
export const TRAILER_BYTES = 4;
/** Largest body (PROTOCOL.md §3.4). */
export const MAX_BODY_BYTES = 65_536;
/** Largest decoded frame: header + body + CRC. No receiver buffers more than this per frame. */
export const MAX_FRAME_BYTES = HEADER_BYTES + MAX_BODY_BYTES + TRAILER_BYTES;
/** Largest frame on the wire: leading 0x00 + COBS(frame) + trailing 0x00. */
export const MAX_WIRE_BYTES = 1 + MAX_FRAME_BYTES + Math.floor(MAX_FRAME_BYTES / 254) + 1 + 1;
/** Smallest decoded frame: header + empty body + CRC. */
export const MIN_FRAME_BYTES = HEADER_BYTES + TRAILER_BYTES;

/** Fixed binary layouts (PROTOCOL.md §3.6). */
export const CLIP_ID_BYTES = 64;
export const READ_BODY_BYTES = CLIP_ID_BYTES + 8 + 4;
export const DATA_HEADER_BYTES = CLIP_ID_BYTES + 8 + 4 + 1 + 3;
export const ERROR_HEADER_BYTES = 2;
export const MAX_ERROR_TEXT_BYTES = 1024;
/** Largest READ length / DATA chunk: 60 KiB, leaving room in a 64 KiB body for the DATA header. */
export const MAX_CHUNK_BYTES = 61_440;
/** DATA flags. */
export const DATA_FLAG_EOF = 0x01;

/** Message type codes (header byte 1). A response's code is its request's code | 0x80. */
export const DockType = {
  HELLO: 0x01,
  HELLO_ACK: 0x81,
  TIME_SYNC: 0x02,
  TIME_SYNC_ACK: 0x82,
  PAIR: 0x03,
  PAIR_ACK: 0x83,
  UNPAIR: 0x04,
  UNPAIR_ACK: 0x84,
  GET_STATUS: 0x05,
  STATUS: 0x85,
  LIST_CLIPS: 0x06,
  CLIP_LIST: 0x86,
  GET_CLIP: 0x07,
  CLIP_INFO: 0x87,
  READ: 0x08,
  DATA: 0x88,
  RELEASE: 0x09,
  RELEASE_ACK: 0x89,
  ERROR: 0xff,
} as const;
export type DockTypeName = keyof typeof DockType;

/** The name of a code in a table of codes; undefined for a code the table does not have. */
function namer<T extends Record<string, number>>(table: T): (code: number) => (keyof T & string) | undefined {
  const byCode = new Map(Object.entries(table).map(([name, code]) => [code, name as keyof T & string]));
  return (code) => byCode.get(code);
}

export const dockTypeName: (code: number) => DockTypeName | undefined = namer(DockType);

/** Types whose layout is frozen across versions and always sent with header version 1 (§3.5). */
export const VERSIONLESS_TYPES: ReadonlySet<DockTypeName> = new Set(['HELLO', 'HELLO_ACK', 'ERROR']);

/** Numeric codes carried in an ERROR body (PROTOCOL.md §3.10). */
export const DockErrorCode = {
  UNKNOWN_TYPE: 0x0001,
  BAD_VERSION: 0x0002,
  BAD_BODY: 0x0003,
  NOT_READY: 0x0010,
  BUSY: 0x0011,
  NOT_REGISTERED: 0x0012,
  NO_SUCH_CLIP: 0x0020,
  OUT_OF_RANGE: 0x0021,
  HASH_MISMATCH: 0x0022,
  STORAGE_IO: 0x0023,
  BAD_CURSOR: 0x0024,
  INTERNAL: 0x00ff,
} as const;
export type DockErrorCodeName = keyof typeof DockErrorCode;

export const dockErrorName: (code: number) => DockErrorCodeName | undefined = namer(DockErrorCode);

/** Timing and pipeline defaults (PROTOCOL.md §3.8). */
export const DockTiming = {
  /** Recorder: repeat HELLO until HELLO_ACK. */
  HELLO_RETRY_MS: 1000,
  /** Gateway: a request without its response after this long is retransmitted. */
  RESPONSE_TIMEOUT_MS: 2000,
  /** Gateway: retransmissions of one request before the link is declared dead. */
  MAX_RETRIES: 3,
  /** Gateway: idle keepalive (GET_STATUS) period once READY. */
  KEEPALIVE_MS: 2000,
  /** Recorder: no frame from the gateway for this long => back to sending HELLO. */
  LINK_TIMEOUT_MS: 6000,
  /**
   * Gateway default READ length and window (bounded by the recorder's HELLO): 32 x 60 KiB beat
   * 8 x 32 KiB by ~15 % on PTYs (bench/ingest.ts).
   */
  READ_BYTES: 61_440,
  WINDOW: 32,
  /** Time-sync samples with a longer round trip are discarded (§3.9.2). */
  MAX_SYNC_RTT_MS: 200,
  /** Gateway: fetches of one clip whose SHA-256 mismatches before it is quarantined (§3.9.3). */
  MAX_HASH_FETCHES: 3,
  /** Largest clock step a single TIME_SYNC may apply: ±10 years. */
  MAX_ADJUST_MS: 10 * 366 * 86_400_000,
  /** Clock offsets at or below this are left alone. */
  SYNC_TOLERANCE_MS: 50,
} as const;
