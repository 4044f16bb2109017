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
 * What crosses process boundaries: imsg types, the fixed structs they
 * carry, limits and defaults.  Every process includes this file; it is the
 * whole contract between them.  Structs are sent as is (same host, same
 * binary generation), every string in them is a bounded, NUL-terminated
 * array which the receiver checks with in_str_ok() before use.
 */

#ifndef INNERNET_H
#define INNERNET_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <event.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "imsg.h"

#define INNERNET_VERSION	"0.1.0"
/* The upstream release whose wire protocol we speak. */
#define INNERNET_UPSTREAM	"1.7.1"

#define INNERNET_CONF		"/etc/innernet.conf"
/* A directory of its own, so the service manager need make no more of
 * /run writable than it. */
#define INNERNET_SOCKDIR	"/var/run/innernet"
#define INNERNET_SOCKET		INNERNET_SOCKDIR "/innernetd.sock"
#define INNERNET_STATEDIR	"/var/lib/innernet"
#define INNERNET_USER		"_innernet"
#define INNERNET_WGD_USER	"_innernetwg"
#define INNERNET_EMPTYDIR	"/var/empty"
#define INNERNET_HOSTS		"/etc/hosts"
#define INNERNET_WGSOCKDIR	"/var/run/wireguard"

/*
 * Regress builds only (make REGRESS=1, which `make check` uses): a child
 * whose name is in this environment variable makes a syscall outside its
 * promises once it runs sandboxed, so a test can watch the kernel kill
 * it and the set go down.  A default build has no such switch.
 */
#ifdef IN_REGRESS
#define IN_REGRESS_VIOLATE_ENV	"INNERNET_REGRESS_VIOLATE"
#endif

/* Names of the processes, for setproctitle, logs and status. */
#define PROC_PARENT		"parent"
#define PROC_ENGINE		"engine"
#define PROC_DBD		"dbd"
#define PROC_WGD		"wgd"

/*
 * Descriptors a child finds at exec: the pipe to the parent and, for the
 * engine, the pipes to dbd and wgd and the listening control socket.
 */
#define PROC_FD_PARENT		3
#define PROC_FD_DBD		4	/* engine only */
#define PROC_FD_WGD		5	/* engine only */
#define PROC_FD_CONTROL		6	/* engine only */
#define PROC_FD_ENGINE		4	/* dbd and wgd: their pipe to the engine */

/* Limits. */
#define IN_NAMESZ		64	/* hostname(7) label, 63 + NUL */
#define IN_IFNAMSZ		16	/* network name == interface name */
#define IN_KEYSZ		45	/* base64 of 32 bytes + NUL */
#define IN_HOSTSZ		254	/* DNS name, 253 + NUL */
#define IN_ENDPOINTSZ		262	/* host:port, [v6]:port + NUL */
#define IN_ADDRSTRSZ		46	/* INET6_ADDRSTRLEN */
#define IN_CIDRSTRSZ		50	/* address/prefix */
#define IN_PATHSZ		256
#define IN_ERRSZ		256
#define IN_MAXCANDIDATES	10
#define IN_MAXALLOWEDIPS	8
#define IN_MAXNETWORKS		64
#define IN_MAXRANGES		32	/* allowed-ranges entries */
/*
 * Peers wgd takes in one SYNC, lines the parent takes in one hosts
 * section: a network's host addresses, but never more than this (a /8
 * or an IPv6 network).
 */
#define IN_MAXNETPEERS		65536
#define IN_MAXNATEXCLUDE	8	/* --exclude-nat-candidates CIDRs */

/* Defaults, as upstream. */
#define IN_DEFAULT_PORT		51820
#define IN_DEFAULT_KEEPALIVE	25
#define IN_DEFAULT_MTU		1280
#define IN_FETCH_INTERVAL	60	/* seconds, client role */
#define IN_MAXFETCHINTERVAL	86400	/* as innernet.conf's fetch-interval */
#define IN_ENDPOINT_REFRESH	10	/* seconds, server role */
#define IN_SWEEP_INTERVAL	10	/* seconds, expired invitations */
#define IN_REDEEM_WAIT		5	/* seconds for the server's key swap */
/*
 * Our server swaps a redeemed peer's key this soon after its answer was
 * written, and says so in GET /v1/user/capabilities under IN_CAP_KEY_SWAP
 * (upstream clients ignore the field and wait IN_REDEEM_WAIT anyway).
 */
#define IN_REDEEM_SWAP_MS	500	/* a lost answer's retransmit fits */
#define IN_CAP_KEY_SWAP		"redeem_key_swap_ms"
#define IN_ROOT_CIDR_ID		1
#define IN_INFRA_CIDR_ID	2
#define IN_SERVER_PEER_ID	1
#define IN_DB_VERSION		2	/* PRAGMA user_version */

/* An IPv4 or IPv6 address; af is AF_INET or AF_INET6. */
struct in_ip {
	uint8_t		af;
	uint8_t		pad[3];
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
		uint8_t		b[16];
	} u;
};

struct in_prefix {
	struct in_ip	ip;		/* network address (host bits zero) */
	uint8_t		len;
	uint8_t		pad[3];
};

/*
 * A peer, as in the upstream peers table.  keepalive -1 is null.
 * invite_expires 0 is null, otherwise seconds since the epoch.  On the
 * wire the struct is followed by candidates_len bytes: the candidate
 * endpoints, each NUL-terminated, at most IN_MAXCANDIDATES of them.
 */
struct in_peer {
	int64_t		id;
	int64_t		cidr_id;
	int64_t		invite_expires;
	char		name[IN_NAMESZ];
	char		public_key[IN_KEYSZ];
	char		endpoint[IN_ENDPOINTSZ];	/* "" = null */
	struct in_ip	ip;
	int32_t		keepalive;
	uint8_t		is_admin;
	uint8_t		is_disabled;
	uint8_t		is_redeemed;
	uint8_t		ncandidates;
	uint16_t	candidates_len;
	uint8_t		pad[6];
};
#define IN_CANDIDATES_MAXLEN	(IN_MAXCANDIDATES * IN_ENDPOINTSZ)

struct in_cidr {
	int64_t		id;
	int64_t		parent;		/* 0 = null (the root) */
	char		name[IN_NAMESZ];
	struct in_prefix cidr;
};

struct in_assoc {
	int64_t		id;
	int64_t		cidr_id_1;
	int64_t		cidr_id_2;
};

enum in_role {
	IN_ROLE_SERVER = 1,
	IN_ROLE_CLIENT = 2,
};

enum in_backend {
	IN_BACKEND_AUTO = 0,
	IN_BACKEND_KERNEL,
	IN_BACKEND_USERSPACE,
};

/*
 * A network this host takes part in, as recorded by dbd.  Server role:
 * address is the server's own internal address, net the root CIDR,
 * external_endpoint what invitations name.  Client role: the server_*
 * fields come from the invitation.
 */
struct in_network {
	char		name[IN_IFNAMSZ];
	uint8_t		role;			/* enum in_role */
	uint8_t		flags;			/* IN_NETF_* */
	uint8_t		pad[6];
	struct in_prefix net;			/* root CIDR */
	struct in_ip	address;		/* our own overlay address */
	uint16_t	listen_port;		/* 0 = unset (client) */
	uint16_t	server_port;		/* server's internal API port */
	uint8_t		pad2[4];
	struct in_ip	server_ip;		/* server's internal address */
	char		public_key[IN_KEYSZ];	/* our own */
	char		server_public_key[IN_KEYSZ];
	char		external_endpoint[IN_ENDPOINTSZ]; /* server's */
	char		override_endpoint[IN_ENDPOINTSZ]; /* client: ours */
	int64_t		created;
	uint32_t	fetch_interval;		/* client: 0 = the config's */
	uint8_t		nexclude;		/* client: entries of: */
	uint8_t		pad3[3];
	struct in_prefix nat_exclude[IN_MAXNATEXCLUDE]; /* never candidates */
};

/* in_network.flags, kept by dbd. */
#define IN_NETF_NOHOSTS		0x01	/* client: never write the hosts file */
#define IN_NETF_DOWN		0x02	/* client: brought down, stays down */
#define IN_NETF_NONAT		0x04	/* client: no NAT traversal */
#define IN_NETF_NOCAND		0x08	/* client: report no NAT candidates */
#define IN_NETF_ALL		0x0f

/* Per-network options from innernet.conf; zero means "default". */
struct in_netopts {
	char		name[IN_IFNAMSZ];
	uint8_t		backend;		/* enum in_backend */
	uint8_t		write_hosts;		/* 0 default(yes) 1 yes 2 no */
	uint8_t		pad[6];
	uint32_t	mtu;
	uint32_t	fetch_interval;		/* seconds */
	uint16_t	listen_port;
	uint8_t		pad2[6];
	char		host_suffix[IN_HOSTSZ];	/* "" = "<network>.wg" */
	uint8_t		host_suffix_set;	/* "" given explicitly */
	uint8_t		pad3[7];
};

/* Daemon-wide settings from innernet.conf. */
struct in_conf_global {
	char		user[32];
	char		wgd_user[32];		/* innernet-wgd's own user */
	char		state_dir[IN_PATHSZ];
	char		socket_path[IN_PATHSZ];
	char		hosts_file[IN_PATHSZ];
	char		wg_userspace[IN_PATHSZ];	/* wireguard-go path */
	uint8_t		backend;		/* enum in_backend */
	uint8_t		write_hosts;		/* 1 yes 2 no */
	uint8_t		verbose;
	uint8_t		watch;			/* client: 1 yes 2 no */
	uint8_t		pad[4];
	uint32_t	fetch_interval;
	uint32_t	mtu;
	uint32_t	max_connections;	/* HTTP API */
	uint32_t	max_body;		/* bytes */
	uint32_t	timeout;		/* seconds, HTTP idle keep-alive */
	uint32_t	max_per_source;		/* connections per peer address */
	uint32_t	header_timeout;		/* seconds, request line+headers */
	uint32_t	body_timeout;		/* seconds, request body */
	uint32_t	pad2;
};

/*
 * parent -> engine and wgd: one of allowed-ranges, where innernet's
 * networks may live.  The list replaces the last one at IMSG_CONF_END.
 */
struct in_conf_range {
	struct in_prefix range;
};

/* Error answer to any request: the HTTP-like status says what kind. */
struct in_error {
	int32_t		status;		/* 400, 401, 404, 409, 410, 500 ... */
	char		msg[IN_ERRSZ];
};

/* A request naming a network, and optionally one row. */
struct in_netreq {
	char		network[IN_IFNAMSZ];
	uint8_t		pad[8];
	int64_t		id;
};

/* dbd: change a peer; the struct in_peer follows (with candidates). */
struct in_peerreq {
	char		network[IN_IFNAMSZ];
	struct in_peer	peer;
};

struct in_cidrreq {
	char		network[IN_IFNAMSZ];
	struct in_cidr	cidr;
};

struct in_assocreq {
	char		network[IN_IFNAMSZ];
	struct in_assoc	assoc;
};

/* dbd: create a server network: root CIDR, infra CIDR, server peer. */
struct in_netcreate {
	struct in_network net;
	char		root_name[IN_NAMESZ];	/* CIDR name of the root */
	char		server_name[IN_NAMESZ];	/* "innernet-server" */
};

/*
 * client: where this host reaches a peer, instead of what the server says
 * (override-peer-endpoint); endpoint "" takes the override away.
 */
struct in_override {
	char		network[IN_IFNAMSZ];
	char		public_key[IN_KEYSZ];
	char		endpoint[IN_ENDPOINTSZ];	/* numeric */
	uint8_t		pad[1];
};

/*
 * The version of a server network's state: an epoch drawn once and kept
 * in the database, and a counter that only grows (its reserved ceiling
 * is what the database keeps, so a restart never reuses a value).
 */
struct in_version {
	char		network[IN_IFNAMSZ];
	uint64_t	epoch;
	uint64_t	counter;
};

/* dbd: redeem: the peer with this id takes public_key. */
struct in_redeem {
	char		network[IN_IFNAMSZ];
	uint8_t		pad[8];
	int64_t		id;
	char		public_key[IN_KEYSZ];
};

/* wgd: bring an interface up (or reconfigure it). */
struct in_wgif {
	char		name[IN_IFNAMSZ];
	uint8_t		backend;	/* enum in_backend */
	uint8_t		pad[7];
	struct in_prefix address;	/* our address with the network prefix */
	struct in_prefix route;		/* root CIDR routed into the interface */
	uint16_t	listen_port;	/* 0 = let WireGuard choose */
	uint8_t		pad2[2];
	uint32_t	mtu;
	uint32_t	fwmark;
};

/* wgd: one WireGuard peer; endpoint is numeric ("" = none). */
struct in_wgpeer {
	char		ifname[IN_IFNAMSZ];
	char		public_key[IN_KEYSZ];
	char		endpoint[IN_ENDPOINTSZ];
	int32_t		keepalive;	/* -1 / 0 = off */
	uint8_t		nallowed;
	uint8_t		pad[3];
	struct in_prefix allowed[IN_MAXALLOWEDIPS];
};

/* wgd -> engine: what WireGuard knows about a peer. */
struct in_wgstat {
	char		ifname[IN_IFNAMSZ];
	char		public_key[IN_KEYSZ];
	char		endpoint[IN_ENDPOINTSZ];	/* "" = none seen */
	int64_t		last_handshake;		/* seconds since epoch, 0 never */
	uint64_t	rx_bytes;
	uint64_t	tx_bytes;
};

/* wgd <-> engine: key operations for an interface. */
struct in_wgkey {
	char		ifname[IN_IFNAMSZ];
	char		key[IN_KEYSZ];		/* private in KEY_SET, else public */
	uint16_t	listen_port;		/* in answers: the actual port */
	uint8_t		pad[1];
};

/* engine -> parent: one line of a network's /etc/hosts section. */
struct in_hostent {
	char		ifname[IN_IFNAMSZ];
	struct in_ip	ip;
	char		name[IN_HOSTSZ];	/* full name, suffix included */
};

/* wgd -> parent: the root CIDR wgd recorded when it made a link. */
struct in_linknet {
	char		network[IN_IFNAMSZ];
	struct in_prefix net;
};

/* Any process -> engine: for `innernetctl status`. */
struct in_procinfo {
	char		name[16];		/* PROC_* */
	int32_t		pid;
	uint32_t	uid;
	uint32_t	gid;
	uint8_t		chrooted;
	uint8_t		pad[3];
	char		root[IN_PATHSZ];	/* chroot directory or "/" */
	char		sandbox[128];		/* sandbox_state() */
};

enum imsg_type {
	IMSG_NONE,

	/* parent -> children: configuration, sent at start and on reload */
	IMSG_CONF_GLOBAL,	/* struct in_conf_global */
	IMSG_CONF_NETOPTS,	/* struct in_netopts, one per configured net */
	IMSG_CONF_END,		/* empty: configuration complete, apply it */

	/* any -> any: status for `innernetctl status` */
	IMSG_PROCINFO_REQ,	/* empty */
	IMSG_PROCINFO,		/* struct in_procinfo */

	/*
	 * wgd -> parent: start userspace WireGuard for an interface (the
	 * sandboxed wgd may not exec).  struct in_wgif; the parent answers
	 * IMSG_WG_OK or IMSG_WG_ERR with the same peerid once the UAPI
	 * socket exists.
	 */
	IMSG_PARENT_WGGO_START,

	/*
	 * engine -> parent: a network's hosts section, PARENT_HOSTS (struct
	 * in_hostent) per line, then PARENT_HOSTS_END (struct in_netreq; no
	 * lines: the section is dropped).  The parent asks wgd for the root
	 * CIDR of the network's link (IMSG_PARENT_LINK_REQ), checks each
	 * name and address against the network's host suffix and that
	 * CIDR, rewrites the file atomically (no sandboxed process may
	 * rename over it) and answers IMSG_WG_OK or IMSG_WG_ERR with the
	 * same peerid.
	 */
	IMSG_PARENT_HOSTS,
	IMSG_PARENT_HOSTS_END,

	/*
	 * engine <-> dbd.  A request carries a request id in hdr.peerid; the
	 * answer carries the same id: rows, then IMSG_DB_END, or a single
	 * IMSG_DB_OK / IMSG_DB_ERR (struct in_error).  Unsolicited messages
	 * from dbd use peerid 0.
	 */
	IMSG_DB_OK,		/* empty, or the changed row precedes it */
	IMSG_DB_ERR,		/* struct in_error */
	IMSG_DB_END,		/* empty: end of a row stream */
	IMSG_DB_NETWORK,	/* struct in_network (row) */
	IMSG_DB_PEER,		/* struct in_peer + candidates (row) */
	IMSG_DB_CIDR,		/* struct in_cidr (row) */
	IMSG_DB_ASSOC,		/* struct in_assoc (row) */

	IMSG_DB_NETWORKS_REQ,	/* empty -> NETWORK rows, END */
	IMSG_DB_NETWORK_CREATE,	/* struct in_netcreate -> NETWORK, OK | ERR */
	IMSG_DB_NETWORK_UPDATE,	/* struct in_network (by name) -> OK | ERR */
	IMSG_DB_NETWORK_DELETE,	/* struct in_netreq -> OK | ERR */
	/*
	 * innernetctl import put an upstream server database in the server
	 * directory as IN_IMPORT_PREFIX<name>.db; struct in_network (name,
	 * listen_port, address and the public key of the configuration's
	 * private key) -> NETWORK, OK | ERR.
	 */
	IMSG_DB_NETWORK_IMPORT,
	IMSG_DB_LOAD,		/* struct in_netreq -> CIDR*, PEER*, ASSOC*, END */

	/* server role mutations, each one transaction */
	IMSG_DB_PEER_ADD,	/* struct in_peerreq -> PEER, OK | ERR */
	IMSG_DB_PEER_UPDATE,	/* struct in_peerreq -> PEER, OK | ERR */
	IMSG_DB_PEER_REDEEM,	/* struct in_redeem -> PEER, OK | ERR */
	IMSG_DB_CIDR_ADD,	/* struct in_cidrreq -> CIDR, OK | ERR */
	IMSG_DB_CIDR_UPDATE,	/* struct in_cidrreq (rename) -> CIDR, OK */
	IMSG_DB_CIDR_DELETE,	/* struct in_netreq -> OK | ERR */
	IMSG_DB_ASSOC_ADD,	/* struct in_assocreq -> ASSOC, OK | ERR */
	IMSG_DB_ASSOC_DELETE,	/* struct in_netreq -> OK | ERR */
	IMSG_DB_PEER_EXPIRED,	/* dbd -> engine, peerid 0: struct in_netreq */
	/*
	 * struct in_netreq -> PEER, OK | ERR: an unredeemed invitation is
	 * withdrawn (the row as it was, is_redeemed 0), a redeemed peer
	 * retired for good (its row as it is now).
	 */
	IMSG_DB_PEER_DELETE,
	/*
	 * client: struct in_override.  A row of a client network's
	 * DB_LOAD, or engine -> dbd: set or unset one -> OK | ERR.
	 */
	IMSG_DB_OVERRIDE,

	/*
	 * client role: replace the cached state of a network in one
	 * transaction: STORE_BEGIN, PEER*, CIDR*, STORE_END -> OK | ERR.
	 */
	IMSG_DB_STORE_BEGIN,	/* struct in_netreq */
	IMSG_DB_STORE_END,	/* struct in_netreq */

	/*
	 * engine <-> wgd, request id in hdr.peerid as for dbd; answers
	 * IMSG_WG_OK / IMSG_WG_ERR (struct in_error).
	 */
	IMSG_WG_OK,
	IMSG_WG_ERR,		/* struct in_error */
	IMSG_WG_END,		/* end of a row stream */
	IMSG_WG_IF_UP,		/* struct in_wgif -> WG_KEY (public), OK|ERR */
	IMSG_WG_IF_DOWN,	/* struct in_netreq -> OK | ERR */
	IMSG_WG_KEY_SET,	/* struct in_wgkey (private) -> WG_KEY, OK */
	IMSG_WG_KEY_NEW,	/* struct in_wgkey -> WG_KEY (public), OK */
	IMSG_WG_KEY_PENDING,	/* new pair, not applied -> WG_KEY, OK */
	IMSG_WG_KEY_COMMIT,	/* struct in_wgkey: apply the pending key */
	IMSG_WG_KEY_ABORT,	/* struct in_wgkey: forget the pending key */
	IMSG_WG_KEY_DELETE,	/* struct in_wgkey: remove the stored key */
	IMSG_WG_KEY,		/* struct in_wgkey (public key, port) */
	IMSG_WG_LISTEN_PORT,	/* struct in_wgkey (port) -> OK | ERR */
	IMSG_WG_PEER_SET,	/* struct in_wgpeer: add or change -> OK|ERR */
	IMSG_WG_PEER_REMOVE,	/* struct in_wgpeer (key) -> OK | ERR */
	IMSG_WG_SYNC_BEGIN,	/* struct in_netreq: full peer set follows */
	IMSG_WG_SYNC_PEER,	/* struct in_wgpeer */
	IMSG_WG_SYNC_END,	/* struct in_netreq: apply the diff -> OK|ERR */
	IMSG_WG_STATS_REQ,	/* struct in_netreq -> WG_STAT*, WG_END */
	IMSG_WG_STAT,		/* struct in_wgstat */
	IMSG_WG_ADDRS_REQ,	/* empty -> WG_ADDR*, WG_END: local addresses */
	IMSG_WG_ADDR,		/* struct in_ip, NAT candidates of the client */
	IMSG_WG_ENDPOINTS_REQ,	/* struct in_netreq, id 1: only changes since
				   the last, 0: all -> WG_STAT*, WG_END */

	/*
	 * innernetctl <-> engine over the control socket: a JSON document
	 * split into IMSG_CTL_DATA chunks, closed by IMSG_CTL_END.
	 */
	IMSG_CTL_DATA,
	IMSG_CTL_END,
	/*
	 * engine -> innernetctl, before the answer, only when the request
	 * asked for it ("progress": true): one line of text, no NUL.
	 */
	IMSG_CTL_PROGRESS,

	/* parent -> engine, wgd: between CONF_GLOBAL and CONF_END */
	IMSG_CONF_RANGE,	/* struct in_conf_range, one per range */

	/*
	 * parent -> wgd: struct in_netreq -> PARENT_LINK (struct
	 * in_linknet), or WG_ERR when the link is not one wgd made.
	 */
	IMSG_PARENT_LINK_REQ,
	IMSG_PARENT_LINK,

	/*
	 * engine <-> dbd, server role: the version of a network's state
	 * that watching clients name (innernetd(8), Watching).  GET: struct
	 * in_version with a fresh random epoch, used if the database has
	 * none yet -> DB_VERSION (the stored one), OK | ERR.  SET: struct
	 * in_version, the counter reserved so far -> OK | ERR.
	 */
	IMSG_DB_VERSION_GET,
	IMSG_DB_VERSION_SET,
	IMSG_DB_VERSION,	/* struct in_version (row) */

	IMSG_MAX
};

/* An upstream database being imported, in the server directory. */
#define IN_IMPORT_PREFIX	".import-"

/* Largest JSON document accepted on the control socket. */
#define CTL_MAXJSON		(8 * 1024 * 1024)

/*
 * Children are exec'd as: <program> [-d] [-v...] -u user -s statedir
 * (the engine is innernetd -E with the same flags), with the descriptors
 * above in place, and get their configuration by IMSG_CONF_*.  They
 * answer IMSG_PROCINFO_REQ on any pipe with IMSG_PROCINFO.
 */
#ifdef IN_REGRESS
int	regress_violate_wanted(const char *);	/* util.c */
void	regress_violate(const char *);		/* util.c */
#else
#define regress_violate_wanted(proc)	0
#define regress_violate(proc)		do { } while (0)
#endif

/* log.c */
void	log_init(int, int);
void	log_procinit(const char *);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	logit(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));
__attribute__((__noreturn__)) void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__attribute__((__noreturn__)) void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

/* util.c: parsing and checks shared by every process */
#define in_str_ok(a)	(memchr((a), '\0', sizeof(a)) != NULL)
int	 in_ip_parse(const char *, struct in_ip *);
int	 in_ip_str(const struct in_ip *, char *, size_t);
int	 in_ip_cmp(const struct in_ip *, const struct in_ip *);
int	 in_ip_is_unspecified(const struct in_ip *);
int	 in_prefix_parse(const char *, struct in_prefix *);
int	 in_prefix_parse_host(const char *, struct in_prefix *, struct in_ip *);
int	 in_prefix_str(const struct in_prefix *, char *, size_t);
int	 in_prefix_contains(const struct in_prefix *, const struct in_ip *);
int	 in_prefix_within(const struct in_prefix *, const struct in_prefix *);
int	 in_prefix_overlaps(const struct in_prefix *, const struct in_prefix *);
int	 in_prefix_in_ranges(const struct in_prefix *,
	    const struct in_prefix *, size_t);
void	 in_ranges_default(struct in_prefix *, size_t *);
int	 in_prefix_is_network_or_broadcast(const struct in_prefix *,
	    const struct in_ip *);
void	 in_prefix_host(const struct in_ip *, struct in_prefix *);
int	 in_hostname_ok(const char *);
int	 in_ifname_ok(const char *);
int	 in_key_ok(const char *);
int	 in_endpoint_parse(const char *, char *, size_t, uint16_t *);
int	 in_endpoint_ok(const char *);
const char *in_endpoint_problem(const char *, int);
int	 in_key_weak(const char *);
int	 in_endpoint_numeric(const char *, struct sockaddr_storage *,
	    socklen_t *);
int	 in_sockaddr_endpoint(const struct sockaddr *, char *, size_t);
int	 in_peer_candidates_ok(const struct in_peer *, const void *, size_t);
const char *in_imsg_name(unsigned int);

/*
 * proc.c, linked by every program: the pipes between the processes of
 * the set, and the control socket's client connections, one imsg
 * connection each.  A program gives each pipe its dispatch function,
 * which sees only the program's own messages; proc.c answers
 * IMSG_PROCINFO_REQ on the set's pipes itself, the same way in every
 * process.
 */

struct proc_pipe;
typedef void	(*proc_dispatch_cb)(struct proc_pipe *, struct imsg *);
typedef void	(*proc_closed_cb)(struct proc_pipe *);

struct proc_pipe {
	const char	*name;		/* PROC_*, for messages */
	struct imsgbuf	 ibuf;
	struct event	 ev;
	short		 events;	/* what ev waits for now */
	int		 flags;		/* PROC_F_* */
	proc_dispatch_cb dispatch;
	proc_closed_cb	 closed;	/* NULL: a closed pipe is fatal */
	void		*arg;		/* the owner's */
};

#define PROC_F_CLIENT	0x01	/* a control client: errors close it */
#define PROC_F_HELD	0x02	/* messages wait until proc_release() */
#define PROC_F_INSIDE	0x04	/* its handler is running */
#define PROC_F_SHUT	0x08	/* closed, closed() not yet called */

void	proc_socketpair(int [2]);

/* What this process says of itself in IMSG_PROCINFO. */
void	proc_info(const char *, const char *, const char *);

void	proc_pipe_init(struct proc_pipe *, const char *, int,
	    proc_dispatch_cb, proc_closed_cb, void *);
void	proc_client_init(struct proc_pipe *, int, proc_dispatch_cb,
	    proc_closed_cb, void *);
int	proc_compose(struct proc_pipe *, uint32_t, uint32_t, const void *,
	    size_t);
int	proc_composev(struct proc_pipe *, uint32_t, uint32_t,
	    const struct iovec *, int);
void	proc_hold(struct proc_pipe *);
void	proc_release(struct proc_pipe *);
void	proc_shut(struct proc_pipe *);
void	proc_free(struct proc_pipe *);
void	proc_procinfo_check(struct proc_pipe *, struct imsg *);
void	proc_get(struct proc_pipe *, struct imsg *, void *, size_t);
void	proc_get_none(struct proc_pipe *, struct imsg *);
const char *proc_get_peer(struct proc_pipe *, struct imsg *, void *, size_t);
void	proc_bad(struct proc_pipe *, struct imsg *, const char *)
	    __attribute__((__noreturn__));

#endif /* INNERNET_H */
