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
 * The engine: the unprivileged, network-facing process.  It serves the
 * innernet HTTP API of every server-role network, fetches state for every
 * client-role network, answers innernetctl on the control socket, and
 * drives dbd and wgd by imsg.  Internal to innernetd/: every file of the
 * engine includes this one, which belongs to none of them.  engine.c is
 * the top and calls down; netlist.c and req.c are the bottom that all
 * the others call, and call nothing above them.
 */

#ifndef ENGINE_LOCAL_H
#define ENGINE_LOCAL_H

#include <sys/queue.h>
#include <sys/uio.h>

#include <event.h>
#include <jansson.h>

#include "imsg.h"
#include "innernet.h"

struct evhttp;
struct evhttp_request;
struct ns_index;
struct server_net;
struct client_net;
struct watch_net;
struct cwatch;

int	 engine_main(int, char **);

/* The in-memory mirror of a server network's database. */
struct netstate {
	struct in_cidr	*cidrs;
	size_t		 ncidrs;
	struct ns_peer	*peers;
	size_t		 npeers;
	struct in_assoc	*assocs;
	size_t		 nassocs;
	uint64_t	 generation;	/* bumped on every change */
	uint64_t	 endpoint_generation; /* bumped when observed change */
	size_t		 cidrs_cap, peers_cap, assocs_cap;
	struct ns_index	*index;		/* netstate.c: by ip, name, key */
};

/*
 * WireGuard's endpoints are numeric: "[8 groups of 4 hex digits]:65535"
 * is the longest, 47 characters.  Held at that size, a mirror of 10,000
 * peers is 2 MB smaller than with room for a host name.
 */
#define NS_OBSERVEDSZ	48

/*
 * A peer as the mirror holds it: the fields of struct in_peer under the
 * same names, less the endpoint.  An endpoint may be a host name of up
 * to 261 bytes but few peers have one, so it is held apart; held in
 * every row it would be more than half of a 10,000-peer mirror.
 * ns_peer_get() gives back the whole struct in_peer.
 */
struct ns_row {
	int64_t		id;
	int64_t		cidr_id;
	int64_t		invite_expires;
	char		name[IN_NAMESZ];
	char		public_key[IN_KEYSZ];
	struct in_ip	ip;
	int32_t		keepalive;
	uint8_t		is_admin;
	uint8_t		is_disabled;
	uint8_t		is_redeemed;
	uint8_t		ncandidates;
	uint16_t	candidates_len;
};

struct ns_peer {
	struct ns_row	 p;
	char		*endpoint;	/* NULL: none */
	char		*candidates;	/* NUL-separated, p.candidates_len */
	char		 observed[NS_OBSERVEDSZ]; /* from WireGuard, or "" */
};

/*
 * net.c: a network's lifecycle, the same for both roles.  The states a
 * start goes through, in the order it goes through them; a failed step
 * waits in NET_RETRY and starts again.
 */
enum net_state {
	NET_IDLE,		/* stopped, down, or not started yet */
	NET_LOADING,		/* dbd sends the mirror or the cache */
	NET_RESOLVING,		/* the server's endpoint (client role) */
	NET_IF_UP,		/* wgd brings the interface up */
	NET_SYNCING,		/* WireGuard is given every peer */
	NET_RUNNING,		/* serving (server) or fetching (client) */
	NET_RETRY,		/* a start failed: waiting to try again */
};

enum net_event {
	NET_EV_START,
	NET_EV_LOADED,
	NET_EV_RESOLVED,	/* arg: the numeric endpoint */
	NET_EV_IF_UP,
	NET_EV_SYNCED,		/* arg: NULL, or why WireGuard refused */
	NET_EV_FAILED,		/* arg: why the step failed */
	NET_EV_WG_LOST,		/* arg: why WireGuard is gone */
	NET_EV_RETRY,		/* the retry timer */
	NET_EV_STOP,
};

struct engine_net {
	TAILQ_ENTRY(engine_net) entry;
	struct in_network	 net;
	struct in_netopts	 opts;
	int			 loaded;	/* mirror / cache complete */

	/* lifecycle: net.c */
	enum net_state		 lifecycle;
	uint64_t		 gen;		/* this run of the role */
	uint64_t		 round;		/* this start of the run */
	int			 load_failed;	/* a row could not be kept */
	int			 retry_set;
	struct event		 retry_ev;

	/* server role */
	struct netstate		 state;
	struct evhttp		*http;
	void			*state_cache;	/* per-class JSON, http.c */
	struct server_net	*srv;		/* timers, progress: server.c */

	/*
	 * client role: the last state fetched from the server; "state"
	 * above then holds the admin view (all peers, CIDRs and
	 * associations) fetched for an admin verb.
	 */
	struct netstate		 cache;
	struct client_net	*cli;		/* timers, progress: client.c */

	/* the watch extension: server side (watch.c), client (cwatch.c) */
	struct watch_net	*watch;
	struct cwatch		*cw;
};
TAILQ_HEAD(engine_nets, engine_net);

/*
 * netlist.c: the networks, the parent's configuration (staged by
 * engine_conf_global() and the rest, applied by engine_conf_end()) and
 * the event base and resolver engine.c makes.
 */
extern struct engine_nets	 engine_nets;
extern struct in_conf_global	 engine_conf;
int	 engine_net_allowed(const struct in_prefix *, char *, size_t);
extern struct event_base	*engine_base;
extern struct evdns_base	*engine_dns;	/* set up before chroot */
void	 engine_conf_global(const struct in_conf_global *);
void	 engine_conf_range(const struct in_conf_range *);
void	 engine_conf_netopts(const struct in_netopts *);
void	 engine_conf_end(void);
struct engine_net *engine_net_find(const char *);
struct engine_net *engine_net_add(const struct in_network *);
void	 engine_net_remove(struct engine_net *);
const struct in_netopts *engine_netopts(const char *);

/*
 * req.c: requests to dbd, wgd and the parent.  engine_req_new()
 * registers a callback and returns the request id to put in hdr.peerid
 * of every message of the request.  The callback runs for each answer
 * with that id; the request ends after an answer of type *_OK, *_ERR or
 * *_END has been delivered (the callback sees it, then the request is
 * forgotten).  If the peer process goes away the engine exits, so
 * callbacks never dangle.  engine_req_new_ctx() gives the callback a
 * copy of a context and engine_req_adopt() a context the caller
 * allocated: either is the registry's, freed when the request ends or
 * is cancelled.  engine_pipes_init() takes the handlers of what the
 * parent and dbd send unasked.
 */
typedef void	(*engine_cb)(struct imsg *, void *);

uint32_t engine_req_new(engine_cb, void *);
uint32_t engine_req_new_ctx(engine_cb, const void *, size_t);
uint32_t engine_req_adopt(engine_cb, void *);
void	 engine_req_cancel(uint32_t);
int	 engine_db_compose(uint32_t, uint32_t, const void *, size_t);
int	 engine_db_composev(uint32_t, uint32_t, const struct iovec *, int);
int	 engine_wg_compose(uint32_t, uint32_t, const void *, size_t);
int	 engine_parent_compose(uint32_t, uint32_t, const void *, size_t);
void	 engine_parent_fire(uint32_t, const void *, size_t);
int	 engine_imsg_error(struct imsg *, struct in_error *);
void	 engine_pipes_init(proc_dispatch_cb, proc_dispatch_cb);

/*
 * net.c: the lifecycle's machine and what every role shares.  A role
 * fills a struct net_role; net_transition() calls its hooks as the
 * network moves from state to state.  An asynchronous step remembers
 * its network as a net_ref and finds it again with net_ref_find(),
 * which answers NULL once the network is gone or stopped.
 */
typedef void	(*server_cb)(void *, int, const char *, json_t *);

struct net_ref {
	char		 name[IN_IFNAMSZ];
	uint64_t	 gen;
};

/* A role's hooks, in the order a start calls them. */
struct net_role {
	const char	*name;
	int		 retry;		/* seconds before a failed start */
	int		 heal;		/* after WireGuard went away; 0: heals
					   in place, the network runs on */
	int		(*init)(struct engine_net *);	/* role state, -1 */
	void		(*load_begin)(struct engine_net *);
	int		(*load_row)(struct engine_net *, struct imsg *);
	void		(*loaded)(struct engine_net *);	/* or NULL */
	const char	*(*endpoint)(struct engine_net *); /* to resolve */
	void		(*resolved)(struct engine_net *, const char *);
	void		(*if_key)(struct engine_net *, const struct in_wgkey *);
	void		(*sync)(struct engine_net *, uint32_t);	/* compose */
	int		(*synced)(struct engine_net *, const char *); /* -1 */
	void		(*running)(struct engine_net *);
	void		(*failed)(struct engine_net *, const char *);
	void		(*wg_lost)(struct engine_net *, const char *);
	void		(*fini)(struct engine_net *);	/* at a stop */
};

void	 net_role_set(int, const struct net_role *);
void	 net_transition(struct engine_net *, enum net_event, const char *);
void	 net_start(struct engine_net *);
void	 net_stop(struct engine_net *);
void	 net_delete(struct engine_net *, server_cb, void *);
void	 net_ref_set(struct net_ref *, struct engine_net *);
struct engine_net *net_ref_find(const struct net_ref *);
void	 reply(server_cb, void *, int, const char *, json_t *);
void	 replyf(server_cb, void *, int, const char *, ...)
	    __attribute__((__format__ (printf, 4, 5)));
int	 error_status(int);
void	 netreq_set(struct in_netreq *, const char *);
void	 wg_fire(uint32_t, const void *, size_t);
void	 wg_log_answer(struct imsg *, void *);
void	 engine_wgif(struct engine_net *, struct in_wgif *);
typedef void	(*resolve_cb)(void *, const char *, const char *);
void	 net_resolve(const char *, resolve_cb, const void *, size_t);
int	 numeric_endpoint(const char *, char *, size_t);
int	 candidate_append(char *, size_t, size_t *, const struct in_ip *,
	    uint16_t, int);

/* netstate.c: the mirror and the visibility rule */
enum ns_change {
	NS_CH_PEER,		/* a peer added, changed or removed */
	NS_CH_PEER_MOVED,	/* a peer changed its CIDR */
	NS_CH_OBSERVED,		/* the endpoint WireGuard saw changed */
	NS_CH_CIDR,		/* a CIDR added, renamed or removed */
	NS_CH_ASSOC,		/* an association added or removed */
	NS_CH_RESET		/* anything: cleared, reloaded, merged */
};
typedef void	(*ns_change_fn)(struct netstate *, enum ns_change, int64_t,
		    int64_t);
extern ns_change_fn ns_change_hook;
void	 ns_init(struct netstate *);
void	 ns_clear(struct netstate *);
int	 ns_peer_upsert(struct netstate *, const struct in_peer *,
	    const void *, size_t);
int	 ns_peer_remove(struct netstate *, int64_t);
int	 ns_peers_merge(struct netstate *, struct netstate *);
extern unsigned long ns_index_rebuilds;
int	 ns_cidr_upsert(struct netstate *, const struct in_cidr *);
int	 ns_cidr_remove(struct netstate *, int64_t);
int	 ns_assoc_upsert(struct netstate *, const struct in_assoc *);
int	 ns_assoc_remove(struct netstate *, int64_t);
struct ns_peer *ns_peer_by_ip(struct netstate *, const struct in_ip *);
struct ns_peer *ns_peer_by_id(struct netstate *, int64_t);
struct ns_peer *ns_peer_by_name(struct netstate *, const char *);
struct ns_peer *ns_peer_by_key(struct netstate *, const char *);
struct in_cidr *ns_cidr_by_id(struct netstate *, int64_t);
struct in_cidr *ns_cidr_by_name(struct netstate *, const char *);
int	 ns_peer_visible_to(struct netstate *, const struct ns_peer *,
	    const struct ns_peer *);
ssize_t	 ns_cidr_index(struct netstate *, int64_t);
int	 ns_visible_cidrs(struct netstate *, int64_t, uint8_t *);
struct in_assoc *ns_assoc_by_id(struct netstate *, int64_t);
int	 ns_peer_set_observed(struct netstate *, const char *, const char *);
/* Room for a peer's candidates plus the observed endpoint. */
#define NS_MERGED_CANDSZ	(IN_CANDIDATES_MAXLEN + IN_ENDPOINTSZ)
size_t	 ns_peer_merged(const struct ns_peer *, struct in_peer *, char *,
	    size_t);
void	 ns_peer_get(const struct ns_peer *, struct in_peer *);
int	 ns_endpoint_eq(const char *, const char *);

/* pin.c: a fetched state checked and merged against the client's cache */
int	 pin_merge(struct netstate *, struct netstate *, size_t *, size_t *,
	    char *, size_t);

/* json.c: the upstream JSON shapes */
json_t	*json_from_peer(const struct in_peer *, const char *, size_t);
json_t	*state_peer_json(const struct ns_peer *);
json_t	*json_from_cidr(const struct in_cidr *);
json_t	*json_from_assoc(const struct in_assoc *);
int	 json_to_peer_contents(json_t *, struct in_peer *, char *, size_t,
	    char *, size_t);
int	 json_to_cidr_contents(json_t *, struct in_cidr *, char *, size_t);
int	 json_to_assoc_contents(json_t *, struct in_assoc *, char *, size_t);
int	 json_to_endpoint_contents(json_t *, char *, size_t, char *, size_t);
int	 json_to_candidates(json_t *, char *, size_t, struct in_peer *,
	    char *, size_t);
int	 json_to_redeem_contents(json_t *, char *, size_t, char *, size_t);
json_t	*json_from_endpoint_contents(const char *);
json_t	*json_from_candidates(const char *, size_t);
int	 json_to_state(json_t *, struct netstate *, json_t *, char *,
	    size_t);

/* hosts.c: a network's section of the hosts file */
int	 hosts_enabled(struct engine_net *);
void	 hosts_send(struct engine_net *, struct netstate *);

/* statedoc.c: the state document of a server network */
int	 server_state_write(struct engine_net *, const struct ns_peer *, int,
	    size_t *);
json_t	*state_cidrs_json(struct netstate *);

/*
 * http.c: API server per server-role network.  The route handlers
 * (api_user, api_admin) are given once by http_routes(), before any
 * network starts; one gets the request, the network, the caller, the
 * method and the path's components after /v1/user or /v1/admin.
 */
struct api_req;
typedef void	(*api_route_cb)(struct api_req *, struct engine_net *,
		    struct ns_peer *, int, char **, int);
void	 http_routes(api_route_cb, api_route_cb);
int	 http_start(struct engine_net *);
void	 http_stop(struct engine_net *);
void	 http_state_invalidate(struct engine_net *);
void	 http_reconf(void);	/* api: settings changed */

/*
 * server.c: server-role operations, shared by the HTTP API (api_*.c) and
 * the control socket (ctl.c).  Each completes exactly once through a
 * server_cb: status is an HTTP status (200, 201, 204 on success; 400, 401,
 * 404, 410, 413, 500 ...), err a message for errors (else NULL), result
 * the JSON answer for 200/201 (a new reference the callee owns and
 * releases after the callback returns; NULL for 204 and errors).  The
 * callback may run before the function returns.  "caller" is the peer
 * making an API request, or NULL for the local administrator (root on
 * the server host, via the control socket), who is allowed everything an
 * admin peer is.
 */

extern const struct net_role server_role;
void	 server_net_create(const struct in_netcreate *, server_cb, void *);
void	 server_net_reconf(struct engine_net *);	/* after SIGHUP */
void	 server_peer_expired(const char *, int64_t);	/* dbd's sweeper */

void	 server_redeem(struct engine_net *, struct ns_peer *, json_t *,
	    server_cb, void *);
void	 server_endpoint(struct engine_net *, struct ns_peer *, json_t *,
	    server_cb, void *);
void	 server_candidates(struct engine_net *, struct ns_peer *, json_t *,
	    server_cb, void *);

void	 server_peers_list(struct engine_net *, server_cb, void *);
void	 server_peer_add(struct engine_net *, json_t *, server_cb, void *);
void	 server_peer_update(struct engine_net *, int64_t, json_t *,
	    server_cb, void *);
void	 server_peer_delete(struct engine_net *, int64_t, server_cb,
	    void *);
void	 server_peer_disable(struct engine_net *, int64_t, server_cb,
	    void *);
void	 server_cidrs_list(struct engine_net *, server_cb, void *);
void	 server_cidr_add(struct engine_net *, json_t *, server_cb, void *);
void	 server_cidr_update(struct engine_net *, int64_t, json_t *,
	    server_cb, void *);
void	 server_cidr_delete(struct engine_net *, int64_t, server_cb, void *);
void	 server_assocs_list(struct engine_net *, server_cb, void *);
void	 server_assoc_add(struct engine_net *, json_t *, server_cb, void *);
void	 server_assoc_delete(struct engine_net *, int64_t, server_cb,
	    void *);

/*
 * http.c: one API request being answered, for the route handlers in
 * api_user.c and api_admin.c.  api_done() is a server_cb that answers
 * with the status and JSON; api_done_empty() sends no body (upstream
 * answers POST /v1/admin/associations with an empty 201).
 */
enum api_method { API_GET = 1, API_POST, API_PUT, API_DELETE };
json_t	*api_body(struct api_req *);
void	 api_done(void *, int, const char *, json_t *);
void	 api_done_empty(void *, int, const char *, json_t *);
void	 api_reply_state(struct api_req *, struct engine_net *,
	    struct ns_peer *);

/* api_user.c, api_admin.c: the routes engine.c gives http_routes() */
void	 api_user(struct api_req *, struct engine_net *, struct ns_peer *,
	    int, char **, int);
void	 api_admin(struct api_req *, struct engine_net *, struct ns_peer *,
	    int, char **, int);

/* http.c: for watch.c, which answers some requests itself */
struct evhttp_request *api_request(struct api_req *);
void	 api_release(struct api_req *);

/*
 * watch.c: GET /v1/user/state?since=...&watch=... (our extension):
 * versions, deltas, held requests woken by changes.
 */
void	 watch_start(struct engine_net *);
void	 watch_stop(struct engine_net *);
void	 watch_reply_state(struct api_req *, struct engine_net *,
	    struct ns_peer *);
void	 watch_capabilities(json_t *);

/* client.c: requests to the server go through the tunnel only */
struct evhttp_connection;
int	 chttp_route_ok(const struct in_network *);
void	 chttp_bind(struct evhttp_connection *, const struct in_network *);

/* cwatch.c: the client's side of it */
int	 cwatch_fetch(struct engine_net *, void (*)(void *, int,
	    const char *, json_t *, const char *), const void *, size_t);
void	 cwatch_fetched(struct engine_net *, int);
void	 cwatch_stop(struct engine_net *);

/*
 * control.c: the UNIX control socket, JSON documents over imsg.  Each
 * request document goes to the handler given at init, which answers it
 * exactly once with control_reply() or control_reply_error().
 */
struct ctl_conn;
typedef void	(*control_cb)(struct ctl_conn *, json_t *);
void	 control_init(int, control_cb);
void	 control_reply(struct ctl_conn *, json_t *);	/* steals ref */
void	 control_progress(struct ctl_conn *, const char *);
void	 control_reply_error(struct ctl_conn *, int, const char *, ...)
	    __attribute__((__format__ (printf, 3, 4)));

/* ctl.c: one handler per innernetctl verb */
void	 ctl_dispatch(struct ctl_conn *, json_t *);

/*
 * client.c: client role.  Same server_cb convention.  client_admin()
 * sends an admin API request ("GET", "/admin/peers" ...) to the
 * network's server over the tunnel and completes with the server's
 * status and JSON answer; client_admin_view() loads every peer, CIDR
 * and association the server has into en->state for the admin verbs.
 */
void	 client_net_start(struct engine_net *);	/* WG up, fetch timer */
extern const struct net_role client_role;
int	 client_nat_opts(json_t *, struct in_network *, char *, size_t);
void	 client_up_opts(struct engine_net *, json_t *, server_cb, void *);
void	 client_fetch_opts(struct engine_net *, json_t *, server_cb, void *);
void	 client_override_peer_endpoint(struct engine_net *, const char *,
	    const char *, server_cb, void *);
typedef void	(*progress_cb)(void *, const char *);
void	 client_install(json_t *, server_cb, void *);
void	 client_install_progress(json_t *, server_cb, void *, progress_cb,
	    void *);
void	 client_fetch(struct engine_net *, server_cb, void *);
void	 client_up(struct engine_net *, server_cb, void *);
void	 client_down(struct engine_net *, server_cb, void *);
void	 client_uninstall(struct engine_net *, server_cb, void *);
void	 client_set_listen_port(struct engine_net *, int, server_cb,
	    void *);
void	 client_override_endpoint(struct engine_net *, const char *,
	    server_cb, void *);
void	 client_admin(struct engine_net *, const char *, const char *,
	    json_t *, server_cb, void *);
void	 client_admin_view(struct engine_net *, server_cb, void *);
void	 client_list(struct engine_net *, server_cb, void *);
json_t	*client_cidrs_json(struct engine_net *);

/* import.c: innernetctl import of an upstream server or client */
void	 engine_import(json_t *, server_cb, void *);

#endif /* ENGINE_LOCAL_H */
