/* hash — the one content hash: SHA-256 (OpenSSL's libcrypto), for layer keys, checkpoint keys
 * and any name derived from content. Pieces are framed (length first), so ("ab","c") and
 * ("a","bc") hash differently; a crafted collision would have to break SHA-256. */
#ifndef VERS_HASH_H
#define VERS_HASH_H

#include <stddef.h>

#define VERS_HASH_HEX 64 /* characters of a full digest in hex */

struct vers_hash {
        void *md; /* EVP_MD_CTX */
};

void vers_hash_init(struct vers_hash *h);
/* one framed piece: its length, then its bytes */
void vers_hash_add(struct vers_hash *h, const void *data, size_t len);
/* a string as one piece; NULL hashes as "" */
void vers_hash_str(struct vers_hash *h, const char *s);
/* Finish: the digest in lowercase hex, VERS_HASH_HEX characters and a NUL, into out; h is
 * released and may be initialised again. */
void vers_hash_hex(struct vers_hash *h, char out[VERS_HASH_HEX + 1]);
/* Release h without finishing (an error path). */
void vers_hash_release(struct vers_hash *h);
/* SHA-256 of one buffer (unframed: the standard digest), in hex. */
void vers_sha256_hex(const void *data, size_t len, char out[VERS_HASH_HEX + 1]);

#endif
