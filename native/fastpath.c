/*
 * Fluo's native fast path for forwarded media (optional: Fluo runs without it).
 * Two jobs the JavaScript path pays most for per forwarded packet (docs/architecture.md,
 * "Where the CPU goes"): SRTP protection with keys set once instead of a new cipher and
 * HMAC object per packet, and putting the packet on the UDP socket without libuv's
 * request objects and werift's promise chain. Which packets go where stays in
 * TypeScript; the results are byte-for-byte those of SrtpEncryptor
 * (test/unit/native-fastpath.test.ts). Receiving
 * (recvmmsg(2) for the worker's plain UDP sockets) is datagram_in.c's, and a fan-out's
 * copies (per-sink records, sendmmsg(2)) forward_batch.c's, both registered here.
 *
 * SRTCP too, with keys set once: Fluo's sender reports (protectRtcp) and the peers' RTCP
 * (unprotectRtcp).
 *
 * Node exports its OpenSSL, so the addon links against the same library node:crypto uses.
 */
#define _GNU_SOURCE 1
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "datagram_in.h"
#include "forward_batch.h"
#include "fastpath.h"

/* DTLS-SRTP profile ids (RFC 5764 §4.1.2, RFC 7714 §14.2). */
#define PROFILE_AES128_CM_HMAC_SHA1_80 1
#define PROFILE_AEAD_AES_128_GCM 7


static void context_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  SrtpContext *c = data;
  EVP_CIPHER_CTX_free(c->cipher);
  OPENSSL_cleanse(c, sizeof *c);
  free(c);
}

napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

int get_buffer(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_buffer_info(env, v, (void **)data, len) == napi_ok;
}

/* srtpContext(profile, sessionKey[16], sessionSalt[14|12], authKey[20]|empty) -> external */
static napi_value srtp_context(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t profile;
  uint8_t *key, *salt, *auth;
  size_t key_len, salt_len, auth_len;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &profile) != napi_ok || !get_buffer(env, argv[1], &key, &key_len) ||
      !get_buffer(env, argv[2], &salt, &salt_len) || !get_buffer(env, argv[3], &auth, &auth_len))
    return throw_error(env, "srtpContext(profile, key, salt, authKey)");
  int gcm = profile == PROFILE_AEAD_AES_128_GCM;
  if ((profile != PROFILE_AES128_CM_HMAC_SHA1_80 && !gcm) || key_len != 16 || salt_len != (gcm ? 12u : 14u) ||
      (!gcm && auth_len != 20))
    return throw_error(env, "unsupported SRTP profile or key lengths");
  SrtpContext *c = calloc(1, sizeof *c);
  if (!c) return throw_error(env, "out of memory");
  c->profile = profile;
  memcpy(c->salt, salt, salt_len);
  c->cipher = EVP_CIPHER_CTX_new();
  if (!c->cipher || !EVP_EncryptInit_ex(c->cipher, gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr(), NULL, key, NULL)) {
    EVP_CIPHER_CTX_free(c->cipher);
    free(c);
    return throw_error(env, "cipher setup failed");
  }
  if (!gcm) {
    uint8_t pad[SHA_CBLOCK];
    memset(pad, 0x36, sizeof pad);
    for (size_t i = 0; i < auth_len; i++) pad[i] ^= auth[i];
    SHA1_Init(&c->inner);
    SHA1_Update(&c->inner, pad, sizeof pad);
    memset(pad, 0x5c, sizeof pad);
    for (size_t i = 0; i < auth_len; i++) pad[i] ^= auth[i];
    SHA1_Init(&c->outer);
    SHA1_Update(&c->outer, pad, sizeof pad);
    OPENSSL_cleanse(pad, sizeof pad);
  }
  napi_value out;
  if (napi_create_external(env, c, context_free, NULL, &out) != napi_ok) {
    context_free(env, c, NULL);
    return throw_error(env, "external failed");
  }
  return out;
}


/*
 * HMAC-SHA1 (RFC 2104) of `a` then `b` (b may be empty) with the context's key, whose
 * inner and outer pads were hashed once: RFC 3711 §4.2's tag before truncation.
 */
static void hmac_sha1(const SrtpContext *c, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t digest[SHA_DIGEST_LENGTH]) {
  SHA_CTX s = c->inner;
  SHA1_Update(&s, a, a_len);
  if (b_len) SHA1_Update(&s, b, b_len);
  SHA1_Final(digest, &s);
  s = c->outer;
  SHA1_Update(&s, digest, SHA_DIGEST_LENGTH);
  SHA1_Final(digest, &s);
}

/*
 * Encrypts the payload of `p` (header, then payload, then room for the tag) in place
 * and writes the tag. The header must hold the final SSRC and sequence number.
 * Returns the SRTP packet's length, or -1.
 */
int32_t protect_in_place(SrtpContext *c, uint8_t *p, size_t room, uint32_t header, uint32_t payload, uint32_t roc) {
  int gcm = c->profile == PROFILE_AEAD_AES_128_GCM;
  size_t tag = gcm ? 16 : 10;
  size_t body = (size_t)header + payload;
  if (header < 12 || body + tag > room || body > INT32_MAX - 16) return -1;
  uint32_t ssrc = be32(p + 8);
  uint16_t seq = (uint16_t)(p[2] << 8 | p[3]);
  uint8_t iv[16] = {0};
  int n = 0, ok;
  if (gcm) {
    /* RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt; the header is the AAD. */
    put32(iv + 2, ssrc);
    put32(iv + 6, roc);
    iv[10] = seq >> 8;
    iv[11] = seq & 0xff;
    for (int i = 0; i < 12; i++) iv[i] ^= c->salt[i];
    uint8_t *payload_at = p + header;
    ok = EVP_EncryptInit_ex(c->cipher, NULL, NULL, NULL, iv) && EVP_EncryptUpdate(c->cipher, NULL, &n, p, (int)header) &&
         (payload == 0 || EVP_EncryptUpdate(c->cipher, payload_at, &n, payload_at, (int)payload)) &&
         EVP_EncryptFinal_ex(c->cipher, p + body, &n) && EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_GCM_GET_TAG, 16, p + body);
  } else {
    /* RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC || SEQ. */
    put32(iv + 4, ssrc);
    put32(iv + 8, roc);
    iv[12] = seq >> 8;
    iv[13] = seq & 0xff;
    for (int i = 0; i < 14; i++) iv[i] ^= c->salt[i];
    ok = EVP_EncryptInit_ex(c->cipher, NULL, NULL, NULL, iv) &&
         (payload == 0 || EVP_EncryptUpdate(c->cipher, p + header, &n, p + header, (int)payload));
    if (ok) {
      /* RFC 3711 §4.2: HMAC-SHA1 over the authenticated portion || ROC, cut to 80 bits. */
      uint8_t r[4], digest[SHA_DIGEST_LENGTH];
      put32(r, roc);
      hmac_sha1(c, p, body, r, 4, digest);
      memcpy(p + body, digest, 10);
    }
  }
  return ok ? (int32_t)(body + tag) : -1;
}

/*
 * protect(context, packet, headerLength, payloadLength, roc) -> packet length or -1.
 * `packet` holds the RTP header (final SSRC and sequence number) and the plain payload,
 * with room after them for the tag; the payload is encrypted and the tag written in place.
 */
static napi_value protect(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  SrtpContext *c;
  uint8_t *p;
  size_t len;
  uint32_t header, payload, roc;
  if (argc < 5 || napi_get_value_external(env, argv[0], (void **)&c) != napi_ok || !get_buffer(env, argv[1], &p, &len) ||
      napi_get_value_uint32(env, argv[2], &header) != napi_ok || napi_get_value_uint32(env, argv[3], &payload) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &roc) != napi_ok)
    return throw_error(env, "protect(context, packet, headerLength, payloadLength, roc)");
  napi_value out;
  napi_create_int32(env, protect_in_place(c, p, len, header, payload, roc), &out);
  return out;
}

/*
 * Protects a compound RTCP packet of `length` bytes in place (RFC 3711 §3.4): the
 * first 8 octets (header and sender SSRC) stay clear, the rest is encrypted, and the
 * E flag with the 31-bit SRTCP `index` and the tag follow. The SRTCP index is per
 * sender SSRC and must never repeat under these keys (the caller keeps it with werift's,
 * which sends this SSRC's other RTCP). The SRTCP length, or -1.
 */
int32_t protect_rtcp_in_place(SrtpContext *c, uint8_t *p, size_t room, uint32_t length, uint32_t index) {
  int gcm = c->profile == PROFILE_AEAD_AES_128_GCM;
  size_t tag = gcm ? 16 : 10;
  if (length < 8 || index > 0x7fffffff || (size_t)length + 4 + tag > room || length > INT32_MAX - 32) return -1;
  uint32_t ssrc = be32(p + 4);
  uint8_t e_index[4];
  put32(e_index, index | 0x80000000u);
  uint8_t iv[16] = {0};
  uint32_t body = length - 8;
  int n = 0, ok;
  if (gcm) {
    /* RFC 7714 §9.1: IV = (0x0000 || SSRC || 0x0000 || 0 || SRTCP index) XOR salt; AAD = the first
     * 8 octets || E || SRTCP index; output: header, ciphertext, tag, then E || index. */
    put32(iv + 2, ssrc);
    put32(iv + 8, index);
    for (int i = 0; i < 12; i++) iv[i] ^= c->salt[i];
    ok = EVP_EncryptInit_ex(c->cipher, NULL, NULL, NULL, iv) && EVP_EncryptUpdate(c->cipher, NULL, &n, p, 8) &&
         EVP_EncryptUpdate(c->cipher, NULL, &n, e_index, 4) && (body == 0 || EVP_EncryptUpdate(c->cipher, p + 8, &n, p + 8, (int)body)) &&
         EVP_EncryptFinal_ex(c->cipher, p + length, &n) && EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_GCM_GET_TAG, 16, p + length);
    if (ok) memcpy(p + length + 16, e_index, 4);
  } else {
    /* RFC 3711 §4.1.1 with i = the SRTCP index; §3.4: the tag covers the packet and E || index. */
    put32(iv + 4, ssrc);
    put32(iv + 10, index);
    for (int i = 0; i < 14; i++) iv[i] ^= c->salt[i];
    ok = EVP_EncryptInit_ex(c->cipher, NULL, NULL, NULL, iv) && (body == 0 || EVP_EncryptUpdate(c->cipher, p + 8, &n, p + 8, (int)body));
    if (ok) {
      uint8_t digest[SHA_DIGEST_LENGTH];
      memcpy(p + length, e_index, 4);
      hmac_sha1(c, p, (size_t)length + 4, NULL, 0, digest);
      memcpy(p + length + 4, digest, 10);
    }
  }
  return ok ? (int32_t)(length + 4 + tag) : -1;
}

/* protectRtcp(context, packet, length, index) -> the SRTCP length, or -1. The context holds SRTCP session keys. */
static napi_value protect_rtcp(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  SrtpContext *c;
  uint8_t *p;
  size_t len;
  uint32_t length, index;
  if (argc < 4 || napi_get_value_external(env, argv[0], (void **)&c) != napi_ok || !get_buffer(env, argv[1], &p, &len) ||
      napi_get_value_uint32(env, argv[2], &length) != napi_ok || napi_get_value_uint32(env, argv[3], &index) != napi_ok)
    return throw_error(env, "protectRtcp(context, packet, length, index)");
  napi_value out;
  napi_create_int32(env, protect_rtcp_in_place(c, p, len, length, index), &out);
  return out;
}

/*
 * The reverse of protect_rtcp_in_place for a peer's SRTCP packet of `length` bytes (a
 * context made from the peer's SRTCP session keys): the tag checked first (HMAC-SHA1
 * in constant time for counter mode; GCM's own check), then the reports decrypted in
 * place. The plain compound packet's length; -1 for a packet that does not
 * authenticate or is too short; -2 for one sent unencrypted (E flag clear), which the
 * caller leaves to its other path. Nothing is trusted before the tag holds: for GCM the
 * bytes decrypted in place are garbage when it fails, so callers pass a copy.
 */
int32_t unprotect_rtcp_in_place(SrtpContext *c, uint8_t *p, uint32_t length) {
  int gcm = c->profile == PROFILE_AEAD_AES_128_GCM;
  uint32_t tag = gcm ? 16 : 10;
  if (length < 8 + 4 + tag || length > INT32_MAX) return -1;
  /* Counter mode: packet || E+index || tag (RFC 3711 §3.4); GCM: packet || tag || E+index (RFC 7714 §9.3). */
  uint8_t *e_index = gcm ? p + length - 4 : p + length - tag - 4;
  uint8_t *tag_at = gcm ? p + length - 4 - tag : p + length - tag;
  uint32_t plain = length - 4 - tag;
  uint32_t index = be32(e_index) & 0x7fffffff;
  if (!(e_index[0] & 0x80)) return -2;
  uint32_t ssrc = be32(p + 4);
  uint8_t iv[16] = {0};
  int n = 0;
  if (gcm) {
    put32(iv + 2, ssrc);
    put32(iv + 8, index);
    for (int i = 0; i < 12; i++) iv[i] ^= c->salt[i];
    int ok = EVP_DecryptInit_ex(c->cipher, NULL, NULL, NULL, iv) && EVP_DecryptUpdate(c->cipher, NULL, &n, p, 8) &&
             EVP_DecryptUpdate(c->cipher, NULL, &n, e_index, 4) &&
             (plain == 8 || EVP_DecryptUpdate(c->cipher, p + 8, &n, p + 8, (int)(plain - 8))) &&
             EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_GCM_SET_TAG, 16, tag_at) && EVP_DecryptFinal_ex(c->cipher, p + plain, &n) > 0;
    return ok ? (int32_t)plain : -1;
  }
  uint8_t digest[SHA_DIGEST_LENGTH];
  hmac_sha1(c, p, (size_t)plain + 4, NULL, 0, digest);
  if (CRYPTO_memcmp(digest, tag_at, 10) != 0) return -1;
  put32(iv + 4, ssrc);
  put32(iv + 10, index);
  for (int i = 0; i < 14; i++) iv[i] ^= c->salt[i];
  int ok = EVP_DecryptInit_ex(c->cipher, NULL, NULL, NULL, iv) && (plain == 8 || EVP_DecryptUpdate(c->cipher, p + 8, &n, p + 8, (int)(plain - 8)));
  return ok ? (int32_t)plain : -1;
}

/* unprotectRtcp(context, packet, length) -> the plain length, -1 (refused) or -2 (not encrypted). */
static napi_value unprotect_rtcp(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  SrtpContext *c;
  uint8_t *p;
  size_t len;
  uint32_t length;
  if (argc < 3 || napi_get_value_external(env, argv[0], (void **)&c) != napi_ok || !get_buffer(env, argv[1], &p, &len) ||
      napi_get_value_uint32(env, argv[2], &length) != napi_ok)
    return throw_error(env, "unprotectRtcp(context, packet, length)");
  napi_value out;
  napi_create_int32(env, length > len ? -1 : unprotect_rtcp_in_place(c, p, length), &out);
  return out;
}

/* sendto(2) on libuv's non-blocking socket, retried on EINTR: 0 or -errno. */
int32_t send_datagram(int fd, const uint8_t *p, size_t length, const uint8_t *addr, size_t addr_len) {
  ssize_t r;
  do r = sendto(fd, p, length, MSG_DONTWAIT, (const struct sockaddr *)addr, (socklen_t)addr_len);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

int valid_sockaddr(size_t len) { return len == sizeof(struct sockaddr_in) || len == sizeof(struct sockaddr_in6); }

/*
 * sendTo(fd, packet, length, sockaddr) -> 0 or -errno. `sockaddr` is a struct
 * sockaddr_in or sockaddr_in6 built once per candidate pair (see udpAddress in
 * fastpath.ts). The socket is libuv's non-blocking one: a full send buffer gives
 * -EAGAIN and the packet is dropped, as the network would.
 */
static napi_value send_to(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  uint32_t length;
  uint8_t *p, *addr;
  size_t len, addr_len;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || !get_buffer(env, argv[1], &p, &len) ||
      napi_get_value_uint32(env, argv[2], &length) != napi_ok || !get_buffer(env, argv[3], &addr, &addr_len))
    return throw_error(env, "sendTo(fd, packet, length, sockaddr)");
  int32_t result = length > len || !valid_sockaddr(addr_len) ? -EINVAL : send_datagram(fd, p, length, addr, addr_len);
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}


/*
 * sendProtected(context, header, headerLength, source, payloadOffset, payloadLength,
 * roc, fd, sockaddr) -> bytes sent, 0 when SRTP refused the packet, or -errno.
 * The whole per-subscriber step of forwarding in one call: the header (already
 * rewritten for this peer) and the source packet's payload are copied into a
 * per-thread scratch buffer, protected there and sent. sendto(2) has copied the bytes
 * when it returns, so nothing is allocated per packet and the source is not touched.
 */
static _Thread_local uint8_t scratch[MAX_PACKET];

static napi_value send_protected(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  SrtpContext *c;
  uint8_t *h, *src, *addr;
  size_t h_len, src_len, addr_len;
  uint32_t header, offset, payload, roc;
  int32_t fd;
  if (argc < 9 || napi_get_value_external(env, argv[0], (void **)&c) != napi_ok || !get_buffer(env, argv[1], &h, &h_len) ||
      napi_get_value_uint32(env, argv[2], &header) != napi_ok || !get_buffer(env, argv[3], &src, &src_len) ||
      napi_get_value_uint32(env, argv[4], &offset) != napi_ok || napi_get_value_uint32(env, argv[5], &payload) != napi_ok ||
      napi_get_value_uint32(env, argv[6], &roc) != napi_ok || napi_get_value_int32(env, argv[7], &fd) != napi_ok ||
      !get_buffer(env, argv[8], &addr, &addr_len))
    return throw_error(env, "sendProtected(context, header, headerLength, source, payloadOffset, payloadLength, roc, fd, sockaddr)");
  int32_t result;
  if (header > h_len || (size_t)offset + payload > src_len || !valid_sockaddr(addr_len) || (size_t)header + payload > MAX_PACKET) {
    result = -EINVAL;
  } else {
    memcpy(scratch, h, header);
    memcpy(scratch + header, src + offset, payload);
    int32_t n = protect_in_place(c, scratch, sizeof scratch, header, payload, roc);
    result = n < 0 ? 0 : send_datagram(fd, scratch, (size_t)n, addr, addr_len);
    if (result == 0 && n > 0) result = n;
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"srtpContext", NULL, srtp_context, NULL, NULL, NULL, napi_default, NULL},
      {"protect", NULL, protect, NULL, NULL, NULL, napi_default, NULL},
      {"protectRtcp", NULL, protect_rtcp, NULL, NULL, NULL, napi_default, NULL},
      {"unprotectRtcp", NULL, unprotect_rtcp, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, send_to, NULL, NULL, NULL, napi_default, NULL},
      {"sendProtected", NULL, send_protected, NULL, NULL, NULL, napi_default, NULL},
      {"sinkContext", NULL, forward_sink_context, NULL, NULL, NULL, napi_default, NULL},
      {"forwardBatch", NULL, forward_batch, NULL, NULL, NULL, napi_default, NULL},
      {"recvStart", NULL, datagram_recv_start, NULL, NULL, NULL, napi_default, NULL},
      {"recvStop", NULL, datagram_recv_stop, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
