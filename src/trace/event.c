/* SPDX-License-Identifier: MIT */
/* Event names, checks, and the one-line text and 32-byte binary encodings. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "lpae/err.h"
#include "trace/internal.h"

/* uthash for the syscall-name memo (tr_sysmemo_find): bytes counted in the
 * memo, an allocation failure leaves the name unmemoised. */
static void *sysmemo_alloc(tr_sysmemo *m, size_t n)
{
    void *p = calloc(1, n);
    if (p)
        m->mem += n;
    return p;
}

static void sysmemo_release(tr_sysmemo *m, void *p, size_t n)
{
    if (p) {
        m->mem -= n;
        free(p);
    }
}

/* the key is four 64-bit words: one multiply each, the high half kept */
static inline unsigned sysname_hash(const void *key)
{
    uint64_t w[4];
    memcpy(w, key, sizeof w);
    uint64_t h = w[0] * UINT64_C(0x9E3779B97F4A7C15) ^ w[1] * UINT64_C(0xC2B2AE3D27D4EB4F) ^
                 w[2] * UINT64_C(0x165667B19E3779F9) ^ w[3] * UINT64_C(0xD6E8FEB86659FD93);
    return (unsigned)(h >> 32);
}

#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = sysname_hash(keyptr))
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) sysmemo_alloc(m, (sz))
#define uthash_free(p, sz) sysmemo_release(m, (p), (sz))
#define uthash_nonfatal_oom(obj) (oom = true)
#include <uthash.h>

static const char *const kind_names[] = {
    [LPAE_TEV_SWITCH] = "switch",
    [LPAE_TEV_SYS_ENTER] = "sys_enter",
    [LPAE_TEV_SYS_EXIT] = "sys_exit",
    [LPAE_TEV_COPY_FROM_USER] = "copy_from_user",
    [LPAE_TEV_COPY_TO_USER] = "copy_to_user",
    [LPAE_TEV_GET_USER] = "get_user",
    [LPAE_TEV_PUT_USER] = "put_user",
    [LPAE_TEV_STRNCPY_FROM_USER] = "strncpy_from_user",
    [LPAE_TEV_CLEAR_USER] = "clear_user",
    [LPAE_TEV_MMAP] = "mmap",
    [LPAE_TEV_MUNMAP] = "munmap",
    [LPAE_TEV_BRK] = "brk",
    [LPAE_TEV_MPROTECT] = "mprotect",
    [LPAE_TEV_FORK] = "fork",
    [LPAE_TEV_EXEC] = "exec",
    [LPAE_TEV_EXIT] = "exit",
    [LPAE_TEV_FAULT] = "fault",
    [LPAE_TEV_TOUCH] = "touch",
};

static const char *const kbuf_names[] = {
    [LPAE_KBUF_ADDR] = "addr",   [LPAE_KBUF_PAGECACHE] = "pagecache", [LPAE_KBUF_SLAB] = "slab",
    [LPAE_KBUF_STACK] = "stack", [LPAE_KBUF_VMALLOC] = "vmalloc",     [LPAE_KBUF_PAGE] = "page",
};

const char *lpae_tev_kind_name(unsigned kind)
{
    if (kind < LPAE_TEV_KIND_MIN || kind > LPAE_TEV_KIND_MAX)
        return NULL;
    return kind_names[kind];
}

const char *lpae_kbuf_name(unsigned kbuf)
{
    return kbuf <= LPAE_KBUF_MAX ? kbuf_names[kbuf] : NULL;
}

/* Keys of the text format, as bits. */
enum {
    K_PREV,
    K_SYS,
    K_RET,
    K_ADDR,
    K_LEN,
    K_KBUF,
    K_KADDR,
    K_SIZE,
    K_PROT,
    K_MAP,
    K_CHILD,
    K_THREAD,
    K_STATUS,
    K_ACCESS,
    K_MODE,
    K_COUNT
};
static const char *const key_names[K_COUNT] = {
    "prev", "sys", "ret",   "addr",   "len",    "kbuf",   "kaddr", "size",
    "prot", "map", "child", "thread", "status", "access", "mode",
};
#define B(k) (1u << (k))

struct kind_keys {
    unsigned allowed, required;
};
/* The keys each kind may have (text format). */
#define AL_SWITCH B(K_PREV)
#define AL_SYS_ENTER B(K_SYS)
#define AL_SYS_EXIT (B(K_SYS) | B(K_RET))
#define AL_COPY (B(K_ADDR) | B(K_LEN) | B(K_KBUF) | B(K_KADDR))
#define AL_GETPUT (B(K_ADDR) | B(K_SIZE))
#define AL_RANGE (B(K_ADDR) | B(K_LEN))
#define AL_MMAP (B(K_ADDR) | B(K_LEN) | B(K_PROT) | B(K_MAP))
#define AL_BRK B(K_ADDR)
#define AL_MPROTECT (B(K_ADDR) | B(K_LEN) | B(K_PROT))
#define AL_FORK (B(K_CHILD) | B(K_THREAD))
#define AL_EXIT B(K_STATUS)
#define AL_FAULT (B(K_ADDR) | B(K_ACCESS) | B(K_MODE))
#define AL_TOUCH (B(K_ADDR) | B(K_LEN) | B(K_ACCESS))
/* The flag bits each kind defines. */
#define FM_MMAP (7u | LPAE_MAP_SHARED | LPAE_MAP_ANON | LPAE_MAP_FIXED)
#define FM_PROT 7u
#define FM_FORK LPAE_TEVF_THREAD
#define FM_FAULT (7u | LPAE_TEVF_KERNEL)

static const struct kind_keys kind_keys[LPAE_TEV_KIND_MAX + 1] = {
    [LPAE_TEV_SWITCH] = {AL_SWITCH, 0},
    [LPAE_TEV_SYS_ENTER] = {AL_SYS_ENTER, B(K_SYS)},
    [LPAE_TEV_SYS_EXIT] = {AL_SYS_EXIT, B(K_SYS) | B(K_RET)},
    [LPAE_TEV_COPY_FROM_USER] = {AL_COPY, B(K_ADDR) | B(K_LEN)},
    [LPAE_TEV_COPY_TO_USER] = {AL_COPY, B(K_ADDR) | B(K_LEN)},
    [LPAE_TEV_GET_USER] = {AL_GETPUT, B(K_ADDR) | B(K_SIZE)},
    [LPAE_TEV_PUT_USER] = {AL_GETPUT, B(K_ADDR) | B(K_SIZE)},
    [LPAE_TEV_STRNCPY_FROM_USER] = {AL_COPY, B(K_ADDR) | B(K_LEN)},
    [LPAE_TEV_CLEAR_USER] = {AL_RANGE, B(K_ADDR) | B(K_LEN)},
    [LPAE_TEV_MMAP] = {AL_MMAP, B(K_ADDR) | B(K_LEN) | B(K_PROT)},
    [LPAE_TEV_MUNMAP] = {AL_RANGE, B(K_ADDR) | B(K_LEN)},
    [LPAE_TEV_BRK] = {AL_BRK, B(K_ADDR)},
    [LPAE_TEV_MPROTECT] = {AL_MPROTECT, B(K_ADDR) | B(K_LEN) | B(K_PROT)},
    [LPAE_TEV_FORK] = {AL_FORK, B(K_CHILD)},
    [LPAE_TEV_EXEC] = {0, 0},
    [LPAE_TEV_EXIT] = {AL_EXIT, B(K_STATUS)},
    [LPAE_TEV_FAULT] = {AL_FAULT, B(K_ADDR) | B(K_ACCESS)},
    [LPAE_TEV_TOUCH] = {AL_TOUCH, B(K_ADDR) | B(K_LEN) | B(K_ACCESS)},
};

/* For the fast path of lpae_tev_check() (tr_tev_ok): per kind value
 * modulo 32, the bits that must be zero and the value rule (internal.h). */
#define NZ32(cond) ((cond) ? 0u : UINT32_C(0xFFFFFFFF))
#define ZM(al, kb, fm, lenhi)                                                                      \
    {                                                                                              \
        .kind = 0xFFu, .flags = (uint8_t) ~(unsigned)(fm), .kbuf = (kb),                           \
        .addr = NZ32((al)&B(K_ADDR)),                                                              \
        .len = (al) & (B(K_LEN) | B(K_SIZE)) ? (lenhi) : UINT32_C(0xFFFFFFFF),                     \
        .kaddr = NZ32((al)&B(K_KADDR)), .sysno = NZ32((al)&B(K_SYS)),                              \
        .ret = (al) & (B(K_RET) | B(K_STATUS)) ? 0 : -1,                                           \
        .arg = NZ32((al) & (B(K_PREV) | B(K_CHILD)))                                               \
    }
/* the low byte of len, as lpae_tev holds it */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LEN_LO (offsetof(lpae_tev, len) + 3)
#else
#define LEN_LO offsetof(lpae_tev, len)
#endif
/* a kind with no value rule (the kind byte's low 4 bits: any value) */
#define RULE(k, al, fm) [k] = {ZM(al, 0xFFu, fm, 0), {k}, 0xFFFFu, 0, {0}}
/* copies: kbuf 0..7 by the mask, 0..5 by the rule */
#define RULE_COPY(k)                                                                               \
    [k] = {ZM(AL_COPY, 0xF8u, 0, 0),                                                               \
           {k},                                                                                    \
           (1u << (LPAE_KBUF_MAX + 1)) - 1,                                                        \
           offsetof(lpae_tev, kbuf),                                                               \
           {0}}
/* GET/PUT_USER: len 0..15 by the mask, 1/2/4/8 by the rule */
#define RULE_SIZE(k) [k] = {ZM(AL_GETPUT, 0xFFu, 0, ~UINT32_C(15)), {k}, 0x116u, LEN_LO, {0}}
/* FAULT/TOUCH: flags by the mask, exactly one of bits 0..2 by the rule
 * (values 1, 2, 4, and for FAULT those plus LPAE_TEVF_KERNEL) */
#define RULE_ACC(k, al, fm)                                                                        \
    [k] = {ZM(al, 0xFFu, fm, 0),                                                                   \
           {k},                                                                                    \
           (fm)&LPAE_TEVF_KERNEL ? 0x1616u : 0x16u,                                                \
           offsetof(lpae_tev, flags),                                                              \
           {0}}
/* a row of no kind: its kinds differ from want in bit 0 */
#define RULE_NONE(r) [r] = {ZM(0, 0xFFu, 0, 0), {(r) ^ 1}, 0, 0, {0}}
_Static_assert(LPAE_TEVF_KERNEL == 8u && FM_FAULT == 15u && FM_PROT == 7u, "4-bit flags");
_Static_assert(LPAE_TEV_KIND_MAX < 32, "one row per kind");
const tr_rule tr_rules[32] = {
    RULE_NONE(0),
    RULE(LPAE_TEV_SWITCH, AL_SWITCH, 0),
    RULE(LPAE_TEV_SYS_ENTER, AL_SYS_ENTER, 0),
    RULE(LPAE_TEV_SYS_EXIT, AL_SYS_EXIT, 0),
    RULE_COPY(LPAE_TEV_COPY_FROM_USER),
    RULE_COPY(LPAE_TEV_COPY_TO_USER),
    RULE_SIZE(LPAE_TEV_GET_USER),
    RULE_SIZE(LPAE_TEV_PUT_USER),
    RULE_COPY(LPAE_TEV_STRNCPY_FROM_USER),
    RULE(LPAE_TEV_CLEAR_USER, AL_RANGE, 0),
    RULE(LPAE_TEV_MMAP, AL_MMAP, FM_MMAP),
    RULE(LPAE_TEV_MUNMAP, AL_RANGE, 0),
    RULE(LPAE_TEV_BRK, AL_BRK, 0),
    RULE(LPAE_TEV_MPROTECT, AL_MPROTECT, FM_PROT),
    RULE(LPAE_TEV_FORK, AL_FORK, FM_FORK),
    RULE(LPAE_TEV_EXEC, 0, 0),
    RULE(LPAE_TEV_EXIT, AL_EXIT, 0),
    RULE_ACC(LPAE_TEV_FAULT, AL_FAULT, FM_FAULT),
    RULE_ACC(LPAE_TEV_TOUCH, AL_TOUCH, FM_PROT),
    RULE_NONE(19),
    RULE_NONE(20),
    RULE_NONE(21),
    RULE_NONE(22),
    RULE_NONE(23),
    RULE_NONE(24),
    RULE_NONE(25),
    RULE_NONE(26),
    RULE_NONE(27),
    RULE_NONE(28),
    RULE_NONE(29),
    RULE_NONE(30),
    RULE_NONE(31),
};
_Static_assert(sizeof(lpae_tev) == 4 * sizeof(uint64_t), "lpae_tev is four 64-bit words");

static bool is_copy(unsigned k)
{
    return k == LPAE_TEV_COPY_FROM_USER || k == LPAE_TEV_COPY_TO_USER ||
           k == LPAE_TEV_STRNCPY_FROM_USER;
}

int lpae_tev_check(const lpae_tev *ev, const char **why)
{
    /* Fast path: the kind's zero mask over the event's four words, and the
     * kind-specific value rules (tr_tev_ok); anything that fails is checked
     * again rule by rule for its reason (tr_tev_check_full). */
    if (ev && tr_tev_ok(ev)) {
        if (why)
            *why = "";
        return LPAE_OK;
    }
    return tr_tev_check_full(ev, why);
}

int tr_tev_check_full(const lpae_tev *ev, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!ev) {
        *why = "NULL event";
        return LPAE_EINVAL;
    }
    unsigned k = ev->kind;
    if (k < LPAE_TEV_KIND_MIN || k > LPAE_TEV_KIND_MAX) {
        *why = "unknown event kind";
        return LPAE_EINVAL;
    }
    unsigned used = kind_keys[k].allowed;
    if (ev->kbuf && !is_copy(k)) {
        *why = "kbuf set on an event that is not a copy";
        return LPAE_EINVAL;
    }
    if (ev->kbuf > LPAE_KBUF_MAX) {
        *why = "unknown kernel-buffer kind";
        return LPAE_EINVAL;
    }
    if (ev->kaddr && !(used & B(K_KADDR))) {
        *why = "kaddr set on an event that is not a copy";
        return LPAE_EINVAL;
    }
    if (ev->addr && !(used & B(K_ADDR))) {
        *why = "addr set on an event that has no address";
        return LPAE_EINVAL;
    }
    if (ev->len && !(used & (B(K_LEN) | B(K_SIZE)))) {
        *why = "len set on an event that has no length";
        return LPAE_EINVAL;
    }
    if (ev->sysno && !(used & B(K_SYS))) {
        *why = "sysno set on an event that is not a syscall";
        return LPAE_EINVAL;
    }
    if (ev->ret && !(used & (B(K_RET) | B(K_STATUS)))) {
        *why = "ret set on an event that has no return value";
        return LPAE_EINVAL;
    }
    if (ev->arg && !(used & (B(K_PREV) | B(K_CHILD)))) {
        *why = "arg set on an event that names no second task";
        return LPAE_EINVAL;
    }
    unsigned fmask = 0;
    switch (k) {
    case LPAE_TEV_MMAP:
        fmask = FM_MMAP;
        break;
    case LPAE_TEV_MPROTECT:
        fmask = FM_PROT;
        break;
    case LPAE_TEV_FORK:
        fmask = FM_FORK;
        break;
    case LPAE_TEV_FAULT:
        fmask = FM_FAULT;
        break;
    case LPAE_TEV_TOUCH:
        fmask = FM_PROT;
        break;
    default:
        break;
    }
    if (ev->flags & ~fmask) {
        *why = "flag bit not defined for this event kind";
        return LPAE_EINVAL;
    }
    /* exactly one of bits 0..2: flags & 7 is 1, 2 or 4 (bit set in 0x16) */
    if ((k == LPAE_TEV_FAULT || k == LPAE_TEV_TOUCH) && !((0x16u >> (ev->flags & 7u)) & 1u)) {
        *why = "access must be exactly one of read, write, exec";
        return LPAE_EINVAL;
    }
    if (k == LPAE_TEV_GET_USER || k == LPAE_TEV_PUT_USER) {
        if (ev->len != 1 && ev->len != 2 && ev->len != 4 && ev->len != 8) {
            *why = "size must be 1, 2, 4 or 8";
            return LPAE_EINVAL;
        }
    }
    if ((uint64_t)ev->addr + ev->len > (UINT64_C(1) << 32)) {
        *why = "addr + len wraps past 4 GiB";
        return LPAE_EINVAL;
    }
    *why = "";
    return LPAE_OK;
}

/* ---- binary ------------------------------------------------------------- */
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void tr_bin_encode(const lpae_tev *ev, uint8_t out[LPAE_TEV_SIZE])
{
    out[0] = ev->kind;
    out[1] = ev->cpu;
    out[2] = ev->flags;
    out[3] = ev->kbuf;
    put32(out + 4, ev->task);
    put32(out + 8, ev->addr);
    put32(out + 12, ev->len);
    put32(out + 16, ev->kaddr);
    put32(out + 20, ev->sysno);
    put32(out + 24, (uint32_t)ev->ret);
    put32(out + 28, ev->arg);
}

void tr_bin_decode(const uint8_t in[LPAE_TEV_SIZE], lpae_tev *ev)
{
    ev->kind = in[0];
    ev->cpu = in[1];
    ev->flags = in[2];
    ev->kbuf = in[3];
    ev->task = get32(in + 4);
    ev->addr = get32(in + 8);
    ev->len = get32(in + 12);
    ev->kaddr = get32(in + 16);
    ev->sysno = get32(in + 20);
    ev->ret = (int32_t)get32(in + 24);
    ev->arg = get32(in + 28);
}

/* ---- text ---------------------------------------------------------------- */
static void prot_str(unsigned f, char out[4])
{
    out[0] = (f & LPAE_PROT_READ) ? 'r' : '-';
    out[1] = (f & LPAE_PROT_WRITE) ? 'w' : '-';
    out[2] = (f & LPAE_PROT_EXEC) ? 'x' : '-';
    out[3] = 0;
}

static const char *access_str(unsigned f)
{
    return (f & LPAE_TEVF_WRITE) ? "write" : (f & LPAE_TEVF_EXEC) ? "exec" : "read";
}

static int sys_str(uint32_t nr, char *buf, size_t n)
{
    const char *s = lpae_sysno_name(nr);
    if (s)
        return snprintf(buf, n, "%s", s);
    if (nr == LPAE_SYSNO_NONE)
        return snprintf(buf, n, "none");
    return snprintf(buf, n, "%" PRIu32, nr);
}

int tr_text_format(const lpae_tev *ev, char *buf, size_t n)
{
    int o = snprintf(buf, n, "%u %" PRIu32 " %s", ev->cpu, ev->task, kind_names[ev->kind]);
    if (o < 0 || (size_t)o >= n)
        return -1;
    char *p = buf + o;
    size_t left = n - (size_t)o;
    char sys[32], prot[4];
    int m = 0;
    switch (ev->kind) {
    case LPAE_TEV_SWITCH:
        m = ev->arg ? snprintf(p, left, " prev=%" PRIu32, ev->arg) : 0;
        break;
    case LPAE_TEV_SYS_ENTER:
        sys_str(ev->sysno, sys, sizeof sys);
        m = snprintf(p, left, " sys=%s", sys);
        break;
    case LPAE_TEV_SYS_EXIT:
        sys_str(ev->sysno, sys, sizeof sys);
        m = snprintf(p, left, " sys=%s ret=%" PRId32, sys, ev->ret);
        break;
    case LPAE_TEV_COPY_FROM_USER:
    case LPAE_TEV_COPY_TO_USER:
    case LPAE_TEV_STRNCPY_FROM_USER:
        m = snprintf(p, left, " addr=0x%08" PRIx32 " len=%" PRIu32 " kbuf=%s", ev->addr, ev->len,
                     kbuf_names[ev->kbuf]);
        if (m >= 0 && ev->kaddr && (size_t)m < left)
            m += snprintf(p + m, left - (size_t)m, " kaddr=0x%08" PRIx32, ev->kaddr);
        break;
    case LPAE_TEV_GET_USER:
    case LPAE_TEV_PUT_USER:
        m = snprintf(p, left, " addr=0x%08" PRIx32 " size=%" PRIu32, ev->addr, ev->len);
        break;
    case LPAE_TEV_CLEAR_USER:
    case LPAE_TEV_MUNMAP:
        m = snprintf(p, left, " addr=0x%08" PRIx32 " len=%" PRIu32, ev->addr, ev->len);
        break;
    case LPAE_TEV_MMAP:
        prot_str(ev->flags, prot);
        m = snprintf(p, left, " addr=0x%08" PRIx32 " len=%" PRIu32 " prot=%s map=%s%s%s", ev->addr,
                     ev->len, prot, (ev->flags & LPAE_MAP_SHARED) ? "shared" : "private",
                     (ev->flags & LPAE_MAP_ANON) ? ",anon" : "",
                     (ev->flags & LPAE_MAP_FIXED) ? ",fixed" : "");
        break;
    case LPAE_TEV_MPROTECT:
        prot_str(ev->flags, prot);
        m = snprintf(p, left, " addr=0x%08" PRIx32 " len=%" PRIu32 " prot=%s", ev->addr, ev->len,
                     prot);
        break;
    case LPAE_TEV_BRK:
        m = snprintf(p, left, " addr=0x%08" PRIx32, ev->addr);
        break;
    case LPAE_TEV_FORK:
        m = snprintf(p, left, " child=%" PRIu32 "%s", ev->arg,
                     (ev->flags & LPAE_TEVF_THREAD) ? " thread=1" : "");
        break;
    case LPAE_TEV_EXEC:
        break;
    case LPAE_TEV_EXIT:
        m = snprintf(p, left, " status=%" PRId32, ev->ret);
        break;
    case LPAE_TEV_FAULT:
        m = snprintf(p, left, " addr=0x%08" PRIx32 " access=%s mode=%s", ev->addr,
                     access_str(ev->flags), (ev->flags & LPAE_TEVF_KERNEL) ? "kernel" : "user");
        break;
    case LPAE_TEV_TOUCH:
        m = snprintf(p, left, " addr=0x%08" PRIx32 " len=%" PRIu32 " access=%s", ev->addr, ev->len,
                     access_str(ev->flags));
        break;
    default:
        return -1;
    }
    if (m < 0 || (size_t)m >= left)
        return -1;
    return o + m;
}

bool tr_parse_u64(const char *s, uint64_t *out)
{
    /* Decimal digits, or 0x/0X and hex digits; the whole string; no sign,
     * blanks or overflow. Hand-rolled: the text reader calls it for every
     * number of every line. */
    if (!s)
        return false;
    uint64_t v = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        const char *d = s + 2;
        if (!*d)
            return false;
        for (; *d; d++) {
            unsigned c = (unsigned char)*d, x;
            if (c - '0' < 10)
                x = c - '0';
            else if ((c | 0x20) - 'a' < 6)
                x = (c | 0x20) - 'a' + 10;
            else
                return false;
            if (v >> 60)
                return false;
            v = v << 4 | x;
        }
    } else {
        if (!*s)
            return false;
        for (const char *d = s; *d; d++) {
            unsigned x = (unsigned char)*d - '0';
            if (x >= 10)
                return false;
            /* overflow test without a division per digit */
            if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && x > UINT64_MAX % 10))
                return false;
            v = v * 10 + x;
        }
    }
    *out = v;
    return true;
}

bool tr_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    bool neg = *s == '-';
    uint64_t v;
    if (!tr_parse_u64(s + neg, &v))
        return false;
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!tr_parse_u64(s, &v) || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_prot(const char *s, unsigned *f)
{
    if (strlen(s) != 3)
        return false;
    unsigned v = 0;
    if (s[0] == 'r')
        v |= LPAE_PROT_READ;
    else if (s[0] != '-')
        return false;
    if (s[1] == 'w')
        v |= LPAE_PROT_WRITE;
    else if (s[1] != '-')
        return false;
    if (s[2] == 'x')
        v |= LPAE_PROT_EXEC;
    else if (s[2] != '-')
        return false;
    *f = v;
    return true;
}

static bool parse_map(char *s, unsigned *f)
{
    unsigned v = 0;
    bool seen_type = false;
    char *save = NULL;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "shared") || !strcmp(t, "private")) {
            if (seen_type)
                return false;
            seen_type = true;
            if (t[0] == 's')
                v |= LPAE_MAP_SHARED;
        } else if (!strcmp(t, "anon")) {
            v |= LPAE_MAP_ANON;
        } else if (!strcmp(t, "fixed")) {
            v |= LPAE_MAP_FIXED;
        } else {
            return false;
        }
    }
    *f = v;
    return true;
}

static bool parse_access(const char *s, unsigned *f)
{
    if (!strcmp(s, "read"))
        *f = LPAE_TEVF_READ;
    else if (!strcmp(s, "write"))
        *f = LPAE_TEVF_WRITE;
    else if (!strcmp(s, "exec"))
        *f = LPAE_TEVF_EXEC;
    else
        return false;
    return true;
}

/* The memo's table: the key is the name's four words (32 bytes), hashed by
 * one multiply per word; its own allocator counts the bytes and reports a
 * failed allocation instead of exiting. */
struct tr_sysname {
    uint64_t w[4];
    uint32_t nr;
    UT_hash_handle hh;
};
typedef struct tr_sysname tr_sysname;

/* @p name (NUL-terminated) as memo words; false when it does not fit. */
static bool sysname_words(const char *name, uint64_t w[4])
{
    size_t n = strlen(name);
    if (n == 0 || n > TR_SYSMEMO_NAME)
        return false;
    unsigned char pad[32] = {0}; /* the name's bytes, zero-padded (not a string) */
    for (size_t i = 0; i < n; i++)
        pad[i] = (unsigned char)name[i];
    for (unsigned i = 0; i < 4; i++)
        w[i] = tr_ld64le(pad + 8 * i);
    return true;
}

static tr_sysname *sysmemo_get(tr_sysmemo *m, const uint64_t w[4])
{
    tr_sysname *e;
    HASH_FIND(hh, m->names, w, sizeof e->w, e);
    return e;
}

static void sysmemo_add(void *ctx, const char *name, const char *alias_of, uint32_t nr)
{
    tr_sysmemo *m = ctx;
    uint64_t w[4];
    if (!sysname_words(name, w) || sysmemo_get(m, w))
        return; /* the first of a name is the one lpae_sysno_from_name() finds */
    if (m->npool == m->cap) {
        m->complete = false; /* a name left out */
        return;
    }
    if (alias_of) { /* the number of the ARM name, as lookup_alias() takes it */
        uint64_t a[4];
        const tr_sysname *t = sysname_words(alias_of, a) ? sysmemo_get(m, a) : NULL;
        nr = t ? t->nr : lpae_sysno_from_name(alias_of);
    }
    tr_sysname *e = &m->pool[m->npool];
    memcpy(e->w, w, sizeof e->w);
    e->nr = nr;
    bool oom = false;
    HASH_ADD(hh, m->names, w, sizeof e->w, e);
    if (oom) {
        m->complete = false;
        m->cap = m->npool; /* uthash could not grow: take no more */
    } else {
        m->npool++;
    }
}

static void count_name(void *ctx, const char *name, const char *alias_of, uint32_t nr)
{
    (void)name;
    (void)alias_of;
    (void)nr;
    (*(size_t *)ctx)++;
}

int tr_sysmemo_build_n(tr_sysmemo *m, size_t limit)
{
    tr_sysmemo_free(m);
    size_t n = 0;
    tr_sysno_each(count_name, &n);
    if (!(m->pool = sysmemo_alloc(m, n * sizeof *m->pool)))
        return LPAE_ENOMEM;
    m->alloc = n;
    m->cap = n < limit ? n : limit;
    m->complete = true;
    tr_sysno_each(sysmemo_add, m);
    return m->complete ? LPAE_OK : LPAE_ENOMEM;
}

int tr_sysmemo_build(tr_sysmemo *m)
{
    return tr_sysmemo_build_n(m, SIZE_MAX);
}

uint32_t tr_sysmemo_find(tr_sysmemo *m, const uint64_t w[4])
{
    tr_sysname *e = m->last;
    if (e && !((e->w[0] ^ w[0]) | (e->w[1] ^ w[1]) | (e->w[2] ^ w[2]) | (e->w[3] ^ w[3])))
        return e->nr;
    if (!m->pool)
        tr_sysmemo_build(m);
    if ((e = sysmemo_get(m, w))) {
        m->last = e;
        return e->nr;
    }
    if (m->complete)
        return LPAE_SYSNO_NONE;
    char name[4 * 8 + 1];
    for (unsigned j = 0; j < 32; j++)
        name[j] = (char)(w[j / 8] >> (j % 8 * 8));
    name[32] = 0;
    return lpae_sysno_from_name(name);
}

void tr_sysmemo_free(tr_sysmemo *m)
{
    HASH_CLEAR(hh, m->names);
    sysmemo_release(m, m->pool, m->alloc * sizeof *m->pool);
    memset(m, 0, sizeof *m);
}

static uint32_t sysno_memo(tr_sysmemo *m, const char *s)
{
    uint64_t w[4];
    if (!m || !sysname_words(s, w))
        return lpae_sysno_from_name(s);
    return tr_sysmemo_find(m, w);
}

static bool parse_sys(const char *s, uint32_t *nr, tr_sysmemo *memo)
{
    if (!strcmp(s, "none")) {
        *nr = LPAE_SYSNO_NONE;
        return true;
    }
    if (s[0] >= '0' && s[0] <= '9')
        return parse_u32(s, nr) && *nr != LPAE_SYSNO_NONE;
    *nr = sysno_memo(memo, s);
    return *nr != LPAE_SYSNO_NONE;
}

static char *next_tok(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    char *t = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    if (*s)
        *s++ = 0;
    *p = s;
    return t;
}

int tr_text_parse(char *line, lpae_tev *ev, tr_sysmemo *memo, char *why, size_t whylen)
{
    memset(ev, 0, sizeof *ev);
    char *p = line;
    char *tcpu = next_tok(&p), *ttask = next_tok(&p), *tkind = next_tok(&p);
    uint32_t v;
    if (!tcpu || !ttask || !tkind) {
        snprintf(why, whylen, "expected 'CPU TASK KIND [key=value...]'");
        return LPAE_EPARSE;
    }
    if (!parse_u32(tcpu, &v) || v > 255) {
        snprintf(why, whylen, "expected a CPU number 0..255, got '%.40s'", tcpu);
        return LPAE_EPARSE;
    }
    ev->cpu = (uint8_t)v;
    if (!parse_u32(ttask, &ev->task)) {
        snprintf(why, whylen, "expected a task id (32-bit), got '%.40s'", ttask);
        return LPAE_EPARSE;
    }
    unsigned k = 0;
    for (unsigned i = LPAE_TEV_KIND_MIN; i <= LPAE_TEV_KIND_MAX; i++)
        if (tkind[0] == kind_names[i][0] && !strcmp(tkind, kind_names[i])) {
            k = i; /* names are unique */
            break;
        }
    if (!k) {
        snprintf(why, whylen, "unknown event kind '%.40s'", tkind);
        return LPAE_EPARSE;
    }
    ev->kind = (uint8_t)k;
    unsigned seen = 0;
    for (char *t = next_tok(&p); t; t = next_tok(&p)) {
        char *eq = strchr(t, '=');
        if (!eq || eq == t) {
            snprintf(why, whylen, "expected key=value, got '%.40s'", t);
            return LPAE_EPARSE;
        }
        *eq = 0;
        char *val = eq + 1;
        int key = -1;
        for (int i = 0; i < K_COUNT; i++)
            if (t[0] == key_names[i][0] && !strcmp(t, key_names[i])) {
                key = i; /* names are unique */
                break;
            }
        if (key < 0 || !(kind_keys[k].allowed & B(key))) {
            snprintf(why, whylen, "key '%.20s' is not valid for %s", t, kind_names[k]);
            return LPAE_EPARSE;
        }
        if (seen & B(key)) {
            snprintf(why, whylen, "key '%s' given twice", t);
            return LPAE_EPARSE;
        }
        seen |= B(key);
        bool ok = true;
        unsigned f = 0;
        int64_t sv = 0;
        switch (key) {
        case K_PREV:
        case K_CHILD:
            ok = parse_u32(val, &ev->arg);
            break;
        case K_SYS:
            ok = parse_sys(val, &ev->sysno, memo);
            break;
        case K_RET:
        case K_STATUS:
            ok = tr_parse_i64(val, &sv) && sv >= INT32_MIN && sv <= INT32_MAX;
            ev->ret = (int32_t)sv;
            break;
        case K_ADDR:
            ok = parse_u32(val, &ev->addr);
            break;
        case K_LEN:
        case K_SIZE:
            ok = parse_u32(val, &ev->len);
            break;
        case K_KADDR:
            ok = parse_u32(val, &ev->kaddr);
            break;
        case K_KBUF:
            ok = false;
            for (unsigned i = 0; i <= LPAE_KBUF_MAX; i++)
                if (!strcmp(val, kbuf_names[i])) {
                    ev->kbuf = (uint8_t)i;
                    ok = true;
                }
            break;
        case K_PROT:
            ok = parse_prot(val, &f);
            ev->flags |= (uint8_t)f;
            break;
        case K_MAP:
            ok = parse_map(val, &f);
            ev->flags |= (uint8_t)f;
            break;
        case K_THREAD:
            ok = !strcmp(val, "0") || !strcmp(val, "1");
            if (val[0] == '1')
                ev->flags |= LPAE_TEVF_THREAD;
            break;
        case K_ACCESS:
            ok = parse_access(val, &f);
            ev->flags |= (uint8_t)f;
            break;
        case K_MODE:
            ok = !strcmp(val, "user") || !strcmp(val, "kernel");
            if (val[0] == 'k')
                ev->flags |= LPAE_TEVF_KERNEL;
            break;
        default:
            ok = false;
        }
        if (!ok) {
            snprintf(why, whylen, "bad value '%.40s' for key '%s'", val, t);
            return LPAE_EPARSE;
        }
    }
    unsigned missing = kind_keys[k].required & ~seen;
    if (missing) {
        int key = __builtin_ctz(missing);
        snprintf(why, whylen, "%s needs key '%s'", kind_names[k], key_names[key]);
        return LPAE_EPARSE;
    }
    const char *reason;
    if (lpae_tev_check(ev, &reason)) {
        snprintf(why, whylen, "%s", reason);
        return LPAE_EPARSE;
    }
    return LPAE_OK;
}

/* ---- text: the fast path ------------------------------------------------- */
/* Hex digit values plus one; 0 for any other byte. */
static const uint8_t hex1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* After a token that ends at @p p: the start of the next token (blanks
 * skipped) or the line end ('\n', '\r'); NULL if the token does not end at
 * @p p (a token ends at a blank, "\n" or "\r\n", as next_tok splits and
 * read_line strips). */
static inline __attribute__((always_inline)) const char *after_tok(const char *p)
{
    unsigned c = (unsigned char)*p;
    if (c == ' ' || c == '\t') {
        p++;
        if ((unsigned char)*p > ' ')
            return p; /* one blank: the common case */
        while (*p == ' ' || *p == '\t')
            p++;
        return p;
    }
    if (c == '\n' || (c == '\r' && p[1] == '\n'))
        return p;
    return NULL;
}

/* Eight hex digits at @p p (SWAR): true with their value, false if any of
 * the eight bytes is not a hex digit. */
static inline __attribute__((always_inline)) bool hex8(const char *p, uint32_t *out)
{
    uint64_t x = tr_ld64le(p);
    if (x & HIGHS)
        return false;
    /* per byte, no carries (every byte < 0x80): bit 7 set where the byte is
     * '0'..'9', and where (byte | 0x20) is 'a'..'f' */
    uint64_t y = x | 0x20 * ONES;
    uint64_t dig = (x + (0x80 - '0') * ONES) & ~(x + (0x7F - '9') * ONES);
    uint64_t let = (y + (0x80 - 'a') * ONES) & ~(y + (0x7F - 'f') * ONES);
    if (((dig | let) & HIGHS) != HIGHS)
        return false;
    /* digit values, the first (most significant) in byte 0 */
    uint64_t v = (x & 0x0F * ONES) + ((let & HIGHS) >> 7) * 9;
    v = (v & UINT64_C(0x000F000F000F000F)) << 4 | (v >> 8 & UINT64_C(0x000F000F000F000F));
    v = (v & UINT64_C(0x000000FF000000FF)) << 8 | (v >> 16 & UINT64_C(0x000000FF000000FF));
    v = (v & 0xFFFF) << 16 | (v >> 32 & 0xFFFF);
    *out = (uint32_t)v;
    return true;
}

/* A number at @p p as tr_parse_u64 reads it (decimal, or 0x/0X and hex
 * digits), of at most 16 hex or 19 decimal digits so that it cannot
 * overflow: the position after its digits, or NULL. The caller checks that
 * the token ends there. */
static inline __attribute__((always_inline)) const char *fast_u64(const char *p, uint64_t *out)
{
    unsigned x = (unsigned)(unsigned char)p[0] - '0';
    if (x > 9)
        return NULL;
    if (x == 0 && (p[1] | 0x20) == 'x') {
        uint32_t v8;
        if (hex8(p + 2, &v8) && !hex1[(unsigned char)p[10]]) {
            *out = v8; /* the writer's 0x%08x */
            return p + 10;
        }
        uint64_t v = 0;
        const char *d;
        for (d = p + 2; (x = hex1[(unsigned char)*d]) != 0; d++)
            v = v << 4 | (x - 1);
        if (d == p + 2 || d - p > 18)
            return NULL;
        *out = v;
        return d;
    }
    uint64_t v = x;
    const char *d = p + 1;
    for (; (x = (unsigned)(unsigned char)*d - '0') < 10; d++)
        v = v * 10 + x;
    if (d - p > 19)
        return NULL;
    *out = v;
    return d;
}

static inline __attribute__((always_inline)) const char *fast_u32(const char *p, uint32_t *out)
{
    uint64_t v;
    p = fast_u64(p, &v);
    if (!p || v > UINT32_MAX)
        return NULL;
    *out = (uint32_t)v;
    return p;
}

/* ret= and status=: tr_parse_i64 within 32 bits. */
static inline __attribute__((always_inline)) const char *fast_i32(const char *p, int32_t *out)
{
    bool neg = *p == '-';
    uint64_t v;
    p = fast_u64(p + neg, &v);
    if (!p || v > (neg ? UINT64_C(0x80000000) : UINT64_C(0x7FFFFFFF)))
        return NULL;
    *out = (int32_t)(neg ? -(int64_t)v : (int64_t)v);
    return p;
}

/* sys=NAME: the name's bytes up to the first byte <= ' ' as memo words
 * (SWAR: the lowest byte below 0x21 of each word), then the memo. */
static inline const char *fast_sysname(const char *p, tr_sysmemo *memo, uint32_t *nr)
{
    uint64_t w[4] = {0, 0, 0, 0};
    for (unsigned i = 0; i < 4; i++) {
        uint64_t x = tr_ld64le(p + 8 * i);
        /* exact for the lowest flagged byte: no borrow reaches it */
        uint64_t t = (x - 0x21 * ONES) & ~x & HIGHS;
        if (t) {
            unsigned b = (unsigned)__builtin_ctzll(t) >> 3; /* bytes of the name in x */
            if (b)
                w[i] = x & (~UINT64_C(0) >> (64 - 8 * b));
            else if (!i)
                return NULL; /* empty */
            if (i == 3 && b == 7)
                break; /* 31 bytes and more */
            *nr = tr_sysmemo_find(memo, w);
            return *nr == LPAE_SYSNO_NONE ? NULL : p + 8 * i + b;
        }
        w[i] = x;
    }
    return NULL; /* longer than TR_SYSMEMO_NAME: the reference path */
}

/* HAS(p, lit): the bytes at @p p start with string literal @p lit (at most
 * 24 bytes). Masked 64-bit compares against words the compiler folds from
 * the literal; the reader's padding covers the bytes read past the line. */
#define LIT_N(lit) (sizeof(lit) - 1)
#define LIT_B(lit, i)                                                                              \
    ((i) < LIT_N(lit)                                                                              \
         ? (uint64_t)(unsigned char)(lit)[(i) < LIT_N(lit) ? (i) : 0] << (8 * ((i) % 8))           \
         : 0)
#define LIT_W(lit, o)                                                                              \
    (LIT_B(lit, (o)) | LIT_B(lit, (o) + 1) | LIT_B(lit, (o) + 2) | LIT_B(lit, (o) + 3) |           \
     LIT_B(lit, (o) + 4) | LIT_B(lit, (o) + 5) | LIT_B(lit, (o) + 6) | LIT_B(lit, (o) + 7))
#define LIT_M(lit, o)                                                                              \
    (LIT_N(lit) >= (o) + 8 ? ~UINT64_C(0)                                                          \
                           : (UINT64_C(1) << (8 * (LIT_N(lit) > (o) ? LIT_N(lit) - (o) : 0))) - 1)
#define LIT_D(p, lit, o)                                                                           \
    (LIT_N(lit) > (o) ? (tr_ld64le((p) + (o)) & LIT_M(lit, o)) ^ LIT_W(lit, o) : 0)
#define HAS(p, lit) ((LIT_D(p, lit, 0) | LIT_D(p, lit, 8) | LIT_D(p, lit, 16)) == 0)

/* Values of the keys that take words; each returns the position after the
 * value (the caller checks that the token ends there) or NULL. */
static inline __attribute__((always_inline)) const char *fast_access(const char *p, uint8_t *flags)
{
    if (HAS(p, "read")) {
        *flags |= LPAE_TEVF_READ;
        return p + 4;
    }
    if (HAS(p, "write")) {
        *flags |= LPAE_TEVF_WRITE;
        return p + 5;
    }
    if (HAS(p, "exec")) {
        *flags |= LPAE_TEVF_EXEC;
        return p + 4;
    }
    return NULL;
}

static inline __attribute__((always_inline)) const char *fast_kbuf(const char *p, uint8_t *kbuf)
{
    /* "page" after "pagecache": the token must end after it */
    if (HAS(p, "pagecache")) {
        *kbuf = LPAE_KBUF_PAGECACHE;
        return p + 9;
    }
    if (HAS(p, "slab")) {
        *kbuf = LPAE_KBUF_SLAB;
        return p + 4;
    }
    if (HAS(p, "stack")) {
        *kbuf = LPAE_KBUF_STACK;
        return p + 5;
    }
    if (HAS(p, "page")) {
        *kbuf = LPAE_KBUF_PAGE;
        return p + 4;
    }
    if (HAS(p, "vmalloc")) {
        *kbuf = LPAE_KBUF_VMALLOC;
        return p + 7;
    }
    if (HAS(p, "addr"))
        return p + 4;
    return NULL;
}

static inline __attribute__((always_inline)) const char *fast_sys(const char *p, tr_sysmemo *memo,
                                                                  uint32_t *sysno)
{
    if ((unsigned)(unsigned char)*p - '0' < 10) {
        p = fast_u32(p, sysno);
        return *sysno == LPAE_SYSNO_NONE ? NULL : p;
    }
    if (HAS(p, "none") && after_tok(p + 4)) {
        *sysno = LPAE_SYSNO_NONE;
        return p + 4;
    }
    return fast_sysname(p, memo, sysno);
}

static inline __attribute__((always_inline)) const char *
text_parse_fast(const char *line, lpae_tev *ev, tr_sysmemo *memo)
{
    const char *p = line;
    uint64_t v;
    memset(ev, 0, sizeof *ev);
    if ((unsigned char)*p <= ' ')
        while (*p == ' ' || *p == '\t')
            p++;
    if ((unsigned)(unsigned char)p[0] - '0' < 10 && p[1] == ' ' && (unsigned char)p[2] > ' ') {
        ev->cpu = (uint8_t)(p[0] - '0'); /* one digit and one blank */
        p += 2;
    } else {
        if (!(p = fast_u64(p, &v)) || v > 255 || !(p = after_tok(p)))
            return NULL;
        ev->cpu = (uint8_t)v;
    }
    if (!(p = fast_u32(p, &ev->task)) || !(p = after_tok(p)))
        return NULL;
    /* The kind, by its first byte. */
    unsigned k;
#define KIND(lit, kind)                                                                            \
    if (HAS(p, lit)) {                                                                             \
        k = (kind);                                                                                \
        p += sizeof(lit) - 1;                                                                      \
    } else
    switch (*p) {
    case 'b':
        KIND("brk", LPAE_TEV_BRK) return NULL;
        break;
    case 'c':
        KIND("copy_to_user", LPAE_TEV_COPY_TO_USER)
        KIND("copy_from_user", LPAE_TEV_COPY_FROM_USER)
        KIND("clear_user", LPAE_TEV_CLEAR_USER) return NULL;
        break;
    case 'e':
        KIND("exec", LPAE_TEV_EXEC) KIND("exit", LPAE_TEV_EXIT) return NULL;
        break;
    case 'f':
        KIND("fork", LPAE_TEV_FORK) KIND("fault", LPAE_TEV_FAULT) return NULL;
        break;
    case 'g':
        KIND("get_user", LPAE_TEV_GET_USER) return NULL;
        break;
    case 'm':
        KIND("mmap", LPAE_TEV_MMAP)
        KIND("munmap", LPAE_TEV_MUNMAP) KIND("mprotect", LPAE_TEV_MPROTECT) return NULL;
        break;
    case 'p':
        KIND("put_user", LPAE_TEV_PUT_USER) return NULL;
        break;
    case 's':
        KIND("sys_enter", LPAE_TEV_SYS_ENTER)
        KIND("sys_exit", LPAE_TEV_SYS_EXIT)
        KIND("switch", LPAE_TEV_SWITCH)
        KIND("strncpy_from_user", LPAE_TEV_STRNCPY_FROM_USER) return NULL;
        break;
    case 't':
        KIND("touch", LPAE_TEV_TOUCH) return NULL;
        break;
    default:
        return NULL;
    }
#undef KIND
    ev->kind = (uint8_t)k;
    /* First the keys as the writer prints them (tr_text_format: its order,
     * one blank, the line's end right after them): a literal compare per
     * key. Anything else starts again from the kind, key by key. */
    const char *const keys = p;
#define EXPECT(lit)                                                                                \
    do {                                                                                           \
        if (!HAS(p, lit))                                                                          \
            goto generic;                                                                          \
        p += sizeof(lit) - 1;                                                                      \
    } while (0)
#define VALUE(expr)                                                                                \
    do {                                                                                           \
        if (!(p = (expr)))                                                                         \
            goto generic;                                                                          \
    } while (0)
    /* The two rules of lpae_tev_check() that values can break: the size of
     * GET/PUT_USER, and addr + len within 4 GiB for the kinds with a length
     * (NULL rather than the key-by-key loop, which would reject it too). */
#define WRAP_CHECK()                                                                               \
    do {                                                                                           \
        if ((uint64_t)ev->addr + ev->len > (UINT64_C(1) << 32))                                    \
            return NULL;                                                                           \
    } while (0)
    switch (k) {
    case LPAE_TEV_SWITCH:
        if (HAS(p, " prev=")) {
            p += 6;
            VALUE(fast_u32(p, &ev->arg));
        }
        break;
    case LPAE_TEV_SYS_EXIT:
        EXPECT(" sys=");
        VALUE(fast_sys(p, memo, &ev->sysno));
        EXPECT(" ret=");
        VALUE(fast_i32(p, &ev->ret));
        break;
    case LPAE_TEV_SYS_ENTER:
        EXPECT(" sys=");
        VALUE(fast_sys(p, memo, &ev->sysno));
        break;
    case LPAE_TEV_COPY_FROM_USER:
    case LPAE_TEV_COPY_TO_USER:
    case LPAE_TEV_STRNCPY_FROM_USER:
        EXPECT(" addr=");
        VALUE(fast_u32(p, &ev->addr));
        EXPECT(" len=");
        VALUE(fast_u32(p, &ev->len));
        WRAP_CHECK();
        EXPECT(" kbuf=");
        VALUE(fast_kbuf(p, &ev->kbuf));
        if (HAS(p, " kaddr=")) {
            p += 7;
            VALUE(fast_u32(p, &ev->kaddr));
        }
        break;
    case LPAE_TEV_GET_USER:
    case LPAE_TEV_PUT_USER:
        EXPECT(" addr=");
        VALUE(fast_u32(p, &ev->addr));
        EXPECT(" size=");
        VALUE(fast_u32(p, &ev->len));
        if (ev->len > 8 || !((0x116u >> ev->len) & 1u))
            return NULL; /* 1, 2, 4 or 8 */
        WRAP_CHECK();
        break;
    case LPAE_TEV_CLEAR_USER:
    case LPAE_TEV_MUNMAP:
        EXPECT(" addr=");
        VALUE(fast_u32(p, &ev->addr));
        EXPECT(" len=");
        VALUE(fast_u32(p, &ev->len));
        WRAP_CHECK();
        break;
    case LPAE_TEV_BRK:
        EXPECT(" addr=");
        VALUE(fast_u32(p, &ev->addr));
        break;
    case LPAE_TEV_FORK:
        EXPECT(" child=");
        VALUE(fast_u32(p, &ev->arg));
        if (HAS(p, " thread=1")) {
            ev->flags = LPAE_TEVF_THREAD;
            p += 9;
        }
        break;
    case LPAE_TEV_EXEC:
        break;
    case LPAE_TEV_EXIT:
        EXPECT(" status=");
        VALUE(fast_i32(p, &ev->ret));
        break;
    case LPAE_TEV_TOUCH:
        EXPECT(" addr=");
        VALUE(fast_u32(p, &ev->addr));
        EXPECT(" len=");
        VALUE(fast_u32(p, &ev->len));
        WRAP_CHECK();
        EXPECT(" access=");
        VALUE(fast_access(p, &ev->flags));
        break;
    default: /* mmap, mprotect, fault: rare */
        goto generic;
    }
#undef EXPECT
#undef VALUE
#undef WRAP_CHECK
    if (*p != '\n')
        goto generic;
    if (p - line > LPAE_TRACE_LINE_MAX)
        return NULL;
    return p + 1;

generic:
    p = keys;
    {
        uint8_t cpu = ev->cpu;
        uint32_t task = ev->task;
        memset(ev, 0, sizeof *ev);
        ev->kind = (uint8_t)k;
        ev->cpu = cpu;
        ev->task = task;
    }
    /* The keys, each by its first byte, and its value: p goes past the
     * value (NULL if bad), and after_tok checks that the token ends. */
    unsigned avail = kind_keys[k].allowed; /* allowed and not seen yet */
#define KEY(lit, key)                                                                              \
    if (HAS(p, lit "=")) {                                                                         \
        if (!(avail & B(key)))                                                                     \
            return NULL;                                                                           \
        avail &= ~B(key);                                                                          \
        p += sizeof(lit);
#define OR_KEY(lit, key)                                                                           \
    }                                                                                              \
    else KEY(lit, key)
#define END_KEY                                                                                    \
    }                                                                                              \
    else return NULL;
    for (;;) {
        if (!(p = after_tok(p)))
            return NULL;
        switch (*p) {
        case '\n':
            goto keys_done;
        case '\r':
            if (p[1] != '\n')
                return NULL;
            goto keys_done;
        case 'a':
            KEY("addr", K_ADDR)
            p = fast_u32(p, &ev->addr);
            OR_KEY("access", K_ACCESS)
            p = fast_access(p, &ev->flags);
            END_KEY
            break;
        case 'c':
            KEY("child", K_CHILD)
            p = fast_u32(p, &ev->arg);
            END_KEY
            break;
        case 'k':
            KEY("kbuf", K_KBUF)
            p = fast_kbuf(p, &ev->kbuf);
            OR_KEY("kaddr", K_KADDR)
            p = fast_u32(p, &ev->kaddr);
            END_KEY
            break;
        case 'l':
            KEY("len", K_LEN)
            p = fast_u32(p, &ev->len);
            END_KEY
            break;
        case 'm':
            KEY("map", K_MAP)
            /* the writer's spellings: (shared|private)[,anon][,fixed] */
            if (HAS(p, "shared")) {
                ev->flags |= LPAE_MAP_SHARED;
                p += 6;
            } else if (HAS(p, "private")) {
                p += 7;
            } else {
                return NULL;
            }
            if (HAS(p, ",anon")) {
                ev->flags |= LPAE_MAP_ANON;
                p += 5;
            }
            if (HAS(p, ",fixed")) {
                ev->flags |= LPAE_MAP_FIXED;
                p += 6;
            }
            OR_KEY("mode", K_MODE)
            if (HAS(p, "kernel")) {
                ev->flags |= LPAE_TEVF_KERNEL;
                p += 6;
            } else if (HAS(p, "user")) {
                p += 4;
            } else {
                return NULL;
            }
            END_KEY
            break;
        case 'p':
            KEY("prev", K_PREV)
            p = fast_u32(p, &ev->arg);
            OR_KEY("prot", K_PROT)
            unsigned f = (p[0] == 'r'   ? LPAE_PROT_READ
                          : p[0] == '-' ? 0
                                        : 8u) |
                         (p[1] == 'w'   ? LPAE_PROT_WRITE
                          : p[1] == '-' ? 0
                                        : 8u) |
                         (p[2] == 'x'   ? LPAE_PROT_EXEC
                          : p[2] == '-' ? 0
                                        : 8u);
            if (f & 8u)
                return NULL;
            ev->flags |= (uint8_t)f;
            p += 3;
            END_KEY
            break;
        case 'r':
            KEY("ret", K_RET)
            p = fast_i32(p, &ev->ret);
            END_KEY
            break;
        case 's':
            KEY("sys", K_SYS)
            p = fast_sys(p, memo, &ev->sysno);
            OR_KEY("size", K_SIZE)
            p = fast_u32(p, &ev->len);
            OR_KEY("status", K_STATUS)
            p = fast_i32(p, &ev->ret);
            END_KEY
            break;
        case 't':
            KEY("thread", K_THREAD)
            if (*p == '1')
                ev->flags |= LPAE_TEVF_THREAD;
            else if (*p != '0')
                return NULL;
            p++;
            END_KEY
            break;
        default:
            return NULL;
        }
        if (!p)
            return NULL;
    }
#undef KEY
#undef OR_KEY
#undef END_KEY
keys_done:
    /* What tr_text_parse checks after the keys: the required keys (all of
     * them allowed ones), and the two rules of lpae_tev_check() that values
     * can break (every other rule holds by construction: only the kind's
     * keys set fields and flags). */
    if (kind_keys[k].required & avail)
        return NULL;
    if ((k == LPAE_TEV_GET_USER || k == LPAE_TEV_PUT_USER) &&
        (ev->len > 8 || !((0x116u >> ev->len) & 1u)))
        return NULL;
    if ((uint64_t)ev->addr + ev->len > (UINT64_C(1) << 32))
        return NULL;
    p += *p == '\r'; /* at the '\n' */
    if (p - line > LPAE_TRACE_LINE_MAX)
        return NULL;
    return p + 1;
}

const char *tr_text_parse_fast(const char *line, lpae_tev *ev, tr_sysmemo *memo)
{
    return text_parse_fast(line, ev, memo);
}

int tr_text_read_fast(lpae_trace_reader *r, lpae_tev *ev)
{
    const char *end = text_parse_fast((const char *)r->rb + r->rb_pos, ev, &r->sysmemo);
    if (!end)
        return tr_read_slow(r, ev, true);
    r->rb_pos = (uint32_t)(end - (const char *)r->rb);
    r->line++;
    r->events++;
    return 1;
}

size_t tr_text_read_many(lpae_trace_reader *r, size_t max)
{
    const char *base = (const char *)r->rb, *s = base + r->rb_pos;
    size_t n = 0;
    while (n < max) {
        const char *end = text_parse_fast(s, &r->tb[n], &r->sysmemo);
        if (!end)
            break;
        s = end;
        n++;
    }
    r->rb_pos = (uint32_t)(s - base);
    r->line += n;
    r->events += n;
    return n;
}
