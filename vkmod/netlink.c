// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vkmod": attach interfaces, show and set a
 * host's settings and counters.  The commands and attributes are documented
 * in uapi/linux/v.h.  Everything is per network namespace (.netnsok);
 * changes need CAP_NET_ADMIN in the namespace's user namespace
 * (GENL_UNS_ADMIN_PERM).  Policies are strict: unknown attributes and
 * out-of-range values are rejected with an extack message.
 */
#include <linux/pid_namespace.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include "vkmod.h"

static struct netlink_range_validation v_host_part_range = {
	.min = 1, .max = V_ID_HOST_MASK,
};

static struct netlink_range_validation v_host_down_range = {
	.min = V_HOST_DOWN_MS_MIN, .max = V_HOST_DOWN_MS_MAX,
};

static struct netlink_range_validation v_max_aliens_range = {
	.min = 1, .max = V_MAX_ALIENS_MAX,
};

static struct netlink_range_validation v_max_aliens_host_range = {
	.min = 0, .max = V_MAX_ALIENS_MAX,
};

static struct netlink_range_validation v_group_window_range = {
	.min = V_GROUP_WINDOW_MS_MIN, .max = V_GROUP_WINDOW_MS_MAX,
};

static struct netlink_range_validation v_map_age_range = {
	.min = V_MAP_AGE_MS_MIN, .max = V_MAP_AGE_MS_MAX,
};

static struct netlink_range_validation v_max_members_range = {
	.min = 1, .max = V_MAX_MEMBERS_MAX,
};

static const struct nla_policy v_genl_policy[V_A_MAX + 1] = {
	[V_A_LINK_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[V_A_HOST_PART] = NLA_POLICY_FULL_RANGE(NLA_U32, &v_host_part_range),
	[V_A_HOST_DOWN_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &v_host_down_range),
	[V_A_HOST_MAX_ALIENS] = NLA_POLICY_FULL_RANGE(NLA_U32, &v_max_aliens_range),
	[V_A_HOST_MAX_ALIENS_HOST] = NLA_POLICY_FULL_RANGE(NLA_U32, &v_max_aliens_host_range),
	[V_A_MAP_HOST] = NLA_POLICY_FULL_RANGE(NLA_U32, &v_host_part_range),
	[V_A_HOST_GROUP_WINDOW_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &v_group_window_range),
	[V_A_HOST_MAP_AGE_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &v_map_age_range),
	[V_A_HOST_MAX_MEMBERS] = NLA_POLICY_FULL_RANGE(NLA_U32, &v_max_members_range),
	/* At most V_HOST_KEY_LEN bytes here; exactly that or 0 in the handler. */
	[V_A_HOST_KEY] = { .type = NLA_BINARY, .len = V_HOST_KEY_LEN },
	[V_A_LINK_INSECURE] = { .type = NLA_FLAG },
	[V_A_LINK_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[V_A_LINK_KIND] = NLA_POLICY_MAX(NLA_U8, V_LINK_KIND_UDP),
	[V_A_LINK_LOCAL] = NLA_POLICY_MIN_LEN(sizeof(struct sockaddr_in)),
	[V_A_LINK_PEERS] = { .type = NLA_NESTED },
	[V_A_LINK_MTU] = NLA_POLICY_RANGE(NLA_U32, V_UDP_MTU_MIN, V_UDP_MTU_MAX),
	[V_A_HOST_INHERIT_RT] = NLA_POLICY_MAX(NLA_U32, MAX_RT_PRIO - 1),
};

static struct genl_family v_genl_family;

static struct v_host *v_genl_host(struct genl_info *info)
{
	return v_host_get(genl_info_net(info));
}

/* A struct sockaddr_in or sockaddr_in6 attribute (port 0: V_UDP_PORT). */
static int v_genl_addr(const struct nlattr *nla, struct v_addr *a)
{
	const struct sockaddr_in6 *s6 = nla_data(nla);
	const struct sockaddr_in *s4 = nla_data(nla);

	memset(a, 0, sizeof(*a));
	if (nla_len(nla) == sizeof(*s4) && s4->sin_family == AF_INET) {
		a->family = V_ADDR_IP4;
		a->ip4 = s4->sin_addr.s_addr;
		a->port = s4->sin_port;
	} else if (nla_len(nla) == sizeof(*s6) && s6->sin6_family == AF_INET6) {
		a->family = V_ADDR_IP6;
		a->ip6 = s6->sin6_addr;
		a->port = s6->sin6_port;
		/* No scope is kept: link-local addresses would be ambiguous. */
		if (ipv6_addr_type(&a->ip6) & (IPV6_ADDR_LINKLOCAL | IPV6_ADDR_MAPPED))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (!a->port)
		a->port = htons(V_UDP_PORT);
	return 0;
}

/* Is p[n] one of p[0..n-1]? */
static bool v_genl_addr_dup(const struct v_addr *p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (v_addr_equal(&p[i], &p[n]))
			return true;
	return false;
}

/*
 * V_CMD_LINK_ADD of a UDP link (RTNL held): its local address and peers
 * from the attributes; the link's id, or an error (extack set).
 */
static int v_genl_udp_add(struct v_host *host, struct genl_info *info)
{
	struct nlattr *peers = info->attrs[V_A_LINK_PEERS], *nla;
	unsigned int n = 0, mtu = 0;
	struct v_addr local, *p;
	int rem, err;

	if (nla_get_flag(info->attrs[V_A_LINK_INSECURE])) {
		NL_SET_ERR_MSG(info->extack,
			       "a UDP link has no insecure mode: it needs the cluster key");
		return -EINVAL;
	}
	if (!info->attrs[V_A_LINK_LOCAL] || v_genl_addr(info->attrs[V_A_LINK_LOCAL], &local) ||
	    !v_addr_valid(&local)) {
		NL_SET_ERR_MSG(info->extack,
			       "a UDP link needs a local address of this host (not the wildcard, not link-local)");
		return -EINVAL;
	}
	if (info->attrs[V_A_LINK_MTU])
		mtu = nla_get_u32(info->attrs[V_A_LINK_MTU]);
	p = kcalloc(V_UDP_PEERS_MAX, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	err = 0;
	if (peers)
		nla_for_each_nested(nla, peers, rem) {
			if (n == V_UDP_PEERS_MAX) {
				NL_SET_ERR_MSG(info->extack, "more peers than V_UDP_PEERS_MAX");
				err = -E2BIG;
				break;
			}
			if (nla_type(nla) != V_A_LINK_PEER || v_genl_addr(nla, &p[n]) ||
			    v_addr_equal(&p[n], &local) || v_genl_addr_dup(p, n)) {
				NL_SET_ERR_MSG_ATTR(info->extack, nla,
						    "a peer is a sockaddr_in or sockaddr_in6, not link-local, not the local address, given once");
				err = -EINVAL;
				break;
			}
			n++;
		}
	if (!err) {
		err = v_udp_link_add(host, &local, p, n, mtu);
		if (err == -EINVAL)
			NL_SET_ERR_MSG(info->extack,
				       "peers must be addresses of the local address's family");
		else if (err == -ENOKEY)
			NL_SET_ERR_MSG(info->extack,
				       "a UDP link needs the cluster key (it has no insecure mode)");
		else if (err == -EADDRINUSE)
			NL_SET_ERR_MSG(info->extack, "local UDP port already in use");
		else if (err == -EADDRNOTAVAIL)
			NL_SET_ERR_MSG(info->extack, "not a local address");
		else if (err == -ENOSPC)
			NL_SET_ERR_MSG(info->extack, "V_UDP_LINKS_MAX UDP links already");
	}
	kfree(p);
	return err;
}

/*
 * Attach or detach (RTNL held): the link's id, or an error.  A UDP link
 * detached is left in *gone for v_link_put() once RTNL is dropped.
 */
static int v_genl_link_apply(struct v_host *host, struct genl_info *info, struct v_link **gone)
{
	struct nlattr **attrs = info->attrs;
	int id, err;

	if (info->genlhdr->cmd == V_CMD_LINK_DEL) {
		id = attrs[V_A_LINK_ID] ? nla_get_u32(attrs[V_A_LINK_ID]) :
		     nla_get_u32(attrs[V_A_LINK_IFINDEX]);
		/* By ifindex: an Ethernet link only (an id that high is a UDP link's). */
		if (!attrs[V_A_LINK_ID] && id >= V_LINK_ID_UDP)
			return -ENOENT;
		*gone = v_link_del(host, id, &err);
		return err;
	}
	if (attrs[V_A_LINK_KIND] && nla_get_u8(attrs[V_A_LINK_KIND]) == V_LINK_KIND_UDP)
		return v_genl_udp_add(host, info);
	if (GENL_REQ_ATTR_CHECK(info, V_A_LINK_IFINDEX))
		return -EINVAL;
	id = nla_get_u32(attrs[V_A_LINK_IFINDEX]);
	err = v_eth_link_add(host, id, nla_get_flag(attrs[V_A_LINK_INSECURE]));
	return err ?: id;
}

static int v_genl_link_reply(struct genl_info *info, int id)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	void *hdr;

	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &v_genl_family, 0, V_CMD_LINK_ADD);
	if (!hdr || nla_put_u32(msg, V_A_LINK_ID, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int v_genl_link_change_locked(struct v_host *host, struct genl_info *info)
{
	struct v_link *gone = NULL;
	int err;

	rtnl_lock();
	err = v_genl_link_apply(host, info, &gone);
	rtnl_unlock();
	v_link_put(host, gone);
	/* The claim waits for answers: not under RTNL. */
	if (err > 0 && info->genlhdr->cmd == V_CMD_LINK_ADD) {
		int id = err;

		err = v_map_claim(host);
		if (err) {
			int e;

			rtnl_lock();
			gone = v_link_del(host, id, &e);
			rtnl_unlock();
			v_link_put(host, gone);
			NL_SET_ERR_MSG(info->extack,
				       "host part already used by another host on this network");
			return err;
		}
		return v_genl_link_reply(info, id);
	}
	if (err == -ENODEV)
		NL_SET_ERR_MSG(info->extack, "no such interface");
	else if (err == -EINVAL && !info->extack->_msg)
		NL_SET_ERR_MSG(info->extack, "not an Ethernet interface");
	else if (err == -EEXIST)
		NL_SET_ERR_MSG(info->extack, "interface already attached to V");
	else if (err == -ENOENT && info->attrs[V_A_LINK_ID])
		NL_SET_ERR_MSG(info->extack, "link not attached to V");
	else if (err == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "interface not attached to V");
	else if (err == -ENOKEY && !info->extack->_msg)
		NL_SET_ERR_MSG(info->extack,
			       "no cluster key: set one first, or ask for an insecure link");
	return err;
}

static int v_genl_link_change(struct sk_buff *skb, struct genl_info *info)
{
	struct v_host *host = v_genl_host(info);
	int err;

	if (info->genlhdr->cmd == V_CMD_LINK_DEL && !info->attrs[V_A_LINK_ID] &&
	    GENL_REQ_ATTR_CHECK(info, V_A_LINK_IFINDEX))
		return -EINVAL;
	mutex_lock(&host->cfg_lock);
	err = v_genl_link_change_locked(host, info);
	mutex_unlock(&host->cfg_lock);
	return err;
}

static int v_genl_link_fill(struct sk_buff *skb, struct netlink_callback *cb,
			    struct v_link *l)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				&v_genl_family, NLM_F_MULTI, V_CMD_LINK_GET);
	u32 cur, paths = v_map_link_paths(l->host, l->id, &cur);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, V_A_LINK_ID, l->id) ||
	    nla_put_u32(skb, V_A_LINK_PATHS, paths) ||
	    nla_put_u32(skb, V_A_LINK_PATHS_CURRENT, cur) ||
	    nla_put_u8(skb, V_A_LINK_KIND, l->ops->kind) ||
	    l->ops->fill(l, skb) ||
	    (l->insecure && nla_put_flag(skb, V_A_LINK_INSECURE))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int v_genl_link_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct v_host *host = v_host_get(sock_net(skb->sk));
	long skip = cb->args[0], i = 0;
	struct v_link *l;
	int err = 0;

	rtnl_lock();
	list_for_each_entry(l, &host->links, node) {
		if (i++ < skip)
			continue;
		err = v_genl_link_fill(skb, cb, l);
		if (err)
			break;
		cb->args[0] = i;
	}
	rtnl_unlock();
	/*
	 * A link that does not fit an empty message (a UDP link's peers in a
	 * reader's small buffer) ends the dump with an error, not silently.
	 */
	return err && !skb->len ? err : skb->len;
}

/*
 * Dumps of processes, aliens and groups name who waits on whom, remote
 * clients and group members: the detail of a process goes to CAP_NET_ADMIN
 * over the namespace (checked as for the admin commands: the netlink
 * socket's opener and the caller), and otherwise only to the user that owns
 * its V socket (the caller's effective uid).
 */
bool v_genl_sees_all(struct netlink_callback *cb)
{
	return netlink_net_capable(cb->skb, CAP_NET_ADMIN);
}

bool v_genl_sees(bool all, const struct v_sock *vs)
{
	return all || (vs && uid_eq(vs->sk.sk_uid, current_euid()));
}

/* Start one message of a dump; NULL when the skb is full. */
void *v_genl_dump_start(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   &v_genl_family, NLM_F_MULTI, cmd);
}

/*
 * The creator of a process's socket as the dumping process numbers it: 0
 * when it is not in that pid namespace, or when its thread group is gone
 * (its number may be another process's by now); under rcu_read_lock().
 */
static u32 v_genl_proc_pid(const struct v_sock *vs)
{
	struct pid *pid = vs->creator;

	if (!pid_has_task(pid, PIDTYPE_TGID))
		return 0;
	return pid_nr_ns(pid, task_active_pid_ns(current));
}

/* What a process is doing, for V_CMD_PROC_GET; ipc_lock held. */
static u8 v_genl_proc_state(struct v_sock *vs, u64 *peer)
{
	struct v_txn *t = &vs->txn;

	*peer = 0;
	if (vs->dead)
		return V_PROC_SHUTDOWN;
	switch (t->state) {
	case V_TXN_QUEUED:
		*peer = t->holder->id;
		return V_PROC_QUEUED;
	case V_TXN_RECEIVED:
		*peer = t->holder->id;
		return V_PROC_RECEIVED;
	case V_TXN_REMOTE: {
		const struct v_wire_hdr *h = (const void *)skb_network_header(t->req_skb);

		*peer = get_unaligned_be64(&h->dst);
		return V_PROC_REMOTE;
	}
	default:
		return list_empty(&vs->rwaiters) ? V_PROC_IDLE : V_PROC_RECEIVING;
	}
}

static int v_genl_proc_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct v_host *host = v_host_get(sock_net(skb->sk));
	bool all = v_genl_sees_all(cb);
	unsigned long index = cb->args[0];
	struct v_sock *vs;

	rcu_read_lock();
	xa_for_each_start(&host->procs, index, vs, cb->args[0]) {
		unsigned int held = 0, queued;
		struct list_head *pos;
		void *hdr;
		u64 peer;
		u8 state;

		if (!v_genl_sees(all, vs)) {
			cb->args[0] = index + 1;
			continue;
		}
		spin_lock_bh(&host->ipc_lock);
		state = v_genl_proc_state(vs, &peer);
		queued = vs->rxq_len;
		list_for_each(pos, &vs->held)
			held++;
		spin_unlock_bh(&host->ipc_lock);

		hdr = v_genl_dump_start(skb, cb, V_CMD_PROC_GET);
		if (!hdr)
			break;
		if (nla_put_u64_64bit(skb, V_A_PROC_ID, READ_ONCE(vs->id), V_A_PAD) ||
		    nla_put_u32(skb, V_A_PROC_UID,
				from_kuid_munged(current_user_ns(), vs->sk.sk_uid)) ||
		    nla_put_u8(skb, V_A_PROC_STATE, state) ||
		    nla_put_u64_64bit(skb, V_A_PROC_PEER, peer, V_A_PAD) ||
		    nla_put_u32(skb, V_A_PROC_QUEUED, queued) ||
		    nla_put_u32(skb, V_A_PROC_HELD, held) ||
		    nla_put_u32(skb, V_A_PROC_PID, v_genl_proc_pid(vs))) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = index + 1;
	}
	rcu_read_unlock();
	return skb->len;
}

static int v_genl_alien_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return v_alien_dump(v_host_get(sock_net(skb->sk)), skb, cb);
}

static int v_genl_map_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return v_map_dump(v_host_get(sock_net(skb->sk)), skb, cb);
}

static int v_genl_map_del(struct sk_buff *skb, struct genl_info *info)
{
	int err;

	if (GENL_REQ_ATTR_CHECK(info, V_A_MAP_HOST))
		return -EINVAL;
	err = v_map_del(v_genl_host(info), nla_get_u32(info->attrs[V_A_MAP_HOST]));
	if (err)
		NL_SET_ERR_MSG(info->extack, "no mapping entry for that host part");
	return err;
}

static int v_genl_group_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	return v_group_dump(v_host_get(sock_net(skb->sk)), skb, cb);
}

static int v_genl_host_get(struct sk_buff *skb, struct genl_info *info)
{
	struct v_host *host = v_genl_host(info);
	u64 stats[__V_A_STAT_MAX];
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &v_genl_family, 0, V_CMD_HOST_GET);
	if (!hdr)
		goto nospace;
	v_host_stats(host, stats);
	if (nla_put_u32(msg, V_A_HOST_PART, v_host_part(host)) ||
	    nla_put_u32(msg, V_A_HOST_DOWN_MS, READ_ONCE(host->host_down_ms)) ||
	    nla_put_u32(msg, V_A_HOST_PROCS, READ_ONCE(host->nr_procs)) ||
	    nla_put_u32(msg, V_A_HOST_ALIENS, atomic_read(&host->nr_aliens)) ||
	    nla_put_u32(msg, V_A_HOST_MAX_ALIENS, READ_ONCE(host->max_aliens)) ||
	    nla_put_u32(msg, V_A_HOST_MAX_ALIENS_HOST, v_alien_host_share(host)) ||
	    nla_put_u32(msg, V_A_HOST_GROUP_WINDOW_MS, READ_ONCE(host->group_window_ms)) ||
	    nla_put_u32(msg, V_A_HOST_MAP_AGE_MS, READ_ONCE(host->map_age_ms)) ||
	    nla_put_u32(msg, V_A_HOST_MAX_MEMBERS, READ_ONCE(host->max_members)) ||
	    nla_put_u32(msg, V_A_HOST_GROUPS, READ_ONCE(host->nr_groups)) ||
	    nla_put_u32(msg, V_A_HOST_MEMBERS, READ_ONCE(host->nr_members)) ||
	    nla_put_u8(msg, V_A_HOST_KEYED, v_auth_keyed(host)) ||
	    nla_put_u32(msg, V_A_HOST_INHERIT_RT, READ_ONCE(host->inherit_rt)))
		goto nospace;
	nest = nla_nest_start(msg, V_A_HOST_STATS);
	if (!nest)
		goto nospace;
	for (i = 1; i <= V_A_STAT_MAX; i++)
		if (nla_put_u64_64bit(msg, i, stats[i], V_A_STAT_UNSPEC))
			goto nospace;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int v_genl_host_apply(struct genl_info *info)
{
	struct v_host *host = v_genl_host(info);
	struct nlattr *key = info->attrs[V_A_HOST_KEY];
	int err = 0;

	if (key && nla_len(key) && nla_len(key) != V_HOST_KEY_LEN) {
		NL_SET_ERR_MSG_ATTR(info->extack, key,
				    "a cluster key is 32 bytes (or none to remove it)");
		return -EINVAL;
	}
	/*
	 * Lending remote clients real time is the machine's administrator's
	 * call: a namespace owner's host lends none anyway (inherit.c).
	 */
	if (info->attrs[V_A_HOST_INHERIT_RT] && nla_get_u32(info->attrs[V_A_HOST_INHERIT_RT]) &&
	    !capable(CAP_SYS_NICE)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[V_A_HOST_INHERIT_RT],
				    "lending other hosts' real time needs CAP_SYS_NICE");
		return -EPERM;
	}
	if (key && !nla_len(key) && v_link_any_secure(host)) {
		NL_SET_ERR_MSG_ATTR(info->extack, key,
				    "links attached with the key need it: detach them first");
		return -EBUSY;
	}
	if (info->attrs[V_A_HOST_PART]) {
		rtnl_lock();
		if (host->nr_links)
			err = -EBUSY;
		else
			err = v_host_set_host_part(host, nla_get_u32(info->attrs[V_A_HOST_PART]));
		rtnl_unlock();
		if (err == -EBUSY)
			NL_SET_ERR_MSG(info->extack,
				       "host part can only change before V sockets or links exist");
		if (err)
			return err;
	}
	if (key) {
		err = v_auth_set(host, nla_data(key), nla_len(key));
		if (err == -ENOENT)
			NL_SET_ERR_MSG(info->extack, "the kernel has no hmac(sha256)");
		if (err)
			return err;
	}
	if (info->attrs[V_A_HOST_DOWN_MS])
		WRITE_ONCE(host->host_down_ms, nla_get_u32(info->attrs[V_A_HOST_DOWN_MS]));
	if (info->attrs[V_A_HOST_MAX_ALIENS])
		WRITE_ONCE(host->max_aliens, nla_get_u32(info->attrs[V_A_HOST_MAX_ALIENS]));
	if (info->attrs[V_A_HOST_MAX_ALIENS_HOST])
		WRITE_ONCE(host->max_aliens_host,
			   nla_get_u32(info->attrs[V_A_HOST_MAX_ALIENS_HOST]));
	if (info->attrs[V_A_HOST_GROUP_WINDOW_MS])
		WRITE_ONCE(host->group_window_ms,
			   nla_get_u32(info->attrs[V_A_HOST_GROUP_WINDOW_MS]));
	if (info->attrs[V_A_HOST_MAP_AGE_MS])
		v_map_set_age(host, nla_get_u32(info->attrs[V_A_HOST_MAP_AGE_MS]));
	if (info->attrs[V_A_HOST_MAX_MEMBERS])
		WRITE_ONCE(host->max_members, nla_get_u32(info->attrs[V_A_HOST_MAX_MEMBERS]));
	if (info->attrs[V_A_HOST_INHERIT_RT])
		WRITE_ONCE(host->inherit_rt, nla_get_u32(info->attrs[V_A_HOST_INHERIT_RT]));
	return 0;
}

static int v_genl_host_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *key = info->attrs[V_A_HOST_KEY];
	struct v_host *host = v_genl_host(info);
	int err;

	mutex_lock(&host->cfg_lock);
	err = v_genl_host_apply(info);
	mutex_unlock(&host->cfg_lock);

	/*
	 * The request holds the key in clear; whatever the outcome, leave no
	 * copy of it but the tfm's (which crypto frees with kfree_sensitive).
	 */
	if (key)
		memzero_explicit(nla_data(key), nla_len(key));
	return err;
}

static const struct genl_ops v_genl_ops[] = {
	{
		.cmd = V_CMD_LINK_ADD,
		.doit = v_genl_link_change,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = V_CMD_LINK_DEL,
		.doit = v_genl_link_change,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = V_CMD_LINK_GET,
		.dumpit = v_genl_link_dump,
	}, {
		.cmd = V_CMD_HOST_GET,
		.doit = v_genl_host_get,
	}, {
		.cmd = V_CMD_HOST_SET,
		.doit = v_genl_host_set,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = V_CMD_PROC_GET,
		.dumpit = v_genl_proc_dump,
	}, {
		.cmd = V_CMD_ALIEN_GET,
		.dumpit = v_genl_alien_dump,
	}, {
		.cmd = V_CMD_MAP_GET,
		.dumpit = v_genl_map_dump,
	}, {
		.cmd = V_CMD_MAP_DEL,
		.doit = v_genl_map_del,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = V_CMD_GROUP_GET,
		.dumpit = v_genl_group_dump,
	},
};

static struct genl_family v_genl_family __ro_after_init = {
	.name = V_GENL_NAME,
	.version = V_GENL_VERSION,
	.maxattr = V_A_MAX,
	.policy = v_genl_policy,
	.netnsok = true,
	.parallel_ops = true,	/* each host's cfg_lock instead (vkmod.h) */
	.module = THIS_MODULE,
	.ops = v_genl_ops,
	.n_ops = ARRAY_SIZE(v_genl_ops),
};

int v_netlink_init(void)
{
	return genl_register_family(&v_genl_family);
}

void v_netlink_exit(void)
{
	genl_unregister_family(&v_genl_family);
}
