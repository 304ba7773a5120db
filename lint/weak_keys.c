/*
 * weak_keys.c - the Debian weak keys (CVE-2008-0166) set rule B7 looks
 * keys up in: openssl-vulnkey fingerprints (the last 80 bits of
 * SHA-1("Modulus=<upper-case hex>\n")) per RSA modulus size, sorted for
 * binary search. The lists themselves are the operator's to install
 * (ca/weak_keys_file.c reads them); with lists loaded, rule B7 refuses a
 * size none of them covers (BR 6.1.1.3), and without any it answers NE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "catena/lint.h"

#define FP_LEN CATENA_LINT_WEAK_FP_LEN
#define MAX_SIZES 32 /* distinct modulus sizes */
/* Far above the 2 architectures x 3 RNG states x 32768 PIDs per size. */
#define MAX_PER_SIZE (4u * 1024u * 1024u)

struct size_list {
    int bits;          /* 0: the file named no size, any size */
    uint8_t *fps;      /* sorted, FP_LEN each */
    size_t num;
    size_t cap;
};

struct catena_lint_weak_keys {
    struct size_list sizes[MAX_SIZES];
    size_t num_sizes;
    int sorted; /* catena_lint_weak_keys_seal since the last add */
};

static int
fp_cmp(const void *a, const void *b)
{
    return memcmp(a, b, FP_LEN);
}

static const struct size_list *
list_find(const struct catena_lint_weak_keys *w, int bits)
{
    for (size_t i = 0; i < w->num_sizes; i++) {
        if (w->sizes[i].bits == bits) {
            return &w->sizes[i];
        }
    }
    return NULL;
}

/* list_for is the list of |bits|, made when there is none yet (NULL when
 * MAX_SIZES are in use). */
static struct size_list *
list_for(struct catena_lint_weak_keys *w, int bits)
{
    const struct size_list *found = list_find(w, bits);

    if (found != NULL) {
        return &w->sizes[found - w->sizes];
    }
    if (w->num_sizes == MAX_SIZES) {
        return NULL;
    }
    w->sizes[w->num_sizes].bits = bits;
    return &w->sizes[w->num_sizes++];
}

struct catena_lint_weak_keys *
catena_lint_weak_keys_new(void)
{
    return calloc(1, sizeof(struct catena_lint_weak_keys));
}

enum catena_rc
catena_lint_weak_keys_add(struct catena_lint_weak_keys *w, int bits,
                          const uint8_t fp[CATENA_LINT_WEAK_FP_LEN])
{
    struct size_list *l = list_for(w, bits);

    if (l == NULL) {
        return CATENA_ERR_TOO_BIG;
    }
    if (l->num == l->cap) {
        size_t cap = l->cap != 0 ? 2 * l->cap : 4096;
        uint8_t *grown;

        if (cap > MAX_PER_SIZE || (grown = realloc(l->fps, cap * FP_LEN)) ==
                                      NULL) {
            return cap > MAX_PER_SIZE ? CATENA_ERR_TOO_BIG : CATENA_ERR_NOMEM;
        }
        l->fps = grown;
        l->cap = cap;
    }
    memcpy(l->fps + l->num * FP_LEN, fp, FP_LEN);
    l->num++;
    w->sorted = 0;
    return CATENA_OK;
}

void
catena_lint_weak_keys_seal(struct catena_lint_weak_keys *w)
{
    for (size_t i = 0; i < w->num_sizes; i++) {
        qsort(w->sizes[i].fps, w->sizes[i].num, FP_LEN, fp_cmp);
    }
    w->sorted = 1;
}

void
catena_lint_weak_keys_free(struct catena_lint_weak_keys *w)
{
    if (w == NULL) {
        return;
    }
    for (size_t i = 0; i < w->num_sizes; i++) {
        free(w->sizes[i].fps);
    }
    free(w);
}

enum catena_lint_weak_answer
catena_lint_weak_keys_check(const struct catena_lint_weak_keys *w,
                            const char *modulus_hex_upper, int bits)
{
    static const char prefix[] = "Modulus=";
    const struct size_list *lists[2];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int covered = 0;
    int ok;

    if (!w->sorted) {
        return CATENA_LINT_WEAK_NO_LIST; /* not sealed: not usable */
    }
    lists[0] = list_find(w, bits);
    lists[1] = list_find(w, 0);
    /* openssl-vulnkey hashes the line "openssl x509 -modulus" prints. */
    ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 &&
         EVP_DigestUpdate(c, prefix, sizeof(prefix) - 1) == 1 &&
         EVP_DigestUpdate(c, modulus_hex_upper,
                          strlen(modulus_hex_upper)) == 1 &&
         EVP_DigestUpdate(c, "\n", 1) == 1 &&
         EVP_DigestFinal_ex(c, md, &md_len) == 1 && md_len == 20;
    EVP_MD_CTX_free(c);
    if (!ok) {
        return CATENA_LINT_WEAK_NO_LIST;
    }
    for (size_t i = 0; i < 2; i++) {
        if (lists[i] == NULL) {
            continue;
        }
        covered = 1;
        if (bsearch(md + md_len - FP_LEN, lists[i]->fps,
                    lists[i]->num, FP_LEN, fp_cmp) != NULL) {
            return CATENA_LINT_WEAK_LISTED;
        }
    }
    return covered ? CATENA_LINT_WEAK_NOT_LISTED : CATENA_LINT_WEAK_NO_LIST;
}
