/*
 * Dock link reference codec (PROTOCOL.md section 3), C99, no allocation, no dependencies beyond
 * <stddef.h> and <stdint.h>. Every function works on caller-provided buffers and never reads or
 * writes outside the lengths it is given. Not thread-safe per object; no global mutable state.
 */
#ifndef DOCK_H
#define DOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sizes (section 3.4, 3.6). */
#define DOCK_HEADER_BYTES 4u
#define DOCK_TRAILER_BYTES 4u
#define DOCK_MAX_BODY_BYTES 65536u
#define DOCK_MAX_FRAME_BYTES (DOCK_HEADER_BYTES + DOCK_MAX_BODY_BYTES + DOCK_TRAILER_BYTES)
#define DOCK_MIN_FRAME_BYTES (DOCK_HEADER_BYTES + DOCK_TRAILER_BYTES)
#define DOCK_MAX_CHUNK_BYTES 61440u
#define DOCK_CLIP_ID_BYTES 64u
#define DOCK_READ_BODY_BYTES 76u
#define DOCK_DATA_HEADER_BYTES 80u
#define DOCK_ERROR_HEADER_BYTES 2u
#define DOCK_MAX_ERROR_TEXT_BYTES 1024u
#define DOCK_DATA_FLAG_EOF 0x01u
/* Largest COBS encoding of n bytes (no delimiters), and of a whole frame on the wire. */
#define DOCK_COBS_MAX(n) ((n) + (n) / 254u + 1u)
#define DOCK_WIRE_MAX(body_len) (DOCK_COBS_MAX(DOCK_HEADER_BYTES + (body_len) + DOCK_TRAILER_BYTES) + 2u)
/* Offsets above this are refused (section 3.6.1: receivers may reject values > 2^53-1). */
#define DOCK_MAX_OFFSET 0x1FFFFFFFFFFFFFull

/* Type codes (section 3.7). */
enum dock_type {
  DOCK_HELLO = 0x01, DOCK_HELLO_ACK = 0x81, DOCK_TIME_SYNC = 0x02, DOCK_TIME_SYNC_ACK = 0x82,
  DOCK_PAIR = 0x03, DOCK_PAIR_ACK = 0x83, DOCK_UNPAIR = 0x04, DOCK_UNPAIR_ACK = 0x84,
  DOCK_GET_STATUS = 0x05, DOCK_STATUS = 0x85, DOCK_LIST_CLIPS = 0x06, DOCK_CLIP_LIST = 0x86,
  DOCK_GET_CLIP = 0x07, DOCK_CLIP_INFO = 0x87, DOCK_READ = 0x08, DOCK_DATA = 0x88,
  DOCK_RELEASE = 0x09, DOCK_RELEASE_ACK = 0x89, DOCK_ERROR = 0xFF
};

/* ERROR body codes (section 3.10). */
enum dock_error_code {
  DOCK_EC_UNKNOWN_TYPE = 0x0001, DOCK_EC_BAD_VERSION = 0x0002, DOCK_EC_BAD_BODY = 0x0003,
  DOCK_EC_NOT_READY = 0x0010, DOCK_EC_BUSY = 0x0011, DOCK_EC_NOT_REGISTERED = 0x0012,
  DOCK_EC_NO_SUCH_CLIP = 0x0020, DOCK_EC_OUT_OF_RANGE = 0x0021, DOCK_EC_HASH_MISMATCH = 0x0022,
  DOCK_EC_STORAGE_IO = 0x0023, DOCK_EC_BAD_CURSOR = 0x0024, DOCK_EC_INTERNAL = 0x00FF
};

/* Receive errors (section 3.11). DOCK_OK is "no error". */
enum dock_rx_error {
  DOCK_OK = 0, DOCK_BAD_COBS, DOCK_TOO_SHORT, DOCK_BAD_CHECK, DOCK_OVERSIZE, DOCK_BAD_VERSION,
  DOCK_UNKNOWN_TYPE, DOCK_BAD_BODY, DOCK_BAD_CHUNK_CHECK
};
/* "BAD_COBS" etc.; "?" for an unknown value. */
const char *dock_rx_error_name(int err);

/* ---- CRC-32C (section 3.3): reflected 0x82F63B78, init and xorout 0xFFFFFFFF ---- */
/* Raw register update, table-driven (1 KiB const table in flash). Start with 0xFFFFFFFF, xor the
   result with 0xFFFFFFFF at the end; or use dock_crc32c. */
uint32_t dock_crc32c_update(uint32_t reg, const uint8_t *p, size_t n);
/* The same, bit by bit: no table, about 8x slower. */
uint32_t dock_crc32c_update_bitwise(uint32_t reg, const uint8_t *p, size_t n);
uint32_t dock_crc32c(const uint8_t *p, size_t n);

/* ---- COBS (section 3.2), no delimiters ---- */
/* Encodes n bytes into out (capacity cap); returns the encoded length, or 0 if cap is too small
   (a non-empty encoding is never 0 bytes long). */
size_t dock_cobs_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
/* Decodes; returns the decoded length, or (size_t)-1 if malformed or cap is too small. */
size_t dock_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);

/* ---- Frame encode (section 3.4): 0x00, COBS(header + body + crc), 0x00 ---- */
/* The body is given in up to two parts (e.g. the DATA header and the chunk, copied once).
   HELLO, HELLO_ACK and ERROR are always sent as version 1 whatever `version` says (section 3.5).
   Returns the wire length, or 0 if the body exceeds DOCK_MAX_BODY_BYTES or cap < the wire size
   (DOCK_WIRE_MAX(body length) is always enough). */
size_t dock_frame_encode(uint8_t version, uint8_t type, uint16_t seq, const uint8_t *body1,
                         size_t len1, const uint8_t *body2, size_t len2, uint8_t *out, size_t cap);

/* ---- Binary bodies (section 3.6) ---- */
struct dock_read {
  char clip_id[DOCK_CLIP_ID_BYTES + 1]; /* NUL-terminated */
  uint64_t offset;
  uint32_t length;
};
struct dock_data {
  char clip_id[DOCK_CLIP_ID_BYTES + 1];
  uint64_t offset;
  uint32_t chunk_crc;
  int eof;
  const uint8_t *chunk; /* points into the body given to dock_data_decode */
  size_t chunk_len;
};
struct dock_error_body {
  uint16_t code;
  const uint8_t *text; /* UTF-8 as received (not checked, not NUL-terminated) */
  size_t text_len;
};

/* Decoders return DOCK_OK, DOCK_BAD_BODY or (DATA) DOCK_BAD_CHUNK_CHECK; they check everything the
   layout says: clip id an Id (1-64 of [A-Za-z0-9._:-], NUL-padded, zeros after the first NUL),
   offset <= 2^53-1, READ length 1..61440, DATA chunk <= 61440 and its CRC, ERROR text <= 1024. */
int dock_read_decode(const uint8_t *body, size_t n, struct dock_read *out);
int dock_data_decode(const uint8_t *body, size_t n, struct dock_data *out);
int dock_error_decode(const uint8_t *body, size_t n, struct dock_error_body *out);
/* Encoders return the body length written, or 0 for a value the layout cannot carry (a bad clip
   id, offset > 2^53-1, READ length 0 or > 61440, chunk > 61440, text > 1024). */
size_t dock_read_encode(const char *clip_id, uint64_t offset, uint32_t length,
                        uint8_t out[DOCK_READ_BODY_BYTES]);
/* The 80-byte DATA header for `chunk` (its CRC is computed here); send it and the chunk as the two
   body parts of dock_frame_encode. EOF is set when `eof` is non-zero. */
size_t dock_data_header_encode(const char *clip_id, uint64_t offset, const uint8_t *chunk,
                               size_t chunk_len, int eof, uint8_t out[DOCK_DATA_HEADER_BYTES]);
size_t dock_error_encode(uint16_t code, const uint8_t *text, size_t text_len, uint8_t *out,
                         size_t cap);

/* ---- Incremental receiver (sections 3.2, 3.11) ---- */
/* What one call of dock_parser_feed found. For DOCK_EVENT_FRAME, `body` points into the parser's
   buffer and is valid until the next feed. `has_seq` is set for errors found after a good CRC
   (BAD_VERSION, UNKNOWN_TYPE, BAD_BODY, BAD_CHUNK_CHECK): answer those requests (type < 0x80)
   with ERROR echoing `seq`. READ, DATA and ERROR bodies are checked here (`read`, `data`, `error`
   hold the decoded body); JSON bodies are handed over as bytes for the firmware's JSON parser. */
enum dock_event_kind { DOCK_EVENT_NONE = 0, DOCK_EVENT_FRAME, DOCK_EVENT_ERROR };
struct dock_event {
  int kind;
  int error; /* enum dock_rx_error when kind == DOCK_EVENT_ERROR */
  int has_seq;
  uint8_t version;
  uint8_t type;
  uint16_t seq;
  const uint8_t *body;
  size_t body_len;
  union {
    struct dock_read read;
    struct dock_data data;
    struct dock_error_body error;
  } u;
};

struct dock_parser {
  uint8_t *buf; /* decoded frame; holds at most `cap` bytes */
  size_t cap;   /* DOCK_MAX_FRAME_BYTES for the full protocol; less refuses bigger frames (OVERSIZE) */
  size_t pos;
  unsigned left; /* data bytes left in the current COBS block */
  uint8_t owed, started, skipping;
  uint8_t versions[32]; /* bitmap of header versions accepted for versioned types */
};

/* buf/cap: the frame buffer (cap >= DOCK_MIN_FRAME_BYTES). Accepts version 1 only; add more with
   dock_parser_accept_version. */
void dock_parser_init(struct dock_parser *p, uint8_t *buf, size_t cap);
void dock_parser_accept_version(struct dock_parser *p, uint8_t version);
/* Forgets any partial frame (after the port was reopened). */
void dock_parser_reset(struct dock_parser *p);
/* Consumes bytes of `in` up to and including the first one that completes an event, and returns
   how many it consumed; `ev->kind` says whether an event came (DOCK_EVENT_NONE when all n bytes
   were consumed without one). Call again with the rest until it returns 0 with no event. */
size_t dock_parser_feed(struct dock_parser *p, const uint8_t *in, size_t n, struct dock_event *ev);

#ifdef __cplusplus
}
#endif
#endif /* DOCK_H */
