// SPDX-License-Identifier: GPL-2.0
/*
 * The host's process table: entity id allocation and lookup.
 *
 * An id's index selects a slot of host->procs (an allocating xarray); the
 * generation is the number of times the cyclic index allocator has wrapped,
 * so a slot reused after a wrap yields a different id (see the layout in
 * uapi/linux/v.h).
 *
 * Locking and lifetime:
 *   - allocation and removal take host->id_lock (process context);
 *   - lookups take only rcu_read_lock(): sockets are created with
 *     SOCK_RCU_FREE, so a v_sock found in the table stays valid memory until
 *     the RCU grace period after its last reference, and the lookup takes a
 *     reference with refcount_inc_not_zero() before leaving RCU;
 *   - the full 64-bit id is compared, so a stale id whose slot was reused
 *     (other generation or host part) finds nothing.
 */
#include "vkmod.h"

int v_id_register(struct v_host *host, struct v_sock *vs)
{
	u32 index;
	int ret;

	mutex_lock(&host->id_lock);
	ret = xa_alloc_cyclic(&host->procs, &index, NULL,
			      XA_LIMIT(1, V_ID_INDEX_MAX), &host->next_index,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto out;
	if (ret == 1)
		host->generation = (host->generation + 1) & V_ID_GEN_MASK;
	vs->host = host;
	vs->id = v_id_make(v_host_part(host),
			   (host->generation << V_ID_GEN_SHIFT) | index);
	/* Publish only once the id is complete: lookups compare it. */
	xa_store(&host->procs, index, vs, GFP_KERNEL_ACCOUNT);
	host->nr_procs++;
	ret = 0;
out:
	mutex_unlock(&host->id_lock);
	return ret;
}

void v_id_unregister(struct v_sock *vs)
{
	struct v_host *host = vs->host;

	if (!vs->id)
		return;
	mutex_lock(&host->id_lock);
	xa_erase(&host->procs, v_id_index(vs->id));
	host->nr_procs--;
	mutex_unlock(&host->id_lock);
}

/* Find a live process of this host by id; returns it with a reference held. */
struct v_sock *v_id_lookup(struct v_host *host, u64 id)
{
	struct v_sock *vs;

	if (v_id_is_group(id) || (id & V_ID_WELLKNOWN) ||
	    v_id_host(id) != v_host_part(host))
		return NULL;
	rcu_read_lock();
	vs = xa_load(&host->procs, v_id_index(id));
	if (vs && (READ_ONCE(vs->id) != id ||
		   !refcount_inc_not_zero(&vs->sk.sk_refcnt)))
		vs = NULL;
	rcu_read_unlock();
	return vs;
}
