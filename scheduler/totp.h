/*
 * totp.h - time-based one-time passwords (RFC 6238: HMAC-SHA1 of the
 * 30-second step, 6 digits), the second factor an admin may add to a
 * password, as authenticator apps make them.  HMAC-SHA1 is GnuTLS's.
 */
#ifndef KOBITO_TOTP_H
#define KOBITO_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_STEP_S	30
#define TOTP_KEY_BYTES	20	/* as RFC 4226 recommends */

/* The code of key at 30-second step (ms / 30000) with digits digits. */
uint32_t	 totp_code(const unsigned char *key, size_t keylen,
		    uint64_t step, int digits);
/*
 * Whether code (6 digits as text) is key's at the step of now_ms or one
 * step before or after (clocks drift), and after last_step (a code is
 * used once).  1 and the step it matched in *step; -1 when it is one of
 * those steps' but used already (at or before last_step); 0 otherwise.
 */
int		 totp_check(const unsigned char *key, size_t keylen,
		    const char *code, int64_t now_ms, int64_t last_step,
		    int64_t *step);
/* key as RFC 4648 base32 without padding, into out (NUL-terminated). */
void		 totp_base32(const unsigned char *key, size_t keylen, char *out,
		    size_t outlen);

#endif
