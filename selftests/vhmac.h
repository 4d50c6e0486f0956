/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104) for tests that build
 * authenticated V frames themselves, so they need no crypto library.
 * Slow and simple; never for anything but tests.
 */
#ifndef VHMAC_H
#define VHMAC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct vt_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	uint8_t buf[64];
	size_t n;		/* bytes in buf */
};

static const uint32_t vt_sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static inline uint32_t vt_ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static inline void vt_sha256_block(struct vt_sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (vt_ror(w[i - 15], 7) ^ vt_ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (vt_ror(w[i - 2], 17) ^ vt_ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (vt_ror(e, 6) ^ vt_ror(e, 11) ^ vt_ror(e, 25)) + ((e & f) ^ (~e & g)) +
		     vt_sha256_k[i] + w[i];
		t2 = (vt_ror(a, 2) ^ vt_ror(a, 13) ^ vt_ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static inline void vt_sha256_init(struct vt_sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

static inline void vt_sha256_update(struct vt_sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->len += len;
	while (len--) {
		s->buf[s->n++] = *p++;
		if (s->n == 64) {
			vt_sha256_block(s, s->buf);
			s->n = 0;
		}
	}
}

static inline void vt_sha256_final(struct vt_sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, l[8];
	int i;

	vt_sha256_update(s, &pad, 1);
	while (s->n != 56)
		vt_sha256_update(s, &zero, 1);
	for (i = 0; i < 8; i++)
		l[i] = (uint8_t)(bits >> (56 - 8 * i));
	vt_sha256_update(s, l, 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

/* HMAC-SHA256 with a key of at most 64 bytes over pre (plen bytes) then msg. */
static inline void vt_hmac_sha256_2(const uint8_t *key, size_t klen, const void *pre,
				    size_t plen, const void *msg, size_t len, uint8_t out[32])
{
	uint8_t k[64] = { 0 }, pad[64], inner[32];
	struct vt_sha256 s;
	int i;

	memcpy(k, key, klen > 64 ? 64 : klen);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	vt_sha256_init(&s);
	vt_sha256_update(&s, pad, 64);
	vt_sha256_update(&s, pre, plen);
	vt_sha256_update(&s, msg, len);
	vt_sha256_final(&s, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	vt_sha256_init(&s);
	vt_sha256_update(&s, pad, 64);
	vt_sha256_update(&s, inner, 32);
	vt_sha256_final(&s, out);
}

static inline void vt_hmac_sha256(const uint8_t *key, size_t klen, const void *msg, size_t len,
				  uint8_t out[32])
{
	vt_hmac_sha256_2(key, klen, NULL, 0, msg, len, out);
}

/*
 * The tag of a V frame ("Authenticated frames" in uapi/linux/v.h): msg is
 * the V header, payload and counter (len bytes); a frame for one host is
 * signed for its host part to (a 4-byte prefix), a frame for all (CLAIM,
 * WHERE, GETPID, GREQUEST, GQUERY, FENCE: the type is msg's second byte;
 * or to 0) without one.
 */
static inline void vt_v_tag(const uint8_t *key, uint32_t to, const void *msg, size_t len,
			    uint8_t out[32])
{
	uint8_t type = ((const uint8_t *)msg)[1], scope[4];

	if (type == 13 || type == 15 || type == 8 || type == 10 || type == 11 || type == 17)
		to = 0;
	scope[0] = (uint8_t)(to >> 24);
	scope[1] = (uint8_t)(to >> 16);
	scope[2] = (uint8_t)(to >> 8);
	scope[3] = (uint8_t)to;
	vt_hmac_sha256_2(key, 32, scope, to ? 4 : 0, msg, len, out);
}

#endif /* VHMAC_H */
