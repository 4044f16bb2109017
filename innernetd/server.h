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
 * The server role's files (server.c, server_wg.c): what they share.
 * Internal to innernetd/.
 */

#ifndef SERVER_H
#define SERVER_H

/*
 * Healing WireGuard from the mirror (the database's copy): a failed step
 * asks for a re-sync HEAL_DELAY seconds later, so a burst of failures
 * costs one; while WireGuard keeps failing the wait doubles up to
 * HEAL_MAXDELAY.  At rest nothing is compared: every HEAL_TICKS endpoint
 * refreshes a sync follows only if peers were set or removed since
 * WireGuard last took the whole mirror, a net under steps that all
 * succeeded.
 */
#define HEAL_DELAY	1
#define HEAL_MAXDELAY	30
#define HEAL_TICKS	6	/* of IN_ENDPOINT_REFRESH: a minute */

struct server_net {
	struct event	 refresh_ev;
	struct event	 hosts_ev;
	int		 refreshing;
	int		 endpoints_told; /* wgd reports only changes */
	uint32_t	 endpoints_round; /* bumped when the mirror reloads */
	int		 hosts_scheduled;
	int		 started;		/* listener up */
	int		 wg_up;			/* interface configured */
	struct event	 heal_ev;
	int		 healing;	/* a re-sync is under way */
	int		 heal_again;	/* wanted again once it ends */
	int		 heal_if;	/* bring the interface up first */
	int		 heal_fails;	/* in a row, for the back-off */
	uint64_t	 heal_round;	/* which re-sync an answer is for */
	uint64_t	 wg_changes;	/* peer sets and removals sent */
	uint64_t	 synced_gen;	/* wg_changes when last synced */
	unsigned int	 ticks;		/* endpoint refreshes */
	char		 addrs[IN_CANDIDATES_MAXLEN]; /* own candidates */
	size_t		 addrs_len;
	int		 naddrs;
};

/* server_wg.c: WireGuard kept in agreement with the mirror */
void	 wgpeer_of(const char *, const struct in_peer *, struct in_wgpeer *);
int	 is_server_peer(struct engine_net *, const struct in_ip *);
void	 wg_sync_compose(struct engine_net *, uint32_t);
void	 wg_peer_fire(const char *, uint32_t, const struct in_peer *);
void	 wg_step_failed(const char *, const char *);
void	 refresh_arm(struct engine_net *);
void	 refresh_start(int, short, void *);
void	 heal_schedule(struct engine_net *);
void	 heal_start(int, short, void *);

#endif /* SERVER_H */
