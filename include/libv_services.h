/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libv service stubs: V files, name lookup and time without writing
 * messages (the protocols are in <vio.h>), as V's run-time library hid them.
 *
 * Conventions are libv's: 0 or a non-negative count on success, a negative
 * errno on failure (errno itself may be changed).  Every call takes the V process (fd,
 * from v_open()) it sends from; one v_file is used by one thread at a time
 * (a V process has one Send in flight).  Reply codes map to errno as
 * v_reply_errno() says (V_NOT_FOUND -> ENOENT, V_NO_PERMISSION -> EACCES,
 * ...); kernel errors (ESRCH, EHOSTUNREACH, ...) come through unchanged.
 */
#ifndef LIBV_SERVICES_H
#define LIBV_SERVICES_H

#include <stddef.h>
#include <stdint.h>
#include "libv.h"
#include "vio.h"
#include "vexec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The errno a standard reply code stands for (0 for V_OK). */
int v_reply_errno(unsigned int code);

/* ---- name handling ------------------------------------------------------ */

/*
 * How long a lookup waits at most for the replies of the name-handling
 * group after the first one.  A lookup ends sooner, as soon as every
 * member has answered (see v_name_lookup()).  The environment variable
 * V_NAME_WINDOW_MS (1..60000) overrides it, read at each lookup; the
 * host's group-reply window (vctl set group-window-ms, 5 s) bounds it in
 * any case: GetReply has nothing to give after it.
 */
#define V_NAME_WINDOW_MS	150

struct v_name_binding {
	uint64_t manager;	/* the object manager to send the rest to */
	uint32_t local;		/* its context (or object) id */
	uint32_t type;		/* VNAME_TYPE_* */
	size_t prefix_len;	/* bytes of the name the manager owns */
};

#define V_NAME_NOCACHE		0x1	/* ask the group even if cached */

/*
 * Resolve name to the manager owning its longest prefix and the context
 * the rest of the name is relative to (b->local; name + b->prefix_len is
 * the rest, "" for the prefix itself).
 *
 * "[MANAGER:CONTEXT]rest" (hex numbers: MANAGER a process id of at most 16
 * digits, CONTEXT at most 8; an optional 0x each) names a context
 * directly, as `vfile lookup` prints it: no group Send, no prefix table;
 * the brackets are the prefix, rest goes to MANAGER with CONTEXT.  Any
 * other name starting with '[' is -EINVAL.  (Prefixes start with '/', so
 * no name of the table can.)
 *
 * Any other name: the longest prefix in this process's prefix table,
 * else a LOOKUP Sent to V_GROUP_NAME_HANDLERS; the longest matching
 * prefix among the replies wins and is cached.  The replies are collected
 * until every member of the group has answered (V_OK or V_NOT_FOUND),
 * at most V_NAME_WINDOW_MS.  libv knows the members from
 * v_group_members(), asked by a thread of its own (it waits 200 ms for
 * other hosts) when a lookup finds the list missing, older than 5 s or
 * wrong (a member that did not answer, a reply from one not listed), at
 * most once a second.  That query is best effort, so a list is trusted
 * only once a lookup that waited its whole window heard exactly its
 * members (a new list equal to it stays trusted); until then, and after
 * it turned out wrong, lookups wait the whole window.  So a process's
 * first lookup takes the window, later ones the slowest member's answer,
 * with the list they have while a new one is asked for.  A manager that
 * joined the group since the list was made may be missed by a lookup that
 * ends early, for at most 5 s.  ENOENT when no member owns a prefix of
 * the name, ESRCH when the group is empty.
 *
 * The first lookup also imports the environment variable V_PREFIXES (a
 * table v_name_export() wrote for a parent's children): its entries are
 * used as if this process had looked them up.  Malformed entries are
 * skipped.  Thread-safe; after fork() the child keeps the table and the
 * list.
 */
int v_name_lookup(int fd, const char *name, unsigned int flags, struct v_name_binding *b);

/*
 * Write this process's prefix table into the environment (V_PREFIXES;
 * unset when the table is empty), so that a program it then executes
 * resolves those names with no group Send.  The format, one entry per
 * prefix, separated by ';': "TYPE:MANAGER:LOCAL:PREFIX" (hex numbers,
 * VNAME_TYPE_*, the prefix absolute; a prefix holding ';' or a control
 * character is left out).  Like setenv(), not to be called while other
 * threads read the environment.  0 or -errno (ENOMEM).
 */
int v_name_export(void);

/* Drop every cached prefix bound to manager (it turned out stale). */
void v_name_forget(uint64_t manager);

/* vnamed's global names: add name -> (manager, local) at server, remove it. */
int v_name_add(int fd, uint64_t server, const char *name, uint64_t manager, uint32_t local);
int v_name_remove(int fd, uint64_t server, const char *name);

/* ---- files (the V I/O protocol) ---------------------------------------- */

struct v_file;

struct v_file_info {
	uint64_t size;
	uint64_t mtime_ns;
	uint64_t ctime_ns;
	uint32_t mode;		/* permission bits */
	uint32_t type;		/* VIO_TYPE_* */
};

struct v_dirent {
	uint64_t size;
	uint64_t mtime_ns;
	uint32_t type;		/* VIO_TYPE_* */
	char name[256];
};

/*
 * Open name (flags VIO_O_*), resolved through the name-handling group and
 * the prefix table.  When the manager turns out stale later (ESRCH,
 * EHOSTUNREACH, or V_NOT_FOUND for the instance), the next call rebinds:
 * it looks the name up again through the group, opens it again (without
 * CREATE/TRUNC/EXCL) and repeats the operation once.
 */
int v_file_open(int fd, const char *name, unsigned int flags, struct v_file **f);

/*
 * Open name on a given server: server (a process id), or, when server is
 * 0, the process registered under logical id lid (GetPid, both scopes),
 * which is also how such a file rebinds.  server may also be a group of
 * replicas (vfsd -g): the OPEN goes to the group, the file binds to the
 * first member that opened it (the others' instances are closed) and
 * later calls go to that member alone; a rebind asks the group again.
 * name is relative to the server's root.
 */
int v_file_open_on(int fd, uint64_t server, uint32_t lid, const char *name,
		   unsigned int flags, struct v_file **f);

/*
 * A v_file for an instance opened by other means (a request of <vio.h>'s
 * argument layout, VIO_CREATE): server (a process, not a group) and its
 * instance, VIO_TYPE_* type; it never rebinds.  v_file_close() closes the
 * instance.  -EINVAL, -ENOMEM.
 */
int v_file_adopt(int fd, uint64_t server, uint32_t instance, uint32_t type, struct v_file **f);

/* Read / write len bytes at off: the count (0: end of file). */
int64_t v_file_read(struct v_file *f, void *buf, size_t len, uint64_t off);
int64_t v_file_write(struct v_file *f, const void *buf, size_t len, uint64_t off);

/* The same by VIO_BLOCK_SIZE blocks: count blocks from block first. */
int64_t v_file_read_blocks(struct v_file *f, void *buf, uint64_t first, uint64_t count);
int64_t v_file_write_blocks(struct v_file *f, const void *buf, uint64_t first, uint64_t count);

int v_file_query(struct v_file *f, struct v_file_info *info);

/*
 * Directory entries from *cursor (start at 0) into ents: the number filled
 * (0: no more); *cursor advances.
 */
int v_file_list(struct v_file *f, uint64_t *cursor, struct v_dirent *ents, unsigned int max);

/* Close the instance and free f (also when the server is gone: then the error). */
int v_file_close(struct v_file *f);

/* The server and instance f is bound to now (after any rebind). */
uint64_t v_file_server(const struct v_file *f);
uint32_t v_file_instance(const struct v_file *f);

/* Remove name (resolved like v_file_open / on a given server). */
int v_file_remove(int fd, const char *name);
int v_file_remove_on(int fd, uint64_t server, uint32_t lid, const char *name);

/*
 * Replicated write: WRITE_NAMED Sent to group (a group of file servers
 * holding copies of name).  The replies (v_get_reply) are checked off
 * against v_group_members().  A member whose reply is missing, or that
 * could not read the data (V_BAD_BUFFER: it received after the first
 * reply had ended the segment's access; a remote member gets the first
 * frame's worth with the request itself), is asked once more directly.
 * res[i] (up to max) reports each member: its id, 0 or the negative errno
 * it failed with, and whether the direct request was needed.  Returns the
 * number of members, or a negative errno; *failed counts the members that
 * failed.
 */
struct v_replica_result {
	uint64_t member;
	int error;
	int direct;	/* 1: written (or failed) by the direct retry */
};

int v_file_write_group(int fd, uint64_t group, const char *name, unsigned int flags,
		       const void *buf, size_t len, uint64_t off,
		       struct v_replica_result *res, unsigned int max, unsigned int *failed);

/* ---- time --------------------------------------------------------------- */

struct v_time {
	uint64_t clock_ns;	/* the server's V clock at its reply */
	int64_t offset_ns;	/* V clock - system clock there */
	uint64_t reference;	/* the member it follows */
	uint64_t server;	/* who answered */
};

/*
 * GetTime from server, or (server 0) from this host's time server (a
 * group Send to V_GROUP_TIME_SERVERS qualified by the caller's own id).
 */
int v_time_get(int fd, uint64_t server, struct v_time *t);

/*
 * SetTime: dst a time server or V_GROUP_TIME_SERVERS (every host); returns
 * how many servers answered V_OK.
 */
int v_time_set(int fd, uint64_t dst, uint64_t clock_ns);

/* ---- helpers for servers and clients of these protocols ---------------- */

/*
 * Put name (len bytes) into the name layout of m: its head inline, its
 * length at VIO_NAME_LEN_OFF.  Returns 1 when the whole name must also go
 * in the segment (len > VIO_NAME_INLINE), 0 when it fits, -EINVAL when it
 * is empty, too long or holds a NUL.
 */
int vio_name_put(struct v_msg *m, const char *name, size_t len);

/*
 * Server side: the name of the request r (received with ReceiveWithSegment
 * into seg, holding r->copied bytes), read further with MoveFrom when
 * needed, NUL-terminated into out (cap >= VIO_NAME_MAX + 1).  Returns its
 * length, or the reply code to answer with (negated): -V_BAD_ARGS,
 * -V_BAD_BUFFER.
 */
int vio_name_get(int fd, const struct v_receive *r, const void *seg, char *out, size_t cap);

/*
 * Server side: len bytes at offset off of r's segment into out (from seg
 * when ReceiveWithSegment copied them all, else MoveFrom).  0, or
 * -V_BAD_BUFFER when the segment is shorter or not readable.
 */
int vio_segment_get(int fd, const struct v_receive *r, const void *seg, size_t off, size_t len,
		    void *out);

/*
 * Server side: len name bytes at offset 0 of r's segment (from seg when
 * ReceiveWithSegment copied them, else MoveFrom), NUL-terminated into out
 * (at least len + 1 bytes).  Its length or -V_BAD_BUFFER / -V_BAD_ARGS.
 */
int vio_segment_name(int fd, const struct v_receive *r, const void *seg, size_t len, char *out);

/*
 * Server side of LOOKUP (group Sends): the name as vio_name_get() reads
 * it, or, when the segment can no longer be read (a member that receives
 * after the first reply), its inline head with *partial set.  Returns the
 * bytes in out or -V_BAD_ARGS.
 */
int vio_name_lookup_get(int fd, const struct v_receive *r, const void *seg, char *out,
			size_t cap, int *partial);

/* Does the prefix own a name of which head (NUL-terminated) is all or,
 * with partial, the first bytes? */
int vio_prefix_owns(const char *prefix, size_t plen, const char *head, int partial);

/* Does prefix (plen bytes) own name: equal, or followed there by '/'? */
int vio_prefix_match(const char *prefix, size_t plen, const char *name);

/* ---- the program manager (<vexec.h>) ----------------------------------- */

/*
 * The vexecd to ask: this host's (V_LID_EXEC_SERVER, local scope), else
 * any host's.  0 or -errno (ESRCH: none).
 */
int v_exec_server(int fd, uint64_t *server);

/* HOSTS / LIST from server: at most max records into out; the number
 * written, or -errno (a reply code's errno, or the kernel's).  server is
 * a vexecd's id, or v_id_make(host, 0): that host's vexecd, reached by a
 * group Send to V_GROUP_SCHEDULERS qualified by it (ESRCH: none there). */
int v_exec_hosts(int fd, uint64_t server, struct vexec_host *out, unsigned int max);
int v_exec_list(int fd, uint64_t server, struct vexec_prog *out, unsigned int max);

/* The same with the Send bounded by timeout_ns (struct v_send.timeout_ns;
 * 0: wait for ever, as above): -ETIMEDOUT when no answer came in time.
 * A signal handler is no bound: one that fires before the Send blocks
 * leaves it waiting. */
int v_exec_hosts_tmo(int fd, uint64_t server, struct vexec_host *out, unsigned int max,
		     uint64_t timeout_ns);
int v_exec_list_tmo(int fd, uint64_t server, struct vexec_prog *out, unsigned int max,
		    uint64_t timeout_ns);

/* The least loaded of n HOSTS records (vexec_host.score, then the ties'
 * order <vexec.h> gives): its index, or -1 when n is 0. */
int v_exec_pick(const struct vexec_host *h, unsigned int n);

/* A CONTROL reply, decoded. */
struct v_exec_state {
	uint32_t kind;		/* VEXEC_KIND_* */
	uint32_t uid;
	uint32_t pid;
	uint32_t status;	/* wait status, when flags has VEXEC_Q_EXITED */
	uint64_t cpu_ns;
	uint8_t state;		/* 'R', 'S', 'T', ..., 'X' */
	uint8_t flags;		/* VEXEC_Q_* */
};

/*
 * CONTROL: op (VEXEC_OP_*, sig for VEXEC_OP_KILL, 0: SIGTERM) on the V
 * process id, sent to V_GROUP_SCHEDULERS qualified by id (its host's
 * vexecd answers).  st (may be NULL) gets the state after it.  0 or
 * -errno: the reply's precise errno (ESRCH, EPERM, EINVAL), or the
 * kernel's (ESRCH: no vexecd on that host; EHOSTUNREACH).
 */
int v_exec_control(int fd, uint64_t id, unsigned int op, int sig, struct v_exec_state *st);

/* The errno a vexecd reply stands for: its VEXEC_ERRNO_OFF field when
 * set, else v_reply_errno() of its code; 0 for V_OK. */
int v_exec_errno(const struct v_msg *reply);

/*
 * Build a RUN block: program, working directory, argv (argc >= 1) and
 * envp (NULL-terminated; NULL: none), stdio instances and terminal size
 * (ws: rows, cols, xpixel, ypixel; NULL: none) into a malloc()ed buffer
 * of *len bytes, with extra bytes of room after VEXEC_IMAGE_OFF(*len)
 * for an image (*blk then holds it at that offset).  0 or -errno
 * (E2BIG: over VEXEC_RUN_MAX or VEXEC_STRINGS_MAX; ENOMEM).
 */
int v_exec_run_pack(const char *program, const char *cwd, char *const argv[],
		    char *const envp[], const uint32_t stdio[3], const uint16_t ws[4],
		    size_t extra, void **blk, size_t *len);

/* A reply message carrying only code. */
struct v_msg vio_reply_code(unsigned int code);

#ifdef __cplusplus
}
#endif

#endif /* LIBV_SERVICES_H */
