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
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
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
	qemu_plugin_register_vcpu_tb_exec_cb(tb, insns_tb_exec, QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)n);
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
	(void)info;
	(void)argc;
	(void)argv;
	qemu_plugin_register_vcpu_tb_trans_cb(id, insns_tb_trans);
	return 0;
}
