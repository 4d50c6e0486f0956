// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libv: name handling (V OS page "Objects").  A name is resolved by a
 * LOOKUP Sent to the name-handling group; the longest prefix among the
 * replies collected within V_NAME_WINDOW_MS wins and goes into this
 * process's prefix table, which later lookups consult first.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libv_services.h"

#define VNAME_CACHE_MAX		64

struct vname_entry {
	char *prefix;
	size_t len;
	struct v_name_binding b;
};

static pthread_mutex_t vname_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vname_entry vname_tab[VNAME_CACHE_MAX];
static unsigned int vname_next;	/* replacement cursor once full */

static int vname_cached(const char *name, struct v_name_binding *b)
{
	size_t best = 0;
	unsigned int i;
	int found = 0;

	pthread_mutex_lock(&vname_lock);
	for (i = 0; i < VNAME_CACHE_MAX; i++) {
		struct vname_entry *e = &vname_tab[i];

		if (e->prefix && e->len > best && vio_prefix_match(e->prefix, e->len, name)) {
			best = e->len;
			*b = e->b;
			found = 1;
		}
	}
	pthread_mutex_unlock(&vname_lock);
	return found;
}

static void vname_cache(const char *name, const struct v_name_binding *b)
{
	struct vname_entry *e = NULL;
	unsigned int i;
	char *p = strndup(name, b->prefix_len);

	if (!p)
		return;
	pthread_mutex_lock(&vname_lock);
	for (i = 0; i < VNAME_CACHE_MAX && !e; i++)
		if (vname_tab[i].prefix && vname_tab[i].len == b->prefix_len &&
		    !memcmp(vname_tab[i].prefix, p, b->prefix_len))
			e = &vname_tab[i];
	for (i = 0; i < VNAME_CACHE_MAX && !e; i++)
		if (!vname_tab[i].prefix)
			e = &vname_tab[i];
	if (!e)
		e = &vname_tab[vname_next++ % VNAME_CACHE_MAX];
	free(e->prefix);
	e->prefix = p;
	e->len = b->prefix_len;
	e->b = *b;
	pthread_mutex_unlock(&vname_lock);
}

void v_name_forget(uint64_t manager)
{
	unsigned int i;

	pthread_mutex_lock(&vname_lock);
	for (i = 0; i < VNAME_CACHE_MAX; i++)
		if (vname_tab[i].prefix && vname_tab[i].b.manager == manager) {
			free(vname_tab[i].prefix);
			vname_tab[i].prefix = NULL;
		}
	pthread_mutex_unlock(&vname_lock);
}

static uint64_t vname_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Keep reply m if it is a longer match for name than *best. */
static void vname_consider(const struct v_msg *m, size_t len,
			   struct v_name_binding *best, int *found)
{
	size_t plen = v_msg_get16(m, VNAME_PREFIX_LEN_OFF);

	if (v_msg_code(m) != V_OK || plen > len || !v_msg_get64(m, VNAME_MANAGER_OFF))
		return;
	if (*found && plen <= best->prefix_len)
		return;
	best->prefix_len = plen;
	best->local = v_msg_get32(m, VNAME_LOCAL_OFF);
	best->manager = v_msg_get64(m, VNAME_MANAGER_OFF);
	best->type = v_msg_get32(m, VNAME_TYPE_OFF);
	*found = 1;
}

int v_name_lookup(int fd, const char *name, unsigned int flags, struct v_name_binding *b)
{
	size_t len = strlen(name);
	uint64_t end, now;
	struct v_msg m;
	int ret, seg, found = 0;

	if (!(flags & V_NAME_NOCACHE) && vname_cached(name, b))
		return 0;
	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VNAME_LOOKUP);
	seg = vio_name_put(&m, name, len);
	if (seg < 0)
		return seg;
	ret = v_send_seg(fd, V_GROUP_NAME_HANDLERS, &m, seg ? (void *)name : NULL,
			 seg ? len : 0, V_SEG_READ);
	if (ret < 0)
		return ret;
	vname_consider(&m, len, b, &found);
	end = vname_now_ns() + (uint64_t)V_NAME_WINDOW_MS * 1000000;
	while ((now = vname_now_ns()) < end) {
		if (v_get_reply(fd, &m, NULL, end - now) < 0)
			break;
		vname_consider(&m, len, b, &found);
	}
	if (!found)
		return -ENOENT;
	vname_cache(name, b);
	return 0;
}

/* Send m (name length and any inline head already in it) with name as
 * the segment when seg; the reply code as -errno. */
static int vname_call(int fd, uint64_t server, struct v_msg *m, const char *name, int seg)
{
	int ret = v_send_seg(fd, server, m, seg ? (void *)name : NULL, seg ? strlen(name) : 0,
			     V_SEG_READ);

	return ret < 0 ? ret : -v_reply_errno(v_msg_code(m));
}

int v_name_add(int fd, uint64_t server, const char *name, uint64_t manager, uint32_t local)
{
	size_t len = strlen(name);
	struct v_msg m;

	if (len == 0 || len > VIO_NAME_MAX)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VNAME_ADD);
	v_msg_put32(&m, VNAME_LOCAL_OFF, local);
	v_msg_put16(&m, VIO_NAME_LEN_OFF, (uint16_t)len);
	v_msg_put64(&m, VNAME_ADD_MANAGER_OFF, manager);
	return vname_call(fd, server, &m, name, 1);
}

int v_name_remove(int fd, uint64_t server, const char *name)
{
	struct v_msg m;
	int seg;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VNAME_REMOVE);
	seg = vio_name_put(&m, name, strlen(name));
	return seg < 0 ? seg : vname_call(fd, server, &m, name, seg);
}
