/* SPICE ticket authentication: a per-process RSA-1024 key whose public half
 * goes in every link reply, and the check of the RSA-OAEP encrypted ticket
 * against the password set in memory or read from the password file. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "server/internal.h"
#include "server/net/password.h"

int fsrv_auth_init(struct floe_server *s)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
    unsigned char *der = NULL;
    int len, rc = -EIO;

    if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024) <= 0 || EVP_PKEY_keygen(ctx, &s->key) <= 0)
        goto out;
    len = i2d_PUBKEY(s->key, &der);
    if (len != SPICE_TICKET_PUBKEY_BYTES)
        goto out;
    memcpy(s->pubkey, der, SPICE_TICKET_PUBKEY_BYTES);
    rc = 0;
out:
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* Decrypts the ticket into out (NUL-terminated); 0 or -1. */
static int ticket_decrypt(struct floe_server *s, const uint8_t *ticket, char *out, size_t cap)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(s->key, NULL);
    unsigned char buf[SPICE_TICKET_BYTES];
    size_t len = sizeof(buf);
    int rc = -1;

    if (ctx && EVP_PKEY_decrypt_init(ctx) > 0 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
        EVP_PKEY_decrypt(ctx, buf, &len, ticket, SPICE_TICKET_BYTES) > 0) {
        size_t n = strnlen((const char *)buf, len);

        if (n < cap) {
            memcpy(out, buf, n);
            out[n] = 0;
            rc = 0;
        }
    }
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

/* Compares in time that depends on neither password's content or length:
 * both are padded to the longest password there can be. */
static int password_matches(const char *given, const char *want)
{
    char a[SPICE_MAX_PASSWORD + 1] = { 0 }, b[SPICE_MAX_PASSWORD + 1] = { 0 };
    size_t gl = strnlen(given, SPICE_MAX_PASSWORD + 1), wl = strlen(want);
    int same;

    memcpy(a, given, gl > SPICE_MAX_PASSWORD ? SPICE_MAX_PASSWORD : gl);
    memcpy(b, want, wl > SPICE_MAX_PASSWORD ? SPICE_MAX_PASSWORD : wl);
    same = CRYPTO_memcmp(a, b, sizeof(a)) == 0;
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));
    /* an empty password is no password: nothing matches it */
    return same && gl <= SPICE_MAX_PASSWORD && wl > 0;
}

/* The password in force and its expiry: the ticket set in memory, else the
 * password file's. 0, or -1 when there is none. */
static int password_now(struct floe_server *s, char want[SPICE_MAX_PASSWORD + 1], time_t *expiry)
{
    if (s->has_ticket) {
        memcpy(want, s->ticket, SPICE_MAX_PASSWORD + 1);
        *expiry = s->ticket_expires;
        return 0;
    }
    if (s->password_file && fsrv_password_read(s->password_file, want, expiry) == 0)
        return 0;
    return -1;
}

int fsrv_auth_check_ticket(struct floe_server *s, const uint8_t *ticket)
{
    char given[SPICE_TICKET_BYTES + 1], want[SPICE_MAX_PASSWORD + 1];
    time_t expiry = 0;
    int ok;

    if (ticket_decrypt(s, ticket, given, sizeof(given)) < 0) {
        if (s->opt.disable_ticketing)
            return SPICE_LINK_ERR_OK;
        floe_warn("ticket could not be decrypted");
        return SPICE_LINK_ERR_PERMISSION_DENIED;
    }
    if (s->opt.disable_ticketing)
        return SPICE_LINK_ERR_OK;
    if (password_now(s, want, &expiry) < 0) {
        floe_err("no usable password: every client is refused");
        OPENSSL_cleanse(given, sizeof(given));
        return SPICE_LINK_ERR_PERMISSION_DENIED;
    }
    if (expiry && time(NULL) > expiry) {
        floe_warn("the password has expired");
        ok = 0;
    } else {
        ok = password_matches(given, want);
    }
    OPENSSL_cleanse(want, sizeof(want));
    OPENSSL_cleanse(given, sizeof(given));
    return ok ? SPICE_LINK_ERR_OK : SPICE_LINK_ERR_PERMISSION_DENIED;
}

int floe_server_set_ticket(struct floe_server *s, const char *password, time_t expires)
{
    if (password && strlen(password) > SPICE_MAX_PASSWORD)
        return -EINVAL;
    OPENSSL_cleanse(s->ticket, sizeof(s->ticket));
    s->has_ticket = password != NULL;
    s->ticket_expires = password ? expires : 0;
    if (password)
        memcpy(s->ticket, password, strlen(password) + 1);
    return 0;
}

void floe_server_set_disable_ticketing(struct floe_server *s, int on)
{
    s->opt.disable_ticketing = on != 0;
}
