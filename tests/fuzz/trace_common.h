/* SPDX-License-Identifier: MIT */
/* The body shared by the trace fuzz targets: read an input in one format,
 * then check what came out.
 *  - every event returned passes lpae_tev_check();
 *  - an error comes with one line of text and is sticky;
 *  - the events (and header) written back in the text and the binary format
 *    read back identical, so nothing the reader accepts is lost or changed
 *    by a conversion. */
#ifndef LPAE_FUZZ_TRACE_COMMON_H
#define LPAE_FUZZ_TRACE_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lpae/err.h"
#include "lpae/trace.h"

/* Events kept for the round trip (the reader itself streams any length). */
#define FUZZ_TRACE_MAX_EVENTS 4096
/* Reader memory cap of the skip_bad pass, bytes. */
#define FUZZ_TRACE_MEM_CAP (256u << 10)

/* Write @p evs and the header of @p src in @p fmt to memory, read them back
 * and compare. */
static void fuzz_trace_roundtrip(const lpae_trace_reader *src, const lpae_tev *evs, size_t n,
                                 lpae_trace_fmt fmt)
{
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    lpae_trace_writer *w = NULL;
    lpae_trace_reader *r = NULL;
    lpae_trace_ropts ro;
    lpae_tev ev;
    size_t i;
    int rc;

    if (!f)
        return;
    FUZZ_CHECK(lpae_trace_writer_open_file(f, fmt, &w) == 0);
    for (i = 0; i < lpae_trace_header_count(src); i++) {
        const char *k, *v;
        FUZZ_CHECK(lpae_trace_header_get(src, i, &k, &v) == 0);
        /* A header the reader accepted is one the writer accepts. */
        FUZZ_CHECK(lpae_trace_writer_header(w, k, v) == 0);
    }
    for (i = 0; i < n; i++)
        FUZZ_CHECK(lpae_trace_write(w, &evs[i]) == 0);
    FUZZ_CHECK(lpae_trace_writer_close(w, true) == 0);
    fclose(f);

    memset(&ro, 0, sizeof ro);
    ro.format = fmt;
    f = fuzz_stream((const uint8_t *)mem, memlen);
    FUZZ_CHECK(f != NULL);
    rc = lpae_trace_reader_open_file(f, "roundtrip", &ro, &r);
    if (rc != 0)
        fprintf(stderr, "round trip: %s\n", r ? lpae_trace_reader_error(r) : lpae_strerror(rc));
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(lpae_trace_header_count(r) == lpae_trace_header_count(src));
    for (i = 0; i < n; i++) {
        rc = lpae_trace_read(r, &ev);
        if (rc != 1)
            fprintf(stderr, "round trip: event %zu: %s\n", i, lpae_trace_reader_error(r));
        FUZZ_CHECK(rc == 1);
        FUZZ_CHECK(memcmp(&ev, &evs[i], sizeof ev) == 0);
    }
    FUZZ_CHECK(lpae_trace_read(r, &ev) == 0);
    lpae_trace_reader_close(r);
    fclose(f);
    free(mem);
}

static void fuzz_trace(const uint8_t *data, size_t size, lpae_trace_fmt fmt, bool skip_bad)
{
    lpae_trace_ropts ro;
    lpae_trace_reader *r = NULL;
    lpae_tev *evs, ev;
    size_t n = 0;
    int rc;
    FILE *f = fuzz_stream(data, size);

    if (!f)
        return;
    evs = malloc(FUZZ_TRACE_MAX_EVENTS * sizeof *evs);
    if (!evs) {
        fclose(f);
        return;
    }
    memset(&ro, 0, sizeof ro);
    ro.format = fmt;
    ro.skip_bad = skip_bad;
    /* The skipping pass also runs under a small reader memory cap, so that
     * the cap's LPAE_ENOMEM path is exercised (and must be clean). */
    ro.mem_cap = skip_bad ? FUZZ_TRACE_MEM_CAP : 0;
    rc = lpae_trace_reader_open_file(f, "fuzz", &ro, &r);
    if (rc < 0) {
        FUZZ_CHECK(rc >= LPAE_ERR_MIN);
        if (r) {
            FUZZ_CHECK(fuzz_one_line(lpae_trace_reader_error(r)));
            /* Errors are sticky. */
            FUZZ_CHECK(lpae_trace_read(r, &ev) < 0);
        }
        goto out;
    }
    FUZZ_CHECK(r != NULL);
    while ((rc = lpae_trace_read(r, &ev)) == 1) {
        const char *why = NULL;
        if (lpae_tev_check(&ev, &why) != 0)
            fprintf(stderr, "reader returned a bad event: %s\n", why ? why : "?");
        FUZZ_CHECK(lpae_tev_check(&ev, NULL) == 0);
        if (n < FUZZ_TRACE_MAX_EVENTS)
            evs[n++] = ev;
    }
    FUZZ_CHECK(rc == 0 || (rc < 0 && rc >= LPAE_ERR_MIN));
    if (rc < 0) {
        int again = lpae_trace_read(r, &ev);
        FUZZ_CHECK(fuzz_one_line(lpae_trace_reader_error(r)));
        FUZZ_CHECK(again == rc);
    }
    FUZZ_CHECK(lpae_trace_reader_events(r) >= n);
    fuzz_trace_roundtrip(r, evs, n, LPAE_TRACE_TEXT);
    fuzz_trace_roundtrip(r, evs, n, LPAE_TRACE_BINARY);
out:
    lpae_trace_reader_close(r);
    fclose(f);
    free(evs);
}

#endif
