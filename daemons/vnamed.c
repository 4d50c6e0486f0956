// SPDX-License-Identifier: GPL-2.0
/*
 * vnamed: the V name server, manager of the root context.  Holds the
 * global names that no other object manager owns (name -> manager id and
 * local id), joins the name-handling group and answers every LOOKUP like
 * any other member: V_OK with the longest of its names that is a prefix of
 * the looked-up name, V_NOT_FOUND otherwise (<vio.h>).
 *
 *   vnamed [-q] [-l LID] [-w UID]... [-a NAME=MANAGER[:LOCAL]]...
 */
#include <getopt.h>
#include "daemon.h"

#define NAMES_MAX	1024

struct entry {
	char *name;
	size_t len;
	uint64_t manager;
	uint32_t local;
};

static struct vd vd = { .name = "vnamed" };
static struct vd_writers writers;
static struct entry names[NAMES_MAX];
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vnamed [-q] [-l LID] [-w UID]... [-a NAME=MANAGER[:LOCAL]]...\n"
		"\n"
		"The name server of the root context: joins the name-handling group and\n"
		"answers lookups of the global names it holds.  Prints \"vnamed: serving\n"
		"as 0x<id>\" once ready; SIGTERM or SIGINT stops it (exit status 0).\n"
		"\n"
		"  -a NAME=MANAGER[:LOCAL]  hold NAME for the object LOCAL (default 0) of\n"
		"             the manager process MANAGER (an id)\n"
		"  -w UID     allow VNAME_ADD / VNAME_REMOVE from this uid (root always may)\n"
		"  -l LID     register under logical id LID (default %u; 0: do not)\n"
		"  -q         log less\n"
		"  -h         show this help\n"
		"\n"
		"Exit status: 0 after a clean stop, 1 on an error, 2 on bad usage.\n",
		V_LID_NAME_SERVER);
}

/* Add an entry; a reply code. */
static int names_add(const char *name, uint64_t manager, uint32_t local)
{
	size_t len = strlen(name);
	int i, free_slot = -1, ret = V_OK;

	if (!len || name[0] != '/' || !manager)
		return V_BAD_ARGS;
	pthread_mutex_lock(&names_lock);
	for (i = 0; i < NAMES_MAX; i++) {
		if (!names[i].name) {
			if (free_slot < 0)
				free_slot = i;
		} else if (names[i].len == len && !strcmp(names[i].name, name)) {
			ret = V_DUPLICATE_NAME;
		}
	}
	if (ret == V_OK && free_slot < 0)
		ret = V_NO_SERVER_RESOURCES;
	if (ret == V_OK) {
		names[free_slot].name = strdup(name);
		if (!names[free_slot].name)
			ret = V_NO_SERVER_RESOURCES;
		names[free_slot].len = len;
		names[free_slot].manager = manager;
		names[free_slot].local = local;
	}
	pthread_mutex_unlock(&names_lock);
	return ret;
}

static int do_lookup(const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	char name[VIO_NAME_MAX + 1];
	struct entry best = { 0 };
	int partial, ret, i;

	ret = vio_name_lookup_get(vd.fd, r, seg, name, sizeof(name), &partial);
	if (ret < 0)
		return -ret;
	pthread_mutex_lock(&names_lock);
	for (i = 0; i < NAMES_MAX; i++)
		if (names[i].name && names[i].len > best.len &&
		    vio_prefix_owns(names[i].name, names[i].len, name, partial))
			best = names[i];
	pthread_mutex_unlock(&names_lock);
	if (!best.len)
		return V_NOT_FOUND;
	v_msg_put16(reply, VNAME_PREFIX_LEN_OFF, (uint16_t)best.len);
	v_msg_put32(reply, VNAME_LOCAL_OFF, best.local);
	v_msg_put64(reply, VNAME_MANAGER_OFF, best.manager);
	v_msg_put32(reply, VNAME_TYPE_OFF, VNAME_TYPE_OBJECT);
	return V_OK;
}

static int do_add(const struct v_receive *r, const void *seg)
{
	size_t len = v_msg_get16(&r->msg, VIO_NAME_LEN_OFF);
	char name[VIO_NAME_MAX + 1];
	int ret;

	if (r->creds.uid != 0 && !vd_may_write(&writers, r))
		return V_NO_PERMISSION;
	if (!len || len > VIO_NAME_MAX)
		return V_BAD_ARGS;
	ret = vio_segment_name(vd.fd, r, seg, len, name);
	if (ret < 0)
		return -ret;
	return names_add(name, v_msg_get64(&r->msg, VNAME_ADD_MANAGER_OFF),
			 v_msg_get32(&r->msg, VNAME_LOCAL_OFF));
}

static int do_remove(const struct v_receive *r, const void *seg)
{
	char name[VIO_NAME_MAX + 1];
	int ret, i;

	if (r->creds.uid != 0 && !vd_may_write(&writers, r))
		return V_NO_PERMISSION;
	ret = vio_name_get(vd.fd, r, seg, name, sizeof(name));
	if (ret < 0)
		return -ret;
	ret = V_NOT_FOUND;
	pthread_mutex_lock(&names_lock);
	for (i = 0; i < NAMES_MAX; i++)
		if (names[i].name && !strcmp(names[i].name, name)) {
			free(names[i].name);
			names[i].name = NULL;
			ret = V_OK;
		}
	pthread_mutex_unlock(&names_lock);
	return ret;
}

static int handle(int fd, const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	int ret;

	(void)fd;
	memset(reply, 0, sizeof(*reply));
	switch (v_msg_code(&r->msg)) {
	case VNAME_LOOKUP:	ret = do_lookup(r, seg, reply); break;
	case VNAME_ADD:		ret = do_add(r, seg); break;
	case VNAME_REMOVE:	ret = do_remove(r, seg); break;
	default:		ret = V_ILLEGAL_REQUEST; break;
	}
	if (ret != V_OK)
		memset(reply, 0, sizeof(*reply));
	v_msg_set_code(reply, (uint16_t)ret);
	return 0;
}

/* -a NAME=MANAGER[:LOCAL] */
static int parse_entry(char *arg)
{
	char *eq = strrchr(arg, '='), *colon;
	uint64_t manager, local = 0;

	if (!eq)
		return -1;
	*eq++ = '\0';
	colon = strchr(eq, ':');
	if (colon) {
		*colon++ = '\0';
		if (vtool_parse_u64(colon, 0, UINT32_MAX, &local))
			return -1;
	}
	if (vtool_parse_u64(eq, 1, UINT64_MAX, &manager))
		return -1;
	return names_add(arg, manager, (uint32_t)local) == V_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint64_t lid = V_LID_NAME_SERVER;
	int opt, rc;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "a:l:w:qh")) != -1) {
		switch (opt) {
		case 'a':
			if (parse_entry(optarg)) {
				fprintf(stderr, "vnamed: -a wants /NAME=MANAGER[:LOCAL] (once per "
					"name), not '%s'\n", optarg);
				return 2;
			}
			break;
		default:
			rc = vd_option(&vd, opt, optarg, &lid, &writers, usage);
			if (rc != VD_CONTINUE)
				return rc;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	vd.handle = handle;
	if (vd_open(&vd) || (lid && vd_register(&vd, (uint32_t)lid, V_SCOPE_BOTH)) ||
	    vd_join(&vd, V_GROUP_NAME_HANDLERS, "the name-handling group"))
		return 1;
	printf("vnamed: serving as 0x%016" PRIx64 "\n", vd.self);
	fflush(stdout);
	return vd_run(&vd, 2);
}
