/* A QEMU TCG plugin for the ARM cross-check (harness/tests/cores.rs): counts executed
 * instructions and writes the count whenever one of the firmware's counter-reading
 * instructions runs, so an independent engine says how many instructions each timed
 * region took.
 *
 * Arguments (-plugin file.so,reads=0x..:0x..,done=0x..,fault=0x..,out=PATH):
 *   reads    the addresses of the instructions that read DWT CYCCNT, ':'-separated.
 *            (Logging loads from 0xE0001004 with a memory callback does not work: QEMU
 *            7.2 calls no plugin memory callback for them, it models no DWT.)
 *   done     address of tinybench_done; fault: of tinybench_fault (Thumb bit ignored)
 *   out      file that gets one line per counter read: the instructions executed before
 *            the reading one; then "done" or "fault" when a marker is reached.
 *
 * The count is kept inline (an add per instruction, emitted before the instruction's own
 * code), so an instruction an IT block skips counts too, as in tinybench's emulator.
 * Callbacks run in the order they are registered.
 *
 * QEMU does not package its plugin header (qemu-plugin.h); the few declarations used are
 * written here from QEMU 7.2's documented plugin API (API version 1). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_info_t;

enum qemu_plugin_cb_flags { CB_NO_REGS = 0 };
enum qemu_plugin_op { INLINE_ADD_U64 = 0 };

typedef void (*tb_trans_cb)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*udata_cb)(unsigned int, void *);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *,
                                                enum qemu_plugin_op, void *, uint64_t);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, udata_cb,
                                            enum qemu_plugin_cb_flags, void *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t count; /* one vCPU: a plain counter is enough */
static uint64_t done, fault;
static uint64_t reads[4096];
static size_t n_reads;
static FILE *out;

static void on_read(unsigned int vcpu, void *udata) {
    (void)vcpu, (void)udata;
    fprintf(out, "%llu\n", (unsigned long long)count);
}

static bool is_read(uint64_t at) {
    for (size_t i = 0; i < n_reads; i++)
        if (reads[i] == at)
            return true;
    return false;
}

static void on_marker(unsigned int vcpu, void *udata) {
    (void)vcpu;
    fprintf(out, "%s\n", udata ? "done" : "fault");
    fclose(out);
    _exit(0); /* the run is over: nothing else of QEMU is needed */
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t at = qemu_plugin_insn_vaddr(insn) & ~1ull;
        /* The callback first, so it sees the count before this instruction. */
        if (is_read(at))
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_read, CB_NO_REGS, NULL);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, INLINE_ADD_U64, &count, 1);
        if (at == done || at == fault)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, CB_NO_REGS,
                                                   at == done ? (void *)1 : NULL);
    }
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc,
                    char **argv) {
    (void)info;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            continue;
        uint64_t v = strtoull(eq + 1, NULL, 0);
        if (!strncmp(argv[i], "reads=", 6)) {
            for (char *p = eq + 1; *p && n_reads < 4096; p++) {
                reads[n_reads++] = strtoull(p, &p, 0) & ~1ull;
                if (*p != ':')
                    break;
            }
        } else if (!strncmp(argv[i], "done=", 5))
            done = v & ~1ull;
        else if (!strncmp(argv[i], "fault=", 6))
            fault = v & ~1ull;
        else if (!strncmp(argv[i], "out=", 4))
            path = eq + 1;
    }
    if (!path || !n_reads || !done || !fault) {
        fprintf(stderr, "count plugin: needs reads=, done=, fault= and out=\n");
        return -1;
    }
    out = fopen(path, "w");
    if (!out)
        return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
    return 0;
}
