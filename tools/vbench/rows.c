// SPDX-License-Identifier: GPL-2.0
/*
 * vbench's rows: the table (a row is added here, its measurement in
 * run_rows() below) and the rounds that measure them.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "vbench.h"

/* ------------------------------------------------------------------------ */
/* The table of rows                                                         */

#define ROW(k, u, kd, v) { .key = (k), .unit = (u), .kind = (kd), .vref = (v) }

struct row rows[] = {
	ROW("local_srr_ns", "ns", R_LAT, NULL),
	ROW("pipe_rr_ns", "ns", R_LAT, "local_srr_ns"),
	ROW("uds_rr_ns", "ns", R_LAT, "local_srr_ns"),
	ROW("eventfd_rr_ns", "ns", R_LAT, "local_srr_ns"),
	ROW("binder_rr_ns", "ns", R_LAT, "local_srr_ns"),
	ROW("local_movefrom_64k_mbps", "MB/s", R_BW, NULL),
	ROW("process_vm_readv_64k_mbps", "MB/s", R_BW, "local_movefrom_64k_mbps"),
	ROW("local_moveto_64k_mbps", "MB/s", R_BW, NULL),
	ROW("process_vm_writev_64k_mbps", "MB/s", R_BW, "local_moveto_64k_mbps"),
	ROW("local_movefrom_1m_mbps", "MB/s", R_BW, NULL),
	ROW("process_vm_readv_1m_mbps", "MB/s", R_BW, "local_movefrom_1m_mbps"),
	ROW("local_moveto_1m_mbps", "MB/s", R_BW, NULL),
	ROW("process_vm_writev_1m_mbps", "MB/s", R_BW, "local_moveto_1m_mbps"),
	ROW("remote_srr_us", "us", R_LAT, NULL),
	ROW("remote_srr_keyed_us", "us", R_LAT, NULL),
	ROW("udp_srr_us", "us", R_LAT, NULL),
	ROW("udp_rr_us", "us", R_LAT, "remote_srr_us"),
	ROW("tcp_rr_us", "us", R_LAT, "remote_srr_us"),
	ROW("tipc_rr_us", "us", R_LAT, "remote_srr_us"),
	ROW("raw_packet_rr_us", "us", R_LAT, "remote_srr_us"),
	ROW("peer_srr_us", "us", R_LAT, NULL),
	ROW("peer_udp_rr_us", "us", R_LAT, "peer_srr_us"),
	ROW("peer_tcp_rr_us", "us", R_LAT, "peer_srr_us"),
	ROW("peer_tipc_rr_us", "us", R_LAT, "peer_srr_us"),
	ROW("peer_raw_packet_rr_us", "us", R_LAT, "peer_srr_us"),
	ROW("remote_moveto_64k_ms", "ms", R_LAT, NULL),
	ROW("raw_packet_64k_ms", "ms", R_LAT, "remote_moveto_64k_ms"),
	ROW("remote_movefrom_1m_mbps", "MB/s", R_BW, NULL),
	ROW("remote_movefrom_1m_keyed_mbps", "MB/s", R_BW, NULL),
	ROW("tcp_stream_1m_mbps", "MB/s", R_BW, "remote_movefrom_1m_mbps"),
	ROW("file_seq_read_page_us", "us", R_LAT, NULL),
	ROW("tcp_file_page_us", "us", R_LAT, "file_seq_read_page_us"),
	ROW("file_page_write_us", "us", R_LAT, NULL),
	ROW("tcp_file_page_write_us", "us", R_LAT, "file_page_write_us"),
	ROW("file_read_mbps", "MB/s", R_BW, NULL),
	ROW("tcp_file_read_mbps", "MB/s", R_BW, "file_read_mbps"),
	ROW("name_lookup_us", "us", R_LAT, NULL),
	ROW("vfs_read_4k_uncached_us", "us", R_LAT, NULL),
	ROW("nfs_read_4k_uncached_us", "us", R_LAT, "vfs_read_4k_uncached_us"),
	ROW("vfs_read_4k_cached_us", "us", R_LAT, NULL),
	ROW("nfs_read_4k_cached_us", "us", R_LAT, "vfs_read_4k_cached_us"),
	ROW("vfs_seq_read_mbps", "MB/s", R_BW, NULL),
	ROW("nfs_seq_read_mbps", "MB/s", R_BW, "vfs_seq_read_mbps"),
	ROW("vfs_seq_write_mbps", "MB/s", R_BW, NULL),
	ROW("nfs_seq_write_mbps", "MB/s", R_BW, "vfs_seq_write_mbps"),
	ROW("vfs_create_stat_unlink_us", "us", R_LAT, NULL),
	ROW("nfs_create_stat_unlink_us", "us", R_LAT, "vfs_create_stat_unlink_us"),
	ROW("local_srr_per_s_1", "1/s", R_RATE, NULL),
	ROW("local_srr_per_s_2", "1/s", R_RATE, NULL),
	ROW("local_srr_per_s_4", "1/s", R_RATE, NULL),
	ROW("remote_srr_per_s_1", "1/s", R_RATE, NULL),
	ROW("remote_srr_per_s_2", "1/s", R_RATE, NULL),
	ROW("remote_srr_per_s_4", "1/s", R_RATE, NULL),
};

const size_t rows_n = sizeof(rows) / sizeof(rows[0]);

struct row *row_get(const char *key)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].key, key))
			return &rows[i];
	return NULL;
}

void __attribute__((format(printf, 2, 3))) row_skip(const char *key, const char *fmt, ...)
{
	struct row *r = row_get(key);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->skipped, sizeof(r->skipped), fmt, ap);
	va_end(ap);
	r->done = 1;
	if (!opt.json)
		fprintf(stderr, "vbench: %-28s skipped: %s\n", key, r->skipped);
}

/* Is key selected by --only (substrings separated by , or +)? */
static int selected(const char *key)
{
	char buf[512], *tok, *save = NULL;

	if (!opt.only)
		return 1;
	snprintf(buf, sizeof(buf), "%s", opt.only);
	for (tok = strtok_r(buf, ",+", &save); tok; tok = strtok_r(NULL, ",+", &save))
		if (strstr(key, tok))
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                      */

void lat_row(const char *key, int ret, double div)
{
	finish(key, ret, 0, div);
}

static void bw_row(const char *key, int ret, size_t bytes)
{
	finish(key, ret, bytes, 1);
}

static void rate_row(const char *key, int ret)
{
	struct row *r = row_get(key);
	uint64_t ops = 0;
	int i;

	if (ret) {
		row_skip(key, "failed: %s", G->err[0] ? G->err : "?");
		return;
	}
	for (i = 0; i < MAXP; i++)
		ops += G->ops[i];
	r->ops += ops;
	r->rounds++;
}

/* A mount row (prefix "vfs_" / "nfs_", or a whole key) still wanted? */
static int want_mount(const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; i < NROWS; i++)
		if (!strncmp(rows[i].key, key, n) && selected(rows[i].key) && !rows[i].done &&
		    (!strncmp(rows[i].key, "vfs_", 4) || !strncmp(rows[i].key, "nfs_", 4)))
			return 1;
	return 0;
}

/*
 * A page write row (F_VFSD or F_TCP): 4 KiB writes from A to a file in B,
 * with the frames each write put on the link (as the remote round-trip
 * rows count them; vfsd's start and the open are counted too, a few frames
 * over hundreds of writes): one round trip is a request and its answer.
 */
static void file_write_row(const char *key, int mode)
{
	struct row *r = row_get(key);
	int64_t f0, f1;
	int ret;

	f0 = link_frames(NS_A, IF_A);
	ret = file_job(mode | F_WRITE, FILE_PAGE, 1);
	f1 = link_frames(NS_A, IF_A);
	if (!ret && f0 >= 0 && f1 >= f0) {
		r->frames += (uint64_t)(f1 - f0);
		r->iters += G->iters;
	}
	lat_row(key, ret, 1e3);
}

/*
 * The _keyed twins of remote rows, with a cluster key on both hosts for
 * their duration (no target: what authentication costs is reported).
 */
static void keyed_rows(void)
{
	static const char *const keys[] = {
		"remote_srr_keyed_us", "remote_movefrom_1m_keyed_mbps",
	};
	size_t k;

	if (remote_key(1)) {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (selected(keys[k]) && !row_get(keys[k])->done)
				row_skip(keys[k], "vctl set key failed");
		remote_key(0);
		return;
	}
	if (selected(keys[0]) && !row_get(keys[0])->done)
		rr_row(keys[0], RR_V, 0);
	if (selected(keys[1]) && !row_get(keys[1])->done)
		bw_row(keys[1], v_job(NS_B, NS_A, V_MOVEFROM, MB1, 1, 40, 1, 0), MB1);
	remote_key(0);
}

/*
 * V over the UDP bearer (the same two namespaces, a UDP link on each
 * across the veth, the raw links detached meanwhile so no frame goes
 * raw; keyed, as every UDP link is).  Beside udp_rr_us and remote_srr_us.
 */
static void udp_bearer_row(void)
{
	const char *k = "udp_srr_us";

	if (remote_key(1) || remote_udp(1)) {
		row_skip(k, "vctl link add udp failed");
	} else {
		rr_row(k, RR_V, 0);
	}
	remote_udp(0);
	remote_key(0);
}

void run_rows(void)
{
	static const size_t sizes[2] = { KB64, MB1 };
	static const char *const sz[2] = { "64k", "1m" };
	char key[64];
	const char *why;
	uint64_t round;
	int s, p;

	static const char *const remote_rows[] = {
		"remote_srr_us", "remote_srr_keyed_us", "remote_movefrom_1m_keyed_mbps",
		"udp_srr_us", "udp_rr_us", "tcp_rr_us", "tipc_rr_us", "raw_packet_rr_us",
		"remote_moveto_64k_ms", "raw_packet_64k_ms", "remote_movefrom_1m_mbps",
		"tcp_stream_1m_mbps", "file_seq_read_page_us", "tcp_file_page_us",
		"file_page_write_us", "tcp_file_page_write_us",
		"file_read_mbps", "tcp_file_read_mbps", "name_lookup_us", "remote_srr_per_s_1",
		"vfs_read_4k_uncached_us", "nfs_read_4k_uncached_us", "vfs_read_4k_cached_us",
		"nfs_read_4k_cached_us", "vfs_seq_read_mbps", "nfs_seq_read_mbps",
		"vfs_seq_write_mbps", "nfs_seq_write_mbps", "vfs_create_stat_unlink_us",
		"nfs_create_stat_unlink_us",
		"remote_srr_per_s_2", "remote_srr_per_s_4",
	};
	/* By RR_ kind. */
	static const char *const peer_rows[] = {
		"peer_srr_us", "peer_udp_rr_us", "peer_tcp_rr_us", "peer_tipc_rr_us",
		"peer_raw_packet_rr_us",
	};
	size_t k;

	for (k = 0; k < sizeof(remote_rows) / sizeof(remote_rows[0]); k++)
		if (opt.remote_setup && selected(remote_rows[k])) {
			remote_setup();
			break;
		}
#define WANT(k) (selected(k) && !row_get(k)->done)
	/*
	 * Rounds: every row once per round, so that V and its baselines share
	 * whatever else the machine was doing meanwhile.
	 */
	for (round = 0; round < opt.rounds; round++) {
		if (!opt.json)
			fprintf(stderr, "vbench: round %" PRIu64 " of %" PRIu64 "\n", round + 1, opt.rounds);
		if (WANT("local_srr_ns"))
			lat_row("local_srr_ns", v_job(NULL, NULL, V_ECHO, 0, 0, 1, 1, 0), 1);
		if (WANT("pipe_rr_ns"))
			lat_row("pipe_rr_ns", fd_job(B_PIPE), 1);
		if (WANT("uds_rr_ns"))
			lat_row("uds_rr_ns", fd_job(B_UDS), 1);
		if (WANT("eventfd_rr_ns"))
			lat_row("eventfd_rr_ns", fd_job(B_EVENTFD), 1);
		if (WANT("binder_rr_ns")) {
			why = binder_prepare();
			if (why) {
				row_skip("binder_rr_ns", "%s", why);
			} else {
				struct job j = { .srv = binder_srv, .cli = binder_cli, .pairs = 1 };

				iters(&j, 1);
				lat_row("binder_rr_ns", run_job(&j, 0), 1);
			}
		}
		for (s = 0; s < 2; s++) {
			uint64_t div = s ? 8 : 2;

			snprintf(key, sizeof(key), "local_movefrom_%s_mbps", sz[s]);
			if (WANT(key))
				bw_row(key, v_job(NULL, NULL, V_MOVEFROM, sizes[s], 1, div, 1, 0), sizes[s]);
			snprintf(key, sizeof(key), "process_vm_readv_%s_mbps", sz[s]);
			if (WANT(key))
				bw_row(key, pvm_job(0, sizes[s], div), sizes[s]);
			snprintf(key, sizeof(key), "local_moveto_%s_mbps", sz[s]);
			if (WANT(key))
				bw_row(key, v_job(NULL, NULL, V_MOVETO, sizes[s], 1, div, 1, 0), sizes[s]);
			snprintf(key, sizeof(key), "process_vm_writev_%s_mbps", sz[s]);
			if (WANT(key))
				bw_row(key, pvm_job(1, sizes[s], div), sizes[s]);
		}

		if (remote_ok) {
			if (WANT("remote_srr_us"))
				rr_row("remote_srr_us", RR_V, 0);
			if (WANT("remote_srr_keyed_us") || WANT("remote_movefrom_1m_keyed_mbps"))
				keyed_rows();
			if (WANT("udp_srr_us"))
				udp_bearer_row();
			if (WANT("udp_rr_us"))
				rr_row("udp_rr_us", RR_UDP, 0);
			if (WANT("tcp_rr_us"))
				rr_row("tcp_rr_us", RR_TCP, 0);
			if (WANT("tipc_rr_us")) {
				why = tipc_prepare();
				if (why)
					row_skip("tipc_rr_us", "%s", why);
				else
					rr_row("tipc_rr_us", RR_TIPC, 0);
			}
			if (WANT("raw_packet_rr_us"))
				rr_row("raw_packet_rr_us", RR_RAW, 0);
			if (WANT("remote_moveto_64k_ms"))
				lat_row("remote_moveto_64k_ms",
					v_job(NS_B, NS_A, V_MOVETO, KB64, 1, 8, 1, 0), 1e6);
			if (WANT("raw_packet_64k_ms"))
				lat_row("raw_packet_64k_ms", raw_job(KB64, 8), 1e6);
			if (WANT("remote_movefrom_1m_mbps"))
				bw_row("remote_movefrom_1m_mbps",
				       v_job(NS_B, NS_A, V_MOVEFROM, MB1, 1, 40, 1, 0), MB1);
			if (WANT("tcp_stream_1m_mbps"))
				bw_row("tcp_stream_1m_mbps", net_job(N_TCP, MB1, 40), MB1);
		}

		for (k = 0; opt.peer_ip && k < sizeof(peer_rows) / sizeof(peer_rows[0]); k++) {
			if (!WANT(peer_rows[k]))
				continue;
			if (!peer.tried)
				peer_setup();
			if (!peer.ok)
				break;
			if (k == RR_TIPC && peer.no_tipc)
				row_skip(peer_rows[k], "%s", peer.no_tipc);
			else
				rr_row(peer_rows[k], (int)k, 1);
		}

		if (remote_ok && (WANT("file_seq_read_page_us") || WANT("tcp_file_page_us") ||
				  WANT("file_page_write_us") || WANT("tcp_file_page_write_us") ||
				  WANT("file_read_mbps") || WANT("tcp_file_read_mbps"))) {
			static const char *const fk[] = {
				"file_seq_read_page_us", "tcp_file_page_us",
				"file_page_write_us", "tcp_file_page_write_us",
				"file_read_mbps", "tcp_file_read_mbps",
			};

			why = file_prepare();
			for (k = 0; why && k < sizeof(fk) / sizeof(fk[0]); k++)
				if (WANT(fk[k]))
					row_skip(fk[k], "%s", why);
			if (WANT("file_seq_read_page_us"))
				lat_row("file_seq_read_page_us", file_job(F_VFSD, FILE_PAGE, 1), 1e3);
			if (WANT("tcp_file_page_us"))
				lat_row("tcp_file_page_us", file_job(F_TCP, FILE_PAGE, 1), 1e3);
			if (WANT("file_page_write_us"))
				file_write_row("file_page_write_us", F_VFSD);
			if (WANT("tcp_file_page_write_us"))
				file_write_row("tcp_file_page_write_us", F_TCP);
			if (WANT("file_read_mbps"))
				bw_row("file_read_mbps", file_job(F_VFSD, MB1, 40), MB1);
			if (WANT("tcp_file_read_mbps"))
				bw_row("tcp_file_read_mbps", file_job(F_TCP, MB1, 40), MB1);
		}

		if (remote_ok && WANT("name_lookup_us")) {
			why = file_prepare();
			if (why)
				row_skip("name_lookup_us", "%s", why);
			else
				lat_row("name_lookup_us", name_job(10), 1e3);
		}

		if (remote_ok && (want_mount("vfs_") || want_mount("nfs_"))) {
			mount_prepare();
			mount_rows(want_mount);
		}

		for (p = 1; p <= MAXP; p *= 2) {
			snprintf(key, sizeof(key), "local_srr_per_s_%d", p);
			if (WANT(key))
				rate_row(key, v_job(NULL, NULL, V_ECHO, 0, 0, 1, p, 1));
		}
		for (p = 1; p <= MAXP && remote_ok; p *= 2) {
			snprintf(key, sizeof(key), "remote_srr_per_s_%d", p);
			if (WANT(key))
				rate_row(key, v_job(NS_B, NS_A, V_ECHO, 0, 0, 1, p, 1));
		}
	}
	for (s = 0; s < (int)NROWS; s++) {
		finalize(&rows[s]);
		if (rows[s].done)
			continue;
		if (!selected(rows[s].key))
			row_skip(rows[s].key, "not selected (--only)");
		else
			row_skip(rows[s].key, "%s",
				 strncmp(rows[s].key, "peer_", 5) ? remote_why : peer.why);
	}
#undef WANT
	file_cleanup();
	mount_cleanup();
	if (opt.remote_setup && remote_ok)
		remote_teardown();
}
