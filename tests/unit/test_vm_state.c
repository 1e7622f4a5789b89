/* Unit tests for the VM's lifecycle state machine (vmhost/vm-state.c): every
 * transition from every state, the names vm-status shows, and whole lives. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "vmhost/vm-state.h"

#define N_STATES (VM_FREEING + 1)

typedef int (*transition_fn)(enum vm_state *s);

/* One transition: for each state, where it leads, or -1 where it does not apply. */
struct row {
    const char *name;
    transition_fn fn;
    int to[N_STATES];
};

static int spawned_start(enum vm_state *s) { return vm_state_spawned(s, false); }
static int spawned_restore(enum vm_state *s) { return vm_state_spawned(s, true); }
static int status_running(enum vm_state *s) { return vm_state_guest_status(s, true); }
static int status_paused(enum vm_state *s) { return vm_state_guest_status(s, false); }
static int restored_running(enum vm_state *s) { return vm_state_restored(s, true); }
static int restored_paused(enum vm_state *s) { return vm_state_restored(s, false); }
static int exited_unasked(enum vm_state *s) { return vm_state_qemu_exited(s, false); }
static int exited_powered_off(enum vm_state *s) { return vm_state_qemu_exited(s, true); }

/* Columns in enum order: stopped, probing, probe-overdue, probed,
 * probe-cancelled, starting, restoring, running, paused, powering-down,
 * quitting, hibernating, hibernate-quitting, hibernated, died, freeing. */
#define NO -1
static const struct row table[] = {
    { "probe_begin", vm_state_probe_begin,
      { VM_PROBING, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, VM_PROBING, VM_PROBING, NO } },
    { "probe_overdue", vm_state_probe_overdue,
      { NO, VM_PROBE_OVERDUE, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO } },
    { "probe_exited", vm_state_probe_exited,
      { NO, VM_PROBED, VM_PROBED, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO } },
    { "probe_cancel", vm_state_probe_cancel,
      { NO, VM_PROBE_CANCELLED, VM_PROBE_CANCELLED, VM_PROBE_CANCELLED, NO, NO, NO, NO, NO, NO,
        NO, NO, NO, NO, NO, NO } },
    { "probe_abandoned", vm_state_probe_abandoned,
      { NO, NO, NO, NO, VM_STOPPED, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO } },
    { "spawned (start)", spawned_start,
      { VM_STARTING, NO, NO, VM_STARTING, NO, NO, NO, NO, NO, NO, NO, NO, NO, VM_STARTING,
        VM_STARTING, NO } },
    { "spawned (restore)", spawned_restore,
      { VM_RESTORING, NO, NO, VM_RESTORING, NO, NO, NO, NO, NO, NO, NO, NO, NO, VM_RESTORING,
        VM_RESTORING, NO } },
    { "spawn_failed", vm_state_spawn_failed,
      { NO, NO, NO, VM_DIED, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO } },
    { "guest_status (running)", status_running,
      { NO, NO, NO, NO, NO, VM_RUNNING, NO, VM_RUNNING, VM_RUNNING, NO, NO, NO, NO, NO, NO,
        NO } },
    { "guest_status (paused)", status_paused,
      { NO, NO, NO, NO, NO, VM_PAUSED, NO, VM_PAUSED, VM_PAUSED, NO, NO, NO, NO, NO, NO, NO } },
    { "restored (running)", restored_running,
      { NO, NO, NO, NO, NO, NO, VM_RUNNING, NO, NO, NO, NO, NO, NO, NO, NO, NO } },
    { "restored (paused)", restored_paused,
      { NO, NO, NO, NO, NO, NO, VM_PAUSED, NO, NO, NO, NO, NO, NO, NO, NO, NO } },
    { "power_down", vm_state_power_down,
      { NO, NO, NO, NO, NO, VM_POWERING_DOWN, VM_POWERING_DOWN, VM_POWERING_DOWN,
        VM_POWERING_DOWN, VM_POWERING_DOWN, NO, VM_POWERING_DOWN, NO, NO, NO, NO } },
    { "quit_sent", vm_state_quit_sent,
      { NO, NO, NO, NO, NO, NO, NO, NO, NO, VM_QUITTING, NO, NO, NO, NO, NO, NO } },
    { "hibernate_begin", vm_state_hibernate_begin,
      { NO, NO, NO, NO, NO, NO, NO, VM_HIBERNATING, VM_HIBERNATING, NO, NO, NO, NO, NO, NO,
        NO } },
    { "hibernate_failed", vm_state_hibernate_failed,
      { NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, VM_PAUSED, NO, NO, NO, NO } },
    { "hibernate_saved", vm_state_hibernate_saved,
      { NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, VM_HIBERNATE_QUITTING, NO, NO, NO, NO } },
    { "qemu_exited (unasked)", exited_unasked,
      { NO, NO, NO, NO, NO, VM_DIED, VM_DIED, VM_DIED, VM_DIED, VM_STOPPED, VM_STOPPED, VM_DIED,
        VM_HIBERNATED, NO, NO, NO } },
    { "qemu_exited (powered off)", exited_powered_off,
      { NO, NO, NO, NO, NO, VM_STOPPED, VM_STOPPED, VM_STOPPED, VM_STOPPED, VM_STOPPED,
        VM_STOPPED, VM_DIED, VM_HIBERNATED, NO, NO, NO } },
};

static void test_every_transition_from_every_state(void **state)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        for (int from = 0; from < N_STATES; from++) {
            enum vm_state s = (enum vm_state)from;
            int rc = table[i].fn(&s), want = table[i].to[from];

            if (want == NO) {
                if (rc != -EINVAL || s != (enum vm_state)from)
                    fail_msg("%s from %d: rc %d, state %d; should not apply", table[i].name,
                             from, rc, s);
            } else if (rc != 0 || s != (enum vm_state)want) {
                fail_msg("%s from %d: rc %d, state %d; want state %d", table[i].name, from, rc,
                         s, want);
            }
        }
    }
}

static void test_free_from_every_state(void **state)
{
    for (int from = 0; from < N_STATES; from++) {
        enum vm_state s = (enum vm_state)from;

        assert_int_equal(vm_state_free(&s), 0);
        assert_int_equal(s, VM_FREEING);
    }
}

/* The names are vm-status's, which scripts and tests read. */
static void test_names(void **state)
{
    static const char *const start[N_STATES] = {
        "stopped", "starting", "starting", "starting", "stopping", "starting", "restoring",
        "running", "paused", "stopping", "stopping", "hibernating", "hibernating", "hibernated",
        "died", "stopping" };

    for (int s = 0; s < N_STATES; s++) {
        const char *restore = start[s];

        if (s == VM_PROBING || s == VM_PROBE_OVERDUE || s == VM_PROBED)
            restore = "restoring";
        assert_string_equal(vm_state_name((enum vm_state)s, false), start[s]);
        assert_string_equal(vm_state_name((enum vm_state)s, true), restore);
    }
}

static void test_predicates(void **state)
{
    for (int i = 0; i < N_STATES; i++) {
        enum vm_state s = (enum vm_state)i;
        bool runs = s >= VM_STARTING && s <= VM_HIBERNATE_QUITTING;
        bool probe = s >= VM_PROBING && s <= VM_PROBE_CANCELLED;
        bool wanted = s == VM_STARTING || s == VM_RESTORING || s == VM_RUNNING ||
                      s == VM_PAUSED || s == VM_HIBERNATING;

        assert_int_equal(vm_state_qemu_runs(s), runs);
        assert_int_equal(vm_state_probe_pending(s), probe);
        assert_int_equal(vm_state_qemu_wanted(s), wanted);
        assert_int_equal(vm_state_guest_up(s), s == VM_RUNNING || s == VM_PAUSED);
        /* QEMU and the probe never run for the VM at once */
        assert_false(runs && probe);
    }
}

/* Lives as the VM lives them, each step one transition. */
static void test_lives(void **state)
{
    enum vm_state s = VM_STOPPED;

    /* probed start, boot, pause, stop that needs quit */
    assert_int_equal(vm_state_probe_begin(&s), 0);
    assert_int_equal(vm_state_probe_exited(&s), 0);
    assert_int_equal(vm_state_spawned(&s, false), 0);
    assert_int_equal(vm_state_guest_status(&s, true), 0);
    assert_int_equal(vm_state_guest_status(&s, false), 0);
    assert_int_equal(s, VM_PAUSED);
    assert_int_equal(vm_state_power_down(&s), 0);
    /* the guest's events no longer move a VM that is being stopped */
    assert_int_equal(vm_state_guest_status(&s, true), -EINVAL);
    assert_int_equal(vm_state_quit_sent(&s), 0);
    /* a second vm-stop leaves QEMU quitting */
    assert_int_equal(vm_state_power_down(&s), -EINVAL);
    assert_int_equal(s, VM_QUITTING);
    assert_int_equal(vm_state_qemu_exited(&s, false), 0);
    assert_int_equal(s, VM_STOPPED);

    /* hibernate, restore, then QEMU dies */
    assert_int_equal(vm_state_spawned(&s, false), 0);
    assert_int_equal(vm_state_guest_status(&s, true), 0);
    assert_int_equal(vm_state_hibernate_begin(&s), 0);
    assert_int_equal(vm_state_guest_status(&s, false), -EINVAL);
    assert_int_equal(vm_state_hibernate_saved(&s), 0);
    assert_int_equal(vm_state_qemu_exited(&s, false), 0);
    assert_int_equal(s, VM_HIBERNATED);
    assert_int_equal(vm_state_spawned(&s, true), 0);
    assert_int_equal(vm_state_guest_status(&s, true), -EINVAL);
    assert_int_equal(vm_state_restored(&s, false), 0);
    assert_int_equal(vm_state_guest_status(&s, true), 0);
    assert_int_equal(vm_state_qemu_exited(&s, false), 0);
    assert_int_equal(s, VM_DIED);

    /* vm-stop between the probe's exit and QEMU's spawn */
    assert_int_equal(vm_state_probe_begin(&s), 0);
    assert_int_equal(vm_state_probe_overdue(&s), 0);
    assert_int_equal(vm_state_probe_exited(&s), 0);
    assert_int_equal(vm_state_probe_cancel(&s), 0);
    assert_int_equal(vm_state_spawned(&s, false), -EINVAL);
    assert_int_equal(vm_state_probe_abandoned(&s), 0);
    assert_int_equal(s, VM_STOPPED);

    /* a failed hibernation leaves the guest paused, to be resumed */
    assert_int_equal(vm_state_spawned(&s, false), 0);
    assert_int_equal(vm_state_guest_status(&s, true), 0);
    assert_int_equal(vm_state_hibernate_begin(&s), 0);
    assert_int_equal(vm_state_hibernate_failed(&s), 0);
    assert_int_equal(s, VM_PAUSED);
    assert_int_equal(vm_state_guest_status(&s, true), 0);
    assert_int_equal(s, VM_RUNNING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_transition_from_every_state),
        cmocka_unit_test(test_free_from_every_state),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_lives),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
