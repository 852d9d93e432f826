/* SPDX-License-Identifier: MIT */
/* Error messages are one line of text, whatever bytes the input they quote
 * holds: a CR, a newline or another control byte copied from a trace line or
 * an ELF section name would break the CLIs' one-line promise, or move the
 * terminal's cursor. */
#ifndef LPAE_CORE_ONELINE_H
#define LPAE_CORE_ONELINE_H

/* Replace every control byte (below 0x20, and DEL) of @p s by '?'. */
static inline void lpae_oneline(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            *s = '?';
}

#endif
