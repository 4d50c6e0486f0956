// SPDX-License-Identifier: GPL-2.0
/*
 * vctl link show|add|del: the links that carry V frames ("Links." in
 * <linux/v.h>).  An Ethernet link is an interface, named by its ifname
 * (its id is its ifindex); a UDP link is a socket vkmod binds to a local
 * address and port, sending what goes to every host to its peers, and is
 * named by the id vkmod gives it (V_LINK_ID_UDP and up).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <linux/v.h>
#include "parse.h"
#include "vctl.h"
#include "vctl_link.h"

/* The largest mtu a UDP link takes (<linux/v.h>). */
#define UDP_MTU_MAX	((size_t)V_UDP_MTU_MAX)


static const char usage_link[] =
	"Usage: " LINK_SYNOPSIS
	"\n"
	"Show the links that carry V frames in this network namespace, add one or\n"
	"remove one (adding and removing need CAP_NET_ADMIN).  A link is an Ethernet\n"
	"interface (raw V frames) or a UDP socket (V frames in UDP datagrams over\n"
	"IPv4 or IPv6, across routers).  Each has an id: an Ethernet link's is its\n"
	"ifindex, a UDP link's 0x40000000 (1073741824) or more.\n"
	"\n"
	"  add dev IFNAME [insecure]  attach the Ethernet interface IFNAME\n"
	"  add udp local ADDR[:PORT]  bind a UDP socket to ADDR (an address of\n"
	"                             this host) and PORT (default 6180)\n"
	"      peer ADDR[:PORT]       a host at the other end, sent what goes to\n"
	"                             every host; up to 64, all of the local\n"
	"                             address's family\n"
	"      mtu N                  576..16384: the largest V frame the link\n"
	"                             carries (default 1500 less the IP and UDP\n"
	"                             headers); lowered when a route carries less\n"
	"  del dev IFNAME, del ID     detach an Ethernet link, or any link by its id\n"
	"\n"
	"ADDR is an IPv4 or IPv6 address; an IPv6 one with a port is written in\n"
	"brackets, [fd00::1]:6180.  'add' prints nothing, or with -j the new link's\n"
	"id, {\"id\":N}.\n"
	"\n"
	"Links are secure by default: a host attaches a link only once it has a\n"
	"cluster key ('vctl set key'), and keeps the key while such a link is\n"
	"attached.  'insecure' attaches an Ethernet link without a key: any machine\n"
	"on it can then forge any V host's frames.  A UDP link always needs the key:\n"
	"it has no insecure mode.\n"
	"\n"
	"show: one line per link,\n"
	"  IFINDEX: IFNAME mtu N addr MAC state up|down [insecure] paths C/P\n"
	"  ID: udp mtu N local ADDR:PORT peers ADDR:PORT,... state up paths C/P\n"
	"(peers: '-' for none; paths: of the P paths of the mapping table on the\n"
	"link, C are their host parts' current ones).  With -j, an array of objects\n"
	"with the keys id, kind (\"eth\" or \"udp\"), mtu, up and insecure, ifindex,\n"
	"ifname and addr (Ethernet) or local and peers (UDP: \"ADDR:PORT\"\n"
	"strings), then paths and current.\n";

/* ------------------------------------------------------------------------ */
/* UDP link addresses                                                        */

/* A struct sockaddr_in or sockaddr_in6, as V_A_LINK_LOCAL / _PEER carry it. */
struct endpoint {
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

bool vctl_sockaddr_str(const struct nlattr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;

	buf[0] = '\0';
	if (nla_len(a) == sizeof(s4)) {
		memcpy(&s4, nla_data(a), sizeof(s4));
		if (s4.sin_family != AF_INET || !inet_ntop(AF_INET, &s4.sin_addr, ip, sizeof(ip)))
			return false;
		snprintf(buf, len, "%s:%u", ip, ntohs(s4.sin_port));
		return true;
	}
	if (nla_len(a) == sizeof(s6)) {
		memcpy(&s6, nla_data(a), sizeof(s6));
		if (s6.sin6_family != AF_INET6 ||
		    !inet_ntop(AF_INET6, &s6.sin6_addr, ip, sizeof(ip)))
			return false;
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6.sin6_port));
		return true;
	}
	return false;
}

/*
 * ADDR[:PORT] of a UDP link, role "local" or "peer": A.B.C.D[:PORT],
 * [IPV6][:PORT] or a bare IPV6 (no port); port 0 when none is given
 * (vkmod's V_UDP_PORT).  Reports what is wrong and returns false.
 */
static bool parse_endpoint(const char *role, const char *arg, struct endpoint *e)
{
	char host[INET6_ADDRSTRLEN];
	const char *s = arg;
	const char *port = NULL, *end;
	bool bracket = s[0] == '[';
	size_t n;
	uint64_t p = 0;

	memset(e, 0, sizeof(*e));
	if (bracket) {
		end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':'))
			goto bad;
		n = (size_t)(end - s - 1);
		s++;
		if (end[1])
			port = end + 2;
	} else if ((end = strchr(s, ':')) && !strchr(end + 1, ':')) {
		n = (size_t)(end - s);			/* one colon: A.B.C.D:PORT */
		port = end + 1;
	} else {
		n = strlen(s);				/* A.B.C.D, or IPV6 alone */
	}
	if (n >= sizeof(host))
		goto bad;
	memcpy(host, s, n);
	host[n] = '\0';
	if (!bracket && inet_pton(AF_INET, host, &e->u.in.sin_addr) == 1) {
		e->u.in.sin_family = AF_INET;
		e->len = sizeof(e->u.in);
	} else if (inet_pton(AF_INET6, host, &e->u.in6.sin6_addr) == 1) {
		e->u.in6.sin6_family = AF_INET6;
		e->len = sizeof(e->u.in6);
	} else {
		goto bad;
	}
	if (port && vtool_parse_u64(port, 1, UINT16_MAX, &p)) {
		fprintf(stderr, "vctl: link add udp: %s '%s': the port wants 1..%u (leave it out "
			"for %u)\n", role, arg, UINT16_MAX, V_UDP_PORT);
		return false;
	}
	if (e->len == sizeof(e->u.in))
		e->u.in.sin_port = htons((uint16_t)p);
	else
		e->u.in6.sin6_port = htons((uint16_t)p);
	return true;
bad:
	fprintf(stderr, "vctl: link add udp: %s '%s' is not an address: want A.B.C.D[:PORT], "
		"[IPV6][:PORT] or IPV6\n", role, arg);
	return false;
}

/* The same address and port (port 0 being V_UDP_PORT), as vkmod sees them. */
static bool endpoint_eq(const struct endpoint *a, const struct endpoint *b)
{
	uint16_t pa, pb;

	if (a->len != b->len)
		return false;
	if (a->len == sizeof(a->u.in)) {
		pa = ntohs(a->u.in.sin_port);
		pb = ntohs(b->u.in.sin_port);
		if (a->u.in.sin_addr.s_addr != b->u.in.sin_addr.s_addr)
			return false;
	} else {
		pa = ntohs(a->u.in6.sin6_port);
		pb = ntohs(b->u.in6.sin6_port);
		if (memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, sizeof(struct in6_addr)))
			return false;
	}
	return (pa ? pa : V_UDP_PORT) == (pb ? pb : V_UDP_PORT);
}

static bool endpoint_any(const struct endpoint *e)
{
	return e->len == sizeof(e->u.in) ? e->u.in.sin_addr.s_addr == htonl(INADDR_ANY) :
					   IN6_IS_ADDR_UNSPECIFIED(&e->u.in6.sin6_addr);
}

/* ------------------------------------------------------------------------ */
/* link show                                                                 */

struct link_info {
	uint32_t id, ifindex, mtu;
	uint8_t kind;			/* enum v_link_kind */
	char ifname[IF_NAMESIZE];
	uint8_t addr[ETH_ALEN];
	bool up;
	bool insecure;
	bool has_paths;			/* a vkmod with paths sent the two below */
	uint32_t paths, current;
	char local[VCTL_ADDRSTRLEN];
	char (*peers)[VCTL_ADDRSTRLEN];
	size_t npeers;
};

struct link_list {
	struct link_info *v;
	size_t n, cap;
};

static struct nla_policy link_policy[V_A_MAX + 1] = {
	[V_A_LINK_IFINDEX] = { .type = NLA_U32 },
	[V_A_LINK_IFNAME]  = { .type = NLA_STRING, .maxlen = IF_NAMESIZE },
	[V_A_LINK_MTU]	   = { .type = NLA_U32 },
	[V_A_LINK_ADDR]	   = { .type = NLA_UNSPEC, .minlen = ETH_ALEN, .maxlen = ETH_ALEN },
	[V_A_LINK_UP]	   = { .type = NLA_U8 },
	[V_A_LINK_INSECURE] = { .type = NLA_FLAG },
	[V_A_LINK_ID]	   = { .type = NLA_U32 },
	[V_A_LINK_KIND]	   = { .type = NLA_U8 },
	[V_A_LINK_PEERS]   = { .type = NLA_NESTED },
};

/* A UDP link's local address and peers; false if one is not a sockaddr. */
static bool parse_udp_link(struct link_info *li, struct nlattr **tb)
{
	struct nlattr *a;
	size_t n = 0;
	int rem;

	if (!tb[V_A_LINK_LOCAL] || !vctl_sockaddr_str(tb[V_A_LINK_LOCAL], li->local,
						       sizeof(li->local)))
		return false;
	if (!tb[V_A_LINK_PEERS])
		return true;
	nla_for_each_nested(a, tb[V_A_LINK_PEERS], rem)
		n += nla_type(a) == V_A_LINK_PEER;
	if (!n)
		return true;
	li->peers = calloc(n, sizeof(*li->peers));
	if (!li->peers)
		return false;
	nla_for_each_nested(a, tb[V_A_LINK_PEERS], rem) {
		if (nla_type(a) != V_A_LINK_PEER)
			continue;
		if (!vctl_sockaddr_str(a, li->peers[li->npeers], sizeof(li->peers[0])))
			return false;
		li->npeers++;
	}
	return true;
}

/*
 * One link.  A vkmod older than link ids sends neither V_A_LINK_ID nor
 * V_A_LINK_KIND: its links are Ethernet ones, whose id is the ifindex.
 */
static int parse_link(struct nlmsghdr *nlh, void *arg)
{
	struct link_list *l = arg;
	struct nlattr *tb[V_A_MAX + 1];
	struct link_info *li;
	uint8_t kind;

	if (genlmsg_parse(nlh, 0, tb, V_A_MAX, link_policy) < 0)
		return -1;
	kind = tb[V_A_LINK_KIND] ? nla_get_u8(tb[V_A_LINK_KIND]) : V_LINK_KIND_ETH;
	if (!tb[V_A_LINK_MTU] || !tb[V_A_LINK_UP])
		return -1;
	if (kind == V_LINK_KIND_ETH &&
	    (!tb[V_A_LINK_IFINDEX] || !tb[V_A_LINK_IFNAME] || !tb[V_A_LINK_ADDR]))
		return -1;
	if (kind != V_LINK_KIND_ETH && !tb[V_A_LINK_ID])
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct link_info *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -1;
		l->v = nv;
		l->cap = cap;
	}
	li = &l->v[l->n++];
	memset(li, 0, sizeof(*li));
	li->kind = kind;
	li->mtu = nla_get_u32(tb[V_A_LINK_MTU]);
	li->up = nla_get_u8(tb[V_A_LINK_UP]) != 0;
	li->insecure = tb[V_A_LINK_INSECURE] != NULL;
	li->has_paths = tb[V_A_LINK_PATHS] && tb[V_A_LINK_PATHS_CURRENT];
	if (li->has_paths) {
		li->paths = nla_get_u32(tb[V_A_LINK_PATHS]);
		li->current = nla_get_u32(tb[V_A_LINK_PATHS_CURRENT]);
	}
	if (kind == V_LINK_KIND_ETH) {
		li->ifindex = nla_get_u32(tb[V_A_LINK_IFINDEX]);
		nla_strlcpy(li->ifname, tb[V_A_LINK_IFNAME], sizeof(li->ifname));
		nla_memcpy(li->addr, tb[V_A_LINK_ADDR], ETH_ALEN);
	}
	li->id = tb[V_A_LINK_ID] ? nla_get_u32(tb[V_A_LINK_ID]) : li->ifindex;
	if (kind == V_LINK_KIND_UDP && !parse_udp_link(li, tb))
		return -1;
	return 0;
}

/* A UDP link's peers: text "A,B" ('-' for none), JSON ["A","B"]. */
static void print_peers(const struct link_info *li, bool json)
{
	size_t i;

	printf(json ? "[" : li->npeers ? "" : "-");
	for (i = 0; i < li->npeers; i++) {
		printf(i ? "," : "");
		if (json)
			vtool_json_string(li->peers[i]);
		else
			printf("%s", li->peers[i]);
	}
	printf(json ? "]" : "");
}

static void print_link_json(const struct link_info *li)
{
	printf("{\"id\":%" PRIu32 ",\"kind\":", li->id);
	if (li->kind == V_LINK_KIND_ETH)
		printf("\"eth\"");
	else if (li->kind == V_LINK_KIND_UDP)
		printf("\"udp\"");
	else
		printf("\"%u\"", li->kind);
	if (li->kind == V_LINK_KIND_ETH) {
		printf(",\"ifindex\":%" PRIu32 ",\"ifname\":", li->ifindex);
		vtool_json_string(li->ifname);
		printf(",\"mtu\":%" PRIu32 ",\"addr\":\"", li->mtu);
		print_mac(li->addr);
		printf("\"");
	} else {
		printf(",\"mtu\":%" PRIu32, li->mtu);
	}
	if (li->kind == V_LINK_KIND_UDP) {
		printf(",\"local\":");
		vtool_json_string(li->local);
		printf(",\"peers\":");
		print_peers(li, true);
	}
	printf(",\"up\":%s,\"insecure\":%s", li->up ? "true" : "false",
	       li->insecure ? "true" : "false");
	if (li->has_paths)
		printf(",\"paths\":%" PRIu32 ",\"current\":%" PRIu32, li->paths, li->current);
	printf("}");
}

/* Ethernet links print as they always have; UDP ones say udp where the ifname is. */
static void print_link_text(const struct link_info *li)
{
	if (li->kind == V_LINK_KIND_ETH) {
		printf("%" PRIu32 ": %s mtu %" PRIu32 " addr ", li->ifindex, li->ifname, li->mtu);
		print_mac(li->addr);
	} else if (li->kind == V_LINK_KIND_UDP) {
		printf("%" PRIu32 ": udp mtu %" PRIu32 " local %s peers ", li->id, li->mtu,
		       li->local);
		print_peers(li, false);
	} else {
		printf("%" PRIu32 ": kind %u mtu %" PRIu32, li->id, li->kind, li->mtu);
	}
	printf(" state %s%s", li->up ? "up" : "down", li->insecure ? " insecure" : "");
	if (li->has_paths)
		printf(" paths %" PRIu32 "/%" PRIu32, li->current, li->paths);
	printf("\n");
}

static int link_show(struct vnl *v, bool json)
{
	struct link_list l = { 0 };
	struct nl_msg *msg = new_request(v, V_CMD_LINK_GET, NLM_F_DUMP);
	size_t i;
	int rc;

	if (!msg) {
		fprintf(stderr, "vctl: link show: %s\n", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	rc = transact(v, msg, "cannot list V links", parse_link, &l);
	if (rc)
		goto out;
	if (json)
		printf("[");
	for (i = 0; i < l.n; i++) {
		if (json) {
			printf(i ? "," : "");
			print_link_json(&l.v[i]);
		} else {
			print_link_text(&l.v[i]);
		}
	}
	if (json)
		printf("]\n");
out:
	for (i = 0; i < l.n; i++)
		free(l.v[i].peers);
	free(l.v);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* link add and del                                                          */

struct link_args {
	bool add;
	bool json;		/* add: print {"id":N} */
	bool insecure;
	const char *ifname;	/* Ethernet, by name ... */
	unsigned int ifindex;
	uint32_t id;		/* ... or del by id */
	const char *local_arg;	/* UDP: as given, for messages */
	struct endpoint local;
	struct endpoint peers[V_UDP_PEERS_MAX];
	const char *peer_args[V_UDP_PEERS_MAX];
	size_t npeers;
	uint32_t mtu;		/* 0: vkmod's default */
};

/* The reply to V_CMD_LINK_ADD: the link's V_A_LINK_ID (older vkmods send none). */
struct link_added {
	bool have;
	uint32_t id;
};

static int parse_added(struct nlmsghdr *nlh, void *arg)
{
	static struct nla_policy policy[V_A_MAX + 1] = {
		[V_A_LINK_ID] = { .type = NLA_U32 },
	};
	struct link_added *r = arg;
	struct nlattr *tb[V_A_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, V_A_MAX, policy) < 0)
		return -1;
	if (tb[V_A_LINK_ID]) {
		r->id = nla_get_u32(tb[V_A_LINK_ID]);
		r->have = true;
	}
	return 0;
}

/* Send an add or del request; after an add, with json, print the new link's id. */
static int link_request(struct vnl *v, struct nl_msg *msg, const char *what,
			const struct link_args *a)
{
	struct link_added r = { 0 };
	int rc = transact(v, msg, what, a->add ? parse_added : NULL, &r);

	if (rc || !a->add || !a->json)
		return rc;
	if (!r.have && a->ifindex) {	/* an older vkmod: an Ethernet link's id */
		r.id = a->ifindex;
		r.have = true;
	}
	if (r.have)
		printf("{\"id\":%" PRIu32 "}\n", r.id);
	else
		printf("{\"id\":null}\n");
	return EXIT_OK;
}

static int nomem(struct nl_msg *msg, const char *what)
{
	nlmsg_free(msg);
	fprintf(stderr, "vctl: %s: %s\n", what, strerror(ENOMEM));
	return EXIT_RUNTIME;
}

/*
 * Attach (insecure: without a key) or detach an Ethernet link.  A vkmod
 * older than secure links has no V_A_LINK_INSECURE, and attaches every
 * link without a key: 'insecure' is then what it does anyway, so the flag
 * is left out.
 */
static int run_eth_change(struct vnl *v, void *arg)
{
	const struct link_args *a = arg;
	char what[64 + IF_NAMESIZE];
	struct nl_msg *msg;

	snprintf(what, sizeof(what), "cannot %s %s", a->add ? "attach" : "detach", a->ifname);
	if (a->insecure)
		v->maxattr = family_maxattr(v->sk);
	msg = new_request(v, a->add ? V_CMD_LINK_ADD : V_CMD_LINK_DEL, 0);
	if (!msg || nla_put_u32(msg, V_A_LINK_IFINDEX, a->ifindex) < 0)
		return nomem(msg, what);
	if (a->insecure && !(v->maxattr && v->maxattr < V_A_LINK_INSECURE) &&
	    nla_put_flag(msg, V_A_LINK_INSECURE) < 0)
		return nomem(msg, what);
	return link_request(v, msg, what, a);
}

/*
 * Detach the link of id a->id.  A vkmod older than link ids knows only
 * Ethernet links, whose id is their ifindex: it is asked by that.
 */
static int run_id_del(struct vnl *v, void *arg)
{
	const struct link_args *a = arg;
	char what[64];
	struct nl_msg *msg;
	int attr = V_A_LINK_ID;

	snprintf(what, sizeof(what), "cannot detach link %" PRIu32, a->id);
	v->maxattr = family_maxattr(v->sk);
	if (v->maxattr && v->maxattr < V_A_LINK_ID) {
		if (a->id >= V_LINK_ID_UDP) {
			fprintf(stderr, "vctl: %s: %s (this vkmod has Ethernet links only)\n",
				what, strerror(ENOENT));
			return EXIT_RUNTIME;
		}
		attr = V_A_LINK_IFINDEX;
	}
	msg = new_request(v, V_CMD_LINK_DEL, 0);
	if (!msg || nla_put_u32(msg, attr, a->id) < 0)
		return nomem(msg, what);
	return link_request(v, msg, what, a);
}

static int run_udp_add(struct vnl *v, void *arg)
{
	const struct link_args *a = arg;
	char what[128];
	struct nl_msg *msg;
	struct nlattr *nest;
	size_t i;

	snprintf(what, sizeof(what), "cannot add a UDP link on %s", a->local_arg);
	v->maxattr = family_maxattr(v->sk);
	if (v->maxattr && v->maxattr < V_A_LINK_PEER) {
		fprintf(stderr, "vctl: %s: %s (this vkmod is older than UDP links)\n", what,
			strerror(EOPNOTSUPP));
		return EXIT_RUNTIME;
	}
	/* Room for every peer: more than a default-sized message holds. */
	msg = new_request_size(v, V_CMD_LINK_ADD, 0,
			       1024 + (a->npeers + 1) * nla_total_size(sizeof(struct sockaddr_in6)));
	if (!msg || nla_put_u8(msg, V_A_LINK_KIND, V_LINK_KIND_UDP) < 0 ||
	    nla_put(msg, V_A_LINK_LOCAL, (int)a->local.len, &a->local.u) < 0)
		return nomem(msg, what);
	if (a->npeers) {
		nest = nla_nest_start(msg, V_A_LINK_PEERS);
		if (!nest)
			return nomem(msg, what);
		for (i = 0; i < a->npeers; i++)
			if (nla_put(msg, V_A_LINK_PEER, (int)a->peers[i].len, &a->peers[i].u) < 0)
				return nomem(msg, what);
		nla_nest_end(msg, nest);
	}
	if (a->mtu && nla_put_u32(msg, V_A_LINK_MTU, a->mtu) < 0)
		return nomem(msg, what);
	return link_request(v, msg, what, a);
}

static int run_link_show(struct vnl *v, void *arg)
{
	return link_show(v, *(bool *)arg);
}

static int usage_error(void)
{
	fputs(usage_link, stderr);
	return EXIT_USAGE;
}

/* Take -j/--json out of argv (add prints the new id with it). */
static int take_json(int argc, char **argv, bool *json)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			*json = true;
		else
			argv[n++] = argv[i];
	}
	return n;
}

/* link add udp local ADDR[:PORT] [peer ADDR[:PORT]]... [mtu N] (argv after "udp") */
static int cmd_udp_add(int argc, char **argv, struct link_args *a)
{
	uint64_t mtu;
	size_t j, k;
	int i;

	for (i = 0; i < argc; i += 2) {
		const char *key = argv[i];

		if (!strcmp(key, "insecure")) {
			fprintf(stderr, "vctl: link add udp: a UDP link has no insecure mode: it "
				"needs the cluster key ('vctl set key')\n");
			return EXIT_USAGE;
		}
		if (strcmp(key, "local") && strcmp(key, "peer") && strcmp(key, "mtu")) {
			fprintf(stderr, "vctl: link add udp: unexpected argument '%s'\n", key);
			return usage_error();
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "vctl: link add udp: %s needs a value\n", key);
			return EXIT_USAGE;
		}
		if ((!strcmp(key, "local") && a->local_arg) || (!strcmp(key, "mtu") && a->mtu)) {
			fprintf(stderr, "vctl: link add udp: %s given twice\n", key);
			return EXIT_USAGE;
		}
		if (!strcmp(key, "local")) {
			a->local_arg = argv[i + 1];
			if (!parse_endpoint("local", argv[i + 1], &a->local))
				return EXIT_USAGE;
		} else if (!strcmp(key, "mtu")) {
			if (vtool_parse_u64(argv[i + 1], V_UDP_MTU_MIN, UDP_MTU_MAX, &mtu)) {
				fprintf(stderr, "vctl: link add udp: mtu wants %u..%zu (decimal or "
					"0x hex), not '%s'\n", V_UDP_MTU_MIN, UDP_MTU_MAX,
					argv[i + 1]);
				return EXIT_USAGE;
			}
			a->mtu = (uint32_t)mtu;
		} else if (a->npeers == V_UDP_PEERS_MAX) {
			fprintf(stderr, "vctl: link add udp: more than %u peers\n",
				V_UDP_PEERS_MAX);
			return EXIT_USAGE;
		} else {
			a->peer_args[a->npeers] = argv[i + 1];
			if (!parse_endpoint("peer", argv[i + 1], &a->peers[a->npeers++]))
				return EXIT_USAGE;
		}
	}
	if (!a->local_arg) {
		fprintf(stderr, "vctl: link add udp: which local address? (local ADDR[:PORT])\n");
		return usage_error();
	}
	if (endpoint_any(&a->local)) {
		fprintf(stderr, "vctl: link add udp: the local address must be one of this "
			"host's, not the wildcard\n");
		return EXIT_USAGE;
	}
	for (j = 0; j < a->npeers; j++) {
		const char *s = a->peer_args[j];

		if (a->peers[j].len != a->local.len) {
			fprintf(stderr, "vctl: link add udp: peer %s is not of the local address's "
				"family (IPv%c)\n", s, a->local.len == sizeof(a->local.u.in) ?
				'4' : '6');
			return EXIT_USAGE;
		}
		if (endpoint_any(&a->peers[j])) {
			fprintf(stderr, "vctl: link add udp: peer %s: a peer is one host's "
				"address, not the wildcard\n", s);
			return EXIT_USAGE;
		}
		if (endpoint_eq(&a->peers[j], &a->local)) {
			fprintf(stderr, "vctl: link add udp: peer %s is the local address\n", s);
			return EXIT_USAGE;
		}
		for (k = 0; k < j; k++) {
			if (endpoint_eq(&a->peers[j], &a->peers[k])) {
				fprintf(stderr, "vctl: link add udp: peer %s given twice\n", s);
				return EXIT_USAGE;
			}
		}
	}
	return with_vnl(run_udp_add, a);
}

/* A link id, 1..UINT32_MAX, decimal or 0x hex. */
static bool parse_id(const char *s, uint32_t *id)
{
	uint64_t v;

	if (vtool_parse_u64(s, 1, UINT32_MAX, &v))
		return false;
	*id = (uint32_t)v;
	return true;
}

/* link del [id] ID (argv from "id" or the id on; cmd: "del" or "delete") */
static int cmd_id_del(int argc, char **argv, const char *cmd, struct link_args *a)
{
	int i = !strcmp(argv[0], "id");

	if (i >= argc || !parse_id(argv[i], &a->id)) {
		if (i < argc)
			fprintf(stderr, "vctl: link %s: a link id is 1..%" PRIu32 " (decimal or "
				"0x hex), not '%s' ('dev %s' for an interface)\n", cmd, UINT32_MAX,
				argv[i], argv[i]);
		else
			fprintf(stderr, "vctl: link %s: id needs a value\n", cmd);
		return EXIT_USAGE;
	}
	if (++i < argc) {
		fprintf(stderr, "vctl: link %s: unexpected argument '%s'\n", cmd, argv[i]);
		return usage_error();
	}
	return with_vnl(run_id_del, a);
}

/*
 * link add|del [dev] IFNAME ..., link add udp ..., link del [id] ID: a word
 * that starts with a digit is a link id ('dev' for an interface named so).
 */
static int cmd_link_change(int argc, char **argv, bool json)
{
	struct link_args la = { .add = !strcmp(argv[0], "add"), .json = json };
	const char *cmd = argv[0];
	int i = 1;

	if (help_asked(argc - 1, argv + 1, usage_link))
		return EXIT_OK;
	if (la.add)
		argc = 1 + take_json(argc - 1, argv + 1, &la.json);
	if (la.add && i < argc && !strcmp(argv[i], "udp"))
		return cmd_udp_add(argc - 2, argv + 2, &la);
	if (!la.add && i < argc && (!strcmp(argv[i], "id") || isdigit((unsigned char)argv[i][0])))
		return cmd_id_del(argc - i, argv + i, cmd, &la);
	/* "dev IFNAME", or just "IFNAME" as ip(8) allows */
	if (i < argc && !strcmp(argv[i], "dev"))
		i++;
	if (i >= argc) {
		fprintf(stderr, "vctl: link %s: which %s? (%s)\n", cmd,
			la.add ? "interface" : "link", la.add ? "dev IFNAME, or udp ..." :
			"dev IFNAME, or ID");
		return usage_error();
	}
	la.ifname = argv[i++];
	if (la.add && i < argc && !strcmp(argv[i], "insecure")) {
		la.insecure = true;
		i++;
	}
	if (i < argc) {
		fprintf(stderr, "vctl: link %s: unexpected argument '%s'\n", cmd, argv[i]);
		return usage_error();
	}
	if (strlen(la.ifname) >= IF_NAMESIZE) {
		fprintf(stderr, "vctl: link %s: '%s' is too long for an interface name\n",
			cmd, la.ifname);
		return EXIT_USAGE;
	}
	la.ifindex = if_nametoindex(la.ifname);
	if (!la.ifindex) {
		fprintf(stderr, "vctl: no interface '%s' in this network namespace: %s\n",
			la.ifname, strerror(errno == ENXIO ? ENODEV : errno));
		return EXIT_RUNTIME;
	}
	return with_vnl(run_eth_change, &la);
}

int vctl_link_cmd(int argc, char **argv, bool json)
{
	int rc;

	if (argc == 0 || !strcmp(argv[0], "show") || !strcmp(argv[0], "list") ||
	    argv[0][0] == '-') {
		int skip = (argc > 0 && argv[0][0] != '-');

		rc = tail_opts(argc - skip, argv + skip, "link show", usage_link, &json);
		return rc >= 0 ? rc : with_vnl(run_link_show, &json);
	}
	if (strcmp(argv[0], "add") && strcmp(argv[0], "del") && strcmp(argv[0], "delete")) {
		if (is_help(argv[0])) {
			fputs(usage_link, stdout);
			return EXIT_OK;
		}
		fprintf(stderr, "vctl: link: unknown command '%s'\n", argv[0]);
		return usage_error();
	}
	return cmd_link_change(argc, argv, json);
}
