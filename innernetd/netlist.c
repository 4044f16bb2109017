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
 * The engine's networks and what they run by: the list of networks, the
 * configuration the parent sends (global settings, allowed ranges, each
 * network's options), and the event base and resolver that engine.c
 * makes before the sandbox.  Every file of the engine reads these; this
 * file calls none of them but the mirror's (netstate.c).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_local.h"

struct engine_nets	 engine_nets = TAILQ_HEAD_INITIALIZER(engine_nets);
struct in_conf_global	 engine_conf;
struct event_base	*engine_base;
struct evdns_base	*engine_dns;

/* Configuration being received, applied at IMSG_CONF_END. */
static struct in_conf_global	 conf_pending;
static struct in_netopts	 netopts[IN_MAXNETWORKS], netopts_pending[
				    IN_MAXNETWORKS];
static size_t			 nnetopts, nnetopts_pending;
static struct in_prefix		 ranges[IN_MAXRANGES], ranges_pending[
				    IN_MAXRANGES];
static size_t			 nranges, nranges_pending;

/*
 * The parent's configuration, in the order it sends it: the global
 * settings, the allowed ranges and each network's options, held aside
 * until CONF_END applies them all at once.
 */
void
engine_conf_global(const struct in_conf_global *g)
{
	if (!in_str_ok(g->user) || !in_str_ok(g->state_dir) ||
	    !in_str_ok(g->socket_path) || !in_str_ok(g->hosts_file) ||
	    !in_str_ok(g->wg_userspace))
		fatalx("parent: unterminated string in CONF_GLOBAL");
	conf_pending = *g;
	nnetopts_pending = 0;
	nranges_pending = 0;
}

void
engine_conf_range(const struct in_conf_range *r)
{
	if (nranges_pending >= IN_MAXRANGES)
		fatalx("parent: too many allowed ranges");
	ranges_pending[nranges_pending++] = r->range;
}

void
engine_conf_netopts(const struct in_netopts *o)
{
	if (!in_str_ok(o->name) || !in_str_ok(o->host_suffix))
		fatalx("parent: unterminated string in CONF_NETOPTS");
	if (nnetopts_pending >= IN_MAXNETWORKS)
		fatalx("parent: too many networks");
	netopts_pending[nnetopts_pending++] = *o;
}

void
engine_conf_end(void)
{
	engine_conf = conf_pending;
	memcpy(netopts, netopts_pending, sizeof(netopts));
	nnetopts = nnetopts_pending;
	memcpy(ranges, ranges_pending, sizeof(ranges));
	nranges = nranges_pending;
}

/*
 * May a network live at this root CIDR?  Checked before anything is
 * made, so `new' and `install' fail at once with the key to change;
 * wgd refuses such a network anyway.
 */
int
engine_net_allowed(const struct in_prefix *net, char *err, size_t errlen)
{
	char	s[IN_CIDRSTRSZ];

	if (in_prefix_in_ranges(net, ranges, nranges))
		return (1);
	if (in_prefix_str(net, s, sizeof(s)) == -1)
		strlcpy(s, "the network", sizeof(s));
	snprintf(err, errlen, "%s lies outside allowed-ranges in "
	    "innernet.conf(5); add a range holding it there first", s);
	return (0);
}

const struct in_netopts *
engine_netopts(const char *name)
{
	size_t	i;

	for (i = 0; i < nnetopts; i++)
		if (strcmp(netopts[i].name, name) == 0)
			return (&netopts[i]);
	return (NULL);
}

struct engine_net *
engine_net_find(const char *name)
{
	struct engine_net	*en;

	TAILQ_FOREACH(en, &engine_nets, entry)
		if (strcmp(en->net.name, name) == 0)
			return (en);
	return (NULL);
}

struct engine_net *
engine_net_add(const struct in_network *net)
{
	struct engine_net	*en;
	const struct in_netopts	*o;

	if ((en = engine_net_find(net->name)) != NULL)
		return (en);
	if ((en = calloc(1, sizeof(*en))) == NULL)
		fatal("network");
	en->net = *net;
	if ((o = engine_netopts(net->name)) != NULL)
		en->opts = *o;
	else
		strlcpy(en->opts.name, net->name, sizeof(en->opts.name));
	ns_init(&en->state);
	ns_init(&en->cache);
	TAILQ_INSERT_TAIL(&engine_nets, en, entry);
	return (en);
}

/* The caller has stopped the network's role (timers, listener) first. */
void
engine_net_remove(struct engine_net *en)
{
	TAILQ_REMOVE(&engine_nets, en, entry);
	ns_clear(&en->state);
	ns_clear(&en->cache);
	free(en);
}
