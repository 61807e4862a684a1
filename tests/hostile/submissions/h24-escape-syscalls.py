# ruff: noqa
# fmt: off
# hostile: tries the classic ways out of a container: a user namespace (root inside it, then
#   mount), mount/chroot/pivot_root, ptrace of another process, setuid(0), io_uring, bpf,
#   keyctl, perf_event_open, userfaultfd, a network connection (IP and DNS), raw devices,
#   /proc/sysrq-trigger, bwrap and su; counts what succeeded
# base: release
# insert: after:load
# %%
import ctypes
import os
import socket

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET = 0x10000000, 0x00020000, 0x40000000
NR = {"ptrace": 101, "io_uring_setup": 425, "bpf": 321, "keyctl": 250,
      "perf_event_open": 298, "userfaultfd": 323, "pivot_root": 155}
buffer = ctypes.create_string_buffer(256)
succeeded = []


def libc_call(name, call):
    """A libc call: -1 means refused (errno says why); 0 or a descriptor means it worked."""
    if call() >= 0:
        succeeded.append(name)
        print("SUCCEEDED:", name)
    else:
        print("refused:", name, os.strerror(ctypes.get_errno()))


def python_call(name, call):
    try:
        call()
    except Exception as e:
        print("refused:", name, type(e).__name__)
    else:
        succeeded.append(name)
        print("SUCCEEDED:", name)


def command(name, line):
    if os.system(line + " >/dev/null 2>&1 </dev/null") == 0:
        succeeded.append(name)
        print("SUCCEEDED:", name)
    else:
        print("refused:", name)


libc_call("unshare(user+mount)", lambda: libc.unshare(CLONE_NEWUSER | CLONE_NEWNS))
libc_call("unshare(net)", lambda: libc.unshare(CLONE_NEWNET))
libc_call("mount tmpfs", lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
libc_call("chroot", lambda: libc.chroot(b"/tmp"))
libc_call("setuid(0)", lambda: libc.setuid(0))
libc_call("ptrace attach 1", lambda: libc.syscall(NR["ptrace"], 16, 1, 0, 0))
libc_call("io_uring_setup", lambda: libc.syscall(NR["io_uring_setup"], 8, buffer))
libc_call("bpf", lambda: libc.syscall(NR["bpf"], 0, buffer, 64))
libc_call("keyctl", lambda: libc.syscall(NR["keyctl"], 0, -3, 0))
libc_call("perf_event_open", lambda: libc.syscall(NR["perf_event_open"], buffer, 0, -1, -1, 0))
libc_call("userfaultfd", lambda: libc.syscall(NR["userfaultfd"], 0))
libc_call("pivot_root", lambda: libc.syscall(NR["pivot_root"], b"/tmp", b"/tmp"))
python_call("connect 1.1.1.1:53", lambda: socket.create_connection(("1.1.1.1", 53), timeout=1))
python_call("resolve example.com", lambda: socket.getaddrinfo("example.com", 80))
python_call("open /dev/mem", lambda: open("/dev/mem", "rb"))
python_call("open /dev/kmsg", lambda: open("/dev/kmsg", "rb"))
python_call("write /proc/sysrq-trigger", lambda: open("/proc/sysrq-trigger", "w").write("h"))
python_call("read /proc/kcore", lambda: open("/proc/kcore", "rb").read(1))
command("bwrap", "bwrap --ro-bind / / true")
command("su", "su -c true root")
print("ESCAPES", len(succeeded))
