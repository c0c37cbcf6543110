/*
 * Test harness for the C codec (not part of what firmware vendors). Two modes:
 *   harness parse FILE  — FILE is records [u8 kind][u32 LE len][len bytes]; kind 0 feeds the bytes
 *                         (in pseudo-random pieces), kind 1 resets the parser and prints "RESET".
 *                         Prints one line per event (format in test/protocol/c-codec.ts).
 *   harness cmd         — reads commands on stdin, one per line, prints one result line each:
 *                         crc HEX | crcbit HEX | cobs HEX | uncobs HEX | frame V T S BODYHEX |
 *                         read ID OFF LEN | data ID OFF EOF CHUNKHEX | error CODE TEXTHEX
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dock.h"

static uint8_t frame_buf[DOCK_MAX_FRAME_BYTES];

static void print_event(const struct dock_event *ev) {
  if (ev->kind == DOCK_EVENT_FRAME) {
    printf("F %u %u %u", ev->version, ev->type, ev->seq);
    if (ev->type == DOCK_READ)
      printf(" R %s %llu %lu\n", ev->u.read.clip_id, (unsigned long long)ev->u.read.offset,
             (unsigned long)ev->u.read.length);
    else if (ev->type == DOCK_DATA)
      printf(" D %s %llu %d %lu %lu\n", ev->u.data.clip_id, (unsigned long long)ev->u.data.offset,
             ev->u.data.eof ? 1 : 0, (unsigned long)ev->u.data.chunk_crc,
             (unsigned long)ev->u.data.chunk_len);
    else if (ev->type == DOCK_ERROR)
      printf(" E %u\n", ev->u.error.code);
    else
      printf(" J\n");
    return;
  }
  if (ev->has_seq)
    printf("X %s %u %u %u\n", dock_rx_error_name(ev->error), ev->version, ev->type, ev->seq);
  else
    printf("X %s\n", dock_rx_error_name(ev->error));
}

static int parse_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *data;
  long size;
  size_t at = 0;
  uint32_t rng = 12345u;
  struct dock_parser p;
  if (f == NULL) return 2;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  data = malloc((size_t)size + 1);
  if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) return 2;
  fclose(f);
  dock_parser_init(&p, frame_buf, sizeof frame_buf);
  while (at + 5 <= (size_t)size) {
    uint8_t kind = data[at];
    size_t len = (size_t)data[at + 1] | ((size_t)data[at + 2] << 8) | ((size_t)data[at + 3] << 16) |
                 ((size_t)data[at + 4] << 24);
    const uint8_t *in = data + at + 5;
    size_t off = 0;
    at += 5;
    if (len > (size_t)size - at) return 3;
    at += len;
    if (kind == 1) {
      dock_parser_reset(&p);
      printf("RESET\n");
      continue;
    }
    while (off < len) {
      size_t piece, used, got = 0;
      rng = rng * 1103515245u + 12345u;
      piece = 1 + (rng >> 16) % 8192u;
      if (piece > len - off) piece = len - off;
      /* Each piece is handed over in a copy of exactly its size, so ASan sees any read past it. */
      {
        uint8_t *copy = malloc(piece);
        if (copy == NULL) return 2;
        memcpy(copy, in + off, piece);
        while (got < piece) {
          struct dock_event ev;
          used = dock_parser_feed(&p, copy + got, piece - got, &ev);
          got += used;
          if (ev.kind != DOCK_EVENT_NONE) print_event(&ev);
        }
        free(copy);
      }
      off += piece;
    }
  }
  free(data);
  return 0;
}

static size_t unhex(const char *s, uint8_t *out, size_t cap) {
  size_t n = strlen(s) / 2, i;
  if (n > cap) n = cap;
  for (i = 0; i < n; i++) {
    unsigned v;
    sscanf(s + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
  return n;
}

static void put_hex(const uint8_t *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}

static uint8_t in_buf[DOCK_MAX_FRAME_BYTES * 2];
static uint8_t out_buf[DOCK_WIRE_MAX(DOCK_MAX_BODY_BYTES) + 16];
static char line[DOCK_MAX_FRAME_BYTES * 5];

static int commands(void) {
  while (fgets(line, sizeof line, stdin) != NULL) {
    char cmd[16], a[200], b[200], c[200], d[sizeof line / 2];
    size_t n, m;
    line[strcspn(line, "\n")] = 0;
    a[0] = b[0] = c[0] = d[0] = 0;
    if (sscanf(line, "%15s", cmd) != 1) continue;
    if (strcmp(cmd, "crc") == 0 || strcmp(cmd, "crcbit") == 0) {
      sscanf(line, "%*s %s", d);
      n = unhex(d, in_buf, sizeof in_buf);
      printf("%08lx\n", (unsigned long)(cmd[3] == 'b'
                                            ? dock_crc32c_update_bitwise(0xFFFFFFFFu, in_buf, n) ^ 0xFFFFFFFFu
                                            : dock_crc32c(in_buf, n)));
    } else if (strcmp(cmd, "cobs") == 0) {
      sscanf(line, "%*s %s", d);
      n = unhex(d, in_buf, sizeof in_buf);
      m = dock_cobs_encode(in_buf, n, out_buf, DOCK_COBS_MAX(n));
      put_hex(out_buf, m);
    } else if (strcmp(cmd, "uncobs") == 0) {
      sscanf(line, "%*s %s", d);
      n = unhex(d, in_buf, sizeof in_buf);
      m = dock_cobs_decode(in_buf, n, out_buf, sizeof out_buf);
      if (m == (size_t)-1) printf("null\n");
      else put_hex(out_buf, m);
    } else if (strcmp(cmd, "frame") == 0) {
      unsigned v, t, s;
      d[0] = 0;
      sscanf(line, "%*s %u %u %u %s", &v, &t, &s, d);
      n = unhex(d, in_buf, sizeof in_buf);
      /* Exactly the wire size: one byte less must be refused. */
      m = dock_frame_encode((uint8_t)v, (uint8_t)t, (uint16_t)s, in_buf, n, NULL, 0, out_buf,
                            DOCK_WIRE_MAX(n));
      if (m == 0 || dock_frame_encode((uint8_t)v, (uint8_t)t, (uint16_t)s, in_buf, n, NULL, 0,
                                      out_buf + m, m - 1) != 0)
        printf("fail\n");
      else put_hex(out_buf, m);
    } else if (strcmp(cmd, "read") == 0) {
      unsigned long long off;
      unsigned long len;
      sscanf(line, "%*s %199s %llu %lu", a, &off, &len);
      m = dock_read_encode(a, off, (uint32_t)len, out_buf);
      put_hex(out_buf, m);
    } else if (strcmp(cmd, "data") == 0) {
      unsigned long long off;
      int eof;
      uint8_t head[DOCK_DATA_HEADER_BYTES];
      sscanf(line, "%*s %199s %llu %d %s", a, &off, &eof, d);
      n = unhex(d, in_buf, sizeof in_buf);
      if (dock_data_header_encode(a, off, in_buf, n, eof, head) == 0) {
        printf("fail\n");
        continue;
      }
      memcpy(out_buf, head, sizeof head);
      memcpy(out_buf + sizeof head, in_buf, n);
      put_hex(out_buf, sizeof head + n);
    } else if (strcmp(cmd, "error") == 0) {
      unsigned code;
      sscanf(line, "%*s %u %s", &code, d);
      n = unhex(d, in_buf, sizeof in_buf);
      m = dock_error_encode((uint16_t)code, in_buf, n, out_buf, sizeof out_buf);
      if (m == 0) printf("fail\n");
      else put_hex(out_buf, m);
    } else {
      printf("?\n");
    }
    (void)b;
    (void)c;
  }
  return 0;
}

int main(int argc, char **argv) {
  static char outbuf[1 << 20];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
  if (argc >= 3 && strcmp(argv[1], "parse") == 0) return parse_file(argv[2]);
  if (argc >= 2 && strcmp(argv[1], "cmd") == 0) return commands();
  fprintf(stderr, "usage: harness parse FILE | harness cmd\n");
  return 2;
}
