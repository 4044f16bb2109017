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
 * The hosts file's section of a network, either role: every enabled,
 * redeemed peer as name.<suffix>, sent to the parent as entries and an
 * end that replaces the section whole (the parent checks and writes).
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "engine.h"

int
hosts_enabled(struct engine_net *en)
{
	int	w = en->opts.write_hosts;

	if (en->net.flags & IN_NETF_NOHOSTS)
		return (0);
	if (w == 0)
		w = engine_conf.write_hosts;
	return (w != 2);
}

/* The network's hosts section: every enabled, redeemed peer of ns. */
void
hosts_send(struct engine_net *en, struct netstate *ns)
{
	struct in_netreq	 nr;
	struct in_hostent	 he;
	const char		*suffix;
	char			 defsuffix[IN_HOSTSZ];
	size_t			 i;
	uint32_t		 id;

	if (!hosts_enabled(en))
		return;
	if (en->opts.host_suffix_set || en->opts.host_suffix[0] != '\0')
		suffix = en->opts.host_suffix;
	else {
		snprintf(defsuffix, sizeof(defsuffix), "%s.wg", en->net.name);
		suffix = defsuffix;
	}
	memset(&nr, 0, sizeof(nr));
	strlcpy(nr.network, en->net.name, sizeof(nr.network));
	id = engine_req_new(wg_log_answer, NULL);
	for (i = 0; i < ns->npeers; i++) {
		if (ns->peers[i].p.is_disabled ||
		    !ns->peers[i].p.is_redeemed)
			continue;
		memset(&he, 0, sizeof(he));
		strlcpy(he.ifname, en->net.name, sizeof(he.ifname));
		he.ip = ns->peers[i].p.ip;
		if (suffix[0] == '\0')
			strlcpy(he.name, ns->peers[i].p.name,
			    sizeof(he.name));
		else if ((size_t)snprintf(he.name, sizeof(he.name), "%s.%s",
		    ns->peers[i].p.name, suffix) >= sizeof(he.name))
			continue;
		engine_parent_compose(IMSG_PARENT_HOSTS, id, &he, sizeof(he));
	}
	engine_parent_compose(IMSG_PARENT_HOSTS_END, id, &nr, sizeof(nr));
}
