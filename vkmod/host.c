// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace V host state.
 *
 * Each network namespace is one V host with its own host part, process
 * table and (later) attached interfaces.  The state is allocated by the
 * pernet core (.id/.size) so it exists exactly as long as the namespace; a
 * V socket holds a reference on its namespace, so the host outlives every
 * process in it.
 */
#include <linux/random.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include "vkmod.h"

static unsigned int v_net_id __read_mostly;

struct v_host *v_host_get(const struct net *net)
{
	return net_generic(net, v_net_id);
}

static u32 v_host_random_part(void)
{
	u32 part;

	/* 0 is reserved for well-known groups, so never draw it. */
	do {
		part = get_random_u32() & V_ID_HOST_MASK;
	} while (!part);
	return part;
}

/*
 * Change the host part.  Ids embed it, so it may only change while no V
 * process exists in the namespace (-EBUSY otherwise, as the contract says).
 */
int v_host_set_host_part(struct v_host *host, u32 host_part)
{
	int err = 0;

	if (!host_part || host_part > V_ID_HOST_MASK)
		return -EINVAL;
	mutex_lock(&host->id_lock);
	if (host->nr_procs) {
		err = -EBUSY;
	} else {
		WRITE_ONCE(host->host_part, host_part);	/* softirq reads it unlocked */
		WRITE_ONCE(host->part_chosen, true);
	}
	mutex_unlock(&host->id_lock);
	return err;
}

/*
 * A host part drawn at random turned out to be taken (map.c): draw again,
 * which is only possible while no process has an id with the old one.
 */
int v_host_redraw(struct v_host *host)
{
	int err = 0;

	mutex_lock(&host->id_lock);
	if (host->nr_procs)
		err = -EBUSY;
	else
		WRITE_ONCE(host->host_part, v_host_random_part());
	mutex_unlock(&host->id_lock);
	return err;
}

/*
 * What a host may hold of a module-wide cap global, its own setting being
 * limit: the initial namespace's host all it sets, any other at most its
 * namespace share (ns_share, or a quarter of the cap).  A namespace's
 * owner sets its limit, but only the initial namespace's administrator
 * sets the share (module parameters max_aliens_ns, max_members_ns).
 */
unsigned int v_host_cap(struct v_host *host, unsigned int limit, unsigned int global,
			unsigned int ns_share)
{
	if (net_eq(host->net, &init_net))
		return limit;
	return min(limit, ns_share ?: DIV_ROUND_UP(global, 4));
}

void v_host_stats(struct v_host *host, u64 *out)
{
	int i;

	for (i = 0; i < __V_A_STAT_MAX; i++)
		out[i] = atomic64_read(&host->stats[i]);
}

static int __net_init v_host_net_init(struct net *net)
{
	struct v_host *host = v_host_get(net);

	host->net = net;
	get_random_bytes(&host->hash_key, sizeof(host->hash_key));
	mutex_init(&host->id_lock);
	mutex_init(&host->cfg_lock);
	xa_init_flags(&host->procs, XA_FLAGS_ALLOC1);
	host->next_index = 1;
	spin_lock_init(&host->ipc_lock);
	mutex_init(&host->reg_lock);
	xa_init(&host->regs);
	INIT_LIST_HEAD(&host->links);
	INIT_LIST_HEAD(&host->getpid_waits);
	host->host_down_ms = V_HOST_DOWN_MS_DEFAULT;
	/* From the clock: a restarted host numbers its pulses above its last. */
	atomic64_set(&host->pulse_seq, div_u64(ktime_get_real_ns(), NSEC_PER_USEC));
	v_map_host_init(host);
	v_group_host_init(host);
	v_alien_host_init(host);
	v_reasm_host_init(host);
	v_rwatch_host_init(host);
	if (net_eq(net, &init_net) && v_init_host_part) {
		host->host_part = v_init_host_part;
		host->part_chosen = true;
	} else {
		host->host_part = v_host_random_part();
	}
	return 0;
}

static void __net_exit v_host_net_exit(struct net *net)
{
	struct v_host *host = v_host_get(net);

	v_link_host_exit(host);
	v_rwatch_host_exit(host);
	v_alien_host_exit(host);
	v_reasm_host_exit(host);
	v_map_host_exit(host);
	v_auth_host_exit(host);

	/* Every socket pins its namespace, so no process can remain. */
	WARN_ON_ONCE(!xa_empty(&host->procs));
	xa_destroy(&host->procs);
	mutex_destroy(&host->id_lock);
	mutex_destroy(&host->cfg_lock);
	v_reg_host_exit(host);
}

static struct pernet_operations v_host_net_ops = {
	.init = v_host_net_init,
	.exit = v_host_net_exit,
	.id = &v_net_id,
	.size = sizeof(struct v_host),
};

int v_host_init(void)
{
	return register_pernet_subsys(&v_host_net_ops);
}

void v_host_exit(void)
{
	unregister_pernet_subsys(&v_host_net_ops);
}
