// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libv: name handling (V OS page "Objects").  A name is resolved by a
 * LOOKUP Sent to the name-handling group; the longest prefix among the
 * replies wins and goes into this process's prefix table, which later
 * lookups consult first.
 *
 * When does a lookup stop listening?  Every member answers every LOOKUP
 * (V_OK or V_NOT_FOUND), so once each member has answered nothing better
 * can come.  libv keeps the list of members (v_group_members(), which
 * waits 200 ms for other hosts' answers, so it runs on a thread of its own
 * and never in a lookup's way) and a lookup ends when every listed member
 * has answered.  The members query is best effort (a host whose answer
 * comes late is left out), and a list short of a member would end lookups
 * before that member's answer, perhaps the longest prefix: so a list is
 * trusted only once a lookup that waited its whole window heard exactly
 * the listed members ("verified"); a new list equal to the old keeps that.
 * Whenever the list is missing, unverified, too long to count off or
 * wrong (a member that never answers, a reply from one not listed), a
 * lookup waits the whole window, as every lookup once did; a wrong list
 * is asked for again.
 *
 * Names of the form "[MANAGER:CONTEXT]rest" need no lookup at all: they
 * name a manager's context directly (what `vfile lookup` prints).
 *
 * The prefix table travels to programs this one executes in the
 * environment (V_PREFIXES, v_name_export()), so that a child resolves
 * what its parent resolved without asking the group again.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "libv_services.h"

#define VNAME_CACHE_MAX		64
#define VNAME_MEMBERS_MAX	64	/* members a lookup can count off */
/* A member list is asked for again after this long, or when found wrong,
 * but never sooner than VNAME_REFRESH_GAP_NS after the last answer: a
 * member that stays silent must not turn every lookup into a query. */
#define VNAME_MEMBERS_TTL_NS	(5000ULL * 1000000)
#define VNAME_REFRESH_GAP_NS	(1000ULL * 1000000)
#define VNAME_WINDOW_MAX_MS	60000	/* V_NAME_WINDOW_MS from the environment */
#define VNAME_ENV		"V_PREFIXES"
#define VNAME_ENV_MAX		65536	/* a longer V_PREFIXES is ignored whole */

struct vname_entry {
	char *prefix;
	size_t len;
	struct v_name_binding b;
};

/*
 * One lock for the prefix table and the member list.  pthread_atfork()
 * takes it around fork(), so a child never inherits it held by a thread
 * it does not have; the refresher thread is not inherited either, so the
 * child forgets it was running.
 */
static pthread_mutex_t vname_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t vname_once = PTHREAD_ONCE_INIT;
static struct vname_entry vname_tab[VNAME_CACHE_MAX];
static unsigned int vname_next;	/* replacement cursor once full */
static int vname_imported;	/* V_PREFIXES read (at the first lookup) */

/* The repliers of one lookup. */
struct vname_heard {
	uint64_t ids[VNAME_MEMBERS_MAX];
	unsigned int n;
	int overflow;		/* more repliers than ids holds */
};

static struct {
	pthread_cond_t changed;		/* a refresh ended (CLOCK_MONOTONIC) */
	uint64_t ids[VNAME_MEMBERS_MAX];
	unsigned int n;
	int known;			/* ids[0..n) are the members, as asked */
	int verified;			/* a whole window heard exactly them */
	uint32_t host;			/* the host part the list is for */
	uint64_t when;			/* a refresh ended then; 0: never */
	int stale;			/* a lookup found it wrong */
	int refreshing;			/* a refresher thread runs */
	/* The repliers of the last lookup that waited its whole window
	 * before a list was there, for the list to be checked against. */
	struct vname_heard window;
	uint32_t window_host;
} mem;

static void vname_atfork_prepare(void)
{
	pthread_mutex_lock(&vname_lock);
}

static void vname_atfork_parent(void)
{
	pthread_mutex_unlock(&vname_lock);
}

/* The child has one thread: no refresher, nobody waiting on the condition. */
static void vname_atfork_child(void)
{
	pthread_condattr_t a;

	mem.refreshing = 0;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&mem.changed, &a);
	pthread_condattr_destroy(&a);
	pthread_mutex_unlock(&vname_lock);
}

static void vname_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&mem.changed, &a);
	pthread_condattr_destroy(&a);
	pthread_atfork(vname_atfork_prepare, vname_atfork_parent, vname_atfork_child);
}

static uint64_t vname_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- the prefix table ---------------------------------------------------- */

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

/* Bind prefix (b->prefix_len bytes of name) to b; vname_lock held. */
static void vname_cache_locked(const char *name, const struct v_name_binding *b)
{
	struct vname_entry *e = NULL;
	unsigned int i;
	char *p = strndup(name, b->prefix_len);

	if (!p)
		return;
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
}

static void vname_cache(const char *name, const struct v_name_binding *b)
{
	pthread_mutex_lock(&vname_lock);
	vname_cache_locked(name, b);
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

/* ---- numbers in names and in V_PREFIXES ------------------------------------ */

/*
 * Hex digits at *p (an optional "0x", 1..max digits) into *v; *p moves past
 * them.  0, or -1 when there are none or too many.
 */
static int vname_hex(const char **p, unsigned int max, uint64_t *v)
{
	const char *s = *p;
	unsigned int n = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	*v = 0;
	for (;; s++, n++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (n == max)
			return -1;
		*v = *v << 4 | (uint64_t)d;
	}
	if (!n)
		return -1;
	*p = s;
	return 0;
}

/*
 * "[MANAGER:CONTEXT]rest": the manager (a process id, hex, 1..16 digits)
 * and its context (hex, 1..8 digits) with no lookup; the rest is relative
 * to the context.  -EINVAL when malformed.
 */
static int vname_direct(const char *name, struct v_name_binding *b)
{
	const char *p = name + 1;
	uint64_t manager, context;

	if (vname_hex(&p, 16, &manager) || *p++ != ':' || vname_hex(&p, 8, &context) ||
	    *p++ != ']' || !manager || v_id_is_group(manager))
		return -EINVAL;
	b->manager = manager;
	b->local = (uint32_t)context;
	b->type = VNAME_TYPE_CONTEXT;
	b->prefix_len = (size_t)(p - name);
	return 0;
}

/* ---- V_PREFIXES -------------------------------------------------------------- */

/* May byte c be part of a prefix in V_PREFIXES? (';' ends an entry.) */
static int vname_env_byte(unsigned char c)
{
	return c >= 0x20 && c != 0x7f && c != ';';
}

/*
 * One entry "TYPE:MANAGER:LOCAL:PREFIX" (hex numbers, the prefix absolute,
 * up to end) into the table; vname_lock held.  A malformed entry is
 * skipped: an environment is anyone's to write, and a bad entry costs only
 * a lookup through the group.
 */
static void vname_import_entry(const char *s, const char *end)
{
	struct v_name_binding b;
	uint64_t type, manager, local;
	const char *p = s, *q;

	if (vname_hex(&p, 8, &type) || *p++ != ':' || vname_hex(&p, 16, &manager) ||
	    *p++ != ':' || vname_hex(&p, 8, &local) || *p++ != ':' || p >= end || *p != '/' ||
	    (size_t)(end - p) > VIO_NAME_MAX || !manager ||
	    (type != VNAME_TYPE_CONTEXT && type != VNAME_TYPE_OBJECT))
		return;
	for (q = p; q < end; q++)
		if (!vname_env_byte((unsigned char)*q))
			return;
	b.manager = manager;
	b.local = (uint32_t)local;
	b.type = (uint32_t)type;
	b.prefix_len = (size_t)(end - p);
	vname_cache_locked(p, &b);
}

/* Read V_PREFIXES into the table, once; vname_lock held. */
static void vname_import_locked(void)
{
	const char *env, *s, *end;

	if (vname_imported)
		return;
	vname_imported = 1;
	env = getenv(VNAME_ENV);
	if (!env || strnlen(env, VNAME_ENV_MAX + 1) > VNAME_ENV_MAX)
		return;
	for (s = env; *s; s = *end ? end + 1 : end) {
		end = strchr(s, ';');
		if (!end)
			end = s + strlen(s);
		vname_import_entry(s, end);
	}
}

int v_name_export(void)
{
	size_t cap = 1, used = 0;
	unsigned int i;
	int ret = 0;
	char *buf;

	pthread_mutex_lock(&vname_lock);
	vname_import_locked();
	for (i = 0; i < VNAME_CACHE_MAX; i++)
		if (vname_tab[i].prefix)
			cap += vname_tab[i].len + 48;
	buf = malloc(cap);
	if (!buf) {
		pthread_mutex_unlock(&vname_lock);
		return -ENOMEM;
	}
	for (i = 0; i < VNAME_CACHE_MAX; i++) {
		const struct vname_entry *e = &vname_tab[i];
		size_t k;

		if (!e->prefix)
			continue;
		for (k = 0; k < e->len && vname_env_byte((unsigned char)e->prefix[k]); k++)
			;
		if (k < e->len || e->len + used > VNAME_ENV_MAX - 48)
			continue;	/* cannot travel (a ';' in it), or no room */
		used += (size_t)snprintf(buf + used, cap - used, "%s%x:%llx:%x:", used ? ";" : "",
					 e->b.type, (unsigned long long)e->b.manager, e->b.local);
		memcpy(buf + used, e->prefix, e->len);
		used += e->len;
		buf[used] = '\0';
	}
	pthread_mutex_unlock(&vname_lock);
	if (!used)
		ret = unsetenv(VNAME_ENV) ? -errno : 0;
	else if (setenv(VNAME_ENV, buf, 1))
		ret = -errno;
	free(buf);
	return ret;
}

/* ---- the member list ------------------------------------------------------ */

/*
 * Are the repliers h exactly host's list?  A replier the list does not
 * have makes the list stale (it joined since, or the query missed it);
 * vname_lock held.
 */
static int vname_heard_list(const struct vname_heard *h, uint32_t host)
{
	unsigned int i, j;

	if (!mem.known || mem.host != host || h->overflow)
		return 0;
	for (i = 0; i < h->n; i++) {
		for (j = 0; j < mem.n && mem.ids[j] != h->ids[i]; j++)
			;
		if (j == mem.n) {
			mem.stale = 1;
			mem.verified = 0;
			return 0;
		}
	}
	/* each member answers a Send once: h->n distinct listed ids */
	return h->n >= mem.n;
}

/*
 * The refresher: asks for the members with a V process of its own (the
 * caller's is busy with its lookups, and one V process has one call at a
 * time), checks that it is on the host the list was wanted for (a thread
 * may have entered another network namespace than the one of the lookup's
 * V process: then there is no list, and lookups wait their window), and
 * publishes the list.
 */
static void *vname_refresher(void *arg)
{
	uint32_t host = (uint32_t)(uintptr_t)arg;
	uint64_t ids[VNAME_MEMBERS_MAX], self = 0;
	int fd = v_open(), n = -1;

	if (fd >= 0 && v_self(fd, &self) == 0 && v_id_host(self) == host)
		n = v_group_members(fd, V_GROUP_NAME_HANDLERS, ids, VNAME_MEMBERS_MAX, 0);
	if (fd >= 0)
		v_close(fd);
	pthread_mutex_lock(&vname_lock);
	mem.refreshing = 0;
	mem.stale = 0;
	mem.when = vname_now_ns();
	mem.host = host;
	/* the kernel sorts the ids: an unchanged list compares equal and
	 * stays trusted */
	if (n < 0 || n > VNAME_MEMBERS_MAX || !mem.known || mem.n != (unsigned int)n ||
	    memcmp(mem.ids, ids, (size_t)n * sizeof(ids[0])))
		mem.verified = 0;
	mem.known = n >= 0 && n <= VNAME_MEMBERS_MAX;
	mem.n = mem.known ? (unsigned int)n : 0;
	if (mem.known)
		memcpy(mem.ids, ids, mem.n * sizeof(ids[0]));
	if (mem.window_host == host && vname_heard_list(&mem.window, host))
		mem.verified = 1;
	mem.window.n = 0;
	mem.window_host = 0;
	pthread_cond_broadcast(&mem.changed);
	pthread_mutex_unlock(&vname_lock);
	return NULL;
}

/*
 * Start a refresh for host when the list is missing, for another host,
 * old or found wrong, and none runs; vname_lock held.  The thread is
 * detached and blocks every signal (they are the program's, not libv's).
 * When it cannot be started, lookups wait their window as before.
 */
static void vname_members_want(uint32_t host, uint64_t now)
{
	sigset_t all, old;
	pthread_attr_t a;
	pthread_t t;

	if (mem.refreshing)
		return;
	if (mem.when && mem.host == host && now - mem.when < VNAME_REFRESH_GAP_NS)
		return;
	if (mem.when && mem.host == host && !mem.stale && now - mem.when < VNAME_MEMBERS_TTL_NS)
		return;
	if (pthread_attr_init(&a))
		return;
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, &a, vname_refresher, (void *)(uintptr_t)host) == 0) {
		mem.refreshing = 1;
		if (mem.host != host)
			mem.known = mem.verified = 0;	/* another host's counts nothing here */
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
}

/* ---- a lookup through the group ------------------------------------------ */

static void vname_heard_add(struct vname_heard *h, uint64_t who)
{
	if (h->n < VNAME_MEMBERS_MAX)
		h->ids[h->n++] = who;
	else
		h->overflow = 1;
}

/* May the lookup end: has every member of a list to be trusted answered? */
static int vname_all_heard(const struct vname_heard *h, uint32_t host)
{
	return vname_heard_list(h, host) && mem.verified;
}

/*
 * Nothing new to count with: wait until a refresh ends or until end
 * (replies keep queueing in the kernel for GetReply meanwhile); vname_lock
 * held.
 */
static void vname_wait_list(uint32_t host, uint64_t end)
{
	struct timespec ts = { .tv_sec = (time_t)(end / 1000000000ULL),
			       .tv_nsec = (long)(end % 1000000000ULL) };

	while (mem.refreshing && !(mem.known && mem.host == host) && vname_now_ns() < end)
		if (pthread_cond_timedwait(&mem.changed, &vname_lock, &ts) == ETIMEDOUT)
			break;
}

/* The window: V_NAME_WINDOW_MS from the environment (1..60000), else the default. */
static uint64_t vname_window_ns(void)
{
	const char *s = getenv("V_NAME_WINDOW_MS");
	unsigned long v;
	char *end;

	if (s && *s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (!errno && !*end && v >= 1 && v <= VNAME_WINDOW_MAX_MS)
			return (uint64_t)v * 1000000;
	}
	return (uint64_t)V_NAME_WINDOW_MS * 1000000;
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

/* Send LOOKUP for name to the group; the first reply in *m, its replier in *who. */
static int vname_send(int fd, const char *name, size_t len, struct v_msg *m, uint64_t *who)
{
	struct v_send s;
	int ret, seg;

	memset(&s, 0, sizeof(s));
	v_msg_set_code(&s.msg, VNAME_LOOKUP);
	seg = vio_name_put(&s.msg, name, len);
	if (seg < 0)
		return seg;
	s.dst = V_GROUP_NAME_HANDLERS;
	if (seg) {
		s.seg_addr = (uintptr_t)name;
		s.seg_len = len;
		s.seg_access = V_SEG_READ;
	}
	ret = v_send_ex(fd, &s);
	if (ret < 0)
		return ret;
	*m = s.msg;
	*who = s.replier;
	return 0;
}

static int vname_ask_group(int fd, const char *name, struct v_name_binding *b)
{
	struct vname_heard heard = { .n = 0 };
	size_t len = strlen(name);
	uint64_t self, who = 0, now, end;
	struct v_msg m;
	uint32_t host;
	int ret, found = 0, all = 0;

	ret = v_self(fd, &self);
	if (ret < 0)
		return ret;
	host = v_id_host(self);
	now = vname_now_ns();
	end = now + vname_window_ns();
	pthread_mutex_lock(&vname_lock);
	vname_members_want(host, now);
	pthread_mutex_unlock(&vname_lock);
	ret = vname_send(fd, name, len, &m, &who);
	if (ret < 0)
		return ret;
	vname_consider(&m, len, b, &found);
	vname_heard_add(&heard, who);
	for (;;) {
		pthread_mutex_lock(&vname_lock);
		vname_wait_list(host, end);
		all = vname_all_heard(&heard, host);
		pthread_mutex_unlock(&vname_lock);
		if (all)
			break;
		/*
		 * Past the end, still take what queued while we waited for the
		 * list (timeout 0: do not wait); ETIMEDOUT then ends it.
		 */
		now = vname_now_ns();
		if (v_get_reply(fd, &m, &who, now < end ? end - now : 0) < 0)
			break;
		vname_consider(&m, len, b, &found);
		vname_heard_add(&heard, who);
	}
	if (!all) {
		/*
		 * The whole window: if exactly the listed members answered, the
		 * list can be trusted from now on; if not, it is wrong (a
		 * member silent or missed): ask again (not sooner than the gap).
		 */
		pthread_mutex_lock(&vname_lock);
		if (!(mem.known && mem.host == host) && now >= end) {
			mem.window = heard;	/* checked when the list comes */
			mem.window_host = host;
		} else if (vname_heard_list(&heard, host)) {
			mem.verified = 1;
		} else if (mem.known && mem.host == host) {
			mem.stale = 1;
		}
		vname_members_want(host, vname_now_ns());
		pthread_mutex_unlock(&vname_lock);
	}
	if (!found)
		return -ENOENT;
	vname_cache(name, b);
	return 0;
}

int v_name_lookup(int fd, const char *name, unsigned int flags, struct v_name_binding *b)
{
	pthread_once(&vname_once, vname_init);
	if (name[0] == '[')
		return vname_direct(name, b);
	pthread_mutex_lock(&vname_lock);
	vname_import_locked();
	pthread_mutex_unlock(&vname_lock);
	if (!(flags & V_NAME_NOCACHE) && vname_cached(name, b))
		return 0;
	return vname_ask_group(fd, name, b);
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
