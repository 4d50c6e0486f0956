// SPDX-License-Identifier: GPL-2.0
/*
 * A TCG plugin for `make bench`: counts the guest instructions every vCPU
 * executes, user and kernel alike, and prints the sum over all vCPUs each
 * time a mark executes.  Times under TCG follow the host's load; the
 * number of instructions a loop executes barely does
 * (../shared/KERNEL-TESTING.md, docs/PERFORMANCE.md).
 *
 * A mark is the 8-byte NOP `nopl 0x0(%rax,%rax,1)` with a displacement
 * whose top 16 bits are INSNS_MAGIC (vbench --insns executes them around
 * each row's client loop); the low 16 bits say which mark it is.  When one
 * executes, the plugin writes "vk-insns <displacement, hex> <total>" to
 * QEMU's log (-d plugin -D FILE).
 *
 * Debian's QEMU 7.2 ships no qemu-plugin.h: the few functions of plugin
 * API version 1 used here are declared below, as that header declares
 * them.  Counting is one callback per translation block executed, into
 * the executing vCPU's own counter (no atomics, no lost updates under
 * multi-threaded TCG); a block left early (an interrupt, a fault) counts
 * whole, a bias of a few instructions per interrupt.
 *
 *   qemu-system-x86_64 ... -plugin build/qemu/libinsns.so -d plugin -D insns.log
 *
 * With the argument prof=on (-plugin libinsns.so,prof=on) it also counts,
 * for each translation block's guest address, the instructions executed
 * between a row's first mark and its last (an even mark starts, an odd one
 * stops), and writes them when QEMU exits as "vk-prof ADDRESS INSNS":
 * scripts/bench-profile.sh turns them into instructions per function.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSNS_MAGIC	0x564bu		/* "VK" */
#define INSNS_VCPUS	64

/* ---- qemu-plugin.h, API version 1 (QEMU 7.2), as much as is used ---- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
				    void *userdata);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_outs(const char *string);
/* ---- end of the declarations ---- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

/* Each on a cache line of its own: vCPU threads write them side by side. */
static struct {
	uint64_t n;
	char pad[56];
} count[INSNS_VCPUS];

static void insns_tb_exec(unsigned int vcpu, void *udata)
{
	count[vcpu % INSNS_VCPUS].n += (uintptr_t)udata;
}

/*
 * prof=on: one record per translated block, chained for the dump at exit
 * (a block translated twice has two; the dump adds them up).  Blocks are
 * translated under QEMU's own lock but the chain gets one of its own.
 * The counts race between vCPUs; vbench's rows run on one.
 */
struct insns_tb {
	uint64_t vaddr;
	uint64_t n;
	uint64_t insns;
	struct insns_tb *next;
};

static int prof_on;
static volatile int prof_active;
static struct insns_tb *prof_tbs;
static pthread_mutex_t prof_lock = PTHREAD_MUTEX_INITIALIZER;

static void insns_tb_prof(unsigned int vcpu, void *udata)
{
	struct insns_tb *p = udata;

	count[vcpu % INSNS_VCPUS].n += p->n;
	if (prof_active)
		p->insns += p->n;
}

static int insns_tb_cmp(const void *a, const void *b)
{
	const struct insns_tb *x = *(struct insns_tb * const *)a;
	const struct insns_tb *y = *(struct insns_tb * const *)b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static void insns_prof_dump(qemu_plugin_id_t id, void *udata)
{
	struct insns_tb **v, *p;
	size_t n = 0, i;
	char line[64];

	(void)id;
	(void)udata;
	for (p = prof_tbs; p; p = p->next)
		n += p->insns != 0;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return;
	n = 0;
	for (p = prof_tbs; p; p = p->next)
		if (p->insns)
			v[n++] = p;
	qsort(v, n, sizeof(*v), insns_tb_cmp);
	for (i = 0; i < n; i++) {
		uint64_t sum = v[i]->insns;

		while (i + 1 < n && v[i + 1]->vaddr == v[i]->vaddr)
			sum += v[++i]->insns;
		snprintf(line, sizeof(line), "vk-prof %016" PRIx64 " %" PRIu64 "\n",
			 v[i]->vaddr, sum);
		qemu_plugin_outs(line);
	}
	free(v);
}

/*
 * A mark: the other vCPUs' counters are read while they run, so the sum
 * is exact for this vCPU and within one block for the others (which, in
 * vbench's runs, halt).
 */
static void insns_mark(unsigned int vcpu, void *udata)
{
	uint64_t total = 0;
	char line[64];
	int i;

	(void)vcpu;
	prof_active = !((uintptr_t)udata & 1);
	for (i = 0; i < INSNS_VCPUS; i++)
		total += __atomic_load_n(&count[i].n, __ATOMIC_RELAXED);
	snprintf(line, sizeof(line), "vk-insns %08" PRIxPTR " %" PRIu64 "\n",
		 (uintptr_t)udata, total);
	qemu_plugin_outs(line);
}

/* The displacement of a mark, or 0 if insn is not one. */
static uint32_t insns_mark_of(const struct qemu_plugin_insn *insn)
{
	static const uint8_t nopl[4] = { 0x0f, 0x1f, 0x84, 0x00 };
	const uint8_t *b = qemu_plugin_insn_data(insn);
	uint32_t disp;

	if (qemu_plugin_insn_size(insn) != 8 || memcmp(b, nopl, sizeof(nopl)))
		return 0;
	memcpy(&disp, b + 4, sizeof(disp));	/* little-endian guest and host */
	return disp >> 16 == INSNS_MAGIC ? disp : 0;
}

static void insns_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	uint32_t mark;

	(void)id;
	if (prof_on) {
		struct insns_tb *p = calloc(1, sizeof(*p));

		if (!p)
			abort();
		p->vaddr = qemu_plugin_tb_vaddr(tb);
		p->n = n;
		pthread_mutex_lock(&prof_lock);
		p->next = prof_tbs;
		prof_tbs = p;
		pthread_mutex_unlock(&prof_lock);
		qemu_plugin_register_vcpu_tb_exec_cb(tb, insns_tb_prof, QEMU_PLUGIN_CB_NO_REGS, p);
	} else {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, insns_tb_exec, QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)n);
	}
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		mark = insns_mark_of(insn);
		if (mark)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, insns_mark,
							       QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)mark);
	}
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "prof=on"))
			prof_on = 1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, insns_tb_trans);
	if (prof_on)
		qemu_plugin_register_atexit_cb(id, insns_prof_dump, NULL);
	return 0;
}
