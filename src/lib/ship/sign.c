/* sign — Ed25519 with libcrypto's EVP; the root's key pair and its trusted keys. */
#include "ship/sign.h"

#include <openssl/evp.h>
#include <string.h>

static void to_hex(const unsigned char *b, size_t n, char *out)
{
        static const char d[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = d[b[i] >> 4];
                out[2 * i + 1] = d[b[i] & 15];
        }
        out[2 * n] = '\0';
}

/* exactly 2n lowercase hex digits into n bytes */
static bool from_hex(const char *s, unsigned char *b, size_t n)
{
        if (!s || strlen(s) != 2 * n)
                return false;
        for (size_t i = 0; i < 2 * n; i++) {
                char c = s[i];
                int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
                if (v < 0)
                        return false;
                b[i / 2] = (unsigned char)(i % 2 ? (b[i / 2] | v) : v << 4);
        }
        return true;
}

static EVP_PKEY *private_key(const char *priv)
{
        unsigned char raw[32];
        if (!from_hex(priv, raw, sizeof raw))
                return NULL;
        EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, sizeof raw);
        OPENSSL_cleanse(raw, sizeof raw);
        return k;
}

static int public_hex(EVP_PKEY *k, char pub[VERS_ED25519_HEX + 1], vers_error_t *err)
{
        unsigned char raw[32];
        size_t n = sizeof raw;
        if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1 || n != sizeof raw)
                return vers_make_error(err, 0, "libcrypto cannot read an Ed25519 public key");
        to_hex(raw, n, pub);
        return 0;
}

int vers_ed25519_keygen(char priv[VERS_ED25519_HEX + 1], char pub[VERS_ED25519_HEX + 1],
                        vers_error_t *err)
{
        EVP_PKEY *k = NULL;
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
        int ret = -1;
        if (!c || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_keygen(c, &k) != 1) {
                vers_make_error(err, 0, "libcrypto cannot make an Ed25519 key");
                goto out;
        }
        unsigned char raw[32];
        size_t n = sizeof raw;
        if (EVP_PKEY_get_raw_private_key(k, raw, &n) != 1 || n != sizeof raw) {
                vers_make_error(err, 0, "libcrypto cannot read an Ed25519 private key");
                goto out;
        }
        to_hex(raw, n, priv);
        OPENSSL_cleanse(raw, sizeof raw);
        ret = public_hex(k, pub, err);
out:
        EVP_PKEY_free(k);
        EVP_PKEY_CTX_free(c);
        return ret;
}

int vers_ed25519_public(const char *priv, char pub[VERS_ED25519_HEX + 1], vers_error_t *err)
{
        EVP_PKEY *k = private_key(priv);
        if (!k)
                return vers_make_error(err, 0, "not an Ed25519 private key");
        int r = public_hex(k, pub, err);
        EVP_PKEY_free(k);
        return r;
}

int vers_ed25519_sign(const char *priv, const void *data, size_t len,
                      char sig[VERS_ED25519_SIG_HEX + 1], vers_error_t *err)
{
        EVP_PKEY *k = private_key(priv);
        if (!k)
                return vers_make_error(err, 0, "not an Ed25519 private key");
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned char raw[64];
        size_t n = sizeof raw;
        int ret = 0;
        if (!md || EVP_DigestSignInit(md, NULL, NULL, NULL, k) != 1 ||
            EVP_DigestSign(md, raw, &n, data, len) != 1 || n != sizeof raw)
                ret = vers_make_error(err, 0, "libcrypto cannot sign with Ed25519");
        else
                to_hex(raw, n, sig);
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(k);
        return ret;
}

bool vers_ed25519_verify(const char *pub, const void *data, size_t len, const char *sig)
{
        unsigned char rawpub[32], rawsig[64];
        if (!from_hex(pub, rawpub, sizeof rawpub) || !from_hex(sig, rawsig, sizeof rawsig))
                return false;
        EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, rawpub, sizeof rawpub);
        if (!k)
                return false;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        bool ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
                  EVP_DigestVerify(md, rawsig, sizeof rawsig, data, len) == 1;
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(k);
        return ok;
}

int vers_root_key(const char *root, char priv[VERS_ED25519_HEX + 1], char pub[VERS_ED25519_HEX + 1],
                  vers_error_t *err)
{
        _cleanup_free_ char *path = xasprintf("%s/bundle.key", root);
        _cleanup_free_ char *text = NULL;
        char mine[VERS_ED25519_HEX + 1];
        if (vers_path_exists(path)) {
                if (vers_read_file(path, &text, NULL, err) < 0)
                        return -1;
                if (strlen(text) < VERS_ED25519_HEX)
                        return vers_make_error(err, 0, "'%s' holds no key", path);
                memcpy(mine, text, VERS_ED25519_HEX);
                mine[VERS_ED25519_HEX] = '\0';
                OPENSSL_cleanse(text, strlen(text));
                if (vers_ed25519_public(mine, pub, err) < 0)
                        return vers_error_wrap(err, "'%s'", path);
        } else {
                if (vers_ed25519_keygen(mine, pub, err) < 0)
                        return -1;
                _cleanup_free_ char *line = xasprintf("%s\n", mine);
                int r = vers_write_file_atomic(path, line, strlen(line), 0600, err);
                OPENSSL_cleanse(line, strlen(line));
                if (r < 0)
                        return -1;
        }
        if (priv)
                memcpy(priv, mine, sizeof mine);
        OPENSSL_cleanse(mine, sizeof mine);
        return 0;
}

int vers_key_parse(const char *line, char pub[VERS_ED25519_HEX + 1], vers_error_t *err)
{
        while (*line == ' ' || *line == '\t' || *line == '\n')
                line++;
        if (strncmp(line, VERS_KEY_PREFIX, strlen(VERS_KEY_PREFIX)))
                return vers_make_error(err, 0, "not a vers public key (it starts '%s')",
                                       VERS_KEY_PREFIX "...");
        const char *k = line + strlen(VERS_KEY_PREFIX);
        size_t n = 0;
        while (k[n] && k[n] != ' ' && k[n] != '\t' && k[n] != '\n' && k[n] != '\r')
                n++;
        unsigned char raw[32];
        char hex[VERS_ED25519_HEX + 1] = "";
        if (n == VERS_ED25519_HEX)
                memcpy(hex, k, n);
        if (!from_hex(hex, raw, sizeof raw))
                return vers_make_error(err, 0,
                                       "not a vers public key (64 lowercase hex digits "
                                       "after '" VERS_KEY_PREFIX "')");
        for (const char *p = k + n; *p; p++)
                if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
                        return vers_make_error(err, 0, "not a vers public key (more after it)");
        memcpy(pub, hex, sizeof hex);
        return 0;
}

static bool listed(const char *text, const char *pub)
{
        _cleanup_free_ char *copy = xstrdup(text);
        char *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char k[VERS_ED25519_HEX + 1];
                if (vers_key_parse(l, k, NULL) == 0 && !strcmp(k, pub))
                        return true;
        }
        return false;
}

int vers_trust_key(const char *root, const char *pub, bool *added, vers_error_t *err)
{
        _cleanup_free_ char *path = xasprintf("%s/trusted-keys", root);
        _cleanup_free_ char *text = NULL;
        *added = false;
        if (!vers_path_exists(path))
                text = xstrdup("");
        else if (vers_read_file(path, &text, NULL, err) < 0)
                return -1;
        if (listed(text, pub))
                return 0;
        size_t n = strlen(text);
        _cleanup_free_ char *next = xasprintf(
            "%s%s%s%s\n", text, n && text[n - 1] != '\n' ? "\n" : "", VERS_KEY_PREFIX, pub);
        if (vers_write_file_atomic(path, next, strlen(next), 0644, err) < 0)
                return -1;
        *added = true;
        return 0;
}

bool vers_key_trusted(const char *root, const char *pub)
{
        char mine[VERS_ED25519_HEX + 1];
        _cleanup_free_ char *keyfile = xasprintf("%s/bundle.key", root);
        if (vers_path_exists(keyfile) && vers_root_key(root, NULL, mine, NULL) == 0 &&
            !strcmp(mine, pub))
                return true;
        _cleanup_free_ char *path = xasprintf("%s/trusted-keys", root);
        _cleanup_free_ char *text = NULL;
        return vers_read_file(path, &text, NULL, NULL) == 0 && listed(text, pub);
}
