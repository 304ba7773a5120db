/*
 * der.h - a bounded, strict DER reader for the linter (after BoringSSL's
 * CBS). Every read either consumes what it asks for and returns 1, or
 * consumes nothing and returns 0. Only definite, minimally encoded lengths
 * and low-tag-number identifiers are accepted: anything else is not DER.
 */
#ifndef CATENA_LINT_DER_H
#define CATENA_LINT_DER_H

#include <stddef.h>
#include <stdint.h>

/* Identifier octets as one byte: class | constructed | number (< 31). */
#define DER_BOOLEAN 0x01u
#define DER_INTEGER 0x02u
#define DER_BIT_STRING 0x03u
#define DER_OCTET_STRING 0x04u
#define DER_NULL 0x05u
#define DER_OID 0x06u
#define DER_ENUMERATED 0x0au
#define DER_UTF8STRING 0x0cu
#define DER_PRINTABLESTRING 0x13u
#define DER_T61STRING 0x14u
#define DER_IA5STRING 0x16u
#define DER_UTCTIME 0x17u
#define DER_GENERALIZEDTIME 0x18u
#define DER_VISIBLESTRING 0x1au
#define DER_UNIVERSALSTRING 0x1cu
#define DER_BMPSTRING 0x1eu
#define DER_SEQUENCE 0x30u
#define DER_SET 0x31u
#define DER_CONTEXT 0x80u
#define DER_CONSTRUCTED 0x20u
#define DER_CTX(n) (DER_CONTEXT | (unsigned)(n))
#define DER_CTX_C(n) (DER_CONTEXT | DER_CONSTRUCTED | (unsigned)(n))

/* The deepest nesting the strict walker follows; certificates need < 12. */
#define DER_MAX_DEPTH 24

struct der {
    const uint8_t *p;
    size_t len;
};

void der_init(struct der *d, const uint8_t *p, size_t len);

/* der_peek returns the next identifier byte, or -1 if empty/malformed. */
int der_peek(const struct der *d);

/*
 * der_get_any reads one TLV: |*tag| the identifier byte, |contents| its
 * contents, |whole| (may be NULL) the whole TLV including the header.
 */
int der_get_any(struct der *d, unsigned *tag, struct der *contents,
                struct der *whole);

/* der_get reads one TLV whose identifier must be |tag|. */
int der_get(struct der *d, unsigned tag, struct der *contents);

/* der_get_whole reads one TLV with identifier |tag|, returning the whole. */
int der_get_whole(struct der *d, unsigned tag, struct der *whole);

/* der_get_optional: if the next identifier is |tag| reads it and sets
 * |*present|; otherwise consumes nothing. Returns 0 only on malformation. */
int der_get_optional(struct der *d, unsigned tag, struct der *contents,
                     int *present);

/* der_eq compares two spans byte for byte. */
int der_eq(const struct der *a, const struct der *b);

/* der_oid_is compares an OID's contents with |oid| (contents octets). */
int der_oid_is(const struct der *oid_contents, const uint8_t *oid,
               size_t oid_len);
#define DER_OID_IS(d, arr) der_oid_is((d), (arr), sizeof(arr))

/*
 * der_int_minimal returns 1 if the INTEGER contents are minimally encoded
 * (non-empty, no redundant leading 0x00/0xff).
 */
int der_int_minimal(const struct der *contents);

/* der_int_small reads a non-negative INTEGER contents into |*out| if it
 * fits in 62 bits. */
int der_int_small(const struct der *contents, int64_t *out);

/*
 * der_strict walks the TLV tree of |p| recursively (constructed types and
 * the DER-bearing contents of nothing else) and checks X.690 DER rules that
 * need no schema: one element with no trailing bytes, minimal INTEGERs,
 * BOOLEAN 0x00/0xff, BIT STRING unused-bit count and zero padding, NULL
 * empty, SET OF elements in ascending order. Returns 1 if strict; on
 * failure writes the reason and its byte offset into |why|.
 */
int der_strict(const uint8_t *p, size_t len, char *why, size_t why_len);

/* der_oid_text writes the dotted form of an OID's contents. */
void der_oid_text(const struct der *oid, char *buf, size_t buf_len);

#endif
