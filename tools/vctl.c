// SPDX-License-Identifier: GPL-2.0
/*
 * vctl: configure and inspect the V host of this network namespace over
 * vkmod's generic netlink family (see include/uapi/linux/v.h).
 *
 *   vctl [-j] link show                                          (vctl_link.c)
 *   vctl [-j] link add dev IFNAME [insecure]
 *   vctl [-j] link add udp local ADDR[:PORT] [peer ADDR[:PORT]]... [mtu N]
 *   vctl link del { [dev] IFNAME | [id] ID }
 *   vctl [-j] host show
 *   vctl [-j] stats
 *   vctl [-j] proc|alien|map|group show
 *   vctl [-j] proc { query | suspend | resume | kill [-s SIG] } ID   (vctl_proc.c)
 *   vctl map del host HOSTPART
 *   vctl set { host-part N | host-down-ms N | max-aliens N |
 *              max-aliens-host N |
 *              group-window-ms N | map-age-ms N | max-members N |
 *              inherit-rt N | key { HEX64 | - | none } } ...
 *
 * Exit status: 0 on success, 1 on an error from the kernel (or no vkmod),
 * 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <linux/v.h>
#include "parse.h"
#include "vctl.h"
#include "vctl_link.h"
#include "vctl_proc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The one table of counter names, indexed by enum v_stat.  Adding a
 * counter to the uapi header without naming it here fails the build.
 */
static const char *const stat_names[] = {
	[V_A_STAT_UNSPEC]	 = NULL,
	[V_A_STAT_TX_FRAMES]	 = "tx_frames",
	[V_A_STAT_RX_FRAMES]	 = "rx_frames",
	[V_A_STAT_RETRANSMITS]	 = "retransmits",
	[V_A_STAT_DUPLICATES]	 = "duplicates",
	[V_A_STAT_ACKS]		 = "acks",
	[V_A_STAT_BUSY]		 = "busy",
	[V_A_STAT_HOST_DOWN]	 = "host_down",
	[V_A_STAT_DROP_SHORT]	 = "drop_short",
	[V_A_STAT_DROP_VERSION]	 = "drop_version",
	[V_A_STAT_DROP_TYPE]	 = "drop_type",
	[V_A_STAT_DROP_NO_TXN]	 = "drop_no_txn",
	[V_A_STAT_DROP_NOT_MINE] = "drop_not_mine",
	[V_A_STAT_DROP_NOMEM]	 = "drop_nomem",
	[V_A_STAT_COLLISIONS]	 = "collisions",
	[V_A_STAT_MAP_QUERIES]	 = "map_queries",
	[V_A_STAT_MAP_STALE]	 = "map_stale",
	[V_A_STAT_MAP_AGED]	 = "map_aged",
	[V_A_STAT_GROUP_SENDS]	 = "group_sends",
	[V_A_STAT_GROUP_DELIVERED] = "group_delivered",
	[V_A_STAT_GROUP_REPLIES] = "group_replies",
	[V_A_STAT_GROUP_DROPPED] = "group_dropped",
	[V_A_STAT_DROP_AUTH]	 = "drop_auth",
	[V_A_STAT_DROP_REPLAY]	 = "drop_replay",
	[V_A_STAT_BUSY_HOST]	 = "busy_host",
	[V_A_STAT_ALIENS_COLLECTED] = "aliens_collected",
	[V_A_STAT_PULSES]	 = "pulses",
	[V_A_STAT_PULSES_DROPPED] = "pulses_dropped",
	[V_A_STAT_DEADLOCKS]	 = "deadlocks",
	[V_A_STAT_REQ_REASSEMBLED] = "req_reassembled",
	[V_A_STAT_REQ_PARTIAL_SHORT] = "req_partial_short",
	[V_A_STAT_UDP_TX_ERRORS] = "udp_tx_errors",
	[V_A_STAT_UDP_MTU_LOWERED] = "udp_mtu_lowered",
	[V_A_STAT_FAILOVERS]	 = "failovers",
	[V_A_STAT_RELAYED]	 = "relayed",
};
_Static_assert(ARRAY_SIZE(stat_names) == __V_A_STAT_MAX,
	       "stat_names[] must name every enum v_stat counter");

/* Tunables of V_CMD_HOST_SET, with the ranges the kernel accepts. */
static const struct tunable {
	const char *name;
	int attr;
	uint32_t min, max;
} tunables[] = {
	{ "host-part",	     V_A_HOST_PART,	      1, V_ID_HOST_MASK },
	{ "host-down-ms",    V_A_HOST_DOWN_MS,	      V_HOST_DOWN_MS_MIN, V_HOST_DOWN_MS_MAX },
	{ "max-aliens",	     V_A_HOST_MAX_ALIENS,     1, V_MAX_ALIENS_MAX },
	{ "max-aliens-host", V_A_HOST_MAX_ALIENS_HOST, 0, V_MAX_ALIENS_MAX },
	{ "group-window-ms", V_A_HOST_GROUP_WINDOW_MS, V_GROUP_WINDOW_MS_MIN, V_GROUP_WINDOW_MS_MAX },
	{ "map-age-ms",	     V_A_HOST_MAP_AGE_MS,     V_MAP_AGE_MS_MIN, V_MAP_AGE_MS_MAX },
	{ "max-members",     V_A_HOST_MAX_MEMBERS,    1, V_MAX_MEMBERS_MAX },
	{ "inherit-rt",	     V_A_HOST_INHERIT_RT,     0, 99 },
};

#define SET_SYNOPSIS \
	"vctl set { host-part N | host-down-ms N | max-aliens N |\n" \
	"                  max-aliens-host N |\n" \
	"                  group-window-ms N | map-age-ms N | max-members N |\n" \
	"                  inherit-rt N |\n" \
	"                  key { HEX64 | - | none } } ...\n"

static const char usage_main[] =
	"Usage: " LINK_SYNOPSIS
	"       vctl [-j] host show\n"
	"       vctl [-j] stats\n"
	"       vctl [-j] proc show\n"
	"       vctl [-j] proc { query | suspend | resume | kill [-s SIG] } ID\n"
	"       vctl [-j] alien show\n"
	"       vctl [-j] map show\n"
	"       vctl map del host HOSTPART\n"
	"       vctl [-j] group show\n"
	"       " SET_SYNOPSIS
	"\n"
	"Configure and inspect the V host of this network namespace (vkmod).\n"
	"\n"
	"  -j, --json  print JSON instead of text (show, stats and proc commands,\n"
	"              and the id of a link added)\n"
	"  -h, --help  show this help; 'vctl COMMAND --help' for one command\n"
	"\n"
	"Exit status: 0 on success, 1 on an error from vkmod (or the program\n"
	"manager: proc query|suspend|resume|kill), 2 on bad usage.\n";

static const char usage_host[] =
	"Usage: vctl [-j] host [show]\n"
	"\n"
	"Show this namespace's V host, one NAME VALUE line each (JSON keys in\n"
	"brackets), then its counters as 'vctl stats' prints them:\n"
	"\n"
	"  host-part        the host part of this host's ids, hex [host_part]\n"
	"  host-down-ms     how long a silent host is waited for [host_down_ms]\n"
	"  processes        V processes on this host [processes]\n"
	"  aliens           remote transactions held [aliens]\n"
	"  max-aliens       their limit [max_aliens]\n"
	"  max-aliens-host  how many of them the clients of one host may hold\n"
	"                   [max_aliens_host]\n"
	"  group-window-ms  how long further group replies are kept [group_window_ms]\n"
	"  map-age-ms       when unused mapping entries are dropped [map_age_ms]\n"
	"  groups           groups with members on this host [groups]\n"
	"  members          group memberships held on this host [members]\n"
	"  max-members      their limit [max_members]\n"
	"  inherit-rt       the highest real-time priority a remote client lends\n"
	"                   a V_OPT_INHERIT server [inherit_rt]\n"
	"  keyed            1 if frames are authenticated with a cluster key [keyed]\n"
	"                   (the key itself is never shown)\n"
	"\n"
	"The last seven are shown only when vkmod reports them.  In JSON, the\n"
	"counters are the object \"stats\".\n";

static const char usage_stats[] =
	"Usage: vctl [-j] stats\n"
	"\n"
	"Show only the counters of this namespace's V host.\n";

static const char usage_proc[] =
	"Usage: vctl [-j] proc show\n"
	"       vctl [-j] proc { query | suspend | resume | kill [-s SIG] } ID\n"
	"\n"
	"show: list the V processes of this namespace's host: id, owner uid, state\n"
	"(idle, receiving: blocked in Receive, queued or received at PEER, remote:\n"
	"sent to PEER on another host, shutdown), messages queued for Receive and\n"
	"received but not replied, and the pid of the process that created its\n"
	"socket (0: gone, or not in this pid namespace; -: an older module).\n"
	"\n"
	"query, suspend, resume, kill: act on the V process ID of any host through\n"
	"the program manager (vexecd) of its host; 'vctl proc kill --help'.\n";

static const char usage_alien[] =
	"Usage: vctl [-j] alien show\n"
	"\n"
	"List the aliens of this host: remote transactions (client id, seq), their\n"
	"state (queued, received, replied, failed, forwarded), the local process\n"
	"holding them and their age in milliseconds.\n";

static const char usage_map[] =
	"Usage: vctl [-j] map [show]\n"
	"       vctl map del host HOSTPART\n"
	"\n"
	"show: list the mapping table, one line per host part heard from:\n"
	"  host_part  the host part (hex; a number in JSON)\n"
	"  ifindex    the Ethernet link it was last heard on (0 for a fence)\n"
	"  addr       the MAC address it was heard from (zero for a fence)\n"
	"  link       instead of ifindex, when heard on a UDP link: its id\n"
	"  endpoint   instead of addr, then: the ADDR:PORT it was heard from\n"
	"  state      learned: frames go to addr (endpoint); fenced: the host part\n"
	"             was claimed twice and traffic to it fails with EHOSTUNREACH\n"
	"  age_ms     milliseconds since it was last heard from\n"
	"With -j, an array of objects with those keys, and at the end link (a\n"
	"number; every entry's but a fence's) and endpoint (a string; a UDP\n"
	"link's entry, whose ifindex and addr are null) when vkmod reports them.\n"
	"\n"
	"del: forget the entry (a fence included) for HOSTPART, 1..0x3fffffff,\n"
	"decimal or 0x-prefixed hexadecimal; it is learned again when the host\n"
	"is next heard from.  Needs CAP_NET_ADMIN.  'delete' is accepted too.\n";

static const char usage_group[] =
	"Usage: vctl [-j] group [show]\n"
	"\n"
	"List the process groups with members on this host, one line per group:\n"
	"its id and the ids of its members here, comma-separated.  With -j, an\n"
	"array of {\"group\": ID, \"members\": [ID, ...]}, ids as hex strings.\n";

static const char usage_set[] =
	"Usage: " SET_SYNOPSIS
	"\n"
	"Change tunables of this namespace's V host (needs CAP_NET_ADMIN), all in\n"
	"one request.  N is decimal or 0x-prefixed hexadecimal.\n"
	"\n"
	"  host-part N        1..0x3fffffff; only before any V socket or link exists\n"
	"  host-down-ms N     100..600000: how long a silent host is waited for\n"
	"  max-aliens N       1..1048576: remote senders held at once\n"
	"  max-aliens-host N  0..1048576: how many of those the clients of one\n"
	"                     host may hold (0: half of max-aliens)\n"
	"  group-window-ms N  10..600000: how long the further replies to a group\n"
	"                     Send are kept for GetReply\n"
	"  map-age-ms N       1000..86400000: unused mapping entries are dropped\n"
	"                     after N milliseconds\n"
	"  max-members N      1..1048576: group memberships held on this host\n"
	"  inherit-rt N       0..99: the highest SCHED_FIFO/RR priority a client on\n"
	"                     another host may lend a server here that inherits\n"
	"                     priorities (0: none; its nice value only)\n"
	"  key HEX64          the cluster key: 32 bytes as 64 hex digits; from then\n"
	"                     on every frame this host sends is authenticated and\n"
	"                     frames without a valid tag are dropped\n"
	"  key -              the same, the 64 hex digits read from standard input\n"
	"                     (so the key is not on the command line)\n"
	"  key none           remove the key: plain frames again\n";

/* ------------------------------------------------------------------------ */
/* Netlink plumbing                                                          */

/* State of one request until its ACK, NLMSG_DONE or error. */
struct xfer {
	bool done;
	int error;		/* negative errno from the kernel, or 0 */
	char extack[256];	/* the kernel's extended-ack message, if any */
	bool bad_reply;		/* a reply that does not match the contract */
	int (*parse)(struct nlmsghdr *nlh, void *arg);
	void *arg;
};

int family_maxattr(struct nl_sock *sk)
{
	struct nl_cache *cache = NULL;
	struct genl_family *f;
	int max = 0;

	if (genl_ctrl_alloc_cache(sk, &cache) < 0)
		return 0;
	f = genl_ctrl_search_by_name(cache, V_GENL_NAME);
	if (f) {
		max = genl_family_get_maxattr(f);
		genl_family_put(f);
	}
	nl_cache_free(cache);
	return max;
}

static int open_vnl(struct vnl *v)
{
	int one = 1, ret;

	v->sk = nl_socket_alloc();
	if (!v->sk) {
		fprintf(stderr, "vctl: cannot allocate a netlink socket: %s\n",
			strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	ret = genl_connect(v->sk);
	if (ret < 0) {
		fprintf(stderr, "vctl: cannot open a generic netlink socket: %s\n",
			nl_geterror(ret));
		goto fail;
	}
	nl_socket_enable_msg_peek(v->sk);
	/*
	 * Receive with room for 32 KiB (what the kernel's dumps grow to once
	 * a reader takes that much): a UDP link with up to V_UDP_PEERS_MAX
	 * IPv6 peers is more than a page.
	 */
	nl_socket_set_msg_buf_size(v->sk, 32768);
	/* Ask for the kernel's error strings; older kernels just ignore this. */
	setsockopt(nl_socket_get_fd(v->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(v->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	v->family = genl_ctrl_resolve(v->sk, V_GENL_NAME);
	if (v->family == -NLE_OBJ_NOTFOUND) {
		fprintf(stderr, "vctl: vkmod is not loaded (no generic netlink family \"%s\")\n",
			V_GENL_NAME);
		goto fail;
	}
	if (v->family < 0) {
		fprintf(stderr, "vctl: cannot look up generic netlink family \"%s\": %s\n",
			V_GENL_NAME, nl_geterror(v->family));
		goto fail;
	}
	return EXIT_OK;
fail:
	nl_socket_free(v->sk);
	v->sk = NULL;
	return EXIT_RUNTIME;
}

static void close_vnl(struct vnl *v)
{
	nl_socket_free(v->sk);
	v->sk = NULL;
}

static int cb_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)err - 1;
	struct xfer *x = arg;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t ack_len = sizeof(*nlh) + sizeof(*err);
	size_t len = nlh->nlmsg_len;

	(void)nla;
	x->error = err->error;
	x->done = true;
	/* With NETLINK_EXT_ACK, TLVs follow the (possibly capped) request. */
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack_len += err->msg.nlmsg_len - sizeof(*nlh);
	if (len <= ack_len)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + ack_len),
		      (int)(len - ack_len), NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(x->extack, sizeof(x->extack), "%.*s",
			 (int)strnlen(nla_data(tb[NLMSGERR_ATTR_MSG]),
				      nla_len(tb[NLMSGERR_ATTR_MSG])),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static int cb_ack(struct nl_msg *msg, void *arg)
{
	struct xfer *x = arg;

	(void)msg;
	x->done = true;
	return NL_STOP;
}

/* End of a dump; a dump that failed part-way carries the error here. */
static int cb_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct xfer *x = arg;
	int err;

	x->done = true;
	if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0)
			x->error = err;
	}
	return NL_STOP;
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct xfer *x = arg;

	if (x->parse && x->parse(nlmsg_hdr(msg), x->arg) < 0)
		x->bad_reply = true;
	return NL_OK;
}

int transact(struct vnl *v, struct nl_msg *msg, const char *what,
	     int (*parse)(struct nlmsghdr *, void *), void *arg)
{
	struct xfer x = { .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int ret, rc = EXIT_RUNTIME;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		fprintf(stderr, "vctl: %s: %s\n", what, strerror(ENOMEM));
		nlmsg_free(msg);
		return EXIT_RUNTIME;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, cb_error, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_ack, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_finish, &x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, &x);

	ret = nl_send_auto(v->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		fprintf(stderr, "vctl: %s: cannot send: %s\n", what, nl_geterror(ret));
		goto out;
	}
	while (!x.done) {
		ret = nl_recvmsgs(v->sk, cb);
		if (x.done)
			break;
		if (ret < 0) {
			fprintf(stderr, "vctl: %s: %s\n", what, nl_geterror(ret));
			goto out;
		}
	}
	if (x.error) {
		if (x.extack[0])
			fprintf(stderr, "vctl: %s: %s (%s)\n", what, strerror(-x.error), x.extack);
		else
			fprintf(stderr, "vctl: %s: %s\n", what, strerror(-x.error));
		goto out;
	}
	if (x.bad_reply) {
		fprintf(stderr, "vctl: %s: malformed reply from vkmod: %s\n", what,
			strerror(EBADMSG));
		goto out;
	}
	rc = EXIT_OK;
out:
	nl_cb_put(cb);
	return rc;
}

struct nl_msg *new_request_size(struct vnl *v, uint8_t cmd, int flags, size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(nlmsg_total_size(GENL_HDRLEN + size)) :
				    nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, v->family, 0, flags, cmd,
			 V_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *new_request(struct vnl *v, uint8_t cmd, int flags)
{
	return new_request_size(v, cmd, flags, 0);
}

void print_mac(const uint8_t *a)
{
	printf("%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* A request with one NLA_U32 attribute and nothing but an ACK in reply. */
static int request_u32(struct vnl *v, uint8_t cmd, int attr, uint32_t val, const char *what)
{
	struct nl_msg *msg = new_request(v, cmd, 0);

	if (!msg || nla_put_u32(msg, attr, val) < 0) {
		nlmsg_free(msg);
		fprintf(stderr, "vctl: %s: %s\n", what, strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	return transact(v, msg, what, NULL, NULL);
}

/* ------------------------------------------------------------------------ */
/* host and stats                                                            */

#define STAT_SLOTS 256		/* counters numbered beyond this are ignored */

/*
 * Host values a newer vkmod reports besides the ones every vkmod has: shown
 * (text name, JSON key) when present, so vctl still works with an older one.
 */
static const struct host_extra {
	int attr;
	const char *name, *key;
} host_extras[] = {
	{ V_A_HOST_MAX_ALIENS_HOST, "max-aliens-host", "max_aliens_host" },
	{ V_A_HOST_GROUP_WINDOW_MS, "group-window-ms", "group_window_ms" },
	{ V_A_HOST_MAP_AGE_MS,	    "map-age-ms",      "map_age_ms" },
	{ V_A_HOST_GROUPS,	    "groups",	       "groups" },
	{ V_A_HOST_MEMBERS,	    "members",	       "members" },
	{ V_A_HOST_MAX_MEMBERS,	    "max-members",     "max_members" },
	{ V_A_HOST_INHERIT_RT,	    "inherit-rt",      "inherit_rt" },
};

struct host_info {
	bool have;
	uint32_t part, down_ms, procs, aliens, max_aliens;
	uint32_t extra[ARRAY_SIZE(host_extras)];
	bool has_extra[ARRAY_SIZE(host_extras)];
	bool has_keyed;
	uint8_t keyed;
	uint64_t stat[STAT_SLOTS];
	bool has_stat[STAT_SLOTS];
};

static struct nla_policy host_policy[V_A_MAX + 1] = {
	[V_A_HOST_PART]	      = { .type = NLA_U32 },
	[V_A_HOST_DOWN_MS]    = { .type = NLA_U32 },
	[V_A_HOST_PROCS]      = { .type = NLA_U32 },
	[V_A_HOST_ALIENS]     = { .type = NLA_U32 },
	[V_A_HOST_MAX_ALIENS] = { .type = NLA_U32 },
	[V_A_HOST_STATS]      = { .type = NLA_NESTED },
	[V_A_HOST_MAX_ALIENS_HOST] = { .type = NLA_U32 },
	[V_A_HOST_GROUP_WINDOW_MS] = { .type = NLA_U32 },
	[V_A_HOST_MAP_AGE_MS]	   = { .type = NLA_U32 },
	[V_A_HOST_MAX_MEMBERS]	   = { .type = NLA_U32 },
	[V_A_HOST_GROUPS]	   = { .type = NLA_U32 },
	[V_A_HOST_MEMBERS]	   = { .type = NLA_U32 },
	[V_A_HOST_KEYED]	   = { .type = NLA_U8 },
	[V_A_HOST_INHERIT_RT]	   = { .type = NLA_U32 },
};

static int parse_host(struct nlmsghdr *nlh, void *arg)
{
	struct host_info *h = arg;
	struct nlattr *tb[V_A_MAX + 1], *a;
	size_t i;
	int rem;

	if (genlmsg_parse(nlh, 0, tb, V_A_MAX, host_policy) < 0)
		return -1;
	if (!tb[V_A_HOST_PART] || !tb[V_A_HOST_DOWN_MS] || !tb[V_A_HOST_PROCS] ||
	    !tb[V_A_HOST_ALIENS] || !tb[V_A_HOST_MAX_ALIENS] || !tb[V_A_HOST_STATS])
		return -1;
	h->part = nla_get_u32(tb[V_A_HOST_PART]);
	h->down_ms = nla_get_u32(tb[V_A_HOST_DOWN_MS]);
	h->procs = nla_get_u32(tb[V_A_HOST_PROCS]);
	h->aliens = nla_get_u32(tb[V_A_HOST_ALIENS]);
	h->max_aliens = nla_get_u32(tb[V_A_HOST_MAX_ALIENS]);
	for (i = 0; i < ARRAY_SIZE(host_extras); i++) {
		a = tb[host_extras[i].attr];
		h->has_extra[i] = a != NULL;
		if (a)
			h->extra[i] = nla_get_u32(a);
	}
	h->has_keyed = tb[V_A_HOST_KEYED] != NULL;
	if (h->has_keyed)
		h->keyed = nla_get_u8(tb[V_A_HOST_KEYED]) != 0;
	nla_for_each_nested(a, tb[V_A_HOST_STATS], rem) {
		int type = nla_type(a);

		/* V_A_STAT_UNSPEC is the pad of nla_put_u64_64bit() */
		if (type == V_A_STAT_UNSPEC || type >= STAT_SLOTS)
			continue;
		if (nla_len(a) != sizeof(uint64_t))
			return -1;
		h->stat[type] = nla_get_u64(a);
		h->has_stat[type] = true;
	}
	h->have = true;
	return 0;
}

static int host_get(struct vnl *v, struct host_info *h)
{
	struct nl_msg *msg = new_request(v, V_CMD_HOST_GET, 0);

	if (!msg) {
		fprintf(stderr, "vctl: host show: %s\n", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	if (transact(v, msg, "cannot read the V host", parse_host, h))
		return EXIT_RUNTIME;
	if (!h->have) {
		fprintf(stderr, "vctl: cannot read the V host: no reply from vkmod: %s\n",
			strerror(ENOMSG));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* Counters in enum order; ones this vctl does not know are "stat_N". */
static void print_stats(const struct host_info *h, bool json, const char *indent)
{
	bool first = true;
	int i;

	if (json)
		printf("{");
	for (i = 1; i < STAT_SLOTS; i++) {
		char unknown[16];
		const char *name = i < (int)ARRAY_SIZE(stat_names) ? stat_names[i] : NULL;

		if (!h->has_stat[i])
			continue;
		if (!name) {
			snprintf(unknown, sizeof(unknown), "stat_%d", i);
			name = unknown;
		}
		if (json)
			printf("%s\"%s\":%" PRIu64, first ? "" : ",", name, h->stat[i]);
		else
			printf("%s%s %" PRIu64 "\n", indent, name, h->stat[i]);
		first = false;
	}
	if (json)
		printf("}");
}

/* JSON: after "stats", each with a leading comma; text: NAME VALUE lines. */
static void print_host_extras(const struct host_info *h, bool json)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(host_extras); i++) {
		if (!h->has_extra[i])
			continue;
		if (json)
			printf(",\"%s\":%" PRIu32, host_extras[i].key, h->extra[i]);
		else
			printf("%s %" PRIu32 "\n", host_extras[i].name, h->extra[i]);
	}
	if (h->has_keyed)
		printf(json ? ",\"keyed\":%u" : "keyed %u\n", h->keyed);
}

static int host_show(struct vnl *v, bool json, bool stats_only)
{
	struct host_info *h = calloc(1, sizeof(*h));
	int rc;

	if (!h) {
		fprintf(stderr, "vctl: host show: %s\n", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	rc = host_get(v, h);
	if (rc)
		goto out;
	if (stats_only) {
		print_stats(h, json, "");
		if (json)
			printf("\n");
		goto out;
	}
	if (json) {
		printf("{\"host_part\":%" PRIu32 ",\"host_down_ms\":%" PRIu32
		       ",\"processes\":%" PRIu32 ",\"aliens\":%" PRIu32
		       ",\"max_aliens\":%" PRIu32 ",\"stats\":",
		       h->part, h->down_ms, h->procs, h->aliens, h->max_aliens);
		print_stats(h, true, "");
		print_host_extras(h, true);
		printf("}\n");
	} else {
		printf("host-part 0x%08" PRIx32 "\n"
		       "host-down-ms %" PRIu32 "\n"
		       "processes %" PRIu32 "\n"
		       "aliens %" PRIu32 "\n"
		       "max-aliens %" PRIu32 "\n",
		       h->part, h->down_ms, h->procs, h->aliens, h->max_aliens);
		print_host_extras(h, false);
		print_stats(h, false, "");
	}
out:
	free(h);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* set                                                                       */

/* Decimal or 0x-prefixed hexadecimal, nothing else (no sign, no octal). */
static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (vtool_parse_u64(s, 0, UINT32_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* parse_u32 within [min, max], or report "vctl: CMD: NAME wants ..." */
static bool parse_arg(const char *cmd, const char *name, const char *s,
		      uint32_t min, uint32_t max, uint32_t *out)
{
	if (parse_u32(s, out) && *out >= min && *out <= max)
		return true;
	fprintf(stderr, "vctl: %s: %s wants %" PRIu32 "..%" PRIu32
		" (decimal or 0x hex), not '%s'\n", cmd, name, min, max, s);
	return false;
}

struct set_req {
	bool given[ARRAY_SIZE(tunables)];
	uint32_t val[ARRAY_SIZE(tunables)];
	bool key_given;
	size_t key_len;			/* V_HOST_KEY_LEN, or 0: remove */
	uint8_t key[V_HOST_KEY_LEN];
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "none", or exactly 2 * V_HOST_KEY_LEN hex digits ("-": read from stdin). */
static bool parse_key(const char *s, struct set_req *r)
{
	char buf[2 * V_HOST_KEY_LEN + 2];
	size_t i, n;
	bool ok = false;

	if (!strcmp(s, "none")) {
		r->key_len = 0;
		return true;
	}
	if (!strcmp(s, "-")) {
		if (!fgets(buf, sizeof(buf), stdin)) {
			fprintf(stderr, "vctl: set: key -: nothing on standard input\n");
			return false;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		s = buf;
	}
	n = strlen(s);
	if (n == 2 * V_HOST_KEY_LEN) {
		for (i = 0; i < V_HOST_KEY_LEN; i++) {
			int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

			if (hi < 0 || lo < 0)
				break;
			r->key[i] = (uint8_t)(hi << 4 | lo);
		}
		ok = i == V_HOST_KEY_LEN;
	}
	memset(buf, 0, sizeof(buf));
	if (!ok) {
		fprintf(stderr, "vctl: set: key wants %d hex digits (a %d-byte key), '-' or 'none'\n",
			2 * V_HOST_KEY_LEN, V_HOST_KEY_LEN);
		return false;
	}
	r->key_len = V_HOST_KEY_LEN;
	return true;
}

static int parse_set(int argc, char **argv, struct set_req *r)
{
	int i;

	if (argc == 0) {
		fprintf(stderr, "vctl: set: nothing to set\n");
		fputs(usage_set, stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < argc; i += 2) {
		size_t t;

		if (!strcmp(argv[i], "key")) {
			if (r->key_given) {
				fprintf(stderr, "vctl: set: key given twice\n");
				return EXIT_USAGE;
			}
			if (i + 1 >= argc) {
				fprintf(stderr, "vctl: set: key needs a value\n");
				return EXIT_USAGE;
			}
			if (!parse_key(argv[i + 1], r))
				return EXIT_USAGE;
			r->key_given = true;
			continue;
		}
		for (t = 0; t < ARRAY_SIZE(tunables); t++)
			if (strcmp(argv[i], tunables[t].name) == 0)
				break;
		if (t == ARRAY_SIZE(tunables)) {
			fprintf(stderr, "vctl: set: unknown setting '%s'\n", argv[i]);
			fputs(usage_set, stderr);
			return EXIT_USAGE;
		}
		if (r->given[t]) {
			fprintf(stderr, "vctl: set: %s given twice\n", argv[i]);
			return EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "vctl: set: %s needs a value\n", argv[i]);
			return EXIT_USAGE;
		}
		if (!parse_arg("set", tunables[t].name, argv[i + 1], tunables[t].min,
			       tunables[t].max, &r->val[t]))
			return EXIT_USAGE;
		r->given[t] = true;
	}
	return EXIT_OK;
}

static int do_set(struct vnl *v, const struct set_req *r)
{
	struct nl_msg *msg = new_request(v, V_CMD_HOST_SET, 0);
	size_t t;

	if (!msg)
		goto nomem;
	for (t = 0; t < ARRAY_SIZE(tunables); t++)
		if (r->given[t] && nla_put_u32(msg, tunables[t].attr, r->val[t]) < 0)
			goto nomem;
	if (r->key_given && nla_put(msg, V_A_HOST_KEY, (int)r->key_len, r->key) < 0)
		goto nomem;
	return transact(v, msg, "cannot change the V host", NULL, NULL);
nomem:
	nlmsg_free(msg);
	fprintf(stderr, "vctl: set: %s\n", strerror(ENOMEM));
	return EXIT_RUNTIME;
}

/* ------------------------------------------------------------------------ */
/* Command line                                                              */

/*
 * Table dumps (proc, alien, map, group show): one record per message,
 * printed as it arrives, each column one attribute.
 */
enum col_type {
	COL_ID, COL_U8, COL_U32, COL_HOSTPART, COL_MAC, COL_ENUM, COL_IDLIST,
	COL_SOCKADDR,		/* a UDP link's endpoint, "ADDR:PORT" */
	COL_PATHS,		/* a map entry's paths (V_A_MAP_PATH each) */
};

struct col {
	int attr;
	const char *name;
	enum col_type type;
	const char *const *names;	/* COL_ENUM: value -> name */
	size_t nnames;
	int member;			/* COL_IDLIST: attribute of each id */
	bool optional;			/* an older module may not send it */
	int alt;			/* text: absent, the column of this
					 * attribute is shown in its place
					 */
	bool extra;			/* JSON only, and only when present */
};

struct dump_view {
	uint8_t cmd;
	const char *what;
	const struct col *cols;
	size_t ncols;
	bool join;	/* consecutive records with the same first column (an id)
			 * are one row: the last column (an id list) goes on
			 */
};

struct dump_state {
	const struct dump_view *view;
	bool json;
	size_t n;
	bool open;	/* join: a row's id list is not closed yet */
	bool listed;	/* ... and has an id already */
	uint64_t key;	/* ... its first column */
};

static const char *const proc_states[] = { "idle", "queued", "received", "remote", "shutdown",
					    "receiving" };
static const char *const alien_states[] = { "queued", "received", "replied", "failed", "forwarded" };
static const char *const map_states[] = { "learned", "fenced", "version" };

#define COL(a, n, t)	{ .attr = (a), .name = (n), .type = (t) }
#define COL_OPT(a, n, t)	{ .attr = (a), .name = (n), .type = (t), .optional = true }
#define COL_NAMED(a, n, tbl)	{ .attr = (a), .name = (n), .type = COL_ENUM, \
				  .names = (tbl), .nnames = ARRAY_SIZE(tbl) }
#define COL_LIST(a, n, m)	{ .attr = (a), .name = (n), .type = COL_IDLIST, .member = (m) }
#define COL_ALT(a, n, t, b)	{ .attr = (a), .name = (n), .type = (t), .optional = true, \
				  .alt = (b) }
#define COL_EXTRA(a, n, t)	{ .attr = (a), .name = (n), .type = (t), .optional = true, \
				  .extra = true }

static const struct col proc_cols[] = {
	COL(V_A_PROC_ID, "id", COL_ID),
	COL(V_A_PROC_UID, "uid", COL_U32),
	COL_NAMED(V_A_PROC_STATE, "state", proc_states),
	COL(V_A_PROC_PEER, "peer", COL_ID),
	COL(V_A_PROC_QUEUED, "queued", COL_U32),
	COL(V_A_PROC_HELD, "held", COL_U32),
	COL_OPT(V_A_PROC_PID, "pid", COL_U32),
};

static const struct col alien_cols[] = {
	COL(V_A_ALIEN_CLIENT, "client", COL_ID),
	COL(V_A_ALIEN_SEQ, "seq", COL_U32),
	COL_NAMED(V_A_ALIEN_STATE, "state", alien_states),
	COL(V_A_ALIEN_HOLDER, "holder", COL_ID),
	COL(V_A_ALIEN_AGE_MS, "age_ms", COL_U32),
};

/*
 * An entry heard on an Ethernet link (or a fence) has an ifindex and a MAC;
 * one heard on a UDP link has neither, but an endpoint: in text, "link ID
 * endpoint ADDR:PORT" stand where "ifindex N addr MAC" would; in JSON,
 * ifindex and addr are null and "link" and "endpoint" come last.
 */
static const struct col map_cols[] = {
	COL(V_A_MAP_HOST, "host_part", COL_HOSTPART),
	COL_ALT(V_A_LINK_IFINDEX, "ifindex", COL_U32, V_A_LINK_ID),
	COL_ALT(V_A_LINK_ADDR, "addr", COL_MAC, V_A_LINK_ENDPOINT),
	COL_NAMED(V_A_MAP_STATE, "state", map_states),
	COL(V_A_MAP_AGE_MS, "age_ms", COL_U32),
	COL_OPT(V_A_MAP_VERSION, "version", COL_U8),
	COL_OPT(V_A_MAP_FEATURES, "features", COL_U32),
	COL_OPT(V_A_MAP_CWND, "cwnd", COL_U32),
	COL_EXTRA(V_A_LINK_ID, "link", COL_U32),
	COL_EXTRA(V_A_LINK_ENDPOINT, "endpoint", COL_SOCKADDR),
	COL_OPT(V_A_MAP_PATHS, "paths", COL_PATHS),
};

static const struct col group_cols[] = {
	COL(V_A_GROUP_ID, "group", COL_ID),
	COL_LIST(V_A_GROUP_MEMBERS, "members", V_A_GROUP_MEMBER),
};

static const struct dump_view proc_view = {
	V_CMD_PROC_GET, "cannot list V processes", proc_cols, ARRAY_SIZE(proc_cols), false };
static const struct dump_view alien_view = {
	V_CMD_ALIEN_GET, "cannot list aliens", alien_cols, ARRAY_SIZE(alien_cols), false };
static const struct dump_view map_view = {
	V_CMD_MAP_GET, "cannot show the mapping table", map_cols, ARRAY_SIZE(map_cols), false };
static const struct dump_view group_view = {
	V_CMD_GROUP_GET, "cannot list groups", group_cols, ARRAY_SIZE(group_cols), true };

static void print_id(const struct nlattr *a, bool json)
{
	printf(json ? "\"0x%016" PRIx64 "\"" : "0x%016" PRIx64, (uint64_t)nla_get_u64(a));
}

/*
 * A COL_IDLIST nest: ids of type member, each 8 bytes.  Types 0 and V_A_PAD
 * are padding (nla_put_u64_64bit); other types are skipped as unknown.
 */
static bool idlist_ok(const struct nlattr *list, int member)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, list, rem)
		if (nla_type(a) == member && nla_len(a) != sizeof(uint64_t))
			return false;
	return rem <= 0;	/* nothing truncated left over */
}

/* The ids of an id list, comma-separated; *listed: one was printed before. */
static void print_ids(const struct nlattr *list, int member, bool json, bool *listed)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, list, rem) {
		if (nla_type(a) != member)
			continue;
		printf(*listed ? "," : "");
		print_id(a, json);
		*listed = true;
	}
}

/* The end of an id list: "-" in text when it was empty; JSON closes it. */
static void end_idlist(bool json, bool listed)
{
	printf(json ? "]" : listed ? "" : "-");
}

/* Text: comma-separated, "-" when empty; JSON: an array. */
static void print_idlist(const struct nlattr *list, int member, bool json)
{
	bool listed = false;

	printf(json ? "[" : "");
	print_ids(list, member, json, &listed);
	end_idlist(json, listed);
}

static const char *const path_states[] = { "up", "silent", "current" };

/*
 * A map entry's paths.  Text: LINK:STATE, comma-separated ("5:current,
 * 1073741824:up"); JSON: an array of {"link", "state", "cwnd", "age_ms",
 * and "addr" (Ethernet) or "endpoint" (UDP)}.
 */
static void print_paths(const struct nlattr *list, bool json)
{
	struct nlattr *a, *tb[V_A_MAX + 1];
	char buf[VCTL_ADDRSTRLEN];
	const char *st;
	bool first = true;
	uint8_t v;
	int rem;

	printf(json ? "[" : "");
	nla_for_each_nested(a, list, rem) {
		if (nla_type(a) != V_A_MAP_PATH ||
		    nla_parse_nested(tb, V_A_MAX, a, NULL) < 0 || !tb[V_A_LINK_ID] ||
		    !tb[V_A_MAP_PATH_STATE])
			continue;
		v = nla_get_u8(tb[V_A_MAP_PATH_STATE]);
		st = v < ARRAY_SIZE(path_states) ? path_states[v] : "?";
		if (!json) {
			printf("%s%" PRIu32 ":%s", first ? "" : ",", nla_get_u32(tb[V_A_LINK_ID]), st);
			first = false;
			continue;
		}
		printf("%s{\"link\":%" PRIu32 ",\"state\":\"%s\"", first ? "" : ",",
		       nla_get_u32(tb[V_A_LINK_ID]), st);
		first = false;
		if (tb[V_A_MAP_CWND])
			printf(",\"cwnd\":%" PRIu32, nla_get_u32(tb[V_A_MAP_CWND]));
		if (tb[V_A_MAP_AGE_MS])
			printf(",\"age_ms\":%" PRIu32, nla_get_u32(tb[V_A_MAP_AGE_MS]));
		if (tb[V_A_LINK_ADDR] && nla_len(tb[V_A_LINK_ADDR]) >= ETH_ALEN) {
			printf(",\"addr\":\"");
			print_mac(nla_data(tb[V_A_LINK_ADDR]));
			printf("\"");
		}
		if (tb[V_A_LINK_ENDPOINT] && vctl_sockaddr_str(tb[V_A_LINK_ENDPOINT], buf, sizeof(buf))) {
			printf(",\"endpoint\":");
			vtool_json_string(buf);
		}
		printf("}");
	}
	printf(json ? "]" : first ? "-" : "");
}

static void print_col(const struct col *c, struct nlattr *a, bool json)
{
	if (!a) {		/* optional, and this module did not send it */
		printf(json ? "null" : "-");
		return;
	}
	switch (c->type) {
	case COL_ID:
		print_id(a, json);
		break;
	case COL_U8:
		printf("%u", nla_get_u8(a));
		break;
	case COL_U32:
		printf("%" PRIu32, nla_get_u32(a));
		break;
	case COL_HOSTPART:
		printf(json ? "%" PRIu32 : "0x%08" PRIx32, nla_get_u32(a));
		break;
	case COL_MAC:
		printf(json ? "\"" : "");
		print_mac(nla_data(a));
		printf(json ? "\"" : "");
		break;
	case COL_ENUM: {
		uint8_t v = nla_get_u8(a);

		if (v < c->nnames)
			printf(json ? "\"%s\"" : "%s", c->names[v]);
		else
			printf(json ? "\"%u\"" : "%u", v);
		break;
	}
	case COL_IDLIST:
		print_idlist(a, c->member, json);
		break;
	case COL_PATHS:
		print_paths(a, json);
		break;
	case COL_SOCKADDR: {
		char buf[VCTL_ADDRSTRLEN];

		vctl_sockaddr_str(a, buf, sizeof(buf));	/* checked by col_ok() */
		if (json)
			vtool_json_string(buf);
		else
			printf("%s", buf);
		break;
	}
	}
}

static bool col_ok(const struct col *c, const struct nlattr *a)
{
	static const int min_len[] = {
		[COL_ID] = 8, [COL_U8] = 1, [COL_U32] = 4, [COL_HOSTPART] = 4,
		[COL_MAC] = ETH_ALEN, [COL_ENUM] = 1, [COL_IDLIST] = 0, [COL_SOCKADDR] = 0,
		[COL_PATHS] = 0,
	};
	char buf[VCTL_ADDRSTRLEN];

	if (!a)
		return c->optional;
	if (nla_len(a) < min_len[c->type])
		return false;
	if (c->type == COL_SOCKADDR)
		return vctl_sockaddr_str(a, buf, sizeof(buf));
	return c->type != COL_IDLIST || idlist_ok(a, c->member);
}

/* The column of attribute attr in view v (there is one: see COL_ALT). */
static const struct col *col_of(const struct dump_view *v, int attr)
{
	size_t i;

	for (i = 0; i < v->ncols; i++)
		if (v->cols[i].attr == attr && v->cols[i].extra)
			return &v->cols[i];
	return NULL;
}

/* A joined row left open (its id list may have gone on) ends here. */
static void row_close(struct dump_state *d)
{
	if (!d->open)
		return;
	end_idlist(d->json, d->listed);
	printf(d->json ? "}" : "\n");
	d->open = false;
}

static int parse_row(struct nlmsghdr *nlh, void *arg)
{
	struct dump_state *d = arg;
	const struct dump_view *v = d->view;
	const struct col *last = &v->cols[v->ncols - 1];
	struct nlattr *tb[V_A_MAX + 1];
	size_t i;

	if (genlmsg_parse(nlh, 0, tb, V_A_MAX, NULL) < 0)
		return -1;
	for (i = 0; i < v->ncols; i++)
		if (!col_ok(&v->cols[i], tb[v->cols[i].attr]))
			return -1;
	if (v->join) {
		uint64_t key = nla_get_u64(tb[v->cols[0].attr]);

		if (d->open && key == d->key) {
			print_ids(tb[last->attr], last->member, d->json, &d->listed);
			return 0;
		}
		row_close(d);
		d->key = key;
	}
	printf(d->json ? "%s{" : "", d->n ? "," : "");
	for (i = 0; i < v->ncols; i++) {
		const struct col *c = &v->cols[i];

		if (c->extra && (!d->json || !tb[c->attr]))
			continue;
		if (!d->json && c->alt && !tb[c->attr] && tb[c->alt])
			c = col_of(v, c->alt);
		printf(d->json ? "%s\"%s\":" : "%s%s ", i ? (d->json ? "," : "  ") : "",
		       c->name);
		if (v->join && c == last) {
			printf(d->json ? "[" : "");
			d->listed = false;
			print_ids(tb[last->attr], last->member, d->json, &d->listed);
			d->open = true;
			break;
		}
		print_col(c, tb[c->attr], d->json);
	}
	d->n++;
	if (!d->open)
		printf(d->json ? "}" : "\n");
	return 0;
}

static int dump_show(struct vnl *v, void *arg)
{
	struct dump_state *d = arg;
	struct nl_msg *msg = new_request(v, d->view->cmd, NLM_F_DUMP);
	int rc;

	if (!msg) {
		fprintf(stderr, "vctl: %s: %s\n", d->view->what, strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	if (d->json)
		printf("[");
	rc = transact(v, msg, d->view->what, parse_row, d);
	row_close(d);
	if (d->json)
		printf("]\n");
	return rc;
}

bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help");
}

bool help_asked(int argc, char **argv, const char *help)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(help, stdout);
			return true;
		}
	}
	return false;
}

int tail_opts(int argc, char **argv, const char *cmd, const char *help, bool *json)
{
	int i;

	if (help_asked(argc, argv, help))
		return EXIT_OK;
	for (i = 0; i < argc; i++) {
		if (json && (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))) {
			*json = true;
			continue;
		}
		fprintf(stderr, "vctl: %s: unexpected argument '%s'\n", cmd, argv[i]);
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int with_vnl(int (*fn)(struct vnl *, void *), void *arg)
{
	struct vnl v;
	int rc = open_vnl(&v);

	if (rc)
		return rc;
	rc = fn(&v, arg);
	close_vnl(&v);
	return rc;
}

struct show_args {
	bool json, stats_only;
};

static int run_host_show(struct vnl *v, void *arg)
{
	struct show_args *a = arg;

	return host_show(v, a->json, a->stats_only);
}

static int run_set(struct vnl *v, void *arg)
{
	return do_set(v, arg);
}

static int run_map_del(struct vnl *v, void *arg)
{
	uint32_t part = *(uint32_t *)arg;
	char what[64];

	snprintf(what, sizeof(what), "cannot delete the mapping entry of host part 0x%08" PRIx32,
		 part);
	return request_u32(v, V_CMD_MAP_DEL, V_A_MAP_HOST, part, what);
}

static int cmd_host(int argc, char **argv, bool json)
{
	struct show_args sa = { .json = json };
	int skip = (argc > 0 && (!strcmp(argv[0], "show") || !strcmp(argv[0], "list")));
	int rc;

	if (argc > 0 && !skip && argv[0][0] != '-' && !is_help(argv[0])) {
		fprintf(stderr, "vctl: host: unknown command '%s'\n", argv[0]);
		fputs(usage_host, stderr);
		return EXIT_USAGE;
	}
	rc = tail_opts(argc - skip, argv + skip, "host show", usage_host, &sa.json);
	return rc >= 0 ? rc : with_vnl(run_host_show, &sa);
}

static int cmd_stats(int argc, char **argv, bool json)
{
	struct show_args sa = { .json = json, .stats_only = true };
	int skip = (argc > 0 && !strcmp(argv[0], "show"));
	int rc = tail_opts(argc - skip, argv + skip, "stats", usage_stats, &sa.json);

	return rc >= 0 ? rc : with_vnl(run_host_show, &sa);
}

/* vctl proc|alien|map|group [show] [-j] */
static int cmd_dump(int argc, char **argv, bool json, const char *cmd, const char *usage,
		    const struct dump_view *view)
{
	struct dump_state d = { .view = view, .json = json };
	int skip = (argc > 0 && (!strcmp(argv[0], "show") || !strcmp(argv[0], "list")));
	int rc;

	if (argc > 0 && !skip && argv[0][0] != '-' && !is_help(argv[0])) {
		fprintf(stderr, "vctl: %s: unknown command '%s'\n", cmd, argv[0]);
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	rc = tail_opts(argc - skip, argv + skip, cmd, usage, &d.json);
	return rc >= 0 ? rc : with_vnl(dump_show, &d);
}

/* vctl map del host HOSTPART (argv after "del") */
static int cmd_map_del(int argc, char **argv)
{
	uint32_t part;

	if (help_asked(argc, argv, usage_map))
		return EXIT_OK;
	if (argc == 0 || strcmp(argv[0], "host")) {
		if (argc)
			fprintf(stderr, "vctl: map del: unexpected argument '%s'\n", argv[0]);
		else
			fprintf(stderr, "vctl: map del: which entry? (host HOSTPART)\n");
		fputs(usage_map, stderr);
		return EXIT_USAGE;
	}
	if (argc < 2) {
		fprintf(stderr, "vctl: map del: host needs a value\n");
		return EXIT_USAGE;
	}
	if (argc > 2) {
		fprintf(stderr, "vctl: map del: unexpected argument '%s'\n", argv[2]);
		fputs(usage_map, stderr);
		return EXIT_USAGE;
	}
	if (!parse_arg("map del", "host", argv[1], 1, V_ID_HOST_MASK, &part))
		return EXIT_USAGE;
	return with_vnl(run_map_del, &part);
}

/* vctl map [show] [-j] | vctl map del ... */
static int cmd_map(int argc, char **argv, bool json)
{
	if (argc > 0 && (!strcmp(argv[0], "del") || !strcmp(argv[0], "delete")))
		return cmd_map_del(argc - 1, argv + 1);
	return cmd_dump(argc, argv, json, "map show", usage_map, &map_view);
}

static int cmd_set(int argc, char **argv)
{
	struct set_req r = { 0 };
	int rc;

	if (help_asked(argc, argv, usage_set))
		return EXIT_OK;
	rc = parse_set(argc, argv, &r);
	if (!rc)
		rc = with_vnl(run_set, &r);
	memset(r.key, 0, sizeof(r.key));
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	const char *cmd;
	int opt;

	opterr = 0;	/* report bad options as "vctl: ..." ourselves */
	while ((opt = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_main, stdout);
			return EXIT_OK;
		default:
			if (optopt)
				fprintf(stderr, "vctl: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "vctl: unknown option '%s'\n", argv[optind - 1]);
			fputs(usage_main, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vctl: no command given\n");
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(cmd, "link"))
		return vctl_link_cmd(argc, argv, json);
	if (!strcmp(cmd, "host"))
		return cmd_host(argc, argv, json);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc, argv, json);
	if (!strcmp(cmd, "set"))
		return cmd_set(argc, argv);
	if (!strcmp(cmd, "proc") && argc > 0 && vctl_proc_is_control(argv[0]))
		return vctl_proc_control(argc, argv, json);
	if (!strcmp(cmd, "proc"))
		return cmd_dump(argc, argv, json, "proc show", usage_proc, &proc_view);
	if (!strcmp(cmd, "alien"))
		return cmd_dump(argc, argv, json, "alien show", usage_alien, &alien_view);
	if (!strcmp(cmd, "map"))
		return cmd_map(argc, argv, json);
	if (!strcmp(cmd, "group"))
		return cmd_dump(argc, argv, json, "group show", usage_group, &group_view);
	if (!strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return EXIT_OK;
	}
	fprintf(stderr, "vctl: unknown command '%s'\n", cmd);
	fputs(usage_main, stderr);
	return EXIT_USAGE;
}
