"""The seccomp filter bwrap loads into every sandbox, built as classic BPF for this machine.

Hardening beyond the namespaces (what Docker and Flatpak do too): a seccomp filter, loaded by
bwrap before setpriv runs, refuses syscalls a notebook never needs that widen the kernel attack
surface. Most important: nested user namespaces (`unshare -U` would otherwise give candidate
code a root with CAP_SYS_ADMIN inside a new namespace, able to mount filesystems), io_uring,
bpf, userfaultfd, perf events, keyrings, ptrace and the mount APIs. And setsid() is made a
no-op that reports success: a new session is a new scheduling autogroup, the way a notebook
would take more than its slot's share of the CPU where no cpu cgroup is available (see the
cgroup module). Refusing it would break honest code (`subprocess.Popen(...,
start_new_session=True)` raises); the process simply stays in the run's session, which has no
controlling terminal anyway.

Owns the syscall table and the program; bwrap reads it from a pipe (`--seccomp FD`).
"""

from __future__ import annotations

import os
import struct
import sys

# Syscall numbers from asm/unistd_64.h (x86_64) and asm-generic/unistd.h (aarch64). All are
# refused with EPERM except `clone` (refused only with namespace flags), `clone3` (ENOSYS) and
# `setsid` (the no-op).
_SYSCALL_TABLE = """
name                 x86_64 aarch64
clone                    56     220
clone3                  435     435
ptrace                  101     117
process_vm_readv        310     270
process_vm_writev       311     271
unshare                 272      97
setsid                  112     157
setns                   308     268
mount                   165      40
umount2                 166      39
pivot_root              155      41
chroot                  161      51
open_tree               428     428
move_mount              429     429
fsopen                  430     430
fsconfig                431     431
fsmount                 432     432
fspick                  433     433
mount_setattr           442     442
keyctl                  250     219
add_key                 248     217
request_key             249     218
bpf                     321     280
userfaultfd             323     282
perf_event_open         298     241
io_uring_setup          425     425
io_uring_enter          426     426
io_uring_register       427     427
kexec_load              246     104
kexec_file_load         320     294
init_module             175     105
finit_module            313     273
delete_module           176     106
acct                    163      89
swapon                  167     224
swapoff                 168     225
reboot                  169     142
quotactl                179      60
syslog                  103     116
vhangup                 153      58
fanotify_init           300     262
name_to_handle_at       303     264
open_by_handle_at       304     265
"""
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}


def _syscall_numbers(machine: str) -> dict[str, int]:
    lines = _SYSCALL_TABLE.strip().split("\n")
    column = lines[0].split().index(machine)
    return {row.split()[0]: int(row.split()[column]) for row in lines[1:]}


# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
_CLONE_NS_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
_CLONE_NS_FLAGS |= 0x40000000 | 0x00000080


def _seccomp_program() -> bytes | None:
    """A classic-BPF seccomp filter for this machine, or None on an unknown architecture."""
    machine = os.uname().machine
    if machine not in _AUDIT_ARCH or sys.byteorder != "little":
        return None
    arch, nr = _AUDIT_ARCH[machine], _syscall_numbers(machine)
    ld_abs, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    errno = 0x00050000
    eperm, enosys = errno | 1, errno | 38
    special = ("clone", "clone3", "setsid")
    denied = [number for name, number in nr.items() if name not in special]
    # Layout: arch check, syscall checks, allow, clone flag check, then the return blocks.
    prog: list[tuple[int, int, int, int]] = []
    n_checks = len(denied) + len(special) + (1 if machine == "x86_64" else 0)
    # Index of the tail blocks, relative to the start of the program.
    i_allow = 3 + n_checks
    i_clone = i_allow + 1  # ld args[0]; jset; ret allow
    i_eperm = i_clone + 3
    i_enosys = i_eperm + 1
    i_kill = i_enosys + 1
    i_no_op = i_kill + 1

    def jump(kind, k, target_true, target_false=None):
        here = len(prog)
        jt = target_true - here - 1 if target_true is not None else 0
        jf = target_false - here - 1 if target_false is not None else 0
        assert 0 <= jt < 256, "BPF jump too long"
        assert 0 <= jf < 256, "BPF jump too long"
        prog.append((kind, jt, jf, k))

    prog.append((ld_abs, 0, 0, 4))  # seccomp_data.arch
    jump(jeq, arch, len(prog) + 1, i_kill)
    prog.append((ld_abs, 0, 0, 0))  # seccomp_data.nr
    if machine == "x86_64":
        jump(jge, 0x40000000, i_eperm, len(prog) + 1)  # the x32 ABI
    for number in denied:
        jump(jeq, number, i_eperm, len(prog) + 1)
    jump(jeq, nr["clone"], i_clone, len(prog) + 1)
    # clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc fall back to
    # clone, whose flags are checked.
    jump(jeq, nr["clone3"], i_enosys, len(prog) + 1)
    jump(jeq, nr["setsid"], i_no_op, len(prog) + 1)
    assert len(prog) == i_allow
    prog.append((ret, 0, 0, allow))
    prog.append((ld_abs, 0, 0, 16))  # low 32 bits of args[0] (little-endian): clone flags
    jump(jset, _CLONE_NS_FLAGS, i_eperm, len(prog) + 1)
    prog.append((ret, 0, 0, allow))
    assert len(prog) == i_eperm
    prog.append((ret, 0, 0, eperm))
    prog.append((ret, 0, 0, enosys))
    prog.append((ret, 0, 0, kill))
    prog.append((ret, 0, 0, errno | 0))  # "errno 0": returns 0, as a success, doing nothing
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)
