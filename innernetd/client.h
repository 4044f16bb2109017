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
 * The client role's files (client.c, client_wg.c, nat.c, chttp.c,
 * install.c, client_admin.c): what they share.  Internal to innernetd/.
 */

#ifndef CLIENT_H
#define CLIENT_H

#define CLIENT_RETRY		10	/* seconds after a failed start */
#define CLIENT_HEAL		1	/* seconds after WireGuard went away */
#define NAT_STEP		5	/* seconds per candidate, as upstream */
#define NAT_MAXCAND		(IN_MAXCANDIDATES + 1)
#define RECENT_HANDSHAKE	180	/* WireGuard's reject-after time */
#define CANDIDATES_REFRESH	3600	/* re-report unchanged candidates */

/* Someone (innernetctl) waiting for the end of a fetch. */
struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	server_cb		 cb;
	void			*arg;
};
TAILQ_HEAD(waiters, waiter);

/* A peer without a recent handshake and the endpoints left to try. */
struct nat_peer {
	struct in_wgpeer	 w;
	char			 cand[NAT_MAXCAND][IN_ENDPOINTSZ];
	int			 ncand;
};

struct client_net {
	struct event		 fetch_ev;
	struct event		 nat_ev;
	int			 fetching;
	struct waiters		 waiters;
	char			 etag[128];
	char			 server_ep[IN_ENDPOINTSZ]; /* numeric */
	uint16_t		 port;		/* WireGuard's listen port */
	struct in_wgstat	*stats;		/* sorted by public key */
	size_t			 nstats;
	char			 reported[IN_CANDIDATES_MAXLEN];
	size_t			 reported_len;
	time_t			 reported_at;
	int			 candidates_unsupported;
	struct nat_peer		*nat;
	size_t			 nnat;
	int			 nat_steps;
	time_t			 last_fetch;
	uint64_t		 fetches;
	struct in_override	*ovr;		/* override-peer-endpoint */
	size_t			 novr;
};

/* client.c: the role, fetches and local verbs */
void	 waiter_add(struct client_net *, server_cb, void *);

/* client_wg.c: what WireGuard holds for a client network */
typedef void	(*stats_cb)(struct engine_net *, void *);
void	 stats_get(struct engine_net *, stats_cb, const void *, size_t);
void	 stats_ignore(struct engine_net *, void *);
const struct in_wgstat *stat_find(struct client_net *, const char *);
int	 recently_connected(struct client_net *, const char *, time_t);
int	 is_self(struct engine_net *, const struct ns_row *);
int	 is_server(struct engine_net *, const struct ns_row *);
const char *override_find(struct client_net *, const char *);
int	 override_put(struct client_net *, const struct in_override *);
void	 client_wgpeer(struct engine_net *, const struct ns_peer *,
	    struct in_wgpeer *, int);
void	 client_sync_compose(struct engine_net *, uint32_t);

/* nat.c: NAT candidates and traversal */
void	 candidates_report(struct engine_net *);
void	 nat_start(struct engine_net *);
void	 nat_timer(int, short, void *);

/*
 * chttp.c: HTTP to the network's server over the tunnel.  The callback
 * gets the status (0: no answer at all), an error text for failures,
 * the JSON answer if there was one, and the ETag.
 */
typedef void	(*chttp_cb)(void *, int, const char *, json_t *,
		    const char *);
int	 chttp(const struct in_network *, enum evhttp_cmd_type, const char *,
	    json_t *, const char *, chttp_cb, const void *, size_t);
int	 chttp_t(const struct in_network *, enum evhttp_cmd_type,
	    const char *, json_t *, const char *, int, chttp_cb,
	    const void *, size_t);

#endif /* CLIENT_H */
