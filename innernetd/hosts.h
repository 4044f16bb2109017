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

/* The hosts file, rewritten by the parent (hosts.c). */

#ifndef HOSTS_H
#define HOSTS_H

#include <stddef.h>

#include "innernet.h"

struct imsg;
struct innernet_conf;
struct proc_pipe;

/* The parent's hosts path: the engine's lines, wgd's network. */
void	hosts_init(struct proc_pipe *, struct proc_pipe *,
	    const struct innernet_conf *);
void	hosts_line(struct proc_pipe *, struct imsg *,
	    const struct in_hostent *);
void	hosts_end(const struct in_netreq *, uint32_t);
void	hosts_link(const struct in_linknet *, uint32_t);
void	hosts_link_refused(const struct in_error *, uint32_t);

/* Checking and writing a section. */
int	hosts_apply(const char *, const char *, const char *,
	    const struct in_prefix *, const struct in_prefix *, size_t,
	    const struct in_hostent *, size_t, char *, size_t);
int	hosts_rewrite(const char *, const char *, const struct in_hostent *,
	    size_t, char *, size_t);
int	hosts_entry_ok(const struct in_hostent *, const char *,
	    const struct in_prefix *, char *, size_t);
void	hosts_suffix(const char *, const struct in_netopts *, char *,
	    size_t);
int	hosts_build(const char *, const char *, const struct in_hostent *,
	    size_t, char **, size_t *, int *, char *, size_t);
int	hosts_write(const char *, const char *, size_t, char *, size_t);
int	hosts_section(const char *, size_t, const char *,
	    const struct in_hostent *, size_t, char **, size_t *);

#endif /* HOSTS_H */
