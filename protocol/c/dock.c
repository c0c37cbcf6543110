/*
 * Dock link reference codec (PROTOCOL.md section 3). See dock.h for the contract and README.md for
 * how to vendor it. C99; no allocation; every loop is bounded by a length the caller gave.
 */
#include "dock.h"

const char *dock_rx_error_name(int err) {
  switch (err) {
    case DOCK_OK: return "OK";
    case DOCK_BAD_COBS: return "BAD_COBS";
    case DOCK_TOO_SHORT: return "TOO_SHORT";
    case DOCK_BAD_CHECK: return "BAD_CHECK";
    case DOCK_OVERSIZE: return "OVERSIZE";
    case DOCK_BAD_VERSION: return "BAD_VERSION";
    case DOCK_UNKNOWN_TYPE: return "UNKNOWN_TYPE";
    case DOCK_BAD_BODY: return "BAD_BODY";
    case DOCK_BAD_CHUNK_CHECK: return "BAD_CHUNK_CHECK";
    default: return "?";
  }
}

/* ---- CRC-32C ---- */

static const uint32_t crc_table[256] = {
  0x00000000u, 0xF26B8303u, 0xE13B70F7u, 0x1350F3F4u, 0xC79A971Fu, 0x35F1141Cu,
  0x26A1E7E8u, 0xD4CA64EBu, 0x8AD958CFu, 0x78B2DBCCu, 0x6BE22838u, 0x9989AB3Bu,
  0x4D43CFD0u, 0xBF284CD3u, 0xAC78BF27u, 0x5E133C24u, 0x105EC76Fu, 0xE235446Cu,
  0xF165B798u, 0x030E349Bu, 0xD7C45070u, 0x25AFD373u, 0x36FF2087u, 0xC494A384u,
  0x9A879FA0u, 0x68EC1CA3u, 0x7BBCEF57u, 0x89D76C54u, 0x5D1D08BFu, 0xAF768BBCu,
  0xBC267848u, 0x4E4DFB4Bu, 0x20BD8EDEu, 0xD2D60DDDu, 0xC186FE29u, 0x33ED7D2Au,
  0xE72719C1u, 0x154C9AC2u, 0x061C6936u, 0xF477EA35u, 0xAA64D611u, 0x580F5512u,
  0x4B5FA6E6u, 0xB93425E5u, 0x6DFE410Eu, 0x9F95C20Du, 0x8CC531F9u, 0x7EAEB2FAu,
  0x30E349B1u, 0xC288CAB2u, 0xD1D83946u, 0x23B3BA45u, 0xF779DEAEu, 0x05125DADu,
  0x1642AE59u, 0xE4292D5Au, 0xBA3A117Eu, 0x4851927Du, 0x5B016189u, 0xA96AE28Au,
  0x7DA08661u, 0x8FCB0562u, 0x9C9BF696u, 0x6EF07595u, 0x417B1DBCu, 0xB3109EBFu,
  0xA0406D4Bu, 0x522BEE48u, 0x86E18AA3u, 0x748A09A0u, 0x67DAFA54u, 0x95B17957u,
  0xCBA24573u, 0x39C9C670u, 0x2A993584u, 0xD8F2B687u, 0x0C38D26Cu, 0xFE53516Fu,
  0xED03A29Bu, 0x1F682198u, 0x5125DAD3u, 0xA34E59D0u, 0xB01EAA24u, 0x42752927u,
  0x96BF4DCCu, 0x64D4CECFu, 0x77843D3Bu, 0x85EFBE38u, 0xDBFC821Cu, 0x2997011Fu,
  0x3AC7F2EBu, 0xC8AC71E8u, 0x1C661503u, 0xEE0D9600u, 0xFD5D65F4u, 0x0F36E6F7u,
  0x61C69362u, 0x93AD1061u, 0x80FDE395u, 0x72966096u, 0xA65C047Du, 0x5437877Eu,
  0x4767748Au, 0xB50CF789u, 0xEB1FCBADu, 0x197448AEu, 0x0A24BB5Au, 0xF84F3859u,
  0x2C855CB2u, 0xDEEEDFB1u, 0xCDBE2C45u, 0x3FD5AF46u, 0x7198540Du, 0x83F3D70Eu,
  0x90A324FAu, 0x62C8A7F9u, 0xB602C312u, 0x44694011u, 0x5739B3E5u, 0xA55230E6u,
  0xFB410CC2u, 0x092A8FC1u, 0x1A7A7C35u, 0xE811FF36u, 0x3CDB9BDDu, 0xCEB018DEu,
  0xDDE0EB2Au, 0x2F8B6829u, 0x82F63B78u, 0x709DB87Bu, 0x63CD4B8Fu, 0x91A6C88Cu,
  0x456CAC67u, 0xB7072F64u, 0xA457DC90u, 0x563C5F93u, 0x082F63B7u, 0xFA44E0B4u,
  0xE9141340u, 0x1B7F9043u, 0xCFB5F4A8u, 0x3DDE77ABu, 0x2E8E845Fu, 0xDCE5075Cu,
  0x92A8FC17u, 0x60C37F14u, 0x73938CE0u, 0x81F80FE3u, 0x55326B08u, 0xA759E80Bu,
  0xB4091BFFu, 0x466298FCu, 0x1871A4D8u, 0xEA1A27DBu, 0xF94AD42Fu, 0x0B21572Cu,
  0xDFEB33C7u, 0x2D80B0C4u, 0x3ED04330u, 0xCCBBC033u, 0xA24BB5A6u, 0x502036A5u,
  0x4370C551u, 0xB11B4652u, 0x65D122B9u, 0x97BAA1BAu, 0x84EA524Eu, 0x7681D14Du,
  0x2892ED69u, 0xDAF96E6Au, 0xC9A99D9Eu, 0x3BC21E9Du, 0xEF087A76u, 0x1D63F975u,
  0x0E330A81u, 0xFC588982u, 0xB21572C9u, 0x407EF1CAu, 0x532E023Eu, 0xA145813Du,
  0x758FE5D6u, 0x87E466D5u, 0x94B49521u, 0x66DF1622u, 0x38CC2A06u, 0xCAA7A905u,
  0xD9F75AF1u, 0x2B9CD9F2u, 0xFF56BD19u, 0x0D3D3E1Au, 0x1E6DCDEEu, 0xEC064EEDu,
  0xC38D26C4u, 0x31E6A5C7u, 0x22B65633u, 0xD0DDD530u, 0x0417B1DBu, 0xF67C32D8u,
  0xE52CC12Cu, 0x1747422Fu, 0x49547E0Bu, 0xBB3FFD08u, 0xA86F0EFCu, 0x5A048DFFu,
  0x8ECEE914u, 0x7CA56A17u, 0x6FF599E3u, 0x9D9E1AE0u, 0xD3D3E1ABu, 0x21B862A8u,
  0x32E8915Cu, 0xC083125Fu, 0x144976B4u, 0xE622F5B7u, 0xF5720643u, 0x07198540u,
  0x590AB964u, 0xAB613A67u, 0xB831C993u, 0x4A5A4A90u, 0x9E902E7Bu, 0x6CFBAD78u,
  0x7FAB5E8Cu, 0x8DC0DD8Fu, 0xE330A81Au, 0x115B2B19u, 0x020BD8EDu, 0xF0605BEEu,
  0x24AA3F05u, 0xD6C1BC06u, 0xC5914FF2u, 0x37FACCF1u, 0x69E9F0D5u, 0x9B8273D6u,
  0x88D28022u, 0x7AB90321u, 0xAE7367CAu, 0x5C18E4C9u, 0x4F48173Du, 0xBD23943Eu,
  0xF36E6F75u, 0x0105EC76u, 0x12551F82u, 0xE03E9C81u, 0x34F4F86Au, 0xC69F7B69u,
  0xD5CF889Du, 0x27A40B9Eu, 0x79B737BAu, 0x8BDCB4B9u, 0x988C474Du, 0x6AE7C44Eu,
  0xBE2DA0A5u, 0x4C4623A6u, 0x5F16D052u, 0xAD7D5351u,
};

uint32_t dock_crc32c_update(uint32_t reg, const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) reg = crc_table[(reg ^ p[i]) & 0xFFu] ^ (reg >> 8);
  return reg;
}

uint32_t dock_crc32c_update_bitwise(uint32_t reg, const uint8_t *p, size_t n) {
  size_t i;
  int k;
  for (i = 0; i < n; i++) {
    reg ^= p[i];
    for (k = 0; k < 8; k++) reg = (reg >> 1) ^ (0x82F63B78u & (0u - (reg & 1u)));
  }
  return reg;
}

uint32_t dock_crc32c(const uint8_t *p, size_t n) {
  return dock_crc32c_update(0xFFFFFFFFu, p, n) ^ 0xFFFFFFFFu;
}

/* ---- COBS ---- */

/* Streaming encoder state: writes into out[0, cap); `fail` once anything did not fit. */
struct cobs_w {
  uint8_t *out;
  size_t cap, o, code_at;
  unsigned code;
  int open, fail;
};

static void cw_put(struct cobs_w *w, size_t at, uint8_t b) {
  if (at < w->cap) w->out[at] = b;
  else w->fail = 1;
}

static void cw_start(struct cobs_w *w, uint8_t *out, size_t cap, size_t at) {
  w->out = out;
  w->cap = cap;
  w->o = at;
  w->code_at = w->o++;
  w->code = 1;
  w->open = 1;
  w->fail = 0;
}

static void cw_byte(struct cobs_w *w, uint8_t b) {
  if (!w->open) {
    w->code_at = w->o++;
    w->code = 1;
    w->open = 1;
  }
  if (b == 0) {
    cw_put(w, w->code_at, (uint8_t)w->code);
    w->code_at = w->o++;
    w->code = 1;
    return;
  }
  cw_put(w, w->o++, b);
  w->code++;
  if (w->code == 0xFFu) {
    cw_put(w, w->code_at, 0xFF);
    w->open = 0;
  }
}

static void cw_bytes(struct cobs_w *w, const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n && !w->fail; i++) cw_byte(w, p[i]);
}

/* Closes the last block; returns the position after it. */
static size_t cw_end(struct cobs_w *w) {
  if (w->open) cw_put(w, w->code_at, (uint8_t)w->code);
  return w->o;
}

size_t dock_cobs_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  struct cobs_w w;
  size_t len;
  if (cap == 0) return 0;
  cw_start(&w, out, cap, 0);
  cw_bytes(&w, in, n);
  len = cw_end(&w);
  return w.fail || len > cap ? 0 : len;
}

size_t dock_cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  size_t i = 0, o = 0;
  int zero = 0;
  while (i < n) {
    unsigned code = in[i++];
    size_t end;
    if (code == 0) return (size_t)-1;
    if (zero) {
      if (o >= cap) return (size_t)-1;
      out[o++] = 0;
    }
    if ((size_t)(code - 1u) > n - i) return (size_t)-1;
    end = i + (code - 1u);
    for (; i < end; i++) {
      if (in[i] == 0 || o >= cap) return (size_t)-1;
      out[o++] = in[i];
    }
    zero = code != 0xFFu;
  }
  return o;
}

/* ---- Frames ---- */

static int versionless(uint8_t type) {
  return type == DOCK_HELLO || type == DOCK_HELLO_ACK || type == DOCK_ERROR;
}

static int known_type(uint8_t t) {
  return (t >= 0x01 && t <= 0x09) || (t >= 0x81 && t <= 0x89) || t == 0xFF;
}

size_t dock_frame_encode(uint8_t version, uint8_t type, uint16_t seq, const uint8_t *body1,
                         size_t len1, const uint8_t *body2, size_t len2, uint8_t *out, size_t cap) {
  uint8_t header[DOCK_HEADER_BYTES], trailer[DOCK_TRAILER_BYTES];
  uint32_t crc;
  struct cobs_w w;
  size_t end;
  if (len1 > DOCK_MAX_BODY_BYTES || len2 > DOCK_MAX_BODY_BYTES - len1) return 0;
  if ((len1 > 0 && body1 == NULL) || (len2 > 0 && body2 == NULL)) return 0;
  if (cap < 2) return 0;
  header[0] = versionless(type) ? 1u : version;
  header[1] = type;
  header[2] = (uint8_t)(seq & 0xFFu);
  header[3] = (uint8_t)(seq >> 8);
  crc = dock_crc32c_update(0xFFFFFFFFu, header, sizeof header);
  if (len1 > 0) crc = dock_crc32c_update(crc, body1, len1);
  if (len2 > 0) crc = dock_crc32c_update(crc, body2, len2);
  crc ^= 0xFFFFFFFFu;
  trailer[0] = (uint8_t)(crc & 0xFFu);
  trailer[1] = (uint8_t)((crc >> 8) & 0xFFu);
  trailer[2] = (uint8_t)((crc >> 16) & 0xFFu);
  trailer[3] = (uint8_t)(crc >> 24);
  out[0] = 0; /* the leading delimiter ends any garbage before the frame (section 3.2) */
  cw_start(&w, out, cap, 1);
  cw_bytes(&w, header, sizeof header);
  if (len1 > 0) cw_bytes(&w, body1, len1);
  if (len2 > 0) cw_bytes(&w, body2, len2);
  cw_bytes(&w, trailer, sizeof trailer);
  end = cw_end(&w);
  if (w.fail || end >= cap) return 0;
  out[end] = 0;
  return end + 1;
}

/* ---- Binary bodies ---- */

static uint32_t rd32(const uint8_t *b) {
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static uint64_t rd64(const uint8_t *b) {
  return (uint64_t)rd32(b) | ((uint64_t)rd32(b + 4) << 32);
}

static void wr32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)(v & 0xFFu);
  b[1] = (uint8_t)((v >> 8) & 0xFFu);
  b[2] = (uint8_t)((v >> 16) & 0xFFu);
  b[3] = (uint8_t)(v >> 24);
}

static void wr64(uint8_t *b, uint64_t v) {
  wr32(b, (uint32_t)(v & 0xFFFFFFFFu));
  wr32(b + 4, (uint32_t)(v >> 32));
}

static int id_char(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

/* The NUL-padded clip id field (section 3.6.1); 0 if malformed. */
static int clip_id_read(const uint8_t *b, char out[DOCK_CLIP_ID_BYTES + 1]) {
  size_t n = 0, i;
  while (n < DOCK_CLIP_ID_BYTES && b[n] != 0) n++;
  if (n == 0) return 0;
  for (i = n; i < DOCK_CLIP_ID_BYTES; i++)
    if (b[i] != 0) return 0;
  for (i = 0; i < n; i++) {
    if (!id_char(b[i])) return 0;
    out[i] = (char)b[i];
  }
  out[n] = '\0';
  return 1;
}

/* Writes the padded field; 0 if `id` is not an Id. */
static int clip_id_write(const char *id, uint8_t *b) {
  size_t n = 0, i;
  if (id == NULL) return 0;
  while (n <= DOCK_CLIP_ID_BYTES && id[n] != '\0') n++;
  if (n == 0 || n > DOCK_CLIP_ID_BYTES) return 0;
  for (i = 0; i < n; i++)
    if (!id_char((uint8_t)id[i])) return 0;
  for (i = 0; i < DOCK_CLIP_ID_BYTES; i++) b[i] = i < n ? (uint8_t)id[i] : 0u;
  return 1;
}

int dock_read_decode(const uint8_t *body, size_t n, struct dock_read *out) {
  if (n != DOCK_READ_BODY_BYTES) return DOCK_BAD_BODY;
  if (!clip_id_read(body, out->clip_id)) return DOCK_BAD_BODY;
  out->offset = rd64(body + 64);
  if (out->offset > DOCK_MAX_OFFSET) return DOCK_BAD_BODY;
  out->length = rd32(body + 72);
  if (out->length < 1 || out->length > DOCK_MAX_CHUNK_BYTES) return DOCK_BAD_BODY;
  return DOCK_OK;
}

int dock_data_decode(const uint8_t *body, size_t n, struct dock_data *out) {
  if (n < DOCK_DATA_HEADER_BYTES) return DOCK_BAD_BODY;
  if (n - DOCK_DATA_HEADER_BYTES > DOCK_MAX_CHUNK_BYTES) return DOCK_BAD_BODY;
  if (!clip_id_read(body, out->clip_id)) return DOCK_BAD_BODY;
  out->offset = rd64(body + 64);
  if (out->offset > DOCK_MAX_OFFSET) return DOCK_BAD_BODY;
  out->chunk_crc = rd32(body + 72);
  /* Reserved flag bits and bytes 77..79 are ignored (senders write 0). */
  out->eof = (body[76] & DOCK_DATA_FLAG_EOF) != 0;
  out->chunk = body + DOCK_DATA_HEADER_BYTES;
  out->chunk_len = n - DOCK_DATA_HEADER_BYTES;
  if (dock_crc32c(out->chunk, out->chunk_len) != out->chunk_crc) return DOCK_BAD_CHUNK_CHECK;
  return DOCK_OK;
}

int dock_error_decode(const uint8_t *body, size_t n, struct dock_error_body *out) {
  if (n < DOCK_ERROR_HEADER_BYTES || n > DOCK_ERROR_HEADER_BYTES + DOCK_MAX_ERROR_TEXT_BYTES)
    return DOCK_BAD_BODY;
  out->code = (uint16_t)(body[0] | (body[1] << 8));
  out->text = body + DOCK_ERROR_HEADER_BYTES;
  out->text_len = n - DOCK_ERROR_HEADER_BYTES;
  return DOCK_OK;
}

size_t dock_read_encode(const char *clip_id, uint64_t offset, uint32_t length,
                        uint8_t out[DOCK_READ_BODY_BYTES]) {
  if (offset > DOCK_MAX_OFFSET || length < 1 || length > DOCK_MAX_CHUNK_BYTES) return 0;
  if (!clip_id_write(clip_id, out)) return 0;
  wr64(out + 64, offset);
  wr32(out + 72, length);
  return DOCK_READ_BODY_BYTES;
}

size_t dock_data_header_encode(const char *clip_id, uint64_t offset, const uint8_t *chunk,
                               size_t chunk_len, int eof, uint8_t out[DOCK_DATA_HEADER_BYTES]) {
  if (offset > DOCK_MAX_OFFSET || chunk_len > DOCK_MAX_CHUNK_BYTES) return 0;
  if (chunk_len > 0 && chunk == NULL) return 0;
  if (!clip_id_write(clip_id, out)) return 0;
  wr64(out + 64, offset);
  wr32(out + 72, chunk_len > 0 ? dock_crc32c(chunk, chunk_len) : 0u);
  out[76] = eof ? DOCK_DATA_FLAG_EOF : 0u;
  out[77] = out[78] = out[79] = 0;
  return DOCK_DATA_HEADER_BYTES;
}

size_t dock_error_encode(uint16_t code, const uint8_t *text, size_t text_len, uint8_t *out,
                         size_t cap) {
  size_t i;
  if (text_len > DOCK_MAX_ERROR_TEXT_BYTES || cap < DOCK_ERROR_HEADER_BYTES + text_len) return 0;
  if (text_len > 0 && text == NULL) return 0;
  out[0] = (uint8_t)(code & 0xFFu);
  out[1] = (uint8_t)(code >> 8);
  for (i = 0; i < text_len; i++) out[DOCK_ERROR_HEADER_BYTES + i] = text[i];
  return DOCK_ERROR_HEADER_BYTES + text_len;
}

/* ---- Incremental receiver ---- */

void dock_parser_reset(struct dock_parser *p) {
  p->pos = 0;
  p->left = 0;
  p->owed = 0;
  p->started = 0;
  p->skipping = 0;
}

void dock_parser_init(struct dock_parser *p, uint8_t *buf, size_t cap) {
  size_t i;
  p->buf = buf;
  p->cap = cap;
  for (i = 0; i < sizeof p->versions; i++) p->versions[i] = 0;
  dock_parser_accept_version(p, 1);
  dock_parser_reset(p);
}

void dock_parser_accept_version(struct dock_parser *p, uint8_t version) {
  p->versions[version >> 3] = (uint8_t)(p->versions[version >> 3] | (1u << (version & 7u)));
}

static int accepts(const struct dock_parser *p, uint8_t version) {
  return (p->versions[version >> 3] >> (version & 7u)) & 1u;
}

static void rx_error(struct dock_event *ev, int err) {
  ev->kind = DOCK_EVENT_ERROR;
  ev->error = err;
}

/* A whole decoded frame in buf[0, pos): checks in the order of section 3.5. */
static void finish(struct dock_parser *p, struct dock_event *ev) {
  const uint8_t *f = p->buf;
  size_t n = p->pos, body_len;
  int ok, r = DOCK_OK;
  if (n < DOCK_MIN_FRAME_BYTES) {
    rx_error(ev, DOCK_TOO_SHORT);
    return;
  }
  if (dock_crc32c(f, n - DOCK_TRAILER_BYTES) != rd32(f + n - DOCK_TRAILER_BYTES)) {
    rx_error(ev, DOCK_BAD_CHECK);
    return;
  }
  ev->version = f[0];
  ev->type = f[1];
  ev->seq = (uint16_t)(f[2] | (f[3] << 8));
  ev->has_seq = 1;
  body_len = n - DOCK_HEADER_BYTES - DOCK_TRAILER_BYTES;
  ev->body = f + DOCK_HEADER_BYTES;
  ev->body_len = body_len;
  ok = known_type(f[1]) && versionless(f[1]) ? f[0] == 1 : accepts(p, f[0]);
  if (!ok) {
    rx_error(ev, DOCK_BAD_VERSION);
    return;
  }
  if (!known_type(f[1])) {
    rx_error(ev, DOCK_UNKNOWN_TYPE);
    return;
  }
  if (f[1] == DOCK_READ) r = dock_read_decode(ev->body, body_len, &ev->u.read);
  else if (f[1] == DOCK_DATA) r = dock_data_decode(ev->body, body_len, &ev->u.data);
  else if (f[1] == DOCK_ERROR) r = dock_error_decode(ev->body, body_len, &ev->u.error);
  if (r != DOCK_OK) {
    rx_error(ev, r);
    return;
  }
  ev->kind = DOCK_EVENT_FRAME;
}

size_t dock_parser_feed(struct dock_parser *p, const uint8_t *in, size_t n, struct dock_event *ev) {
  size_t i = 0;
  ev->kind = DOCK_EVENT_NONE;
  ev->error = DOCK_OK;
  ev->has_seq = 0;
  ev->body = NULL;
  ev->body_len = 0;
  while (i < n) {
    uint8_t b = in[i++];
    if (p->skipping) { /* after OVERSIZE: wait for the next 0x00 */
      if (b == 0) dock_parser_reset(p);
      continue;
    }
    if (p->left == 0) { /* a code byte or a delimiter */
      if (b == 0) {
        int had = p->started;
        if (had) finish(p, ev);
        dock_parser_reset(p);
        if (had) return i;
        continue;
      }
      p->started = 1;
      if (p->owed) {
        if (p->pos >= p->cap) {
          dock_parser_reset(p);
          p->skipping = 1;
          rx_error(ev, DOCK_OVERSIZE);
          return i;
        }
        p->buf[p->pos++] = 0;
      }
      p->owed = b != 0xFFu;
      p->left = (unsigned)b - 1u;
      continue;
    }
    if (b == 0) { /* 0x00 inside a block: the frame was cut short; resync here */
      dock_parser_reset(p);
      rx_error(ev, DOCK_BAD_COBS);
      return i;
    }
    if (p->pos >= p->cap) {
      dock_parser_reset(p);
      p->skipping = 1;
      rx_error(ev, DOCK_OVERSIZE);
      return i;
    }
    p->buf[p->pos++] = b;
    p->left--;
  }
  return i;
}
