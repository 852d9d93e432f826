/* SPDX-License-Identifier: MIT */
/* Internal: the data-cache layout and its access, inline for the machine's
 * per-line loops.
 *
 * Replacement is LRU, and LRU is a stack algorithm: which lines a set holds,
 * and so every hit, miss and eviction, does not depend on which way holds a
 * line. Two equivalent layouts use that, chosen by the number of ways:
 *
 * - Recency order (1..4 and 17..64 ways): a set keeps its line numbers most
 *   recently used first, empty ways (NO_LINE) after every valid one. A hit
 *   at position p moves that line to the front; a miss pushes the new line
 *   in at the front and drops the last entry, which is an eviction when it
 *   was a valid line.
 * - Permutation (5..16 ways): lines stay in their ways; per set, `pos`
 *   holds each way's place in the recency order, one byte per way (byte w:
 *   0 = MRU, ways-1 = LRU; POS_NONE past the ways), and `sig` holds an
 *   8-bit hash of each way's line (byte w for way w), so that one 16-byte
 *   compare finds the ways worth comparing (about one in 256 false
 *   candidates). A hit or a fill moves its way to place 0 and every way
 *   before it one place back: one 16-byte compare and subtract. Empty ways
 *   always hold the last places, so the LRU way is the one a miss fills:
 *   empty if the set has one, else the line it evicts. A set's 16 pos
 *   bytes and 16 sig bytes sit just before its line numbers.
 *
 * Both are exactly the stamp-per-way LRU that fills an empty way first
 * (tests/test_cache.c checks them against one), without stamps or a victim
 * scan. */
#ifndef LPAE_SRC_CACHE_CACHE_IMPL_H
#define LPAE_SRC_CACHE_CACHE_IMPL_H

#include <string.h>

#include "lpae/cache.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* lpae_cache.fast: the geometries cache_access_fast() unrolls (2 and 4
 * ways in the recency layout, 8 and 16 in the permutation layout). */
enum { CACHE_FAST_NONE, CACHE_FAST_REC2, CACHE_FAST_PERM16, CACHE_FAST_REC4, CACHE_FAST_PERM8 };

/* lpae_cache.pairx_kind: the L1/L2 pairs other than cache_pair_p16()'s
 * whose lines cache_line_k() serves with both geometries constant. */
enum { CACHE_PAIR_NONE, CACHE_PAIR_4_16, CACHE_PAIR_4_8, CACHE_PAIR_2_8 };

/* Never a line number: pa >> line_shift with line_shift >= 3 is < 2^61, so
 * bit 63 of a way's entry is set exactly when the way is empty. */
#define NO_LINE UINT64_MAX

/* Ways kept as a permutation (see above). */
#define CACHE_PERM_MIN_WAYS 5u
#define CACHE_PERM_MAX_WAYS 16u
/* Permutation layout, in uint64_t words per set: 16 pos bytes, 16 sig
 * bytes, then the ways' line numbers. */
#define PERM_POS 0u
#define PERM_SIG 2u
#define PERM_ROW 4u
#define PERM16_STRIDE (PERM_ROW + CACHE_PERM_MAX_WAYS)
/* The pos byte of a way past the ways: above every place, never the LRU's. */
#define POS_NONE 0x7Fu

#define BYTE_ONES UINT64_C(0x0101010101010101)
#define BYTE_LOW7 UINT64_C(0x7f7f7f7f7f7f7f7f)
#define BYTE_HIGH UINT64_C(0x8080808080808080)

/* The index of the lowest set bit of @p m (non-zero) as a size_t. GCC
 * widens __builtin_ctz()'s int result with a movslq at every use (a way
 * index); on x86-64 one bsf already gives the 64-bit index. */
static inline __attribute__((always_inline)) size_t low_bit(unsigned m)
{
#if defined(__x86_64__) && defined(__GNUC__)
    uint64_t r;
    __asm__("bsf %1, %0" : "=r"(r) : "r"((uint64_t)m) : "cc");
    return (size_t)r;
#else
    return (size_t)__builtin_ctz(m);
#endif
}

struct lpae_cache {
    uint32_t sets, ways, line;
    uint8_t line_shift;
    bool perm;    /* permutation layout */
    uint8_t lru;  /* perm: ways - 1, the LRU's place */
    uint8_t fast; /* how cache_access_fast() unrolls it: CACHE_FAST_* */
    uint32_t set_mask;
    uint32_t way_mask;              /* perm: bit w for each way w */
    uint32_t stride;                /* uint64_t words per set: ways, or PERM_ROW + ways */
    uint32_t tag_off;               /* where a set's line numbers start: 0, or PERM_ROW */
    const struct lpae_cache *pair;  /* an L2 cache_pair_p16() accepted with this
                                       L1 (geometries never change), or NULL */
    const struct lpae_cache *pairx; /* an L2 cache_pair_x() gave a kind for with
                                       this L1 (pairx_kind), or NULL */
    uint8_t pairx_kind;             /* CACHE_PAIR_*: cache_pair_x(this, pairx) */
    uint64_t *tag;                  /* per set (stride words): perm: pos (byte w: way w's place,
                                       MRU 0; POS_NONE past the ways), sig (byte w: hash of way
                                       w's line, stale for empty ways, bytes past the ways
                                       unused); then ways line numbers (pa >> line_shift),
                                       NO_LINE when empty; recency layout: MRU first */
    /* Counters: accesses = hits + misses, evictions = misses - fills (the
     * misses that filled an empty way). Lines only leave at a flush, so the
     * valid lines are the fills since the last flush, fills - flush_mark
     * (modulo 2^64; stats_reset moves the mark with the counter); the cache
     * is full (warm) when that is nlines. No two counters are adjacent:
     * GCC would pair adjacent ones updated together into one vector add,
     * which costs more instructions than two scalar adds. */
    uint64_t hits;
    uint64_t flush_mark;
    uint64_t misses;
    uint64_t nlines;
    uint64_t fills;
};

/* True when no way of @p c is empty: no miss can then fill an empty way. */
static inline bool cache_warm(const lpae_cache *c)
{
    return c->fills - c->flush_mark == c->nlines;
}

/* The 8-bit hash of line number @p ln kept in sig, in each of the four
 * bytes of the result: the compare's key, and its low byte the sig byte.
 * The lines of one set differ only above the set-index bits, by k * 2^b
 * for b set bits, and the key's byte is the top byte of k times
 * SIG_MUL * 2^b: with SIG_MUL = (2^32 / phi) / 2^10 that is Fibonacci
 * hashing of k for 1024 sets (a 1 MB 16-way L2 of 64-byte lines) and a
 * multiplier of the same golden family (phi^-1 * 2^(b-10) mod 1) for 256
 * to 8192 sets, so that lines of pages near each other in physical memory
 * (small k) get well spread bytes. (2^32 / phi itself spreads k * 2^10
 * badly: k = 15 lands one byte from k = 0.) Only the low 32 bits of ln
 * count (every tag bit below 2^(32 + line_shift) bytes; higher bits only
 * make more false candidates). */
#define SIG_MUL (UINT32_C(0x9E3779B1) >> 10)
static inline uint32_t line_key(uint64_t ln)
{
    return (((uint32_t)ln * SIG_MUL) >> 24) * UINT32_C(0x01010101);
}

/* sig_match() without vector instructions (and the reference the tests hold
 * the vector version to): bit w set where sig byte w equals the byte that
 * all four bytes of @p key hold. */
static inline unsigned sig_match_swar(const uint8_t *sig, uint32_t key)
{
    uint64_t k = key * UINT64_C(0x100000001), lo, hi;
    memcpy(&lo, sig, 8);
    memcpy(&hi, sig + 8, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    lo = __builtin_bswap64(lo); /* byte w at bits 8w..8w+7 */
    hi = __builtin_bswap64(hi);
#endif
    lo ^= k;
    hi ^= k;
    /* bit 8i+7 where byte i is zero (no carries cross bytes: 127 + 127 < 256) */
    lo = ~(((lo & BYTE_LOW7) + BYTE_LOW7) | lo) & BYTE_HIGH;
    hi = ~(((hi & BYTE_LOW7) + BYTE_LOW7) | hi) & BYTE_HIGH;
    /* bit 8i -> bit 56+i: the multiplier's bit 56-7i for each i (no two
     * partial products share a bit) */
    const uint64_t gather = UINT64_C(0x0102040810204080);
    return (unsigned)(((lo >> 7) * gather) >> 56) | (unsigned)(((hi >> 7) * gather) >> 56) << 8;
}

/* Bit w (0..15) set where sig byte w equals the byte that all four bytes of
 * @p key hold (line_key()). */
static inline unsigned sig_match(const uint8_t *sig, uint32_t key)
{
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)sig);
    __m128i k = _mm_shuffle_epi32(_mm_cvtsi32_si128((int)key), 0);
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, k));
#else
    return sig_match_swar(sig, key);
#endif
}

/* pos_touch() without vector instructions (and the reference the tests
 * hold the vector version to): every byte of the 16 at @p pos below @p p
 * (0..15; bytes are at most POS_NONE) one more. */
static inline void pos_shift_swar(uint8_t *pos, unsigned p)
{
    /* per byte b <= 0x7F: (b | 0x80) - p keeps bit 7 exactly when b >= p
     * (no borrow crosses a byte); the bytes without it get 1 */
    uint64_t k = p * BYTE_ONES;
    for (int i = 0; i < 2; i++) {
        uint64_t v;
        memcpy(&v, pos + 8 * i, 8);
        v += (~((v | BYTE_HIGH) - k) & BYTE_HIGH) >> 7;
        memcpy(pos + 8 * i, &v, 8);
    }
}

/* Move way @p w, at place @p p, to the front (MRU, place 0) of the recency
 * places @p pos: every way before it one place back. */
static inline __attribute__((always_inline)) void pos_touch(uint8_t *pos, size_t w, unsigned p)
{
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)pos);
    __m128i k = _mm_shuffle_epi32(_mm_cvtsi32_si128((int)(p * UINT32_C(0x01010101))), 0);
    v = _mm_sub_epi8(v, _mm_cmpgt_epi8(k, v)); /* the places below p one more */
    _mm_storeu_si128((__m128i *)(void *)pos, v);
#else
    pos_shift_swar(pos, p);
#endif
    pos[w] = 0; /* one instruction fewer than masking it in the vector */
}

/* The way at place @p lru (ways - 1, a constant where it can be) of the
 * recency places @p pos. */
static inline __attribute__((always_inline)) size_t pos_lru(const uint8_t *pos, unsigned lru)
{
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)pos);
    __m128i k = _mm_shuffle_epi32(_mm_cvtsi32_si128((int)(lru * UINT32_C(0x01010101))), 0);
    return low_bit((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, k)));
#else
    size_t w = 0;
    while (pos[w] != lru)
        w++;
    return w;
#endif
}

/* A fill: the LRU way (at place @p lru, ways - 1) moved to the front, as
 * pos_touch(pos, pos_lru(pos, lru), lru); returns that way. With 16 ways
 * every byte is a way's, and the move is every place plus one, modulo 16. */
static inline __attribute__((always_inline)) size_t pos_fill(uint8_t *pos, unsigned lru)
{
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)pos);
    __m128i k = _mm_shuffle_epi32(_mm_cvtsi32_si128((int)(lru * UINT32_C(0x01010101))), 0);
    __m128i eq = _mm_cmpeq_epi8(v, k);
    size_t w = low_bit((unsigned)_mm_movemask_epi8(eq));
    if (lru == 15u)
        v = _mm_and_si128(_mm_add_epi8(v, _mm_set1_epi8(1)), _mm_set1_epi8(15));
    else
        v = _mm_andnot_si128(eq, _mm_sub_epi8(v, _mm_cmpgt_epi8(k, v)));
    _mm_storeu_si128((__m128i *)(void *)pos, v);
    return w;
#else
    size_t w = pos_lru(pos, lru);
    pos_touch(pos, w, lru);
    return w;
#endif
}

/* One permutation-layout access of line @p ln to the set at @p blk (pos,
 * sig, then the line numbers), without statistics: true on a hit; a miss
 * fills the LRU way and adds 1 to *@p empty when that way was empty (a miss
 * that does not is an eviction). With the geometry arguments constant
 * (16 ways) the compiler folds them. @p mru_test (a constant) skips the
 * recency update of a hit on the MRU way, which pos_touch() would leave
 * unchanged: a saving where such hits are common, a test where not. */
static inline __attribute__((always_inline)) bool perm_step_t(uint64_t *blk, uint64_t ln,
                                                              uint32_t way_mask, unsigned lru,
                                                              uint64_t *empty, bool mru_test)
{
    uint64_t *row = blk + PERM_ROW;
    uint8_t *pos = (uint8_t *)(blk + PERM_POS);
    uint8_t *sig = (uint8_t *)(blk + PERM_SIG);
    uint32_t key = line_key(ln);
    unsigned cand = sig_match(sig, key) & way_mask;
    if (__builtin_expect(cand == 0, 1))
        goto miss; /* most accesses that reach an L2 */
    do {
        size_t w = low_bit(cand);
        if (row[w] == ln) {
            unsigned p = pos[w];
            if (!mru_test || p != 0) /* else already the MRU */
                pos_touch(pos, w, p);
            return true;
        }
        cand &= cand - 1;
    } while (cand);
miss:;
    size_t w = pos_fill(pos, lru);
    *empty += row[w] >> 63; /* NO_LINE; else the least recently used line */
    row[w] = ln;
    sig[w] = (uint8_t)key;
    return false;
}

/* perm_step_t() with a hit on the MRU way tested for (and its places left
 * alone): the single accesses, where repeated hits on one line (a walk's
 * descriptors) are common; short runs skip the test. */
static inline __attribute__((always_inline)) bool
perm_step(uint64_t *blk, uint64_t ln, uint32_t way_mask, unsigned lru, uint64_t *empty)
{
    return perm_step_t(blk, ln, way_mask, lru, empty, true);
}

/* One recency-layout access of line @p ln to the set at @p row (@p ways
 * line numbers, MRU first), without statistics: as perm_step(). */
static inline __attribute__((always_inline)) bool rec_step(uint64_t *row, uint64_t ln,
                                                           uint32_t ways, uint64_t *empty)
{
    /* Shift the set down by one from the front while searching: when the
     * line is found at p, row[0..p] has become ln, row[0..p-1]. Empty ways
     * (NO_LINE) never match; on a miss the entry that falls off the end is
     * either an empty way (the fill took it) or the LRU line (an eviction). */
    uint64_t carry = row[0];
    row[0] = ln;
    if (carry == ln)
        return true;
    const uint64_t *end = row + ways;
    for (uint64_t *q = row + 1; q < end; q++) {
        uint64_t t = *q;
        *q = carry;
        if (t == ln)
            return true;
        carry = t;
    }
    *empty += carry >> 63; /* NO_LINE; else the LRU line fell off the end */
    return false;
}

/* The single accesses behind cache_access(): the same steps as perm_step()
 * and rec_step(), but each path counts its own statistics (this shape
 * compiles best where walks fetch descriptors through it). */
static __attribute__((noinline, unused)) bool cache_access_perm(lpae_cache *c, uint64_t ln,
                                                                uint32_t set)
{
    uint64_t *blk = c->tag + (size_t)set * c->stride;
    if (perm_step(blk, ln, c->way_mask, c->lru, &c->fills)) {
        c->hits++;
        return true;
    }
    c->misses++;
    return false;
}

static inline bool cache_access_rec(lpae_cache *c, uint64_t ln, uint32_t set)
{
    uint64_t *row = c->tag + (size_t)set * c->stride;
    /* Shift the set down by one from the front while searching: when the
     * line is found at p, row[0..p] has become ln, row[0..p-1]. Empty ways
     * (NO_LINE) never match; on a miss the entry that falls off the end is
     * either an empty way (the fill took it) or the LRU line (an eviction). */
    uint64_t carry = row[0];
    row[0] = ln;
    if (carry == ln) {
        c->hits++;
        return true;
    }
    const uint64_t *end = row + c->ways;
    for (uint64_t *q = row + 1; q < end; q++) {
        uint64_t t = *q;
        *q = carry;
        if (t == ln) {
            c->hits++;
            return true;
        }
        carry = t;
    }
    c->misses++;
    c->fills += carry >> 63; /* NO_LINE; else the LRU line fell off the end */
    return false;
}

/* lpae_cache_access() on a non-NULL cache: true on a hit; a miss allocates
 * the line (into an empty way if the set has one, else evicting the LRU
 * line). */
static inline bool cache_access(lpae_cache *c, lpae_pa_t pa)
{
    uint64_t ln = pa >> c->line_shift;
    uint32_t set = (uint32_t)ln & c->set_mask;
    return c->perm ? cache_access_perm(c, ln, set) : cache_access_rec(c, ln, set);
}

/* One access of line @p ln to a 2-way recency-layout set @p row ([MRU,
 * LRU]): true on a hit; a miss makes ln the MRU and adds 1 to *@p empty
 * when the LRU entry it pushes out was an empty way (else an eviction). */
static inline __attribute__((always_inline)) bool rec2_step(uint64_t *row, uint64_t ln,
                                                            uint64_t *empty)
{
    uint64_t a = row[0];
    if (a == ln)
        return true;
    /* a opaque here: otherwise GCC pairs the two stores into one vector
     * store built before the compare, which costs the hit two instructions */
    __asm__("" : "+r"(a));
    uint64_t b = row[1];
    row[0] = ln;
    row[1] = a;
    if (b == ln)
        return true;
    *empty += b >> 63;
    return false;
}

/* The statistics of a run of @p count lines through @p l1 then @p l2: m1
 * L1 misses (the L2 accesses), n2 of them served by L2; e1 and e2 of the
 * misses of each cache filled an empty way (the others evicted). */
static inline __attribute__((always_inline)) void run_account(lpae_cache *l1, lpae_cache *l2,
                                                              uint64_t count, uint64_t m1,
                                                              uint64_t n2, uint64_t e1, uint64_t e2,
                                                              uint64_t n[3])
{
    uint64_t m2 = m1 - n2;
    l1->hits += count - m1;
    l1->misses += m1;
    l1->fills += e1;
    l2->hits += n2;
    l2->misses += m2;
    l2->fills += e2;
    n[0] += count - m1;
    n[1] += n2;
    n[2] += m2;
}

/* cache_access() with the 16-way permutation geometry constant (its MRU
 * hit tested for when @p mru_test, a constant: see perm_step_t()) and a
 * 2-way recency set unrolled ([MRU, LRU]); other geometries as
 * cache_access(). */
static inline __attribute__((always_inline)) bool cache_access_fast_t(lpae_cache *c, lpae_pa_t pa,
                                                                      bool mru_test)
{
    uint64_t ln = pa >> c->line_shift;
    uint32_t set = (uint32_t)ln & c->set_mask;
    if (c->fast == CACHE_FAST_PERM16) {
        if (perm_step_t(c->tag + (size_t)set * PERM16_STRIDE, ln, 0xffffu, 15u, &c->fills,
                        mru_test)) {
            c->hits++;
            return true;
        }
        c->misses++;
        return false;
    }
    if (c->fast == CACHE_FAST_REC2) {
        if (rec2_step(c->tag + (size_t)set * 2, ln, &c->fills)) {
            c->hits++;
            return true;
        }
        c->misses++;
        return false;
    }
    if (c->fast == CACHE_FAST_REC4 || c->fast == CACHE_FAST_PERM8) {
        bool hit = c->fast == CACHE_FAST_REC4
                       ? rec_step(c->tag + (size_t)set * 4, ln, 4u, &c->fills)
                       : perm_step_t(c->tag + (size_t)set * (PERM_ROW + 8u), ln, 0xffu, 7u,
                                     &c->fills, mru_test);
        if (hit) {
            c->hits++;
            return true;
        }
        c->misses++;
        return false;
    }
    return c->perm ? cache_access_perm(c, ln, set) : cache_access_rec(c, ln, set);
}

/* cache_access_fast_t() with the MRU hit tested for (perm_step()). */
static inline __attribute__((always_inline)) bool cache_access_fast(lpae_cache *c, lpae_pa_t pa)
{
    return cache_access_fast_t(c, pa, true);
}

/* cache_access_fast() out of line: for callers (one-line loads and
 * stores, walk fetches) whose frames are already crowded, the 16-way
 * access inline costs more in spills than the call. */
static __attribute__((noinline, unused)) bool cache_access_call(lpae_cache *c, lpae_pa_t pa)
{
    return cache_access_fast(c, pa);
}

/* cache_access() for an L1D on a crowded path: the 2-way recency set (the
 * common L1D) inline, other geometries through cache_access_call(). */
static inline __attribute__((always_inline)) bool cache_access_l1(lpae_cache *c, lpae_pa_t pa)
{
    if (__builtin_expect(c->fast == CACHE_FAST_REC2, 1)) {
        uint64_t ln = pa >> c->line_shift;
        if (rec2_step(c->tag + (size_t)((uint32_t)ln & c->set_mask) * 2, ln, &c->fills)) {
            c->hits++;
            return true;
        }
        c->misses++;
        return false;
    }
    return cache_access_call(c, pa);
}

/* How cache_lines() reaches the L2 behind a 2-way L1. */
enum { L2_PERM16, L2_PERM, L2_REC };

/* cache_lines() for a 2-way recency-layout L1 ([MRU, LRU], unrolled) and an
 * L2 reached as @p kind says (a constant: each kind compiles apart), the
 * L2 access inline and every counter in a local until the end. */
static inline __attribute__((always_inline)) void
lines_l1x2(lpae_cache *l1, lpae_cache *l2, uint64_t ln, uint64_t count, uint64_t n[3], int kind)
{
    const unsigned sh = l1->line_shift, sh2 = l2->line_shift;
    uint64_t *const tag = l1->tag;
    const uint32_t mask = l1->set_mask;
    uint64_t *const tag2 = l2->tag;
    const uint32_t mask2 = l2->set_mask;
    const size_t stride2 = kind == L2_PERM16 ? PERM16_STRIDE : l2->stride;
    const uint32_t way_mask = kind == L2_PERM16 ? 0xffffu : l2->way_mask;
    const unsigned lru = kind == L2_PERM16 ? 15u : l2->lru;
    const uint32_t ways2 = l2->ways;
    uint64_t m1 = 0, n2 = 0, e1 = 0, e2 = 0;
    for (uint64_t end = ln + count; ln != end; ln++) {
        uint64_t *row = tag + (size_t)((uint32_t)ln & mask) * 2;
        if (rec2_step(row, ln, &e1))
            continue;
        m1++;
        uint64_t ln2 = (ln << sh) >> sh2;
        uint64_t *blk = tag2 + (size_t)((uint32_t)ln2 & mask2) * stride2;
        if (kind == L2_REC)
            n2 += rec_step(blk, ln2, ways2, &e2);
        else
            n2 += perm_step(blk, ln2, way_mask, lru, &e2);
    }
    run_account(l1, l2, count, m1, n2, e1, e2, n);
}

/* One line of lines_l1x2_p16(): the 2-way L1 set @p row ([MRU, LRU]), on a
 * miss the 16-way L2 set @p blk; n1 counts L1 hits, n2 L2 hits, e1 and e2
 * fills of empty ways. With @p warm (a constant: both caches full, so no
 * way is empty) the line a miss pushes out is not looked at. */
static inline __attribute__((always_inline)) void p16_line(uint64_t *row, uint64_t *blk,
                                                           uint64_t ln, uint64_t *n1, uint64_t *n2,
                                                           uint64_t *e1, uint64_t *e2, bool warm)
{
    if (!warm) {
        if (rec2_step(row, ln, e1))
            ++*n1; /* the rarer case counted */
        else
            *n2 += perm_step(blk, ln, 0xffffu, 15u, e2);
        return;
    }
    uint64_t a = row[0];
    if (a == ln) {
        ++*n1;
        return;
    }
    __asm__("" : "+r"(a)); /* as in rec2_step() */
    uint64_t b = row[1];
    row[0] = ln;
    row[1] = a;
    if (b == ln) {
        ++*n1;
        return;
    }
    uint8_t *pos = (uint8_t *)(blk + PERM_POS);
    uint8_t *sig = (uint8_t *)(blk + PERM_SIG);
    uint32_t key = line_key(ln);
    unsigned cand = sig_match(sig, key);
    if (__builtin_expect(cand != 0, 0)) {
        do {
            size_t w = low_bit(cand);
            if (blk[PERM_ROW + w] == ln) {
                pos_touch(pos, w, pos[w]); /* unchanged if w is the MRU */
                ++*n2;
                return;
            }
            cand &= cand - 1;
        } while (cand);
    }
    size_t w = pos_fill(pos, 15u); /* a miss evicts the LRU line */
    blk[PERM_ROW + w] = ln;
    sig[w] = (uint8_t)key;
}

/* The turns of lines_l1x2_p16() over one segment: [ln, ln + seg) at L1 set
 * @p row and L2 set @p blk onwards. */
static inline __attribute__((always_inline)) void p16_segment(uint64_t *row, uint64_t *blk,
                                                              uint64_t ln, uint64_t seg,
                                                              uint64_t *n1, uint64_t *n2,
                                                              uint64_t *e1, uint64_t *e2, bool warm)
{
    /* four lines a turn (in order), then the rest one by one */
    uint64_t end = ln + seg;
    for (uint64_t end4 = ln + (seg & ~(uint64_t)3); ln != end4;
         ln += 4, row += 8, blk += 4 * PERM16_STRIDE) {
        p16_line(row, blk, ln, n1, n2, e1, e2, warm);
        p16_line(row + 2, blk + PERM16_STRIDE, ln + 1, n1, n2, e1, e2, warm);
        p16_line(row + 4, blk + 2 * PERM16_STRIDE, ln + 2, n1, n2, e1, e2, warm);
        p16_line(row + 6, blk + 3 * PERM16_STRIDE, ln + 3, n1, n2, e1, e2, warm);
    }
    for (; ln != end; ln++, row += 2, blk += PERM16_STRIDE)
        p16_line(row, blk, ln, n1, n2, e1, e2, warm);
}

/* The lines of a run from line number ln (set s1 of an L1 of set mask
 * @p mask, set s2 of an L2 of set mask @p mask2) that wrap neither tag
 * array, at most @p left: a segment over which both set pointers step by
 * one set. */
static inline uint64_t pair_segment(uint32_t s1, uint32_t mask, uint32_t s2, uint32_t mask2,
                                    uint64_t left)
{
    uint64_t seg = (uint64_t)mask - s1 + 1, seg2 = (uint64_t)mask2 - s2 + 1;
    if (seg > seg2)
        seg = seg2;
    return seg < left ? seg : left;
}

/* lines_l1x2() for the commonest pair (16-way L2 with the L1's line size)
 * in a frame of its own, with fewer live values: consecutive lines sit in
 * consecutive sets of both caches, so the two set pointers step by one set
 * instead of being recomputed, in segments that end where either tag array
 * wraps. */
static inline __attribute__((always_inline)) void
lines_l1x2_p16(lpae_cache *l1, lpae_cache *l2, uint64_t ln, uint64_t count, uint64_t n[3])
{
    const uint32_t mask = l1->set_mask, mask2 = l2->set_mask;
    uint64_t *const tag = l1->tag, *const tag2 = l2->tag;
    uint64_t n1 = 0, n2 = 0, e1 = 0, e2 = 0;
    const bool warm = cache_warm(l1) && cache_warm(l2);
    for (uint64_t left = count; left;) {
        uint32_t s1 = (uint32_t)ln & mask, s2 = (uint32_t)ln & mask2;
        uint64_t seg = pair_segment(s1, mask, s2, mask2, left);
        left -= seg;
        uint64_t *row = tag + (size_t)s1 * 2, *blk = tag2 + (size_t)s2 * PERM16_STRIDE;
        if (warm)
            p16_segment(row, blk, ln, seg, &n1, &n2, &e1, &e2, true);
        else
            p16_segment(row, blk, ln, seg, &n1, &n2, &e1, &e2, false);
        ln += seg;
    }
    run_account(l1, l2, count, count - n1, n2, e1, e2, n);
}

/* The lines of a run that each level served: L1 hits, L2 hits (returned
 * in two registers). */
typedef struct {
    uint64_t n1, n2;
} p16_split;

/* lines_l1x2_p16()'s warm turns over one segment of @p count lines from
 * line number @p ln at L1 set @p row and L2 set @p blk onwards, in a frame
 * of its own with nothing but the loop's values live, without the
 * statistics: what each level served. Both caches full (no way empty:
 * every miss evicts, so no fill count changes). */
static __attribute__((noinline, unused)) p16_split p16_warm_segment(uint64_t *row, uint64_t *blk,
                                                                    uint64_t ln, uint64_t count)
{
    uint64_t n1 = 0, n2 = 0, e1 = 0, e2 = 0;
    p16_segment(row, blk, ln, count, &n1, &n2, &e1, &e2, true);
    return (p16_split){n1, n2};
}

/* cache_lines() through a cache_pair_p16() pair @p l1, @p l2 when both
 * are warm and the run [ln, ln + count) wraps neither tag array (a copy's
 * page), else false with nothing done: one p16_warm_segment() and the
 * counters of both caches; the lines each level served added to n[]. */
static inline __attribute__((always_inline)) bool
lines_p16_warm(lpae_cache *l1, lpae_cache *l2, uint64_t ln, uint64_t count, uint64_t n[3])
{
    uint32_t s1 = (uint32_t)ln & l1->set_mask, s2 = (uint32_t)ln & l2->set_mask;
    if ((uint64_t)s1 + count > (uint64_t)l1->set_mask + 1 ||
        (uint64_t)s2 + count > (uint64_t)l2->set_mask + 1 || !cache_warm(l1) || !cache_warm(l2))
        return false;
    p16_split k =
        p16_warm_segment(l1->tag + (size_t)s1 * 2, l2->tag + (size_t)s2 * PERM16_STRIDE, ln, count);
    run_account(l1, l2, count, count - k.n1, k.n2, 0, 0, n);
    return true;
}

/* True when @p l1 and @p l2 are the commonest pair: a 2-way recency L1
 * and a 16-way permutation L2 with the same line size. */
static inline bool cache_pair_p16(const lpae_cache *l1, const lpae_cache *l2)
{
    return l1->fast == CACHE_FAST_REC2 && l2->fast == CACHE_FAST_PERM16 &&
           l1->line_shift == l2->line_shift;
}

/* cache_pair_p16(@p l1, @p l2), remembered in l1 once true: one compare
 * on the short-run path. */
static inline bool cache_pair_p16_memo(lpae_cache *l1, const lpae_cache *l2)
{
    if (__builtin_expect(l1->pair == l2, 1))
        return true;
    if (!cache_pair_p16(l1, l2))
        return false;
    l1->pair = l2;
    return true;
}

/* One access of line number @p ln through a cache_pair_p16() pair (@p l1
 * then, on a miss, @p l2), counted in both caches as cache_access() counts
 * it: the level that served it, 0 (L1), 1 (L2) or 2 (neither). A short
 * run is a loop of these, with its statistics per line: for two or three
 * lines that costs less than a run's locals and their sums. */
static inline __attribute__((always_inline)) unsigned cache_line_p16(lpae_cache *l1, lpae_cache *l2,
                                                                     uint64_t ln)
{
    if (rec2_step(l1->tag + (size_t)((uint32_t)ln & l1->set_mask) * 2, ln, &l1->fills)) {
        l1->hits++;
        return 0;
    }
    l1->misses++;
    if (perm_step_t(l2->tag + (size_t)((uint32_t)ln & l2->set_mask) * PERM16_STRIDE, ln, 0xffffu,
                    15u, &l2->fills, false)) {
        l2->hits++;
        return 1;
    }
    l2->misses++;
    return 2;
}

/* One access of line number @p ln to @p c, whose geometry @p k (a
 * constant CACHE_FAST_* other than NONE) is c->fast, without statistics:
 * rec2_step(), rec_step() or perm_step_t() (with @p mru_test) on its set. */
static inline __attribute__((always_inline)) bool cache_step_k(lpae_cache *c, uint64_t ln,
                                                               unsigned k, bool mru_test)
{
    uint32_t set = (uint32_t)ln & c->set_mask;
    switch (k) {
    case CACHE_FAST_REC2:
        return rec2_step(c->tag + (size_t)set * 2, ln, &c->fills);
    case CACHE_FAST_REC4:
        return rec_step(c->tag + (size_t)set * 4, ln, 4u, &c->fills);
    case CACHE_FAST_PERM8:
        return perm_step_t(c->tag + (size_t)set * (PERM_ROW + 8u), ln, 0xffu, 7u, &c->fills,
                           mru_test);
    default: /* CACHE_FAST_PERM16 */
        return perm_step_t(c->tag + (size_t)set * PERM16_STRIDE, ln, 0xffffu, 15u, &c->fills,
                           mru_test);
    }
}

/* cache_line_p16() for an L1 of geometry @p k1 and an L2 of geometry
 * @p k2 (constants, c->fast of each; one line size): the level that served
 * line @p ln, counted in both caches as cache_access() counts it. */
static inline __attribute__((always_inline)) unsigned
cache_line_k(lpae_cache *l1, lpae_cache *l2, uint64_t ln, unsigned k1, unsigned k2)
{
    if (cache_step_k(l1, ln, k1, false)) {
        l1->hits++;
        return 0;
    }
    l1->misses++;
    if (cache_step_k(l2, ln, k2, false)) {
        l2->hits++;
        return 1;
    }
    l2->misses++;
    return 2;
}

/* The kind (CACHE_PAIR_*) of the pair @p l1 then @p l2 for cache_line_k():
 * the same line size, a 4-way recency L1 with a 16- or 8-way permutation
 * L2, or a 2-way one with an 8-way L2; CACHE_PAIR_NONE for any other pair
 * (cache_pair_p16()'s included). */
static inline unsigned cache_pair_x(const lpae_cache *l1, const lpae_cache *l2)
{
    if (l1->line_shift != l2->line_shift)
        return CACHE_PAIR_NONE;
    if (l1->fast == CACHE_FAST_REC4)
        return l2->fast == CACHE_FAST_PERM16  ? CACHE_PAIR_4_16
               : l2->fast == CACHE_FAST_PERM8 ? CACHE_PAIR_4_8
                                              : CACHE_PAIR_NONE;
    if (l1->fast == CACHE_FAST_REC2 && l2->fast == CACHE_FAST_PERM8)
        return CACHE_PAIR_2_8;
    return CACHE_PAIR_NONE;
}

/* cache_pair_x(@p l1, @p l2), remembered in l1. */
static inline unsigned cache_pair_x_memo(lpae_cache *l1, const lpae_cache *l2)
{
    if (__builtin_expect(l1->pairx == l2, 1))
        return l1->pairx_kind;
    l1->pairx = l2;
    l1->pairx_kind = (uint8_t)cache_pair_x(l1, l2);
    return l1->pairx_kind;
}

/* cache_lines() for a cache_pair_x() pair of geometries @p k1 (REC2 or
 * REC4) and @p k2 (PERM16 or PERM8), constants: each line as
 * cache_line_k(), the counters in locals until the end; consecutive lines
 * sit in consecutive sets of both caches, so the two set pointers step by
 * one set, in segments that end where either tag array wraps (as
 * lines_l1x2_p16()). */
static inline __attribute__((always_inline)) void lines_k(lpae_cache *l1, lpae_cache *l2,
                                                          uint64_t ln, uint64_t count,
                                                          uint64_t n[3], unsigned k1, unsigned k2)
{
    const unsigned ways1 = k1 == CACHE_FAST_REC2 ? 2u : 4u;
    const unsigned ways2 = k2 == CACHE_FAST_PERM16 ? 16u : 8u;
    const size_t st2 = PERM_ROW + ways2;
    const uint32_t mask = l1->set_mask, mask2 = l2->set_mask;
    uint64_t *const tag = l1->tag, *const tag2 = l2->tag;
    uint64_t n1 = 0, n2 = 0, e1 = 0, e2 = 0;
    for (uint64_t left = count; left;) {
        uint32_t s1 = (uint32_t)ln & mask, s2 = (uint32_t)ln & mask2;
        uint64_t seg = pair_segment(s1, mask, s2, mask2, left);
        left -= seg;
        uint64_t *row = tag + (size_t)s1 * ways1, *blk = tag2 + (size_t)s2 * st2;
        for (uint64_t end = ln + seg; ln != end; ln++, row += ways1, blk += st2) {
            bool hit = k1 == CACHE_FAST_REC2 ? rec2_step(row, ln, &e1) : rec_step(row, ln, 4u, &e1);
            if (hit) {
                n1++;
                continue;
            }
            n2 += perm_step_t(blk, ln, (1u << ways2) - 1u, ways2 - 1u, &e2, false);
        }
    }
    run_account(l1, l2, count, count - n1, n2, e1, e2, n);
}

/* cache_lines() of an L1 other than a 2-way one, out of line (the 2-way
 * L1's loops keep their frame): a cache_pair_x() pair through lines_k(),
 * anything else a cache_access() pair per line. */
static __attribute__((noinline, unused)) void
lines_other(lpae_cache *l1, lpae_cache *l2, uint64_t ln, uint64_t count, uint64_t n[3])
{
    switch (cache_pair_x(l1, l2)) {
    case CACHE_PAIR_4_16:
        lines_k(l1, l2, ln, count, n, CACHE_FAST_REC4, CACHE_FAST_PERM16);
        return;
    case CACHE_PAIR_4_8:
        lines_k(l1, l2, ln, count, n, CACHE_FAST_REC4, CACHE_FAST_PERM8);
        return;
    default:
        break;
    }
    unsigned sh = l1->line_shift;
    uint64_t n1 = 0, n2 = 0, nd = 0;
    for (uint64_t end = ln + count; ln != end; ln++) {
        if (cache_access(l1, ln << sh))
            n1++;
        else if (cache_access(l2, ln << sh))
            n2++;
        else
            nd++;
    }
    n[0] += n1;
    n[1] += n2;
    n[2] += nd;
}

/* Serve @p count consecutive lines of @p l1 from @p pa (line aligned)
 * through @p l1 then, on a miss, @p l2, exactly as count pairs of
 * cache_access() calls in order. Adds the lines served by L1, by L2 and by
 * neither to n[0], n[1], n[2]. */
static inline void cache_lines(lpae_cache *l1, lpae_cache *l2, lpae_pa_t pa, uint64_t count,
                               uint64_t n[3])
{
    uint64_t ln = pa >> l1->line_shift;
    if (l1->fast == CACHE_FAST_REC2) {
        if (l2->fast == CACHE_FAST_PERM16) {
            if (l2->line_shift == l1->line_shift)
                lines_l1x2_p16(l1, l2, ln, count, n);
            else
                lines_l1x2(l1, l2, ln, count, n, L2_PERM16);
        } else if (l2->perm)
            lines_l1x2(l1, l2, ln, count, n, L2_PERM);
        else
            lines_l1x2(l1, l2, ln, count, n, L2_REC);
        return;
    }
    lines_other(l1, l2, ln, count, n);
}

/* cache_lines() out of line: for a caller that inlines the commonest
 * pair's loop (lines_l1x2_p16()) and leaves every other pair to this. */
static __attribute__((noinline, unused)) void
cache_lines_call(lpae_cache *l1, lpae_cache *l2, lpae_pa_t pa, uint64_t count, uint64_t n[3])
{
    cache_lines(l1, l2, pa, count, n);
}

#endif
