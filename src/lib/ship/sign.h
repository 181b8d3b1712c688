/* sign — Ed25519 keys, signatures and the trusted keys of a VERS_ROOT (libcrypto's EVP).
 *
 * Each root has one key pair, made on first use: VERS_ROOT/bundle.key holds the private key
 * (64 hex digits of its raw 32 bytes, mode 0600, written atomically). A public key is shown
 * and trusted as one line, "vers-ed25519 <64 hex digits>"; VERS_ROOT/trusted-keys holds the
 * keys this root trusts, one such line each. A signature is 128 hex digits. Nothing here
 * decides what a signature allows: the bundle module keeps warm images only when it verifies
 * with a trusted key.
 */
#ifndef VERS_SIGN_H
#define VERS_SIGN_H

#include "base/util.h"

#define VERS_ED25519_HEX 64      /* a raw key, in hex */
#define VERS_ED25519_SIG_HEX 128 /* a signature, in hex */
#define VERS_KEY_PREFIX "vers-ed25519 "

/* A new key pair, in hex. */
int vers_ed25519_keygen(char priv[VERS_ED25519_HEX + 1], char pub[VERS_ED25519_HEX + 1],
                        vers_error_t *err);
/* The public key of a private one. */
int vers_ed25519_public(const char *priv, char pub[VERS_ED25519_HEX + 1], vers_error_t *err);
int vers_ed25519_sign(const char *priv, const void *data, size_t len,
                      char sig[VERS_ED25519_SIG_HEX + 1], vers_error_t *err);
/* true only when sig is a valid signature of data by pub (any malformed input: false) */
bool vers_ed25519_verify(const char *pub, const void *data, size_t len, const char *sig);

/* The root's key pair (made and saved on first use): the private key into priv (may be
 * NULL), the public one into pub. */
int vers_root_key(const char *root, char priv[VERS_ED25519_HEX + 1], char pub[VERS_ED25519_HEX + 1],
                  vers_error_t *err);
/* The public key in a key line ("vers-ed25519 HEX", spaces around it allowed): 0, or -1
 * naming what is wrong. */
int vers_key_parse(const char *line, char pub[VERS_ED25519_HEX + 1], vers_error_t *err);
/* Add pub to root's trusted keys (nothing if it is there already); *added says which. */
int vers_trust_key(const char *root, const char *pub, bool *added, vers_error_t *err);
/* Does root trust pub (its own key counts)? */
bool vers_key_trusted(const char *root, const char *pub);

#endif
