/*
 * A fan-out's copies, built from per-sink records (issue 14 items 2 and 6; the per-copy
 * JavaScript was about a third of a media worker at 200 subscribers). Each outgoing
 * WebRTC stream of a worker has a record in one table TypeScript owns
 * (src/media/rtp/SendRecords.ts mirrors the layout): its SSRC, payload type and sdes:mid
 * extension, the rewriter's state (RFC 3550 §5.1: sequence numbers and timestamps made
 * continuous across source switches), its SRTP rollover counter (RFC 3711 §3.3.1), its
 * counters, its selected pair's socket and address, and where its NACK ring is. For one
 * source packet TypeScript lists the records that take it (after its per-sink checks:
 * route, consent, keys); here each copy's header is written, its state advanced, the
 * copy protected and all of them sent with sendmmsg(2). TypeScript does the same steps
 * on the same record when a copy goes its way (RtpSendStream.prepare), so either path
 * continues the other's stream.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "forward_batch.h"
#include "fastpath.h"

/* One outgoing stream, host byte order; offsets checked below and in SendRecords.ts. */
typedef struct {
  uint32_t flags;
  uint32_t ssrc;
  uint32_t payload_type; /* unused: each batch entry carries its payload type */
  uint32_t clock_rate;
  uint32_t src_ssrc;
  uint32_t seq_offset;
  uint32_t ts_offset;
  uint32_t last_seq;
  uint32_t last_ts;
  uint32_t roc;
  uint32_t highest_seq;
  uint32_t packets;
  uint32_t octets;
  uint32_t last_timestamp;
  double last_at;
  double spare;
  double last_sent_at;
  int32_t fd;
  uint32_t addr_len;
  uint8_t addr[28];
  uint32_t ext_len;
  uint8_t ext[24];
  uint32_t history_size;
  uint32_t history_at;
  uint32_t sent_packets;
  /* Which stream holds the slot now (never 0): an entry for an earlier holder is refused. */
  uint32_t stream_id;
  double sent_bytes;
} SendRecord;

#define RECORD_SIZE 192
#define FLAG_HAVE_SRC 1u
#define FLAG_HAVE_LAST 2u
#define FLAG_HAVE_ROC 4u
_Static_assert(sizeof(SendRecord) <= RECORD_SIZE, "record too big");
_Static_assert(offsetof(SendRecord, last_at) == 56, "layout");
_Static_assert(offsetof(SendRecord, last_sent_at) == 72, "layout");
_Static_assert(offsetof(SendRecord, fd) == 80, "layout");
_Static_assert(offsetof(SendRecord, addr) == 88, "layout");
_Static_assert(offsetof(SendRecord, ext_len) == 116, "layout");
_Static_assert(offsetof(SendRecord, ext) == 120, "layout");
_Static_assert(offsetof(SendRecord, history_size) == 144, "layout");
_Static_assert(offsetof(SendRecord, sent_packets) == 152, "layout");
_Static_assert(offsetof(SendRecord, stream_id) == 156, "layout");
_Static_assert(offsetof(SendRecord, sent_bytes) == 160, "layout");

/* A NACK ring entry (by outgoing sequence number modulo the ring's size): 16 bytes. */
#define RING_ENTRY 16
#define RING_VALID 0x80000000u

/*
 * A batch entry (u32 each): record slot, the stream's history index (in); result,
 * outgoing sequence number, timestamp, ROC (out: what a caller needs to build a copy
 * that failed to send the TypeScript way); the payload type to send with (in); the
 * stream's id (in: a slot freed and given to another stream since is not touched).
 */
#define ENTRY 32
#define NOT_PREPARED 0xffffffffu
#define BATCH_MAX 256
#define BATCH_SLOT 1600
#define BATCH_CHUNK 32
/* The longest header written: 12 fixed bytes, 15 CSRCs, our extension block. */
#define HEADER_MAX (12 + 15 * 4 + 24)

typedef struct {
  SrtpContext *context;
  napi_ref ref;
} SlotContext;

/*
 * Per Node environment (the server's thread and each media worker), freed with it.
 * Copies are built and sent in chunks of BATCH_CHUNK, so the slots stay in the CPU's
 * cache between protect and send (a slot per copy of a 256-copy batch is 400 KB).
 */
typedef struct {
  uint8_t slots[BATCH_CHUNK][BATCH_SLOT];
  struct mmsghdr msgs[BATCH_CHUNK];
  struct iovec iov[BATCH_CHUNK];
  int fd[BATCH_CHUNK];
  uint8_t *entry[BATCH_CHUNK];
  SendRecord *record[BATCH_CHUNK];
  /* The SRTP context of each record slot, held by a reference until replaced. */
  SlotContext *contexts;
  uint32_t context_count;
} ForwardState;

static void state_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  ForwardState *s = data;
  /* The references go with the environment; only our arrays are ours to free. */
  free(s->contexts);
  free(s);
}

static ForwardState *forward_state(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) == napi_ok && data) return data;
  ForwardState *s = calloc(1, sizeof *s);
  if (!s || napi_set_instance_data(env, s, state_free, NULL) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

/* sinkContext(slot, context | null): the SRTP context copies of record `slot` are protected with. */
napi_value forward_sink_context(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t slot;
  napi_valuetype type = napi_undefined;
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &slot) != napi_ok || slot >= (1u << 20) || napi_typeof(env, argv[1], &type) != napi_ok ||
      (type != napi_external && type != napi_null))
    return throw_error(env, "sinkContext(slot, context | null)");
  SrtpContext *c = NULL;
  if (type == napi_external && (napi_get_value_external(env, argv[1], (void **)&c) != napi_ok || !c))
    return throw_error(env, "sinkContext(slot, context | null)");
  ForwardState *s = forward_state(env);
  if (!s) return throw_error(env, "out of memory");
  if (slot >= s->context_count) {
    if (!c) return NULL;
    uint32_t n = s->context_count ? s->context_count : 64;
    while (n <= slot) n *= 2;
    SlotContext *grown = realloc(s->contexts, n * sizeof *grown);
    if (!grown) return throw_error(env, "out of memory");
    memset(grown + s->context_count, 0, (n - s->context_count) * sizeof *grown);
    s->contexts = grown;
    s->context_count = n;
  }
  SlotContext *sc = &s->contexts[slot];
  if (sc->ref) napi_delete_reference(env, sc->ref);
  sc->ref = NULL;
  sc->context = NULL;
  if (c) {
    if (napi_create_reference(env, argv[1], 1, &sc->ref) != napi_ok) return throw_error(env, "reference failed");
    sc->context = c;
  }
  return NULL;
}

static inline uint32_t u32_at(const uint8_t *p, size_t at) {
  uint32_t v;
  memcpy(&v, p + at, 4);
  return v;
}
static inline void set_u32(uint8_t *p, size_t at, uint32_t v) { memcpy(p + at, &v, 4); }

/*
 * The rewrite of one packet on its record (StreamRewriter's rule, RFC 3550 §5.1 and
 * §8.2): a new source SSRC continues at the last sequence number + 1 and at the last
 * timestamp advanced by the wall time elapsed; serial-number arithmetic (RFC 1982).
 */
static void rewrite(SendRecord *r, uint32_t src_ssrc, uint16_t seq, uint32_t ts, double now, uint16_t *out_seq, uint32_t *out_ts) {
  if (!(r->flags & FLAG_HAVE_SRC) || src_ssrc != r->src_ssrc) {
    r->src_ssrc = src_ssrc;
    r->flags |= FLAG_HAVE_SRC;
    if (!(r->flags & FLAG_HAVE_LAST)) {
      r->seq_offset = 0;
      r->ts_offset = 0;
    } else {
      double e = floor((now - r->last_at) / 1000.0 * r->clock_rate + 0.5);
      uint32_t elapsed = e < 1 ? 1 : e > 4294967295.0 ? 0xffffffffu : (uint32_t)e;
      r->seq_offset = (uint16_t)(r->last_seq + 1 - seq);
      r->ts_offset = r->last_ts + elapsed - ts;
    }
  }
  uint16_t s = (uint16_t)(seq + r->seq_offset);
  uint32_t t = ts + r->ts_offset;
  if (!(r->flags & FLAG_HAVE_LAST) || (uint16_t)(s - r->last_seq) < 0x8000) {
    r->last_seq = s;
    r->last_ts = t;
    r->last_at = now;
    r->flags |= FLAG_HAVE_LAST;
  }
  *out_seq = s;
  *out_ts = t;
}

/*
 * The rollover counter for a sequence number, and the state's update (RFC 3711 §3.3.1
 * and Appendix A), as SrtpEncryptor's: -1 for an index below the first one sent.
 */
static int64_t rollover(SendRecord *r, uint16_t seq) {
  if (!(r->flags & FLAG_HAVE_ROC)) {
    r->flags |= FLAG_HAVE_ROC;
    r->roc = 0;
    r->highest_seq = seq;
    return 0;
  }
  int64_t v = r->roc;
  if (r->highest_seq < 0x8000) {
    if ((int64_t)seq - r->highest_seq > 0x8000) v = (int64_t)r->roc - 1;
  } else if ((int64_t)r->highest_seq - 0x8000 > seq) {
    v = (int64_t)r->roc + 1;
  }
  if (v > r->roc) {
    r->roc = (uint32_t)v;
    r->highest_seq = seq;
  } else if (v == r->roc && seq > r->highest_seq) {
    r->highest_seq = seq;
  }
  return v;
}

/* Sends the `ready` protected copies: runs of one socket, each in as few sendmmsg(2) calls as the kernel takes. */
static void send_ready(ForwardState *b, int ready) {
  int j = 0;
  while (j < ready) {
    int run = j;
    while (run < ready && b->fd[run] == b->fd[j]) run++;
    while (j < run) {
      int r;
      do r = sendmmsg(b->fd[j], &b->msgs[j], (unsigned)(run - j), MSG_DONTWAIT);
      while (r < 0 && errno == EINTR);
      if (r <= 0) {
        /* The first message of the rest failed: its error is its result; go on after it. */
        set_u32(b->entry[j], 8, (uint32_t)(r < 0 ? -errno : -EIO));
        j++;
        continue;
      }
      for (int k = j; k < j + r; k++) {
        uint32_t len = b->msgs[k].msg_len;
        set_u32(b->entry[k], 8, len);
        b->record[k]->sent_packets++;
        b->record[k]->sent_bytes += len;
      }
      j += r;
    }
  }
}

/*
 * forwardBatch(records, rings, entries, count, source, now) -> count, or throws.
 * `source` is one plain RTP packet; each entry names a record (and the stream's history
 * index, which its NACK ring keeps beside the sequence number). Each entry's result: the
 * bytes sent, 0 when nothing is to be sent (not RTP, or an index SRTP refuses), or
 * -errno; and the copy's sequence number, timestamp, ROC and payload type, or
 * NOT_PREPARED as its sequence number when the record was not touched (no SRTP context,
 * no socket, too big for a slot). `now`: wall-clock ms (the rewriter's clock).
 */
napi_value forward_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *records, *rings, *entries, *src;
  size_t records_len, rings_len, entries_len, src_len;
  uint32_t count;
  double now;
  if (argc < 6 || !get_buffer(env, argv[0], &records, &records_len) || !get_buffer(env, argv[1], &rings, &rings_len) ||
      !get_buffer(env, argv[2], &entries, &entries_len) || napi_get_value_uint32(env, argv[3], &count) != napi_ok ||
      !get_buffer(env, argv[4], &src, &src_len) || napi_get_value_double(env, argv[5], &now) != napi_ok || count > BATCH_MAX ||
      (size_t)count * ENTRY > entries_len || ((uintptr_t)records & 7) || ((uintptr_t)rings & 3) || ((uintptr_t)entries & 3))
    return throw_error(env, "forwardBatch(records, rings, entries, count, source, now)");
  ForwardState *b = forward_state(env);
  if (!b) return throw_error(env, "out of memory");

  /* The source's layout, once for every copy (RFC 3550 §5.1, §5.3.1). */
  size_t fixed = 0, payload_at = 0, payload = 0, padding = 0;
  int rtp = src_len >= 12 && src[0] >> 6 == 2;
  if (rtp) {
    fixed = 12 + (size_t)(src[0] & 0x0f) * 4;
    payload_at = fixed;
    if (src[0] & 0x10) {
      if (src_len < payload_at + 4) rtp = 0;
      else payload_at += 4 + (size_t)(src[payload_at + 2] << 8 | src[payload_at + 3]) * 4;
    }
    if (rtp && payload_at > src_len) rtp = 0;
    if (rtp) {
      padding = src[0] & 0x20 ? src[src_len - 1] : 0;
      if (payload_at + padding > src_len) rtp = 0;
      payload = src_len - payload_at;
    }
  }
  uint32_t src_ssrc = rtp ? be32(src + 8) : 0, src_ts = rtp ? be32(src + 4) : 0;
  uint16_t src_seq = rtp ? (uint16_t)(src[2] << 8 | src[3]) : 0;

  int ready = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint8_t *e = entries + (size_t)i * ENTRY;
    uint32_t slot = u32_at(e, 0), k = u32_at(e, 4);
    set_u32(e, 12, NOT_PREPARED);
    SrtpContext *c = slot < b->context_count ? b->contexts[slot].context : NULL;
    if (!c || ((size_t)slot + 1) * RECORD_SIZE > records_len || ((SendRecord *)(records + (size_t)slot * RECORD_SIZE))->stream_id != u32_at(e, 28)) {
      set_u32(e, 8, (uint32_t)-EINVAL);
      continue;
    }
    if (!rtp) {
      set_u32(e, 8, 0);
      continue;
    }
    SendRecord *r = (SendRecord *)(records + (size_t)slot * RECORD_SIZE);
    size_t ext = r->ext_len <= sizeof r->ext ? r->ext_len : 0;
    size_t header = fixed + ext;
    /* What the native path cannot send is refused before the record moves: the caller sends it from scratch. */
    if (header + payload + 16 > BATCH_SLOT) {
      set_u32(e, 8, (uint32_t)-EMSGSIZE);
      continue;
    }
    if (r->fd < 0 || !valid_sockaddr(r->addr_len)) {
      set_u32(e, 8, (uint32_t)-EINVAL);
      continue;
    }
    uint32_t pt = u32_at(e, 24) & 0x7f;
    uint16_t seq;
    uint32_t ts;
    rewrite(r, src_ssrc, src_seq, src_ts, now, &seq, &ts);
    int64_t roc = rollover(r, seq);
    set_u32(e, 12, seq);
    set_u32(e, 16, ts);
    set_u32(e, 20, (uint32_t)roc);
    /* The NACK ring: this sequence number's history index, timestamp, payload type and ROC. */
    if (r->history_size && ((size_t)r->history_at + r->history_size) * RING_ENTRY <= rings_len) {
      uint8_t *ring = rings + ((size_t)r->history_at + seq % r->history_size) * RING_ENTRY;
      set_u32(ring, 0, roc < 0 ? 0 : RING_VALID | pt << 16 | seq);
      set_u32(ring, 4, k);
      set_u32(ring, 8, ts);
      set_u32(ring, 12, (uint32_t)roc);
    }
    r->packets++;
    r->octets += (uint32_t)(payload - padding);
    r->last_timestamp = ts;
    r->last_sent_at = now;
    if (roc < 0) {
      set_u32(e, 8, 0);
      continue;
    }
    uint8_t *p = b->slots[ready];
    memcpy(p, src, fixed);
    if (ext) memcpy(p + fixed, r->ext, ext);
    p[0] = (uint8_t)(0x80 | (src[0] & 0x20) | (ext ? 0x10 : 0) | (src[0] & 0x0f));
    p[1] = (uint8_t)((src[1] & 0x80) | pt);
    p[2] = seq >> 8;
    p[3] = seq & 0xff;
    put32(p + 4, ts);
    put32(p + 8, r->ssrc);
    memcpy(p + header, src + payload_at, payload);
    int32_t n = protect_in_place(c, p, BATCH_SLOT, (uint32_t)header, (uint32_t)payload, (uint32_t)roc);
    if (n < 0) {
      set_u32(e, 8, 0);
      continue;
    }
    b->iov[ready] = (struct iovec){.iov_base = p, .iov_len = (size_t)n};
    memset(&b->msgs[ready], 0, sizeof b->msgs[ready]);
    b->msgs[ready].msg_hdr.msg_name = r->addr;
    b->msgs[ready].msg_hdr.msg_namelen = (socklen_t)r->addr_len;
    b->msgs[ready].msg_hdr.msg_iov = &b->iov[ready];
    b->msgs[ready].msg_hdr.msg_iovlen = 1;
    b->fd[ready] = r->fd;
    b->entry[ready] = e;
    b->record[ready] = r;
    if (++ready == BATCH_CHUNK) {
      send_ready(b, ready);
      ready = 0;
    }
  }
  send_ready(b, ready);
  napi_value out;
  napi_create_uint32(env, count, &out);
  return out;
}
