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


/* /etc/innernet.conf: daemon-wide settings and per-network options. */

#ifndef CONFIG_H
#define CONFIG_H

#include <stdio.h>

#include "innernet.h"

#define CONFIG_MAXSIZE	(1024 * 1024)

struct innernet_conf {
	struct in_conf_global	 global;
	struct in_netopts	*nets;
	size_t			 nnets;
	struct in_prefix	 ranges[IN_MAXRANGES];	/* allowed-ranges */
	size_t			 nranges;
};

void	config_defaults(struct in_conf_global *);
int	config_parse(const char *, struct innernet_conf *, char *, size_t);
int	config_parse_buf(const char *, size_t, const char *,
	    struct innernet_conf *, char *, size_t);
void	config_free(struct innernet_conf *);
void	config_print(FILE *, const struct innernet_conf *);

#endif /* CONFIG_H */
