"""Run a command inside a Landlock sandbox: ``landlock_exec.py [options] -- argv...``.

The fallback backend of :mod:`claw_tui.permissions.sandbox` when bubblewrap is missing or
cannot run. This process restricts itself and then ``exec``s the command, so the command and
everything it starts inherit the restrictions, which cannot be lifted:

1. ``--ro PATH`` (protected paths inside writable directories: ``.claw``, ``.git/hooks``, …):
   Landlock can only *grant* access to whole trees, never carve a read-only hole into a
   writable one, so those are made read-only with bind mounts in a private mount namespace
   (as root: ``unshare(CLONE_NEWNS)``; otherwise inside a new user namespace). ``--bind PATH``
   makes a path a mount point without changing it, so it cannot be renamed or removed
   (``.git``: replacing the whole directory would get round its protected config).
2. All capabilities are dropped (bounding set too), so a command run as root cannot undo
   any of this, load modules or write ``/proc/sysrq-trigger``.
3. Landlock: the whole filesystem readable and executable; ``--rw PATH`` trees (and files)
   writable; with ``--net off`` and Landlock ABI ≥ 4, TCP bind and connect are denied; with
   ABI ≥ 6 abstract unix sockets and signals cannot reach outside the sandbox.
4. seccomp: ``socket()`` of the families the sandbox denies fails with EPERM (all but
   netlink when the network is off, which also covers UDP that Landlock does not see; unix
   sockets unless ``--unix on``, so ``/var/run/docker.sock`` or the user's D-Bus, which
   would run anything outside, stay out of reach); ``io_uring_setup`` fails (io_uring can
   open sockets without the ``socket`` syscall).

Anything that fails before the ``exec`` ends the process with status 125 and a line on
stderr starting ``claw sandbox:``: a command never runs less confined than asked.

This file imports only the standard library and never imports claw itself: the sandbox runs
it as ``python -I -S -c <this source>`` (no file on disk the command could have changed, no
site-packages), which also keeps its start-up cost to a few milliseconds. ``python -m
claw_tui.permissions.landlock_exec`` works as well. The seccomp program is built here too
(:func:`seccomp_program`) and handed to bubblewrap by the sandbox.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
import sys

# --- Landlock (include/uapi/linux/landlock.h) -------------------------------------------------
SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
LANDLOCK_RULE_NET_PORT = 2

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

# Rights a rule on a file (not a directory) may carry.
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV


def fs_rights(abi: int) -> int:
    """Every filesystem right this ABI knows (all of them are handled, i.e. denied by default)."""
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in the kernel's header
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    # Declared so the flags travel as the unsigned longs the kernel reads.
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    libc.unshare.argtypes = [ctypes.c_int]
    libc.capset.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    return libc


def _prctl(libc: ctypes.CDLL, option: int, arg2: int | ctypes.c_void_p = 0) -> int:
    arg = arg2 if isinstance(arg2, ctypes.c_void_p) else ctypes.c_ulong(arg2)
    return libc.prctl(ctypes.c_int(option), arg, ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is missing or disabled."""
    if os.uname().sysname != "Linux":
        return 0
    try:
        libc = _libc()
    except OSError:
        return 0
    abi = libc.syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0),
                       ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(abi), 0)


# --- seccomp (a classic BPF program; libseccomp is not in the standard library) ---------------
AF_UNIX = 1
AF_INET = 2
AF_INET6 = 10
AF_NETLINK = 16

_ARCHES = {
    # machine: (AUDIT_ARCH_*, __NR_socket, __NR_io_uring_setup, x32 syscall bit or 0)
    "x86_64": (0xC000003E, 41, 425, 0x40000000),
    "amd64": (0xC000003E, 41, 425, 0x40000000),
    "aarch64": (0xC00000B7, 198, 425, 0),
    "arm64": (0xC00000B7, 198, 425, 0),
}
_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16


def seccomp_supported() -> bool:
    return os.uname().machine.lower() in _ARCHES


def seccomp_program(*, allowed_families: frozenset[int] | None, denied_families: frozenset[int] = frozenset()
                    ) -> bytes:
    """The filter as bytes of ``struct sock_filter``, for ``prctl`` or ``bwrap --seccomp FD``.

    ``socket(family, …)`` fails with EPERM when ``family`` is not in ``allowed_families`` (when
    that is given) or is in ``denied_families``. ``io_uring_setup`` fails; so does every
    syscall of a foreign ABI (x32, 32-bit compat: ``socketcall`` would get round the filter).
    """
    arch, nr_socket, nr_io_uring, x32 = _ARCHES[os.uname().machine.lower()]
    deny = _RET_ERRNO | errno.EPERM
    code: list[tuple[int, int, int, int]] = []

    def emit(op: int, k: int, jt: int = 0, jf: int = 0) -> None:
        code.append((op, jt, jf, k))

    # Family checks, built first so the jumps over them can be counted.
    checks: list[tuple[int, int, int, int]] = []
    if allowed_families is not None:
        fams = sorted(allowed_families - denied_families)
        for i, fam in enumerate(fams):  # each match jumps to "allow", after the last check
            checks.append((_BPF_JEQ_K, len(fams) - i, 0, fam))
        checks.append((_BPF_RET_K, 0, 0, deny))
        checks.append((_BPF_RET_K, 0, 0, _RET_ALLOW))
    else:
        fams = sorted(denied_families)
        for i, fam in enumerate(fams):  # each match jumps to "deny", after the last check
            checks.append((_BPF_JEQ_K, len(fams) - i, 0, fam))
        checks.append((_BPF_RET_K, 0, 0, _RET_ALLOW))
        checks.append((_BPF_RET_K, 0, 0, deny))

    emit(_BPF_LD_W_ABS, _OFF_ARCH)
    emit(_BPF_JEQ_K, arch, 1, 0)
    emit(_BPF_RET_K, deny)
    emit(_BPF_LD_W_ABS, _OFF_NR)
    if x32:
        emit(_BPF_JGE_K, x32, 0, 1)
        emit(_BPF_RET_K, deny)
    emit(_BPF_JEQ_K, nr_io_uring, 0, 1)
    emit(_BPF_RET_K, deny)
    emit(_BPF_JEQ_K, nr_socket, 1, 0)
    emit(_BPF_RET_K, _RET_ALLOW)
    # args[0] is an int: its low 32 bits (little-endian on both supported machines).
    emit(_BPF_LD_W_ABS, _OFF_ARG0)
    code.extend(checks)
    return b"".join(struct.pack("=HBBI", op, jt, jf, k) for op, jt, jf, k in code)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4


class SandboxSetupError(Exception):
    pass


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise SandboxSetupError(f"{what}: {os.strerror(err)} (errno {err})")
    return result


def install_seccomp(libc: ctypes.CDLL, program: bytes) -> None:
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    _check(libc.prctl(ctypes.c_int(PR_SET_SECCOMP), ctypes.c_ulong(SECCOMP_MODE_FILTER),
                      ctypes.cast(ctypes.pointer(prog), ctypes.c_void_p), ctypes.c_ulong(0), ctypes.c_ulong(0)),
           "seccomp filter")


# --- mount namespace for read-only holes -------------------------------------------------------
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
# statvfs f_flag bits → the mount flags a remount must keep (a user namespace may not clear them).
_KEEP_FLAGS = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
               (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME))


def _enter_mount_namespace(libc: ctypes.CDLL) -> None:
    if os.geteuid() == 0 and libc.unshare(CLONE_NEWNS) == 0:
        pass
    else:
        uid, gid = os.geteuid(), os.getegid()
        _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(user and mount namespaces)")
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            try:
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
            except OSError as exc:
                raise SandboxSetupError(f"writing /proc/self/{name}: {exc.strerror}") from exc
    # Mounts made here must not leak back to the parent namespace.
    _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making / private")


def _bind(libc: ctypes.CDLL, path: str, *, read_only: bool) -> None:
    p = os.fsencode(path)
    _check(libc.mount(p, p, None, MS_BIND, None), f"bind-mounting {path}")
    if read_only:
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        st = os.statvfs(path)
        for st_bit, ms_bit in _KEEP_FLAGS:
            if st.f_flag & st_bit:
                flags |= ms_bit
        _check(libc.mount(None, p, None, flags, None), f"making {path} read-only")


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """Empty every capability set, bounding and ambient included: a command running as root
    (or as root of the user namespace above) gets nothing back on ``execve``."""
    libc.prctl(ctypes.c_int(PR_CAP_AMBIENT), ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), ctypes.c_ulong(0),
               ctypes.c_ulong(0), ctypes.c_ulong(0))
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        if _prctl(libc, PR_CAPBSET_DROP, cap) != 0 and ctypes.get_errno() == errno.EPERM:
            break  # no CAP_SETPCAP: nothing to drop (an ordinary user), nothing held either
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable × 2: all empty
    _check(libc.capset(header, data), "dropping capabilities")


# --- the whole sequence -----------------------------------------------------------------------

def restrict(*, rw: list[str], ro: list[str], bind: list[str], net: bool, unix: bool) -> None:
    libc = _libc()
    if ro or bind:
        _enter_mount_namespace(libc)
        for path in bind:
            _bind(libc, path, read_only=False)
        for path in ro:
            _bind(libc, path, read_only=True)
    _drop_capabilities(libc)
    _check(_prctl(libc, PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")

    abi = landlock_abi()
    if abi < 1:
        raise SandboxSetupError("Landlock is not available in this kernel")
    handled_fs = fs_rights(abi)
    attr = _RulesetAttr(handled_fs, 0, 0)
    if not net and abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP  # no rule grants any port
    if abi >= 6:
        attr.scoped = SCOPE_SIGNAL | (0 if unix else SCOPE_ABSTRACT_UNIX_SOCKET)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _check(libc.syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), ctypes.byref(attr),
                                  ctypes.c_size_t(size), ctypes.c_uint32(0)), "landlock_create_ruleset")
    read = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
    write = handled_fs & ~(FS_MAKE_BLOCK | FS_MAKE_CHAR)
    rules = [("/", read)] + [(path, write) for path in rw]
    try:
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                if not os.path.isdir(path):
                    access &= FILE_RIGHTS
                rule = _PathBeneathAttr(access & handled_fs, fd)
                _check(libc.syscall(ctypes.c_long(SYS_LANDLOCK_ADD_RULE), ctypes.c_int(ruleset),
                                    ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)),
                       f"landlock rule for {path}")
            finally:
                os.close(fd)
        _check(libc.syscall(ctypes.c_long(SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(ruleset)

    if seccomp_supported():
        if net:
            program = seccomp_program(allowed_families=None, denied_families=frozenset() if unix else {AF_UNIX})
        else:
            allowed = {AF_NETLINK} | ({AF_UNIX} if unix else set())
            program = seccomp_program(allowed_families=frozenset(allowed))
        install_seccomp(libc, program)


def main(argv: list[str]) -> int:
    rw: list[str] = []
    ro: list[str] = []
    bind: list[str] = []
    net = False
    unix = False
    i = 0
    try:
        while i < len(argv) and argv[i] != "--":
            opt = argv[i]
            value = argv[i + 1]
            if opt == "--rw":
                rw.append(value)
            elif opt == "--ro":
                ro.append(value)
            elif opt == "--bind":
                bind.append(value)
            elif opt == "--net":
                net = value == "on"
            elif opt == "--unix":
                unix = value == "on"
            else:
                raise IndexError(opt)
            i += 2
    except IndexError:
        sys.stderr.write("claw sandbox: usage: landlock_exec [--rw P] [--ro P] [--bind P] [--net on|off] "
                         "[--unix on|off] -- COMMAND...\n")
        return 125
    command = argv[i + 1:]
    if not command:
        sys.stderr.write("claw sandbox: no command given\n")
        return 125
    try:
        restrict(rw=rw, ro=ro, bind=bind, net=net, unix=unix)
    except (SandboxSetupError, OSError) as exc:
        sys.stderr.write(f"claw sandbox: could not set up the Landlock sandbox ({exc}); the command did not run\n")
        return 125
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        sys.stderr.write(f"claw sandbox: could not run {command[0]}: {exc.strerror}\n")
        return 127
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
