/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vio.h: the V service protocols spoken over vkmod IPC -- the V I/O
 * protocol (files and directories), the name-handling protocol and the
 * time protocol.
 *
 * Why here and not in include/uapi/linux/: the kernel never reads these
 * messages (to vkmod a message is 32 opaque bytes), so they are not part of
 * the kernel's ABI and must not be able to force a uapi change.  They are a
 * contract between user-space programs (libv's stubs, the daemons, the
 * tools, anyone's own client), installed beside libv.h.  Field encoding
 * follows <linux/v.h>: little-endian, read and written with
 * v_msg_get16/32/64 and v_msg_put16/32/64 at the byte offsets given here.
 *
 * Every request starts with its 16-bit request code (bytes 0-1), numbered
 * from V_REQ_SERVICE_BASE so that it is never mistaken for a reply code;
 * every reply starts with a standard reply code (enum v_reply_code: V_OK,
 * V_NOT_FOUND, ...).  Fields not listed are reserved: senders put zero,
 * receivers ignore them.  A reply to a request a server does not know is
 * V_ILLEGAL_REQUEST; malformed fields get V_BAD_ARGS; a segment that is
 * missing, too small or granted with the wrong access gets V_BAD_BUFFER.
 *
 * Names.  The first min(name_len, VIO_NAME_INLINE) bytes of a name travel
 * inline in bytes VIO_NAME_OFF.. of the message; a longer name travels
 * whole in the sender's segment as well (granted with read access, at
 * offset 0; the server reads it with ReceiveWithSegment or MoveFrom).  The
 * inline head is there for group Sends: a member that receives after the
 * first reply ended the segment's access can still match a short prefix.
 * name_len counts bytes, no NUL; names longer than VIO_NAME_MAX are
 * V_BAD_ARGS, and so is a NUL byte inside one.
 */
#ifndef VIO_H
#define VIO_H

#include <linux/v.h>

/* ======================================================================= */
/* Shared layout of requests that carry a name (OPEN, REMOVE, LOOKUP, ...) */

#define VIO_FLAGS_OFF		2	/* u16: request flags */
#define VIO_CONTEXT_OFF		4	/* u32: context (the local id of a
					 * directory a LOOKUP returned; 0 = the
					 * server's root); see "Contexts" */
#define VIO_NAME_LEN_OFF	8	/* u16: name length in bytes */
#define VIO_NAME_OFF		10	/* name bytes, when inline */
#define VIO_NAME_INLINE		(V_MSG_SIZE - VIO_NAME_OFF)	/* 22 */
#define VIO_NAME_MAX		4095

/* ======================================================================= */
/* The V I/O protocol                                                       */

/*
 * An open file or directory is an *instance*, named by the server's id plus
 * a 32-bit local instance id (the object id of the V OS page "Objects");
 * it lives until CLOSE, the server's exit, or the client's: an instance may
 * only be used by the V process that opened it (others get V_NOT_FOUND).
 * Files are read and written by byte range (READ/WRITE) or by block
 * (READ_BLOCK/WRITE_BLOCK, blocks of VIO_BLOCK_SIZE bytes, V's page size).
 */
#define VIO_BLOCK_SIZE		512

enum vio_request {
	/*
	 * OPEN: the name layout above, relative to the context.  A leading
	 * '/' means the served root; no component may leave it ("..",
	 * symlinks pointing out, magic links: V_NO_PERMISSION).
	 *   2  u16 flags: VIO_O_*
	 * reply: 2 u16 type (VIO_TYPE_*), 4 u32 instance, 8 u64 size,
	 *        16 u64 mtime (ns since the epoch), 24 u32 block size
	 * errors: V_NOT_FOUND (also for a context the server does not
	 *         have), V_DUPLICATE_NAME (VIO_O_EXCL), V_NO_PERMISSION,
	 *         V_BAD_STATE (VIO_O_WRITE on a directory),
	 *         V_NO_SERVER_RESOURCES (instance table full)
	 */
	VIO_OPEN = V_REQ_SERVICE_BASE,
	/*
	 * READ: 4 u32 instance, 8 u64 offset, 16 u64 length; the segment is
	 * granted with write access and is at least length bytes.  The
	 * server writes the data at segment offset 0 (ReplyWithSegment up to
	 * the reply-segment limit, MoveTo beyond).
	 * reply: 8 u64 bytes read (less than length only at end of file);
	 *        V_END_OF_FILE when offset is at or past the end (0 bytes).
	 */
	VIO_READ,
	/*
	 * WRITE: 4 u32 instance, 8 u64 offset, 16 u64 length; the segment,
	 * granted with read access, holds the data at offset 0 (a page fits
	 * one ReceiveWithSegment; the rest is read with MoveFrom).
	 * reply: 8 u64 bytes written, 16 u64 new size of the file.
	 */
	VIO_WRITE,
	/* READ_BLOCK / WRITE_BLOCK: as READ / WRITE, 8 u64 first block,
	 * 16 u64 block count (in VIO_BLOCK_SIZE units); replies count bytes. */
	VIO_READ_BLOCK,
	VIO_WRITE_BLOCK,
	/*
	 * QUERY: 4 u32 instance.
	 * reply: 2 u16 type, 4 u32 mode (permission bits), 8 u64 size,
	 *        16 u64 mtime ns, 24 u64 ctime ns (status change)
	 */
	VIO_QUERY,
	/*
	 * LIST: 4 u32 instance (a directory), 8 u64 cursor (0 = first
	 * entry), 16 u32 buffer length, 20 u32 most entries wanted (0: as
	 * many as fit); the segment, write access, receives struct
	 * vio_dirent records back to back.
	 * reply: 8 u64 next cursor, 16 u32 bytes written, 20 u32 entries;
	 *        V_END_OF_FILE (0 entries) when the cursor is at the end;
	 *        V_BAD_BUFFER when not even one entry fits.
	 */
	VIO_LIST,
	/*
	 * REMOVE: the name layout; removes a file or an empty directory.
	 * errors: V_NOT_FOUND, V_NO_PERMISSION, V_BAD_STATE (not empty)
	 */
	VIO_REMOVE,
	/* CLOSE: 4 u32 instance (releases it); reply V_OK or V_NOT_FOUND. */
	VIO_CLOSE,
	/*
	 * WRITE_NAMED: write without an instance, the form a group Send to a
	 * set of replicas uses (instances are per server).  2 u16 flags
	 * (VIO_O_CREATE, VIO_O_TRUNC), 4 u32 context, 8 u16 name length,
	 * 12 u32 data length, 16 u64 file offset; the segment (read access)
	 * holds the name then the data.  reply: as WRITE.
	 */
	VIO_WRITE_NAMED,
	/*
	 * The POSIX requests below (what a file system client such as vfs
	 * needs) share one layout, "the argument layout":
	 *   message: 2 u16 flags (per request), 4 u32 instance (requests on
	 *            an open instance; 0 for requests on a name),
	 *            8 u16 name length, 10 u16 second name length,
	 *            12 u32 asserted uid, 16 u32 asserted gid,
	 *            20 u16 VIO_ASSERT when they are set, 22 u16 the number of
	 *            asserted supplementary groups (at most VIO_GROUPS_MAX),
	 *            24 u64 the client's cache process (0: it caches
	 *            nothing; "Caching" below)
	 *   segment: struct vio_args (VIO_ARGS_SIZE bytes) at offset 0, the
	 *            name right after it, the second name after that (no
	 *            NULs), then the supplementary groups (u32 each);
	 *            granted with read access, and with write access too when
	 *            the request returns data there.
	 * Names are relative to the served root, as OPEN's; a name may not
	 * be empty except where a request says so (the root itself).
	 *
	 * Whose request it is.  A server acting as its clients' users (vfsd
	 * -U) takes the asserted uid and gid only from a sender its kernel
	 * reports as uid 0 on the same host or over a keyed link
	 * (V_CRED_KEYED): a file system client vouching for the users of
	 * its host, as NFS's AUTH_SYS.  From anyone else it uses the
	 * sender's own credentials; a remote sender over an unkeyed link claims
	 * any uid it likes and counts as 65534 (nobody).  Requests on an
	 * instance (READ, WRITE, LIST, FSYNC, LOCK, ...) run as whoever opened
	 * it.
	 *
	 * Replies: the code, 2 u16 type (VIO_TYPE_*), 4 u32 instance
	 * (CREATE), 8 u64 a count (READLINK), and for any code but V_OK
	 * 24 u32 the precise error, a Linux errno of the server's architecture
	 * (ENOTEMPTY, EISDIR, ENOTDIR, EXDEV, ...; 0 when unknown; READ and
	 * WRITE replies carry it too) so that a client can give programs the
	 * errno a local file system would.  STAT writes struct vio_attr at
	 * segment offset 0 (ReplyWithSegment); the requests that change
	 * something (SETATTR, CREATE, MKDIR, SYMLINK) do too when the segment
	 * is writable and has room for it, else they answer the code alone.
	 *
	 * Without -U a server acts as itself for everybody: it then refuses
	 * to change owners (SETATTR uid/gid: V_NO_PERMISSION) and drops the
	 * set-user-id, set-group-id and sticky bits from every mode it is
	 * given.
	 */
	/* STAT: the name (lstat: a symlink is not followed; an empty name
	 * is the root), or with name length 0 and an instance, fstat.
	 * reply: attributes. */
	VIO_STAT,
	/* SETATTR: a name or an instance; vio_args.valid says which of
	 * mode, uid, gid, size, atime_ns, mtime_ns to set (VIO_SET_*).
	 * reply: attributes. */
	VIO_SETATTR,
	/* CREATE: open the name, creating it as OPEN's VIO_O_CREATE with
	 * vio_args.mode (flags: VIO_O_*, VIO_O_APPEND); a regular file, or
	 * for reading only a directory (LIST it; the root: an empty name).
	 * reply: 2 u16 type, 4 u32 instance, 16 u32 VIO_CACHED_* (see
	 * "Caching" below), attributes. */
	VIO_CREATE,
	/* MKDIR: vio_args.mode.  reply: attributes. */
	VIO_MKDIR,
	/* UNLINK: a file, symlink or (with VIO_UNLINK_DIR) an empty
	 * directory: unlink(2) / rmdir(2). */
	VIO_UNLINK,
	/* RENAME: name to the second name; flags: VIO_RENAME_NOREPLACE,
	 * VIO_RENAME_EXCHANGE (renameat2's). */
	VIO_RENAME,
	/* LINK: a new name (the second) for the file the name names. */
	VIO_LINK,
	/* SYMLINK: the name becomes a symlink whose target is the second
	 * name (any bytes but NUL: the client resolves it, never the
	 * server).  reply: attributes. */
	VIO_SYMLINK,
	/* READLINK: the target is written at segment offset 0 (write
	 * access, at most the segment's length); reply 8 u64 its length. */
	VIO_READLINK,
	/* FSYNC: an instance; flags VIO_FSYNC_DATA: fdatasync. */
	VIO_FSYNC,
	/* STATFS: struct vio_statfs at segment offset 0. */
	VIO_STATFS,
	/*
	 * LOCK: an instance; a record lock (vio_args.lock_*) held at the
	 * server by the instance (an open file description's lock, as
	 * F_OFD_SETLK: two instances conflict, one instance never
	 * conflicts with itself), or with VIO_LOCK_FLOCK a flock(2) lock.
	 * Never blocks: a conflicting lock is V_RETRY (EAGAIN), and the
	 * client tries again.  VIO_LOCK_TEST (F_OFD_GETLK): reply 8 u64
	 * start, 16 u64 length of a conflicting lock, 2 u16 its type
	 * (VIO_LOCK_UNLOCK: none).  A CLOSE drops the instance's locks.
	 */
	VIO_LOCK,
	/*
	 * REVOKE: sent by a file server to a client's cache process (never
	 * to a server): 2 u16 flags (VIO_REVOKE_NAME: a name of the file
	 * went or changed: UNLINK, RENAME, LINK; the client forgets the
	 * name too), 8 u64 the file (vio_attr.ino), 16 u64 the manager
	 * whose file it is (the id the client sends its requests to; the
	 * Send itself may come from another V process of the manager's
	 * host).  The client drops what it caches of that file (pages,
	 * attributes, names) and answers V_OK, or V_NOT_FOUND when it caches
	 * nothing of it; a server takes any other answer as a failure (the
	 * cache process is forgotten).  A cache process takes REVOKE only
	 * from a sender on the host of a manager it registered with (else
	 * V_NO_PERMISSION).
	 */
	VIO_REVOKE,
	/*
	 * CACHE_HELLO: Sent by a client's cache process to a server before
	 * its client names it in a request (no arguments): the server
	 * learns its host and uid from its kernel (over an unkeyed link: as
	 * claimed) and watches it.  errors: V_NO_SERVER_RESOURCES (the
	 * server's table, or the sender's
	 * (host, uid) at its cache processes' limit), V_NOT_SUPPORTED (the
	 * server lets nobody cache: vfsd -C 0).  Again after a CACHE_HELLO
	 * answered V_OK: V_OK.
	 */
	VIO_CACHE_HELLO,
	VIO_REQUEST_END
};

/* The argument layout's message fields. */
#define VIO_ARG_NAME2_LEN_OFF	10
#define VIO_ARG_UID_OFF		12
#define VIO_ARG_GID_OFF		16
#define VIO_ARG_ASSERT_OFF	20	/* u16 */
#define VIO_ASSERT		1
#define VIO_ARG_NGROUPS_OFF	22	/* u16 */
#define VIO_GROUPS_MAX		32
#define VIO_ARG_ERRNO_OFF	24	/* in a reply */
#define VIO_ARG_CACHE_OFF	24	/* u64 in a request: the cache process */
#define VIO_ARG_CACHED_OFF	16	/* u32 in a CREATE reply: VIO_CACHED_* */
#define VIO_CACHED_HELD		0x1	/* the client holds the file: it may
					 * cache its pages while it does */
#define VIO_CACHED_KEEP		0x2	/* it held the file before this
					 * CREATE: what it cached is current */
#define VIO_REVOKE_NAME		0x0001
#define VIO_REVOKE_FILE_OFF	8
#define VIO_REVOKE_MANAGER_OFF	16

/*
 * Caching (the V OS page: "a cache of pages from open files", kept
 * consistent by the file server).  A client that caches files (vfs: the
 * kernel's page cache, attribute cache and names) has a *cache process*,
 * a V process of its own that Receives REVOKE.  The cache process
 * registers with each server (CACHE_HELLO); the client then names it at
 * VIO_ARG_CACHE_OFF in every request of the argument layout.  A server
 * takes that only from the cache process's own host and uid (else
 * V_NO_PERMISSION with ESTALE: also what a client hears once the server
 * has forgotten its cache process, below; it then drops everything it
 * cached from that server and registers again).
 *
 * The server records a *holding* (file, cache process) when such a client
 * STATs a regular file, CREATEs (opens) one, or READs or STATs an
 * instance it opened so; any change to the file's data, attributes or
 * names through the server (WRITE, SETATTR, OPEN or CREATE with TRUNC,
 * WRITE_NAMED, UNLINK, RENAME of it or over it, LINK) ends every holding
 * of the file but the changer's, with a REVOKE Sent to each holder
 * *before* the change is answered: a write() on one host is seen by a
 * read() on another as soon as the write has returned.  Writes are
 * write-through (no client keeps dirty data but a shared mapping's, which
 * it writes back at msync or munmap).  A change waits for a file's
 * holders' answers at most VIO_REVOKE_TIMEOUT_MS in all (a RENAME changes
 * two files); a cache process that does not answer in time, is not
 * reached before that deadline, or has ended (a death notice), is
 * forgotten with all its holdings, and the change goes on.  A forgotten
 * client learns it at its next request (ESTALE); what its kernel serves
 * from its caches until then may be stale.
 *
 * Bounds: a cache process holds at most vfsd -C files it only looked at
 * (STAT; 4096 by default), and any number it has open (one holding per
 * file with instances; among the looked-at ones at the last close, over
 * the -C if need be: dropping it would leave the client caching with no
 * REVOKE to come).  At most 4 cache processes per (host, uid) register.  A
 * CREATE whose holding is refused answers without VIO_CACHED_HELD, and
 * the client must not cache that open file (vfs opens it with direct
 * I/O).  Changes made to the files directly on the server's host, not
 * through the server, revoke nothing.
 */
#define VIO_REVOKE_TIMEOUT_MS	5000
#define VIO_NAME_COMPONENT_MAX	255	/* a component's bytes (NAME_MAX) */

/* The arguments at segment offset 0, little-endian; unused fields zero. */
struct vio_args {
	__le32	valid;		/* SETATTR: VIO_SET_* */
	__le32	mode;		/* CREATE, MKDIR, SETATTR: permission bits */
	__le32	uid;		/* SETATTR */
	__le32	gid;		/* SETATTR */
	__le64	size;		/* SETATTR */
	__le64	atime_ns;	/* SETATTR: ns since the epoch (signed) */
	__le64	mtime_ns;	/* SETATTR */
	__le64	lock_start;	/* LOCK */
	__le64	lock_len;	/* LOCK: 0 = to the end of the file */
	__le32	lock_type;	/* LOCK: VIO_LOCK_READ, _WRITE, _UNLOCK */
	__le32	reserved;
};
#define VIO_ARGS_SIZE		64

#define VIO_SET_MODE		0x01
#define VIO_SET_UID		0x02
#define VIO_SET_GID		0x04
#define VIO_SET_SIZE		0x08
#define VIO_SET_ATIME		0x10
#define VIO_SET_MTIME		0x20
#define VIO_SET_ATIME_NOW	0x40
#define VIO_SET_MTIME_NOW	0x80
#define VIO_SET_MASK		0xff

#define VIO_O_APPEND		0x0020	/* CREATE only */
#define VIO_UNLINK_DIR		0x0001
#define VIO_RENAME_NOREPLACE	0x0001
#define VIO_RENAME_EXCHANGE	0x0002
#define VIO_FSYNC_DATA		0x0001
#define VIO_LOCK_TEST		0x0001
#define VIO_LOCK_FLOCK		0x0002

#define VIO_LOCK_READ		1
#define VIO_LOCK_WRITE		2
#define VIO_LOCK_UNLOCK		3

/* Attributes (STAT and others), little-endian, at segment offset 0. */
struct vio_attr {
	__le64	ino;
	__le64	size;
	__le64	blocks;		/* 512-byte units allocated */
	__le64	atime_ns;	/* ns since the epoch, signed (before 1970: < 0) */
	__le64	mtime_ns;
	__le64	ctime_ns;
	__le32	mode;		/* st_mode: the type bits and the permissions */
	__le32	nlink;
	__le32	uid;		/* the server's numbers (one uid space, as NFS) */
	__le32	gid;
	__le32	blksize;
	__le32	reserved[3];
};
#define VIO_ATTR_SIZE		80

/* STATFS, little-endian, at segment offset 0. */
struct vio_statfs {
	__le64	bsize;
	__le64	blocks;
	__le64	bfree;
	__le64	bavail;
	__le64	files;
	__le64	ffree;
	__le64	namemax;
	__le64	frsize;
};
#define VIO_STATFS_SIZE		64

/* WRITE_NAMED's own fields (its name is never inline). */
#define VIO_WN_DATA_LEN_OFF	12
#define VIO_WN_OFFSET_OFF	16

/* OPEN flags (u16 at VIO_FLAGS_OFF). */
#define VIO_O_READ		0x0001
#define VIO_O_WRITE		0x0002
#define VIO_O_CREATE		0x0004	/* create a file if missing */
#define VIO_O_TRUNC		0x0008	/* truncate to 0 (needs VIO_O_WRITE) */
#define VIO_O_EXCL		0x0010	/* with CREATE: fail if it exists */
#define VIO_O_MASK		0x001f

/* Object types (OPEN, QUERY, LIST). */
#define VIO_TYPE_FILE		1
#define VIO_TYPE_DIR		2
#define VIO_TYPE_OTHER		3	/* symlink inside, device, fifo, ... */

/*
 * A LIST record, all fields little-endian: reclen is the record's length
 * including the name, rounded up to a multiple of 8 (the next record starts
 * there); the name has name_len bytes and no NUL.
 */
struct vio_dirent {
	__le64	size;
	__le64	mtime_ns;
	__le16	reclen;
	__u8	type;		/* VIO_TYPE_* */
	__u8	name_len;	/* 1..255 */
	__u8	reserved[4];
	char	name[];
};

/* ======================================================================= */
/* The name-handling protocol (V OS page "Objects")                         */

/*
 * Object managers join V_GROUP_NAME_HANDLERS and own name prefixes; a
 * client resolves a name by sending LOOKUP to the group and keeps the
 * longest prefix among the replies.  Every member answers every LOOKUP:
 * V_OK when it owns a prefix of the name, V_NOT_FOUND ("no match")
 * otherwise, so a client may stop listening once every member has
 * answered (libv does: it knows the members from V_IOC_GROUP_MEMBERS) and
 * must not wait longer than its window for a member that stays silent.
 * A prefix matches when it equals the name or is followed in it by '/'.
 * vnamed, the manager of the root context, holds the global names no other
 * manager owns (VNAME_ADD) and answers like any other member: V_OK when
 * one of its names is a prefix of the looked-up name.
 *
 * Contexts.  Each directory a manager exports has a context id, a u32 of
 * the manager's choosing, never 0; a LOOKUP reply names (manager, context)
 * and the rest of the name is sent to that manager relative to that
 * context (VIO_CONTEXT_OFF of OPEN, REMOVE, WRITE_NAMED).  vfsd exports
 * one directory per prefix (-p), its served root, whose context id is
 * drawn at random when vfsd starts, so that a context a client kept from
 * an earlier vfsd is refused rather than taken for a new one.  A request
 * naming a context the manager does not have is answered V_NOT_FOUND
 * (ENOENT) whatever the name; context 0 means the served root, as it did
 * before contexts.  Clients may write a context directly as
 * "[MANAGER:CONTEXT]rest" (hex; libv_services.h, `vfile lookup`).
 * vnamed's entries carry the object id their manager gave (type
 * VNAME_TYPE_OBJECT), not a context.
 */
enum vname_request {
	/*
	 * LOOKUP: the name layout (context 0).
	 * reply: 2 u16 matched prefix length, 4 u32 local id (the context
	 *        the rest of the name is relative to, nonzero, for
	 *        VNAME_TYPE_CONTEXT; the object the name names in a vnamed
	 *        entry), 8 u64 manager id (the process to send the rest of
	 *        the name to), 16 u32 type (VNAME_TYPE_*); V_NOT_FOUND: no
	 *        prefix of this member's matches
	 */
	VNAME_LOOKUP = V_REQ_SERVICE_BASE + 0x40,
	/*
	 * ADD (vnamed): a global name for an object: 2 u16 flags, 4 u32
	 * local id, 8 u16 name length, 16 u64 manager id; the name always in
	 * the segment.  errors: V_DUPLICATE_NAME, V_NO_PERMISSION
	 */
	VNAME_ADD,
	/* REMOVE (vnamed): the name layout.  errors: V_NOT_FOUND */
	VNAME_REMOVE,
	/*
	 * PREFIX: no arguments; sent to the group, every member that owns
	 * a prefix answers V_OK with 2 u16 its length, 4 the first
	 * min(length, VNAME_PREFIX_INLINE) bytes of it (so a client such as
	 * vfs can list the name space's top level); others V_NOT_FOUND.
	 */
	VNAME_PREFIX,
	VNAME_REQUEST_END
};

#define VNAME_PREFIX_LEN_OFF	2
#define VNAME_LOCAL_OFF		4
#define VNAME_MANAGER_OFF	8
#define VNAME_TYPE_OFF		16
#define VNAME_ADD_MANAGER_OFF	16

#define VNAME_PREFIX_OFF	4
#define VNAME_PREFIX_INLINE	(V_MSG_SIZE - VNAME_PREFIX_OFF)	/* 28 */

#define VNAME_TYPE_CONTEXT	1	/* a directory served by a manager */
#define VNAME_TYPE_OBJECT	2	/* a single object (a vnamed entry) */

/* ======================================================================= */
/* The time protocol                                                        */

/*
 * A V clock is the host's system clock (CLOCK_REALTIME) plus an offset
 * kept by that host's vtimed; vtimed instances (one per host) join
 * V_GROUP_TIME_SERVERS and slew their offsets towards the member with the
 * lowest id (the reference).
 */
enum vtime_request {
	/*
	 * GET: no arguments.
	 * reply: 8 u64 V clock (ns since the epoch, at the time of the
	 *        reply), 16 s64 offset (ns, V clock - system clock),
	 *        24 u64 the reference this server follows (itself when it
	 *        is the reference, 0 while it knows no other member)
	 */
	VTIME_GET = V_REQ_SERVICE_BASE + 0x80,
	/*
	 * SET: 8 u64 the new V time (ns since the epoch).  Sent to the group
	 * it sets the cluster's time.  reply: as GET, after the change.
	 * errors: V_NO_PERMISSION (a local sender other than root)
	 */
	VTIME_SET,
	VTIME_REQUEST_END
};

#define VTIME_CLOCK_OFF		8
#define VTIME_OFFSET_OFF	16
#define VTIME_REFERENCE_OFF	24

#endif /* VIO_H */
