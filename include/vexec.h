/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The V program manager protocol: what vexecd (one per host, a member of
 * V_GROUP_SCHEDULERS and the host's exec server, V_LID_EXEC_SERVER) and
 * its clients (vrun -H, vps, vctl proc) say to each other.  Like <vio.h>
 * it is a service protocol: the kernel never reads it.
 *
 * Messages follow <vio.h>'s conventions: request code in bytes 0-1 (from
 * V_REQ_SERVICE_BASE + 0xc0), little-endian fields at the byte offsets
 * given, unlisted bytes zero (a request with a reserved byte set gets
 * V_BAD_ARGS), standard reply codes.  A reply whose code is not V_OK
 * carries at byte 24 a u32 Linux errno saying precisely why
 * (VEXEC_ERRNO_OFF: ENOENT no such program, EACCES not executable by
 * that user, EPERM refused by policy, E2BIG over a limit, ...).
 *
 * Who may do what (docs/SECURITY.md "Remote execution"):
 *   - A request's uid is what the sender's kernel reports (struct
 *     v_creds).  A local sender's uid is vouched for by this kernel, a
 *     remote one's by the sender's kernel over a keyed link
 *     (V_CRED_KEYED).  Over an unkeyed link a uid is only a claim:
 *     vexecd refuses RUN, CONTROL, LIST, WAIT, SIGNAL and WINSIZE from
 *     such senders (V_NO_PERMISSION, EPERM) unless started with
 *     --allow-insecure-exec, and even then never acts as root for them,
 *     runs nothing for a claimed uid below 1000 and gives a claimed uid
 *     unknown here the group nogroup.  A forwarded request (struct
 *     v_receive.forwarder set) is refused whoever sent it first: Forward
 *     keeps the first sender's credentials, not its message.
 *   - A program runs as the requesting uid (its primary group and the
 *     supplementary groups of that user in this host's user database;
 *     the uid's own number when the user is unknown here).  uid 0 is
 *     refused (EPERM) unless vexecd runs with --allow-root; a local root
 *     is always root.
 *   - CONTROL acts on a process owned by the requesting uid; root (as
 *     above) acts on any.  LIST shows the requester's own programs, all
 *     of them to a local sender holding CAP_NET_ADMIN.
 *   - LOAD and HOSTS carry nothing secret and are answered to anyone;
 *     a LOAD is recorded only from root of this host or of a keyed host,
 *     unforwarded.
 *   - A program's stdio relays Send as the program's user (effective uid
 *     and gid), never as vexecd's root.
 */
#ifndef VEXEC_H
#define VEXEC_H

#include <linux/types.h>
#include <linux/v.h>

#define VEXEC_ERRNO_OFF		24	/* u32 in a reply other than V_OK */

enum vexec_request {
	/*
	 * RUN (to a vexecd: its id, or V_GROUP_SCHEDULERS qualified by any
	 * id of its host, e.g. host part << 32): start a program.
	 *   2 u16 flags VEXEC_RUN_*
	 *   4 u32 bytes of the run block (struct vexec_run and its strings)
	 *         at segment offset 0, at most VEXEC_RUN_MAX
	 *   8 u64 the stream server serving the program's stdio instances
	 *         (struct vexec_run.stdio), or 0: all three are /dev/null
	 *  16 u64 image length: with VEXEC_RUN_IMAGE, the program's bytes
	 *         in the segment at offset VEXEC_IMAGE_OFF(run block
	 *         length), at most VEXEC_IMAGE_MAX; else 0
	 * The segment is granted with read access.
	 *
	 * The program: with VEXEC_RUN_IMAGE the executable the caller sent
	 * (an ELF file: executed from memory); with VEXEC_RUN_VFILE a V file
	 * name ("[MANAGER:CONTEXT]rest" or a name of the prefix table the
	 * environment's V_PREFIXES carries) that `vrun` loads over V as the
	 * user on the exec host; else a path on the exec host, searched in
	 * the PATH of the environment given when it has no '/'.  It runs in
	 * a session of its own as the uid above, in the working directory
	 * given (absolute: EINVAL otherwise; ENOENT when it does not exist
	 * there), with the environment given, every signal at its default,
	 * umask 022, and no descriptor of vexecd's.
	 *
	 * reply: V_OK, 8 u64 the program's V process (its id: WAIT, SIGNAL,
	 *        WINSIZE go there; CONTROL names it), 16 u32 its pid on
	 *        the exec host.  The reply comes once the program is
	 *        executing (exec() succeeded).
	 * errors: V_NOT_FOUND (ENOENT: no such program or directory),
	 *         V_NO_PERMISSION (EACCES: not executable or directory not
	 *         searchable by the user; EPERM: root refused, or an
	 *         unkeyed link), V_BAD_ARGS (EINVAL malformed, E2BIG over a
	 *         limit), V_BAD_BUFFER (segment shorter than said),
	 *         V_NO_SERVER_RESOURCES (EAGAIN: the program table or the
	 *         user's share of it is full; ENOMEM, EMFILE),
	 *         V_IO_ERROR (another errno from exec: ENOEXEC, ...)
	 */
	VEXEC_RUN = V_REQ_SERVICE_BASE + 0xc0,
	/*
	 * LOAD (a group Send to V_GROUP_SCHEDULERS, from each vexecd's own
	 * process about once a second and when it starts or ends a program):
	 *   4 u32 load of the host: its 1-minute load average per CPU, in
	 *         hundredths
	 *   8 u32 CPU used by the programs this vexecd runs, in hundredths
	 *         of a CPU per CPU of the host, over the last interval
	 *  12 u32 programs running
	 *  16 u64 memory available (KiB, MemAvailable)
	 *  24 u32 V processes on the host
	 *  28 u16 CPUs online
	 * reply: V_OK (every member records the sender's load).
	 */
	VEXEC_LOAD,
	/*
	 * HOSTS (to a vexecd): the loads it has heard in the last
	 * VEXEC_LOAD_AGE_MS, its own included, as struct vexec_host records
	 * written at segment offset 0 (write access, ReplyWithSegment).
	 * reply: V_OK, 8 u32 records written, 12 u32 records it has (more
	 * than written when the segment is short).
	 */
	VEXEC_HOSTS,
	/*
	 * LIST (to a vexecd): the programs it runs (finished ones until
	 * their status was collected) that the sender may see, as struct
	 * vexec_prog records at segment offset 0 (write access).
	 * reply: as HOSTS.
	 */
	VEXEC_LIST,
	/*
	 * CONTROL (V_GROUP_SCHEDULERS qualified by the target's id: the
	 * kernel delivers it to the target's host only):
	 *   2 u16 operation VEXEC_OP_*
	 *   4 u32 signal for VEXEC_OP_KILL (0: SIGTERM), Linux numbering
	 *   8 u64 the target: a program of that host's vexecd (acts on its
	 *         session: the leader's process group and every process of
	 *         the session), or any other V process of that host (acts on
	 *         the process that created the socket: netlink V_A_PROC_PID)
	 * reply: V_OK and for every operation the target's state after it:
	 *         2 u16 VEXEC_KIND_*, 4 u32 owner uid, 8 u32 pid on its host
	 *         (0: not visible), 12 u8 state (a letter of /proc/PID/stat:
	 *         'R', 'S', 'T', 'Z', ...; 'X' once exited), 13 u8 flags
	 *         VEXEC_Q_*, 16 u64 CPU time used (ns), 24 u32 wait status
	 *         when exited
	 * errors: V_NOT_FOUND (ESRCH: no such process on this host),
	 *         V_NO_PERMISSION (EPERM), V_BAD_ARGS (EINVAL: bad operation
	 *         or signal, a group id)
	 */
	VEXEC_CONTROL,
	/*
	 * WAIT (to a program's V process): the reply comes when the program
	 * has ended and its output has reached the stream server (at most
	 * VEXEC_DRAIN_MS after its end: a background process keeping its
	 * stdout open is not waited for).
	 * reply: V_OK, 8 u32 wait status (waitpid()'s encoding), 12 u32
	 *        VEXEC_W_* flags.  Up to 8 WAITs may be held at once (then
	 *        V_NO_SERVER_RESOURCES); the status is kept for
	 *        VEXEC_LINGER_MS after one was answered, or after the end
	 *        when nobody asked (then the V process closes: ESRCH).
	 *        WAIT, SIGNAL, WINSIZE: reserved bytes zero (V_BAD_ARGS).
	 * Who may: the uid that ran it, or root (as above): else
	 * V_NO_PERMISSION.  The same holds for SIGNAL and WINSIZE.
	 *
	 * A program's session ends with it: when its leader ends, what it
	 * left in the session is hung up (SIGHUP), and killed at the drain
	 * bound if still there.  A process meant to outlive it leaves the
	 * session (setsid), and vexecd then no longer knows it.
	 */
	VEXEC_WAIT,
	/*
	 * SIGNAL (to a program's V process): 4 u32 signal (Linux numbering,
	 * 1..64), sent to the program's process group.  reply: V_OK, or
	 * V_BAD_STATE once it has ended, V_BAD_ARGS for a bad number.
	 */
	VEXEC_SIGNAL,
	/*
	 * WINSIZE (to a program's V process, run with VEXEC_RUN_PTY):
	 * 4 u16 rows, 6 u16 columns, 8 u16 width px, 10 u16 height px.
	 * The program's terminal takes the size (and its foreground group
	 * SIGWINCH).  reply: V_OK, V_BAD_STATE without a terminal.
	 */
	VEXEC_WINSIZE,
	VEXEC_REQUEST_END
};

/* RUN flags */
#define VEXEC_RUN_PTY		0x0001	/* a pseudo-terminal as stdin, stdout
					 * and stderr; its output goes to
					 * stdio[1], stdio[2] is unused */
#define VEXEC_RUN_IMAGE		0x0002	/* the executable is in the segment */
#define VEXEC_RUN_VFILE		0x0004	/* the program is a V file name */
#define VEXEC_RUN_MASK		0x0007

#define VEXEC_RUN_MAX		(256U << 10)	/* run block: ARG_MAX's default */
#define VEXEC_IMAGE_MAX		(256ULL << 20)
#define VEXEC_STRINGS_MAX	8192		/* argv + envp entries */
#define VEXEC_IMAGE_OFF(run_len)	(((run_len) + 7U) & ~7U)

/*
 * The run block (segment offset 0): this header, then count NUL-terminated
 * strings back to back (strings_len bytes, the last byte a NUL): the
 * program, the working directory, argc arguments (argv[0] first), envc
 * environment entries ("NAME=value").
 */
struct vexec_run {
	__le32	size;		/* sizeof(struct vexec_run): 48 */
	__le32	argc;		/* 1..VEXEC_STRINGS_MAX, with envc */
	__le32	envc;
	__le32	strings_len;
	__le32	stdio[3];	/* instance ids at the stream server; 0:
				 * /dev/null */
	__le16	rows;		/* VEXEC_RUN_PTY: the terminal's size */
	__le16	cols;
	__le16	xpixel;
	__le16	ypixel;
	__le32	reserved[3];
};
#define VEXEC_RUN_SIZE		48

/*
 * Stdio as V I/O stream instances.  The caller serves the program's
 * stdin, stdout and stderr as instances of the V I/O protocol (<vio.h>)
 * with stream semantics; vexecd's relays are their clients:
 *   READ   (stdin) blocks until at least one byte is there and returns
 *          what there is, up to the length asked; V_END_OF_FILE at end
 *          of input.  The offset is ignored.
 *   WRITE  (stdout, stderr) may write less than asked (the count in the
 *          reply; the relay writes the rest again); V_IO_ERROR with EPIPE
 *          when the reader went away (the relay then closes the
 *          program's end: the program gets SIGPIPE).  The offset is
 *          ignored.
 *   CLOSE  ends the instance (stdin: the caller stops reading).
 * A stream server answers only the exec host's processes (the sender's
 * host part) running as the caller's uid (struct v_creds; a remote
 * sender's uid is its kernel's word, a keyed host's only with
 * V_CRED_KEYED), Sending directly (not forwarded), on the instance ids it
 * named: picked at random for each run, nonzero and distinct.  vexecd's
 * relays Send as the program's uid, which is the caller's.  Relays send
 * at most VEXEC_CHUNK bytes per request.
 */
#define VEXEC_CHUNK		(16U << 10)

/* A HOSTS record (little-endian). */
struct vexec_host {
	__le64	server;		/* the vexecd (the LOAD sender) */
	__le32	host;		/* its host part */
	__le32	age_ms;		/* since its last LOAD */
	__le32	runq;		/* LOAD's fields */
	__le32	cpu;
	__le32	programs;
	__le32	vprocs;
	__le64	mem_kib;
	__le32	score;		/* runq + cpu: placement takes the lowest
				 * (ties: most memory, fewest V processes,
				 * lowest host part) */
	__le16	ncpus;
	__le16	reserved;
};
#define VEXEC_HOST_SIZE		48

/* A LIST record (little-endian). */
struct vexec_prog {
	__le64	id;		/* the program's V process */
	__le64	client;		/* the V process that ran it */
	__le64	cpu_ns;		/* CPU time of its session */
	__le64	started_ns;	/* CLOCK_REALTIME of the exec host */
	__le32	uid;
	__le32	pid;		/* on the exec host */
	__le32	status;		/* wait status once exited */
	__u8	state;		/* 'R', 'S', 'T', ... or 'X' once exited */
	__u8	reserved[3];
	char	cmd[64];	/* argv joined by spaces, cut, NUL-terminated */
};
#define VEXEC_PROG_SIZE		112

/* CONTROL operations */
enum vexec_op {
	VEXEC_OP_QUERY = 1,
	VEXEC_OP_SUSPEND,	/* SIGSTOP */
	VEXEC_OP_RESUME,	/* SIGCONT */
	VEXEC_OP_KILL,		/* the signal given, SIGTERM by default */
	VEXEC_OP_END
};

/* CONTROL reply: what the target is */
#define VEXEC_KIND_PROGRAM	1	/* a program vexecd runs */
#define VEXEC_KIND_PROCESS	2	/* another V process of the host */
#define VEXEC_Q_EXITED		0x01

/* WAIT reply flags */
#define VEXEC_W_DRAINED		0x0001	/* all output reached the stream
					 * server (else cut at VEXEC_DRAIN_MS
					 * or lost with the stream server) */

#define VEXEC_LOAD_INTERVAL_MS	1000
#define VEXEC_LOAD_AGE_MS	5000	/* a host not heard from for this long
					 * is left out of HOSTS */
#define VEXEC_DRAIN_MS		2000
#define VEXEC_LINGER_MS		30000

#endif /* VEXEC_H */
