/*
 * Copyright (c) 2026 The innernet-in-C authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * glibc keeps freed memory: after a state of 10,000 peers was built or
 * sent, a daemon would keep its high-water mark for good.  Blocks of
 * MEMTRIM_MMAP_MIN and more get their own mappings, which go back to the
 * system when freed (glibc would otherwise raise that threshold after
 * the first such block freed, up to 32 MB, and keep those blocks in the
 * heap), and the top of the heap is given back past MEMTRIM_TOP.  What
 * is still kept, free memory inside the heap, goes back MEMTRIM_AFTER
 * seconds after work began (memtrim_poke(), called as messages and
 * requests arrive): a burst is followed by a trim, and a process at rest
 * is not woken for one.  Elsewhere the allocator does this itself and
 * this does nothing.
 */

#include <sys/types.h>
#include <sys/time.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event.h>

#include "compat.h"

#define MEMTRIM_AFTER		2
#define MEMTRIM_MMAP_MIN	(128 * 1024)
#define MEMTRIM_TOP		(256 * 1024)

static struct event	memtrim_ev;
static int		memtrim_on;

static void
memtrim(int fd, short event, void *arg)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Work arrived: trim in MEMTRIM_AFTER seconds, unless already due. */
void
memtrim_poke(void)
{
	struct timeval	tv = { MEMTRIM_AFTER, 0 };

	if (memtrim_on && !evtimer_pending(&memtrim_ev, NULL))
		evtimer_add(&memtrim_ev, &tv);
}

void
memtrim_start(void)
{
#ifdef __GLIBC__
	/* single-threaded: one arena; fixed thresholds, see above */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, MEMTRIM_MMAP_MIN);
	mallopt(M_TRIM_THRESHOLD, MEMTRIM_TOP);
#endif
	evtimer_set(&memtrim_ev, memtrim, NULL);
	memtrim_on = 1;
}
