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
 * One handler per innernetctl verb.  Requests are {"verb", "network",
 * "args"}; names given on the command line (CIDR and peer names) are
 * resolved here against the network's mirror, then the same server_*
 * operations as the HTTP API do the work, with the local administrator
 * as the caller.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <jansson.h>

#include "compat.h"
#include "engine.h"

#define CTL_INVITE_TTL		(14 * 86400)	/* upstream's default */
#define CTL_INVITE_MAXTTL	(10LL * 365 * 86400)

struct ctl_status {
	struct ctl_conn	*c;
	json_t		*procs;
	int		 pending;
};

/* Kept while server_peer_add runs: what the invitation needs. */
struct ctl_addpeer {
	struct ctl_conn		*c;
	struct engine_net	*en;
};

static const char *
arg_str(json_t *args, const char *key)
{
	json_t	*v = json_object_get(args, key);

	return (json_is_string(v) ? json_string_value(v) : NULL);
}

static int
arg_bool(json_t *args, const char *key, int def)
{
	json_t	*v = json_object_get(args, key);
	const char *s;

	if (json_is_boolean(v))
		return (json_is_true(v));
	if (json_is_string(v)) {
		s = json_string_value(v);
		if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
			return (1);
		if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
			return (0);
		return (-1);
	}
	return (def);
}

/* Completion of every server_* call: answer the control client. */
static void
ctl_done(void *arg, int status, const char *err, json_t *result)
{
	struct ctl_conn	*c = arg;

	if (status >= 400)
		control_reply_error(c, status, "%s", err != NULL ? err :
		    "failed");
	else
		control_reply(c, result != NULL ? json_incref(result) :
		    json_null());
}

static void
ctl_progress(void *arg, const char *line)
{
	control_progress(arg, line);
}

/*
 * The admin operations of the verbs: done here by the server role, or
 * asked of the network's server over its API by an admin peer.
 */
enum adm_op {
	ADM_PEERS, ADM_PEER_ADD, ADM_PEER_UPDATE, ADM_CIDRS, ADM_CIDR_ADD,
	ADM_CIDR_UPDATE, ADM_CIDR_DELETE, ADM_ASSOCS, ADM_ASSOC_ADD,
	ADM_ASSOC_DELETE
};

static const struct {
	const char	*method;
	const char	*path;
} adm_api[] = {
	[ADM_PEERS] =		{ "GET",	"/admin/peers" },
	[ADM_PEER_ADD] =	{ "POST",	"/admin/peers" },
	[ADM_PEER_UPDATE] =	{ "PUT",	"/admin/peers/%lld" },
	[ADM_CIDRS] =		{ "GET",	"/admin/cidrs" },
	[ADM_CIDR_ADD] =	{ "POST",	"/admin/cidrs" },
	[ADM_CIDR_UPDATE] =	{ "PUT",	"/admin/cidrs/%lld" },
	[ADM_CIDR_DELETE] =	{ "DELETE",	"/admin/cidrs/%lld" },
	[ADM_ASSOCS] =		{ "GET",	"/admin/associations" },
	[ADM_ASSOC_ADD] =	{ "POST",	"/admin/associations" },
	[ADM_ASSOC_DELETE] =	{ "DELETE",	"/admin/associations/%lld" },
};

static void
adm(struct engine_net *en, enum adm_op op, int64_t id, json_t *body,
    server_cb cb, void *arg)
{
	char	path[64];

	if (en->net.role == IN_ROLE_CLIENT) {
		snprintf(path, sizeof(path), adm_api[op].path, (long long)id);
		client_admin(en, adm_api[op].method, path, body, cb, arg);
		return;
	}
	switch (op) {
	case ADM_PEERS:
		server_peers_list(en, cb, arg);
		break;
	case ADM_PEER_ADD:
		server_peer_add(en, body, cb, arg);
		break;
	case ADM_PEER_UPDATE:
		server_peer_update(en, id, body, cb, arg);
		break;
	case ADM_CIDRS:
		server_cidrs_list(en, cb, arg);
		break;
	case ADM_CIDR_ADD:
		server_cidr_add(en, body, cb, arg);
		break;
	case ADM_CIDR_UPDATE:
		server_cidr_update(en, id, body, cb, arg);
		break;
	case ADM_CIDR_DELETE:
		server_cidr_delete(en, id, cb, arg);
		break;
	case ADM_ASSOCS:
		server_assocs_list(en, cb, arg);
		break;
	case ADM_ASSOC_ADD:
		server_assoc_add(en, body, cb, arg);
		break;
	case ADM_ASSOC_DELETE:
		server_assoc_delete(en, id, cb, arg);
		break;
	}
}

static json_t *
procinfo_json(const struct in_procinfo *pi)
{
	return (json_pack("{s:s, s:i, s:i, s:i, s:b, s:s, s:s}",
	    "name", pi->name, "pid", pi->pid, "uid", pi->uid, "gid", pi->gid,
	    "chrooted", pi->chrooted, "root", pi->root,
	    "sandbox", pi->sandbox));
}

static json_t *
network_json(struct engine_net *en)
{
	char	addr[IN_ADDRSTRSZ] = "", cidr[IN_CIDRSTRSZ] = "";

	in_ip_str(&en->net.address, addr, sizeof(addr));
	in_prefix_str(&en->net.net, cidr, sizeof(cidr));
	return (json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:b}",
	    "name", en->net.name,
	    "role", en->net.role == IN_ROLE_SERVER ? "server" : "client",
	    "address", addr, "cidr", cidr,
	    "listen_port", en->net.listen_port,
	    "public_key", en->net.public_key,
	    "peers", (json_int_t)(en->net.role == IN_ROLE_SERVER ?
	    en->state.npeers : en->cache.npeers),
	    "up", en->loaded));
}

static void
ctl_status_finish(struct ctl_status *st)
{
	struct engine_net	*en;
	json_t			*nets;

	nets = json_array();
	TAILQ_FOREACH(en, &engine_nets, entry)
		json_array_append_new(nets, network_json(en));
	control_reply(st->c, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}",
	    "version", INNERNET_VERSION, "protocol", INNERNET_UPSTREAM,
	    "state_dir", engine_conf.state_dir, "user", engine_conf.user,
	    "processes", st->procs, "networks", nets));
	free(st);
}

static void
ctl_status_cb(struct imsg *imsg, void *arg)
{
	struct ctl_status	*st = arg;
	struct in_procinfo	 pi;

	if (imsg->hdr.type == IMSG_PROCINFO &&
	    imsg_get_data(imsg, &pi, sizeof(pi)) == 0)
		json_array_append_new(st->procs, procinfo_json(&pi));
	if (--st->pending == 0)
		ctl_status_finish(st);
}

static void
ctl_status(struct ctl_conn *c)
{
	struct ctl_status	*st;
	struct in_procinfo	 pi;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		control_reply_error(c, 500, "out of memory");
		return;
	}
	st->c = c;
	st->procs = json_array();
	memset(&pi, 0, sizeof(pi));
	strlcpy(pi.name, PROC_ENGINE, sizeof(pi.name));
	pi.pid = getpid();
	pi.uid = getuid();
	pi.gid = getgid();
	pi.chrooted = 1;
	strlcpy(pi.root, INNERNET_EMPTYDIR, sizeof(pi.root));
	strlcpy(pi.sandbox, sandbox_state(), sizeof(pi.sandbox));
	json_array_append_new(st->procs, procinfo_json(&pi));
	st->pending = 3;
	engine_parent_compose(IMSG_PROCINFO_REQ,
	    engine_req_new(ctl_status_cb, st), NULL, 0);
	engine_db_compose(IMSG_PROCINFO_REQ,
	    engine_req_new(ctl_status_cb, st), NULL, 0);
	engine_wg_compose(IMSG_PROCINFO_REQ,
	    engine_req_new(ctl_status_cb, st), NULL, 0);
}

/*
 * new --auto-external-endpoint: upstream asks a public service for the
 * host's address; we take the host's first global address (IPv4 first)
 * and never talk to anyone.  Behind NAT, give --external-endpoint.
 */
struct ctl_autoep {
	struct ctl_conn	*c;
	json_t		*args;
	struct in_ip	 v4, v6;
};

static void	ctl_new(struct ctl_conn *, json_t *);

static void
ctl_autoep_addr(struct imsg *imsg, void *arg)
{
	struct ctl_autoep	*ae = arg;
	struct engine_net	*en;
	struct in_ip		 ip, *pick;
	char			 a[IN_ADDRSTRSZ], ep[IN_ENDPOINTSZ];
	json_t			*port;

	if (imsg->hdr.type == IMSG_WG_ADDR) {
		if (imsg_get_data(imsg, &ip, sizeof(ip)) == 0) {
			TAILQ_FOREACH(en, &engine_nets, entry)
				if (in_prefix_contains(&en->net.net, &ip))
					return;	/* an overlay address */
			if (ip.af == AF_INET && ae->v4.af == 0)
				ae->v4 = ip;
			else if (ip.af == AF_INET6 && ae->v6.af == 0)
				ae->v6 = ip;
		}
		return;
	}
	pick = ae->v4.af != 0 ? &ae->v4 : ae->v6.af != 0 ? &ae->v6 : NULL;
	if (pick == NULL || in_ip_str(pick, a, sizeof(a)) == -1) {
		control_reply_error(ae->c, 400, "this host has no global "
		    "address to offer; give --external-endpoint");
	} else {
		port = json_object_get(ae->args, "listen_port");
		snprintf(ep, sizeof(ep), pick->af == AF_INET6 ? "[%s]:%lld" :
		    "%s:%lld", a, json_is_integer(port) ?
		    (long long)json_integer_value(port) :
		    (long long)IN_DEFAULT_PORT);
		json_object_set_new(ae->args, "external_endpoint",
		    json_string(ep));
		log_info("external endpoint %s (first global address)", ep);
		ctl_new(ae->c, ae->args);
	}
	json_decref(ae->args);
	free(ae);
}

/* innernetctl new: the server address is the first host of the root. */
static void
ctl_new(struct ctl_conn *c, json_t *args)
{
	struct in_netcreate	 nc;
	struct ctl_autoep	*ae;
	const char		*name, *cidr, *ep;
	json_t			*port;
	json_int_t		 p = IN_DEFAULT_PORT;
	char			 errbuf[IN_ERRSZ];
	int			 i;

	memset(&nc, 0, sizeof(nc));
	name = arg_str(args, "network_name");
	cidr = arg_str(args, "network_cidr");
	ep = arg_str(args, "external_endpoint");
	if (ep == NULL && arg_bool(args, "auto_external_endpoint", 0) == 1) {
		if ((ae = calloc(1, sizeof(*ae))) == NULL) {
			control_reply_error(c, 500, "out of memory");
			return;
		}
		ae->c = c;
		ae->args = json_incref(args);
		engine_wg_compose(IMSG_WG_ADDRS_REQ,
		    engine_req_new(ctl_autoep_addr, ae), NULL, 0);
		return;
	}
	if (name == NULL || !in_ifname_ok(name)) {
		control_reply_error(c, 400, "--network-name must be a valid "
		    "interface name: lowercase letters, digits and inner "
		    "hyphens, at most 15 characters");
		return;
	}
	if (engine_net_find(name) != NULL) {
		control_reply_error(c, 400, "network %s exists already", name);
		return;
	}
	if (cidr == NULL || in_prefix_parse(cidr, &nc.net.net) == -1 ||
	    nc.net.net.len >= (nc.net.net.ip.af == AF_INET ? 31 : 127)) {
		control_reply_error(c, 400, "--network-cidr must be a network "
		    "like 10.60.0.0/16");
		return;
	}
	if (!engine_net_allowed(&nc.net.net, errbuf, sizeof(errbuf))) {
		control_reply_error(c, 400, "--network-cidr %s", errbuf);
		return;
	}
	if ((port = json_object_get(args, "listen_port")) != NULL) {
		if (!json_is_integer(port) || json_integer_value(port) < 1 ||
		    json_integer_value(port) > 65535) {
			control_reply_error(c, 400, "--listen-port must be "
			    "1..65535");
			return;
		}
		p = json_integer_value(port);
	}
	if (ep == NULL || !in_endpoint_ok(ep)) {
		control_reply_error(c, 400, "--external-endpoint must be "
		    "host:port (the address peers reach this server at)");
		return;
	}
	strlcpy(nc.net.name, name, sizeof(nc.net.name));
	nc.net.role = IN_ROLE_SERVER;
	nc.net.address = nc.net.net.ip;
	for (i = (nc.net.address.af == AF_INET ? 3 : 15); i >= 0; i--)
		if (++nc.net.address.u.b[i] != 0)
			break;
	nc.net.listen_port = (uint16_t)p;
	nc.net.server_port = (uint16_t)p;
	nc.net.server_ip = nc.net.address;
	strlcpy(nc.net.external_endpoint, ep, sizeof(nc.net.external_endpoint));
	nc.net.created = time(NULL);
	strlcpy(nc.root_name, name, sizeof(nc.root_name));
	strlcpy(nc.server_name, "innernet-server", sizeof(nc.server_name));
	server_net_create(&nc, ctl_done, c);
}

static struct in_cidr *
cidr_arg(struct ctl_conn *c, struct engine_net *en, json_t *args,
    const char *key, const char *flag)
{
	const char	*name = arg_str(args, key);
	struct in_cidr	*ci;

	if (name == NULL) {
		control_reply_error(c, 400, "missing %s", flag);
		return (NULL);
	}
	if ((ci = ns_cidr_by_name(&en->state, name)) == NULL)
		control_reply_error(c, 404, "no CIDR named %s in %s", name,
		    en->net.name);
	return (ci);
}

static struct ns_peer *
peer_arg(struct ctl_conn *c, struct engine_net *en, json_t *args)
{
	const char	*name = arg_str(args, "name");
	struct ns_peer	*p;

	if (name == NULL) {
		control_reply_error(c, 400, "missing --name");
		return (NULL);
	}
	if ((p = ns_peer_by_name(&en->state, name)) == NULL)
		control_reply_error(c, 404, "no peer named %s in %s", name,
		    en->net.name);
	return (p);
}

/* The first address of the CIDR no peer has, as upstream's auto-ip. */
static int
auto_ip(struct engine_net *en, const struct in_cidr *ci, struct in_ip *out)
{
	struct in_ip	ip = ci->cidr.ip;
	int		i, n;

	for (n = 0; n < 65536; n++) {
		for (i = (ip.af == AF_INET ? 3 : 15); i >= 0; i--)
			if (++ip.u.b[i] != 0)
				break;
		if (!in_prefix_contains(&ci->cidr, &ip))
			return (-1);
		if (in_prefix_is_network_or_broadcast(&ci->cidr, &ip))
			continue;
		if (ns_peer_by_ip(&en->state, &ip) == NULL &&
		    in_ip_cmp(&ip, &en->net.address) != 0) {
			*out = ip;
			return (0);
		}
	}
	return (-1);
}

static void
ctl_addpeer_done(void *arg, int status, const char *err, json_t *result)
{
	struct ctl_addpeer	*ap = arg;
	struct engine_net	*en = ap->en;
	char			 addr[IN_CIDRSTRSZ], host[IN_ADDRSTRSZ];
	char			 internal[IN_ENDPOINTSZ];
	const char		*key;
	struct in_prefix	 a;
	uint16_t		 port;

	if (status >= 400) {
		control_reply_error(ap->c, status, "%s", err);
		free(ap);
		return;
	}
	/* The invitee's address with the root's prefix, as upstream. */
	a = en->net.net;
	in_ip_parse(json_string_value(json_object_get(result, "ip")), &a.ip);
	in_prefix_str(&a, addr, sizeof(addr));
	if (en->net.role == IN_ROLE_SERVER) {
		in_ip_str(&en->net.address, host, sizeof(host));
		port = en->net.listen_port;
		key = en->net.public_key;
	} else {
		in_ip_str(&en->net.server_ip, host, sizeof(host));
		port = en->net.server_port;
		key = en->net.server_public_key;
	}
	snprintf(internal, sizeof(internal), strchr(host, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", host, port);
	control_reply(ap->c, json_pack("{s:O, s:{s:s, s:s, s:s, s:s, s:s}}",
	    "peer", result, "invitation", "network_name", en->net.name,
	    "address", addr, "server_public_key", key,
	    "external_endpoint", en->net.external_endpoint,
	    "internal_endpoint", internal));
	free(ap);
}

static void
ctl_add_peer(struct ctl_conn *c, struct engine_net *en, json_t *args)
{
	struct ctl_addpeer	*ap;
	struct in_cidr		*ci;
	struct in_ip		 ip;
	char			 ipstr[IN_ADDRSTRSZ];
	const char		*name, *key, *s;
	json_t			*body, *exp, *ttl;
	int			 admin;

	if ((ci = cidr_arg(c, en, args, "cidr", "--cidr")) == NULL)
		return;
	name = arg_str(args, "name");
	key = arg_str(args, "public_key");
	if (name == NULL || key == NULL) {
		control_reply_error(c, 400, "missing --name or public key");
		return;
	}
	if ((admin = arg_bool(args, "admin", 0)) == -1) {
		control_reply_error(c, 400, "--admin takes true or false");
		return;
	}
	if ((s = arg_str(args, "ip")) != NULL) {
		if (in_ip_parse(s, &ip) == -1) {
			control_reply_error(c, 400, "--ip: not an address: "
			    "%s", s);
			return;
		}
	} else if (auto_ip(en, ci, &ip) == -1) {
		control_reply_error(c, 400, "CIDR %s has no free address",
		    ci->name);
		return;
	}
	in_ip_str(&ip, ipstr, sizeof(ipstr));
	/*
	 * Every invitation expires, as upstream's do: 14 days unless told,
	 * whichever way the request came (terminal, script, JSON).
	 */
	ttl = json_object_get(args, "invite_expires");
	if (ttl != NULL && (!json_is_integer(ttl) ||
	    json_integer_value(ttl) <= 0 ||
	    json_integer_value(ttl) > CTL_INVITE_MAXTTL)) {
		control_reply_error(c, 400, "--invite-expires must be a "
		    "duration from 1s to 10 years");
		return;
	}
	exp = json_pack("{s:I, s:i}", "secs_since_epoch",
	    (json_int_t)time(NULL) + (ttl != NULL ? json_integer_value(ttl) :
	    CTL_INVITE_TTL), "nanos_since_epoch", 0);
	body = json_pack("{s:s, s:s, s:I, s:s, s:n, s:n, s:b, s:b, s:b, "
	    "s:o, s:[]}", "name", name, "ip", ipstr,
	    "cidr_id", (json_int_t)ci->id, "public_key", key, "endpoint",
	    "persistent_keepalive_interval", "is_admin", admin,
	    "is_disabled", 0, "is_redeemed", 0, "invite_expires", exp,
	    "candidates");
	if (body == NULL || (ap = calloc(1, sizeof(*ap))) == NULL) {
		json_decref(body);
		control_reply_error(c, 500, "out of memory");
		return;
	}
	ap->c = c;
	ap->en = en;
	adm(en, ADM_PEER_ADD, 0, body, ctl_addpeer_done, ap);
	json_decref(body);
}

/* Update a peer from its current contents with one change applied. */
static void
ctl_peer_change(struct ctl_conn *c, struct engine_net *en, json_t *args,
    const char *field, json_t *value)
{
	struct ns_peer	*p;
	struct in_peer	 row;
	json_t		*body;

	if ((p = peer_arg(c, en, args)) == NULL) {
		json_decref(value);
		return;
	}
	ns_peer_get(p, &row);
	body = json_from_peer(&row, p->candidates, p->p.candidates_len);
	if (body == NULL || json_object_set_new(body, field, value) == -1) {
		json_decref(body);
		control_reply_error(c, 500, "out of memory");
		return;
	}
	adm(en, ADM_PEER_UPDATE, p->p.id, body, ctl_done, c);
	json_decref(body);
}

/*
 * The peer this host is in the network: disabling it would cut the host
 * off (an admin could not undo it from here, the server would lose every
 * peer), and over the API the answer could not even come back.
 */
static int
own_peer(struct ctl_conn *c, struct engine_net *en, struct ns_peer *p,
    const char *what)
{
	if (in_ip_cmp(&p->p.ip, &en->net.address) != 0)
		return (0);
	control_reply_error(c, 400, "%s is this host's own peer in %s (%s); "
	    "it cannot be %s from here", p->p.name, en->net.name,
	    en->net.role == IN_ROLE_SERVER ? "the server" : "you are "
	    "calling from it", what);
	return (1);
}

static void
ctl_disable_peer(struct ctl_conn *c, struct engine_net *en, json_t *args)
{
	struct ns_peer	*p;

	if ((p = peer_arg(c, en, args)) == NULL || own_peer(c, en, p,
	    "disabled"))
		return;
	ctl_peer_change(c, en, args, "is_disabled", json_true());
}

/* Server host only: upstream's API has no delete (its DELETE disables). */
static void
ctl_delete_peer(struct ctl_conn *c, struct engine_net *en, json_t *args)
{
	struct ns_peer	*p;

	if (en->net.role != IN_ROLE_SERVER) {
		control_reply_error(c, 400, "delete-peer works on the server "
		    "host of %s only; from here, disable-peer", en->net.name);
		return;
	}
	if ((p = peer_arg(c, en, args)) == NULL || own_peer(c, en, p,
	    "deleted"))
		return;
	server_peer_delete(en, p->p.id, ctl_done, c);
}

static void
ctl_rename_cidr(struct ctl_conn *c, struct engine_net *en, json_t *args)
{
	struct in_cidr	*ci;
	const char	*nn = arg_str(args, "new_name");
	json_t		*body;

	if ((ci = cidr_arg(c, en, args, "name", "--name")) == NULL)
		return;
	if (nn == NULL) {
		control_reply_error(c, 400, "missing --new-name");
		return;
	}
	body = json_from_cidr(ci);
	json_object_set_new(body, "name", json_string(nn));
	adm(en, ADM_CIDR_UPDATE, ci->id, body, ctl_done, c);
	json_decref(body);
}

static void
ctl_assoc(struct ctl_conn *c, struct engine_net *en, json_t *args, int add)
{
	struct in_cidr	*a, *b;
	json_t		*body;
	size_t		 i;

	if ((a = cidr_arg(c, en, args, "cidr1", "first CIDR")) == NULL ||
	    (b = cidr_arg(c, en, args, "cidr2", "second CIDR")) == NULL)
		return;
	if (add) {
		body = json_pack("{s:I, s:I}", "cidr_id_1", (json_int_t)a->id,
		    "cidr_id_2", (json_int_t)b->id);
		adm(en, ADM_ASSOC_ADD, 0, body, ctl_done, c);
		json_decref(body);
		return;
	}
	for (i = 0; i < en->state.nassocs; i++) {
		if ((en->state.assocs[i].cidr_id_1 == a->id &&
		    en->state.assocs[i].cidr_id_2 == b->id) ||
		    (en->state.assocs[i].cidr_id_1 == b->id &&
		    en->state.assocs[i].cidr_id_2 == a->id)) {
			adm(en, ADM_ASSOC_DELETE, en->state.assocs[i].id,
			    NULL, ctl_done, c);
			return;
		}
	}
	control_reply_error(c, 404, "no association between %s and %s",
	    a->name, b->name);
}

static void
ctl_server_verb(struct ctl_conn *c, struct engine_net *en, const char *verb,
    json_t *args)
{
	struct in_cidr	*ci;
	json_t		*body;
	const char	*s;

	if (strcmp(verb, "list-peers") == 0 || strcmp(verb, "list") == 0)
		adm(en, ADM_PEERS, 0, NULL, ctl_done, c);
	else if (strcmp(verb, "list-cidrs") == 0)
		adm(en, ADM_CIDRS, 0, NULL, ctl_done, c);
	else if (strcmp(verb, "list-associations") == 0)
		adm(en, ADM_ASSOCS, 0, NULL, ctl_done, c);
	else if (strcmp(verb, "add-cidr") == 0) {
		if ((ci = cidr_arg(c, en, args, "parent", "--parent")) == NULL)
			return;
		if ((s = arg_str(args, "name")) == NULL ||
		    arg_str(args, "cidr") == NULL) {
			control_reply_error(c, 400, "missing --name or --cidr");
			return;
		}
		body = json_pack("{s:s, s:s, s:I}", "name", s, "cidr",
		    arg_str(args, "cidr"), "parent", (json_int_t)ci->id);
		adm(en, ADM_CIDR_ADD, 0, body, ctl_done, c);
		json_decref(body);
	} else if (strcmp(verb, "delete-cidr") == 0) {
		if ((ci = cidr_arg(c, en, args, "name", "--name")) != NULL)
			adm(en, ADM_CIDR_DELETE, ci->id, NULL, ctl_done, c);
	} else if (strcmp(verb, "rename-cidr") == 0)
		ctl_rename_cidr(c, en, args);
	else if (strcmp(verb, "add-peer") == 0)
		ctl_add_peer(c, en, args);
	else if (strcmp(verb, "rename-peer") == 0) {
		if ((s = arg_str(args, "new_name")) == NULL)
			control_reply_error(c, 400, "missing --new-name");
		else
			ctl_peer_change(c, en, args, "name", json_string(s));
	} else if (strcmp(verb, "disable-peer") == 0)
		ctl_disable_peer(c, en, args);
	else if (strcmp(verb, "delete-peer") == 0)
		ctl_delete_peer(c, en, args);
	else if (strcmp(verb, "enable-peer") == 0)
		ctl_peer_change(c, en, args, "is_disabled", json_false());
	else if (strcmp(verb, "add-association") == 0)
		ctl_assoc(c, en, args, 1);
	else if (strcmp(verb, "delete-association") == 0)
		ctl_assoc(c, en, args, 0);
	else if (strcmp(verb, "uninstall") == 0)
		net_delete(en, ctl_done, c);
	else
		control_reply_error(c, 400, "unknown verb %s for a server "
		    "network", verb);
}

/* Verbs only a joined network (client role) has. */
static int
client_verb(const char *verb)
{
	static const char	*v[] = { "fetch", "up", "down",
				    "override-endpoint", "set-listen-port",
				    "override-peer-endpoint", NULL };
	int			 i;

	for (i = 0; v[i] != NULL; i++)
		if (strcmp(verb, v[i]) == 0)
			return (1);
	return (0);
}

/* An admin verb of a client network, waiting for the admin view. */
struct ctl_adminview {
	struct ctl_conn	*c;
	char		 net[IN_IFNAMSZ];
	char		 verb[32];
	json_t		*args;
};

static void
ctl_adminview_done(void *arg, int status, const char *err, json_t *res)
{
	struct ctl_adminview	*av = arg;
	struct engine_net	*en;

	if (status >= 400)
		control_reply_error(av->c, status, "%s", err != NULL ? err :
		    "cannot read the network from its server");
	else if ((en = engine_net_find(av->net)) == NULL)
		control_reply_error(av->c, 410, "%s went away", av->net);
	else
		ctl_server_verb(av->c, en, av->verb, av->args);
	json_decref(av->args);
	free(av);
}

static void
ctl_client_verb(struct ctl_conn *c, struct engine_net *en, const char *verb,
    json_t *args)
{
	struct ctl_adminview	*av;
	json_t			*v;
	int			 unset;

	unset = arg_bool(args, "unset", 0) == 1;
	if (strcmp(verb, "fetch") == 0)
		client_fetch_opts(en, args, ctl_done, c);
	else if (strcmp(verb, "up") == 0)
		client_up_opts(en, args, ctl_done, c);
	else if (strcmp(verb, "down") == 0)
		client_down(en, ctl_done, c);
	else if (strcmp(verb, "list") == 0)
		client_list(en, ctl_done, c);
	else if (strcmp(verb, "list-cidrs") == 0)
		control_reply(c, client_cidrs_json(en));
	else if (strcmp(verb, "uninstall") == 0)
		client_uninstall(en, ctl_done, c);
	else if (strcmp(verb, "set-listen-port") == 0) {
		v = json_object_get(args, "listen_port");
		if (unset)
			client_set_listen_port(en, 0, ctl_done, c);
		else if (json_is_integer(v))
			client_set_listen_port(en, (int)json_integer_value(v),
			    ctl_done, c);
		else
			control_reply_error(c, 400, "set-listen-port needs "
			    "--listen-port PORT or --unset");
	} else if (strcmp(verb, "override-endpoint") == 0) {
		if (unset)
			client_override_endpoint(en, NULL, ctl_done, c);
		else if (arg_str(args, "endpoint") != NULL)
			client_override_endpoint(en, arg_str(args,
			    "endpoint"), ctl_done, c);
		else
			control_reply_error(c, 400, "override-endpoint needs "
			    "--endpoint HOST:PORT or --unset");
	} else if (strcmp(verb, "override-peer-endpoint") == 0) {
		if (arg_str(args, "name") == NULL)
			control_reply_error(c, 400, "override-peer-endpoint "
			    "needs --name PEER");
		else if (unset || arg_str(args, "endpoint") != NULL)
			client_override_peer_endpoint(en, arg_str(args,
			    "name"), unset ? NULL : arg_str(args, "endpoint"),
			    ctl_done, c);
		else
			control_reply_error(c, 400, "override-peer-endpoint "
			    "needs --endpoint HOST:PORT or --unset");
	} else if (strcmp(verb, "list-peers") == 0)
		adm(en, ADM_PEERS, 0, NULL, ctl_done, c);
	else if (strcmp(verb, "list-associations") == 0)
		adm(en, ADM_ASSOCS, 0, NULL, ctl_done, c);
	else {
		if ((av = calloc(1, sizeof(*av))) == NULL) {
			control_reply_error(c, 500, "out of memory");
			return;
		}
		av->c = c;
		strlcpy(av->net, en->net.name, sizeof(av->net));
		strlcpy(av->verb, verb, sizeof(av->verb));
		av->args = json_incref(args);
		client_admin_view(en, ctl_adminview_done, av);
	}
}

/*
 * list, show, fetch and up without a network: every network (list) or
 * every joined one, as upstream's up and show do.  The answer is
 * {"networks": [{"network", "result"} ...]}, or an error naming each
 * network that failed.
 */
struct ctl_all {
	struct ctl_conn	*c;
	json_t		*results;
	char		 errs[IN_ERRSZ * 4];
	int		 pending;
	int		 failed;
};

struct ctl_all_one {
	struct ctl_all	*all;
	char		 net[IN_IFNAMSZ];
};

static void
ctl_all_done(void *arg, int status, const char *err, json_t *result)
{
	struct ctl_all_one	*one = arg;
	struct ctl_all		*all = one->all;
	char			 line[IN_ERRSZ + IN_IFNAMSZ + 4];

	if (status >= 400) {
		snprintf(line, sizeof(line), "%s%s: %s", all->failed ? "; " :
		    "", one->net, err != NULL ? err : "failed");
		strlcat(all->errs, line, sizeof(all->errs));
		all->failed++;
	} else if (one->net[0] != '\0')
		json_array_append_new(all->results, json_pack("{s:s, s:O}",
		    "network", one->net, "result", result != NULL ? result :
		    json_null()));
	free(one);
	if (--all->pending > 0)
		return;
	if (all->failed)
		control_reply_error(all->c, 502, "%s", all->errs);
	else
		control_reply(all->c, json_pack("{s:o}", "networks",
		    all->results));
	if (all->failed)
		json_decref(all->results);
	free(all);
}

static void
ctl_all(struct ctl_conn *c, const char *verb, json_t *args)
{
	struct engine_net	*en, **v;
	struct ctl_all		*all;
	struct ctl_all_one	*one;
	size_t			 n = 0, i;
	int			 list;

	list = strcmp(verb, "list") == 0 || strcmp(verb, "show") == 0;
	TAILQ_FOREACH(en, &engine_nets, entry)
		n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL ||
	    (all = calloc(1, sizeof(*all))) == NULL) {
		free(v);
		control_reply_error(c, 500, "out of memory");
		return;
	}
	n = 0;
	TAILQ_FOREACH(en, &engine_nets, entry)
		if (list || en->net.role == IN_ROLE_CLIENT)
			v[n++] = en;
	all->c = c;
	all->results = json_array();
	all->pending = n + 1;	/* held until every call went out */
	for (i = 0; i < n; i++) {
		if ((one = calloc(1, sizeof(*one))) == NULL)
			fatal(__func__);
		one->all = all;
		strlcpy(one->net, v[i]->net.name, sizeof(one->net));
		if (strcmp(verb, "fetch") == 0)
			client_fetch_opts(v[i], args, ctl_all_done, one);
		else if (strcmp(verb, "up") == 0)
			client_up_opts(v[i], args, ctl_all_done, one);
		else if (v[i]->net.role == IN_ROLE_CLIENT)
			client_list(v[i], ctl_all_done, one);
		else
			adm(v[i], ADM_PEERS, 0, NULL, ctl_all_done, one);
	}
	free(v);
	if ((one = calloc(1, sizeof(*one))) == NULL)
		fatal(__func__);
	one->all = all;
	ctl_all_done(one, 200, NULL, NULL);
}

void
ctl_dispatch(struct ctl_conn *c, json_t *req)
{
	const char		*verb, *network;
	json_t			*args;
	struct engine_net	*en;

	verb = json_string_value(json_object_get(req, "verb"));
	network = json_string_value(json_object_get(req, "network"));
	args = json_object_get(req, "args");
	if (args != NULL && !json_is_object(args)) {
		control_reply_error(c, 400, "args must be an object");
		return;
	}
	if (verb == NULL) {
		control_reply_error(c, 400, "missing verb");
		return;
	}
	if (strcmp(verb, "status") == 0) {
		ctl_status(c);
		return;
	}
	if (strcmp(verb, "new") == 0 || strcmp(verb, "init") == 0) {
		ctl_new(c, args);
		return;
	}
	if (strcmp(verb, "install") == 0) {
		client_install_progress(args, ctl_done, c,
		    arg_bool(args, "progress", 0) == 1 ? ctl_progress : NULL,
		    c);
		return;
	}
	if (strcmp(verb, "import") == 0) {
		engine_import(args, ctl_done, c);
		return;
	}
	if (network == NULL && (strcmp(verb, "list") == 0 ||
	    strcmp(verb, "show") == 0 || strcmp(verb, "fetch") == 0 ||
	    strcmp(verb, "up") == 0)) {
		ctl_all(c, verb, args);
		return;
	}
	if (network == NULL) {
		control_reply_error(c, 400, "%s needs a network name", verb);
		return;
	}
	if ((en = engine_net_find(network)) == NULL) {
		control_reply_error(c, 404, "no network named %s (see "
		    "innernetctl status)", network);
		return;
	}
	if (en->net.role == IN_ROLE_SERVER) {
		if (client_verb(verb)) {
			control_reply_error(c, 400, "%s is a client verb; this "
			    "host serves %s", verb, en->net.name);
			return;
		}
		ctl_server_verb(c, en, verb, args);
		return;
	}
	ctl_client_verb(c, en, verb, args);
}
