/*
 * totp.c - one-time passwords (see totp.h), as RFC 4226 and 6238 say:
 * the HMAC-SHA1 of the step as 8 big-endian bytes, 4 bytes taken at the
 * offset its last nibble gives, modulo 10^digits.
 */
#include <stdio.h>
#include <string.h>
#include <gnutls/crypto.h>
#include <sodium.h>

#include "totp.h"

uint32_t
totp_code(const unsigned char *key, size_t keylen, uint64_t step, int digits)
{
	unsigned char msg[8], mac[20];
	uint32_t bin, mod = 1;
	int i, off;

	for (i = 7; i >= 0; i--, step >>= 8)
		msg[i] = (unsigned char)(step & 0xff);
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA1, key, keylen, msg, sizeof msg,
	    mac) != 0)
		return UINT32_MAX;	/* never a code: digits <= 9 */
	off = mac[19] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	for (i = 0; i < digits; i++)
		mod *= 10;
	return bin % mod;
}

int
totp_check(const unsigned char *key, size_t keylen, const char *code,
    int64_t now_ms, int64_t last_step, int64_t *step)
{
	int64_t now = now_ms / 1000 / TOTP_STEP_S, s;
	char want[8];
	int ok = 0;

	if (code == NULL || strlen(code) != 6 || strspn(code,
	    "0123456789") != 6)
		return 0;
	for (s = now - 1; s <= now + 1; s++) {
		snprintf(want, sizeof want, "%06u", (unsigned)totp_code(key,
		    keylen, (uint64_t)s, 6));
		/* Every step is compared, in constant time. */
		if (sodium_memcmp(want, code, 6) != 0 || ok == 1)
			continue;
		if (s > last_step) {
			*step = s;
			ok = 1;
		} else
			ok = -1;
	}
	return ok;
}

void
totp_base32(const unsigned char *key, size_t keylen, char *out,
    size_t outlen)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned buf = 0;
	size_t i, n = 0;
	int bits = 0;

	for (i = 0; i < keylen; i++) {
		buf = buf << 8 | key[i];
		bits += 8;
		while (bits >= 5 && n + 1 < outlen) {
			out[n++] = abc[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0 && n + 1 < outlen)
		out[n++] = abc[(buf << (5 - bits)) & 31];
	out[n] = '\0';
}
