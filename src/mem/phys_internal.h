/* SPDX-License-Identifier: MIT */
/*
 * Internal layout of lpae_phys, shared with the walker and the TLB code so
 * that a descriptor fetch from backed RAM costs two dependent loads plus the
 * data load. Not part of the public API.
 *
 * Backing is a two-level radix over the 28-bit frame number of a 40-bit PA:
 * dir[PA[39:26]] -> leaf, leaf->page[PA[25:12]] -> 4 KB host page (or NULL
 * when never written / dropped). A directory entry with no leaf of its own
 * points at the phys's all-NULL `empty` leaf, never NULL, so that a lookup
 * needs no leaf test. RAM ranges and the frame allocator live beside it.
 */
#ifndef LPAE_PHYS_INTERNAL_H
#define LPAE_PHYS_INTERNAL_H

#include <string.h>

#include "lpae/phys.h"

#define LPAE_PHYS_DIR_BITS 14u
#define LPAE_PHYS_LEAF_BITS 14u
#define LPAE_PHYS_DIR_SIZE (1u << LPAE_PHYS_DIR_BITS)
#define LPAE_PHYS_LEAF_SIZE (1u << LPAE_PHYS_LEAF_BITS)
#define LPAE_PHYS_DIR_SHIFT (LPAE_PAGE_SHIFT + LPAE_PHYS_LEAF_BITS) /* 26 */

/** Number of remembered allocation windows (each with a next-fit cursor). */
#define LPAE_PHYS_NWINDOWS 8

typedef struct lpae_phys_leaf {
    uint8_t *page[LPAE_PHYS_LEAF_SIZE];
} lpae_phys_leaf;

/* One RAM range with its frame bitmap (bit set = frame allocated/reserved). */
typedef struct lpae_phys_range {
    lpae_pa_t base;
    uint64_t size;
    uint64_t nframes;
    uint64_t *bitmap;
    uint64_t in_use;
} lpae_phys_range;

typedef struct lpae_phys_window {
    lpae_pa_t lo, hi, cursor;
    bool valid;
} lpae_phys_window;

struct lpae_phys {
    lpae_phys_leaf *dir[LPAE_PHYS_DIR_SIZE]; /* `empty` where no leaf of its own */
    lpae_phys_leaf *empty;                   /* every page NULL, never written */
    uint32_t dir_count[LPAE_PHYS_DIR_SIZE];  /* backed pages per leaf */
    lpae_phys_range range[LPAE_PHYS_MAX_RANGES];
    size_t nranges; /* sorted by base */
    uint64_t backing_cap_bytes;
    uint64_t backed_pages;
    uint64_t leaves;
    uint64_t bitmap_bytes;
    uint64_t frames_total;
    lpae_phys_window win[LPAE_PHYS_NWINDOWS];
    unsigned win_next; /* round-robin replacement index */
};

/* Slow path of lpae_phys_fetch64 (unbacked or out-of-range PA). Returns 0 and
 * *val = 0 for unbacked RAM, LPAE_EABORT outside RAM. pa is 8-byte aligned. */
int lpae_phys_fetch64_slow(const lpae_phys *phys, lpae_pa_t pa, uint64_t *val);

/*
 * lpae_phys_read() of [src, src+n) into a buffer followed by lpae_phys_write()
 * of that buffer to [dst, dst+n), without the buffer: the same result, the
 * same errors (LPAE_EABORT when src, then dst, is not RAM; LPAE_ENOMEM for the
 * backing cap or a host allocation; nothing written on error) and the same
 * backing (dst's page is backed even when src's is not). The ranges may
 * overlap. Precondition: n <= 4 KB and neither range crosses a 4 KB page
 * (LPAE_EINVAL otherwise); n == 0 does nothing.
 */
int lpae_phys_copy_page(lpae_phys *phys, lpae_pa_t dst, lpae_pa_t src, size_t n);

static inline uint64_t lpae_phys_le64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

/* lpae_phys_host_page() for a @pa known to be inside the PA space. */
static inline uint8_t *lpae_phys_page_in(const lpae_phys *phys, lpae_pa_t pa)
{
    return phys->dir[pa >> LPAE_PHYS_DIR_SHIFT]
        ->page[(pa >> LPAE_PAGE_SHIFT) & (LPAE_PHYS_LEAF_SIZE - 1u)];
}

/*
 * The host bytes of the backed 4 KB page holding @pa, or NULL when the page
 * has no backing (never written, dropped) or @pa is beyond the PA space. A
 * backed page is always RAM (pages are backed only after the RAM check), so
 * a non-NULL answer is all that lpae_phys_read/write of bytes within that
 * page would check before copying.
 */
static inline uint8_t *lpae_phys_host_page(const lpae_phys *phys, lpae_pa_t pa)
{
    /* the directory index is below LPAE_PHYS_DIR_SIZE inside the PA space */
    if (__builtin_expect((pa >> LPAE_PHYS_DIR_SHIFT) < LPAE_PHYS_DIR_SIZE, 1))
        return lpae_phys_page_in(phys, pa);
    return NULL;
}

/* memcpy() with the common 8- and 4-byte sizes as single loads and stores. */
static inline void lpae_phys_copy_bytes(void *dst, const void *src, size_t n)
{
    if (n == 8)
        memcpy(dst, src, 8);
    else if (n == 4)
        memcpy(dst, src, 4);
    else
        memcpy(dst, src, n);
}

/*
 * Descriptor fetch for walkers: read the little-endian 64-bit word at the
 * 8-byte-aligned @pa. Returns 0 or LPAE_EABORT (PA outside RAM). No argument
 * checks beyond what keeps it memory-safe.
 */
static inline int lpae_phys_fetch64(const lpae_phys *phys, lpae_pa_t pa, uint64_t *val)
{
    const uint8_t *pg = lpae_phys_host_page(phys, pa);
    if (__builtin_expect(pg != NULL, 1)) {
        uint64_t v;
        memcpy(&v, pg + (pa & (LPAE_PAGE_SIZE - 8u)), sizeof v);
        *val = lpae_phys_le64(v);
        return 0;
    }
    return lpae_phys_fetch64_slow(phys, pa, val);
}

#endif
