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
 * Deltas of the state document and the watch that sends them (our
 * extension; innernetd(8), WATCH).  Internal to innernetd/.
 */

#ifndef DELTA_H
#define DELTA_H

/* Changes kept for deltas: older versions get a full state. */
#define DLOG_MAX		8192
/* Rows one delta may carry, as the client takes it. */
#define DELTA_MAXROWS		100000

struct dlog_ent {
	uint64_t	counter;
	int64_t		id;
	int64_t		cidr;	/* the peer's, when it changed */
	uint8_t		what;		/* enum ns_change */
};

struct dlog {
	struct dlog_ent	*ring;
	size_t		 head, n;
	uint64_t	 base;		/* deltas from versions >= base */
};

enum { DELTA_FULL = 1, DELTA_NONE, DELTA_OK };

void	 dlog_init(struct dlog *, uint64_t);
void	 dlog_free(struct dlog *);
void	 dlog_reset(struct dlog *, uint64_t);
void	 dlog_add(struct dlog *, uint64_t, uint8_t, int64_t, int64_t);
int	 delta_build(struct netstate *, const struct dlog *, uint64_t,
	    uint64_t, const uint8_t *, json_t **);
json_t	*delta_full(struct netstate *, const struct ns_peer *);
int	 delta_apply(json_t *, json_t *, char *, size_t);
int	 delta_canon(json_t *);
int	 delta_version_parse(const char *, uint64_t *, uint64_t *);
void	 delta_version_str(uint64_t, uint64_t, char *, size_t);
#define DELTA_VERSIONSZ	40
int	 gz_deflate(const void *, size_t, uint8_t **, size_t *);
int	 gz_inflate(const void *, size_t, size_t, uint8_t **, size_t *);

/* The HTTP headers and query of the extension. */
#define WATCH_CAP		"innernet_c_watch"
#define WATCH_HDR_VERSION	"X-Innernet-Version"
#define WATCH_HDR_STATE		"X-Innernet-State" /* full, delta */
#define WATCH_HDR_WATCH		"X-Innernet-Watch"	/* refused */
#define WATCH_HOLD		55	/* seconds, the longest hold */

#endif /* DELTA_H */
