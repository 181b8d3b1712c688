/* hash — SHA-256 through OpenSSL's EVP interface; see hash.h. */
#include "base/hash.h"
#include "base/util.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
        static const char hex[] = "0123456789abcdef";
        for (unsigned i = 0; i < n; i++) {
                out[2 * i] = hex[d[i] >> 4];
                out[2 * i + 1] = hex[d[i] & 0xf];
        }
        out[2 * n] = '\0';
}

void vers_hash_init(struct vers_hash *h)
{
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
                vers_abort("cannot initialise SHA-256 (libcrypto)");
        }
        h->md = md;
}

void vers_hash_add(struct vers_hash *h, const void *data, size_t len)
{
        unsigned char frame[8];
        uint64_t n = len;
        for (int i = 0; i < 8; i++)
                frame[i] = (unsigned char)(n >> (8 * i));
        EVP_DigestUpdate(h->md, frame, sizeof frame);
        if (len)
                EVP_DigestUpdate(h->md, data, len);
}

void vers_hash_str(struct vers_hash *h, const char *s)
{
        vers_hash_add(h, s ? s : "", s ? strlen(s) : 0);
}

void vers_hash_hex(struct vers_hash *h, char out[VERS_HASH_HEX + 1])
{
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        EVP_DigestFinal_ex(h->md, d, &n);
        to_hex(d, n, out);
        vers_hash_release(h);
}

void vers_hash_release(struct vers_hash *h)
{
        EVP_MD_CTX_free(h->md);
        h->md = NULL;
}

void vers_sha256_hex(const void *data, size_t len, char out[VERS_HASH_HEX + 1])
{
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        if (EVP_Digest(data, len, d, &n, EVP_sha256(), NULL) != 1) {
                vers_abort("SHA-256 failed (libcrypto)");
        }
        to_hex(d, n, out);
}
