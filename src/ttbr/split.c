/* SPDX-License-Identifier: MIT */
/*
 * User/kernel address-space splits, named as Linux names them (policy).
 *
 * VMSPLIT_3G/2G/1G follow arch/arm/include/asm/pgtable-3level-hwdef.h and
 * Kconfig: T1SZ = PAGE_OFFSET / 1 GB - 1 for the 3G and 2G splits, and
 * T0SZ = 2, T1SZ = 0 for the 1G split; PAGE_OFFSET (the start of lowmem's
 * linear map) is the first TTBR1 address in all three.
 *
 * VMSPLIT_4G_4G (never merged upstream; see docs/linux-arm-notes.md §5):
 * T0SZ = 0, T1SZ = 4, so TTBR1 covers the top 256 MB (0xF0000000 up: the
 * static kernel, modules, vmalloc, fixmap, vectors) and TTBR0 covers
 * 0x00000000-0xEFFFFFFF. Kernel lowmem moves out of TTBR1 into a TTBR0
 * table of its own under a reserved kernel ASID (Arnd Bergmann, Mar 2020:
 * "Map all the physical RAM (up to 3.75GB) into a reserved ASID with
 * TTBR0"; afzal mohammed's May 2020 summary: "TTBR0 (low 3768MB) for user
 * space & lowmem (kernel lowmem to have separate ASID)"; the LPC 2020 and
 * LVC20-106 abstracts: "3.75GB of address space to both user space and to
 * the linear physical memory mapping"). A linear map of up to 3.75 GB of
 * RAM inside 0x00000000-0xEFFFFFFF must start at VA 0, so page_offset is
 * 0x00000000 here: lowmem VA = PA - PHYS_OFFSET, valid only while the
 * kernel's TTBR0 (kernel ASID) is live. The user's TTBR0 tables use the
 * same VAs for user space; the two never share a TTBR0 value. (afzal's
 * prototype boot log, lowmem 0xc0000000-0xf0000000, is the kernel-in-
 * vmalloc step on a 3G split, before lowmem moved to TTBR0.)
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/split.h"

static const lpae_split presets[] = {
    {"VMSPLIT_3G", 0, 2, false, 0xC0000000u, 0xC0000000u},
    {"VMSPLIT_2G", 0, 1, false, 0x80000000u, 0x80000000u},
    {"VMSPLIT_1G", 2, 0, false, 0x40000000u, 0x40000000u},
    {"VMSPLIT_4G_4G", 0, 4, true, 0x00000000u, 0xF0000000u},
};

#define NPRESETS (sizeof presets / sizeof presets[0])

/* Linux's default PAGE_OFFSET (Kconfig), used when no VA selects TTBR1. */
#define DEFAULT_PAGE_OFFSET 0xC0000000u

size_t lpae_split_preset_count(void)
{
    return NPRESETS;
}

int lpae_split_preset(size_t i, lpae_split *out)
{
    if (!out || i >= NPRESETS)
        return LPAE_EINVAL;
    *out = presets[i];
    return LPAE_OK;
}

/* Upper-case @s without "VMSPLIT_" and underscores into @buf; false if too long. */
static bool canon(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    char up[64];
    size_t sl = strlen(s);
    if (sl >= sizeof up)
        return false;
    for (size_t i = 0; i <= sl; i++)
        up[i] = (char)toupper((unsigned char)s[i]);
    const char *p = up;
    if (strncmp(p, "VMSPLIT_", 8) == 0)
        p += 8;
    for (; *p; p++) {
        if (*p == '_')
            continue;
        if (n + 1 >= len)
            return false;
        buf[n++] = *p;
    }
    buf[n] = '\0';
    return true;
}

/* Parse "t0sz=A,t1sz=B" (either order, keys case-insensitive). */
static int parse_custom(const char *s, unsigned *t0, unsigned *t1)
{
    bool have[2] = {false, false};
    unsigned val[2] = {0, 0};
    const char *p = s;
    for (int k = 0; k < 2; k++) {
        if (tolower((unsigned char)p[0]) != 't' || (p[1] != '0' && p[1] != '1') ||
            tolower((unsigned char)p[2]) != 's' || tolower((unsigned char)p[3]) != 'z' ||
            p[4] != '=')
            return LPAE_EPARSE;
        unsigned which = (unsigned)(p[1] - '0');
        if (have[which])
            return LPAE_EPARSE;
        p += 5;
        if (!isdigit((unsigned char)*p))
            return LPAE_EPARSE;
        unsigned v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (++digits > 3)
                return LPAE_ERANGE;
            v = v * 10u + (unsigned)(*p++ - '0');
        }
        have[which] = true;
        val[which] = v;
        if (k == 0) {
            if (*p != ',')
                return LPAE_EPARSE;
            p++;
        }
    }
    if (*p != '\0')
        return LPAE_EPARSE;
    if (val[0] > 7 || val[1] > 7)
        return LPAE_ERANGE;
    *t0 = val[0];
    *t1 = val[1];
    return LPAE_OK;
}

int lpae_split_find(const char *name, lpae_split *out)
{
    if (!name || !out)
        return LPAE_EINVAL;
    if (tolower((unsigned char)name[0]) == 't' && (name[1] == '0' || name[1] == '1')) {
        unsigned t0, t1;
        int err = parse_custom(name, &t0, &t1);
        if (err)
            return err;
        lpae_split s;
        memset(&s, 0, sizeof s);
        snprintf(s.name, sizeof s.name, "t0sz=%u,t1sz=%u", t0, t1);
        s.t0sz = (uint8_t)t0;
        s.t1sz = (uint8_t)t1;
        s.four_g = false;
        /* First VA that selects TTBR1 (DDI 0406C B3.6.4); 0 when none does. */
        if (t1 != 0)
            s.ttbr1_base = (lpae_va_t)((UINT64_C(1) << 32) - (UINT64_C(1) << (32 - t1)));
        else if (t0 != 0)
            s.ttbr1_base = (lpae_va_t)(UINT64_C(1) << (32 - t0));
        else
            s.ttbr1_base = 0;
        /* Linux puts PAGE_OFFSET at the start of the TTBR1 region. */
        s.page_offset = s.ttbr1_base ? s.ttbr1_base : DEFAULT_PAGE_OFFSET;
        *out = s;
        return LPAE_OK;
    }
    char want[32];
    if (!canon(name, want, sizeof want))
        return LPAE_EINVAL;
    for (size_t i = 0; i < NPRESETS; i++) {
        char have[32];
        canon(presets[i].name, have, sizeof have);
        if (strcmp(want, have) == 0) {
            *out = presets[i];
            return LPAE_OK;
        }
    }
    return LPAE_EINVAL;
}

uint32_t lpae_split_ttbcr(const lpae_split *split, uint32_t flags)
{
    if (!split)
        return 0;
    flags &= ~(LPAE_TTBCR_T0SZ_MASK | LPAE_TTBCR_T1SZ_MASK);
    return LPAE_TTBCR_EAE | ((uint32_t)(split->t0sz & 7u) << LPAE_TTBCR_T0SZ_SHIFT) |
           ((uint32_t)(split->t1sz & 7u) << LPAE_TTBCR_T1SZ_SHIFT) | flags;
}
