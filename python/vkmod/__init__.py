# SPDX-License-Identifier: LGPL-2.1-or-later
"""V interprocess communication (vkmod) for Python: ctypes over libv.so.1.

One Process is one V process (an AF_V socket).  The calls are libv's: a
Send blocks until the receiver Replies; Receive returns a Message (or a
notice: Message.kind); errors raise OSError with the kernel's errno
(<linux/v.h> lists them).  Process.fileno() is the socket: select() and
asyncio's loop.add_reader() see it readable when a Receive would not block.

libv is found as $VKMOD_LIBV, then beside this package in a build tree
(build/lib/libv.so.1), then as the installed libv.so.1.
"""
import ctypes
import os

__all__ = ["Process", "Message", "Error", "id_host", "id_make", "msg",
           "SEG_READ", "SEG_WRITE", "SCOPE_LOCAL", "SCOPE_REMOTE", "SCOPE_BOTH",
           "KIND_MESSAGE", "KIND_NOTICE", "KIND_PULSE", "KIND_UNBLOCK",
           "NOTIFY_UNBLOCK", "NOTICE_DEATH", "NOTICE_UNBLOCK", "MSG_SIZE",
           "OPT_PULSES", "OPT_INHERIT", "OPT_DEADLOCK", "SEND_DEADLOCK"]

MSG_SIZE = 32
SEG_READ, SEG_WRITE = 0x1, 0x2
SCOPE_LOCAL, SCOPE_REMOTE, SCOPE_BOTH = 0x1, 0x2, 0x3
KIND_MESSAGE, KIND_NOTICE, KIND_PULSE, KIND_UNBLOCK = 0, 1, 2, 3
NOTIFY_UNBLOCK = 0x1
OPT_PULSES, OPT_INHERIT, OPT_DEADLOCK = 0x1, 0x2, 0x4
SEND_DEADLOCK = 0x1
NOTICE_DEATH, NOTICE_UNBLOCK = 0xff01, 0xff02

Error = OSError


class _Msg(ctypes.Structure):
    _fields_ = [("b", ctypes.c_uint8 * MSG_SIZE)]


class _Creds(ctypes.Structure):
    _fields_ = [("uid", ctypes.c_uint32), ("gid", ctypes.c_uint32),
                ("pid", ctypes.c_uint32), ("host", ctypes.c_uint32),
                ("flags", ctypes.c_uint32), ("reserved", ctypes.c_uint32)]


class _Send(ctypes.Structure):
    _fields_ = [("dst", ctypes.c_uint64), ("qualifier", ctypes.c_uint64),
                ("seg_addr", ctypes.c_uint64), ("seg_len", ctypes.c_uint64),
                ("timeout_ns", ctypes.c_uint64), ("replier", ctypes.c_uint64),
                ("seg_access", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("msg", _Msg)]


class _Receive(ctypes.Structure):
    _fields_ = [("sender", ctypes.c_uint64), ("group", ctypes.c_uint64),
                ("forwarder", ctypes.c_uint64), ("seg_len", ctypes.c_uint64),
                ("buf_addr", ctypes.c_uint64), ("buf_len", ctypes.c_uint64),
                ("copied", ctypes.c_uint64), ("seg_access", ctypes.c_uint32),
                ("flags", ctypes.c_uint32), ("creds", _Creds), ("msg", _Msg),
                ("kind", ctypes.c_uint32), ("reserved1", ctypes.c_uint32),
                ("deadline_ns", ctypes.c_uint64), ("reserved", ctypes.c_uint64 * 2)]


assert ctypes.sizeof(_Send) == 88 and ctypes.sizeof(_Receive) == 152


def _libv():
    here = os.path.dirname(os.path.abspath(__file__))
    for path in (os.environ.get("VKMOD_LIBV"),
                 os.path.join(here, "..", "..", "build", "lib", "libv.so.1"),
                 "libv.so.1"):
        if not path:
            continue
        if os.sep in path and not os.path.exists(path):
            continue
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    raise ImportError("vkmod: libv.so.1 not found (make, make install, or set VKMOD_LIBV)")


_lib = _libv()
_u64p = ctypes.POINTER(ctypes.c_uint64)
_SIGS = {
    "v_open": [], "v_close": [ctypes.c_int],
    "v_self": [ctypes.c_int, _u64p],
    "v_send_ex": [ctypes.c_int, ctypes.POINTER(_Send)],
    "v_receive_ex": [ctypes.c_int, ctypes.POINTER(_Receive)],
    "v_reply": [ctypes.c_int, ctypes.c_uint64, ctypes.POINTER(_Msg)],
    "v_reply_with_segment": [ctypes.c_int, ctypes.c_uint64, ctypes.POINTER(_Msg),
                             ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t],
    "v_reply_receive": [ctypes.c_int, ctypes.c_uint64, ctypes.POINTER(_Msg),
                        ctypes.POINTER(_Receive)],
    "v_forward": [ctypes.c_int, ctypes.c_uint64, ctypes.c_uint64, ctypes.POINTER(_Msg)],
    "v_move_to": [ctypes.c_int, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_void_p,
                  ctypes.c_size_t],
    "v_move_from": [ctypes.c_int, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_void_p,
                    ctypes.c_size_t],
    "v_set_pid": [ctypes.c_int, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_uint],
    "v_get_pid": [ctypes.c_int, ctypes.c_uint32, ctypes.c_uint, _u64p],
    "v_group_create": [ctypes.c_int, _u64p],
    "v_group_join": [ctypes.c_int, ctypes.c_uint64],
    "v_group_leave": [ctypes.c_int, ctypes.c_uint64],
    "v_group_members": [ctypes.c_int, ctypes.c_uint64, _u64p, ctypes.c_uint,
                        ctypes.c_uint64],
    "v_get_reply": [ctypes.c_int, ctypes.POINTER(_Msg), _u64p, ctypes.c_uint64],
    "v_watch": [ctypes.c_int, ctypes.c_uint64, ctypes.c_uint64],
    "v_unwatch": [ctypes.c_int, ctypes.c_uint64],
    "v_notify": [ctypes.c_int, ctypes.c_uint],
    "v_pulse": [ctypes.c_int, ctypes.c_uint64, ctypes.POINTER(_Msg)],
    "v_set_opts": [ctypes.c_int, ctypes.c_uint],
}
for _name, _args in _SIGS.items():
    getattr(_lib, _name).argtypes = _args
    getattr(_lib, _name).restype = ctypes.c_int


def _check(ret):
    """A libv result: the value, or OSError for a negative errno."""
    if ret < 0:
        raise OSError(-ret, os.strerror(-ret))
    return ret


def msg(code=0, payload=b""):
    """A 32-byte message: a 16-bit code (little-endian), then payload."""
    body = code.to_bytes(2, "little") + bytes(payload)
    if len(body) > MSG_SIZE:
        raise ValueError("a V message holds 32 bytes")
    return body + bytes(MSG_SIZE - len(body))


def _to_msg(m):
    m = bytes(m)
    if len(m) != MSG_SIZE:
        raise ValueError("a V message is exactly 32 bytes")
    out = _Msg()
    ctypes.memmove(out.b, m, MSG_SIZE)
    return out


def _buffer(obj, writable):
    """(address, length, keep-alive) of a bytes-like object."""
    if obj is None:
        return 0, 0, None
    view = memoryview(obj).cast("B")
    if view.readonly:
        if writable:
            raise TypeError("this segment must be writable (bytearray, memoryview)")
        view = memoryview(bytearray(view))
    if not view.nbytes:
        return 0, 0, None
    arr = (ctypes.c_char * view.nbytes).from_buffer(view)
    return ctypes.addressof(arr), view.nbytes, (view, arr)


def id_host(vid):
    """The host part of an entity id."""
    return (vid >> 32) & ((1 << 30) - 1)


def id_make(host, local=0):
    """An id from a host part and a local part (0: the host itself)."""
    return ((host & ((1 << 30) - 1)) << 32) | (local & 0xffffffff)


class Message:
    """What Receive delivered.  kind: KIND_*; for a message, reply to sender."""

    __slots__ = ("kind", "sender", "group", "forwarder", "seg_len", "seg_access",
                 "copied", "msg", "uid", "gid", "pid", "host", "cred_flags",
                 "deadline_ns")

    def __init__(self, r):
        self.kind = r.kind
        self.sender = r.sender
        self.group = r.group
        self.forwarder = r.forwarder
        self.seg_len = r.seg_len
        self.seg_access = r.seg_access
        self.copied = r.copied
        self.msg = bytes(r.msg.b)
        self.uid, self.gid, self.pid = r.creds.uid, r.creds.gid, r.creds.pid
        self.host, self.cred_flags = r.creds.host, r.creds.flags
        self.deadline_ns = r.deadline_ns

    @property
    def code(self):
        return int.from_bytes(self.msg[:2], "little")

    def __repr__(self):
        return "Message(kind=%d, sender=%#x, code=%#x)" % (self.kind, self.sender, self.code)


class Process:
    """A V process: open on creation, closed by close() or a with block."""

    def __init__(self):
        self._fd = _check(_lib.v_open())

    def fileno(self):
        return self._fd

    def close(self):
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            _check(_lib.v_close(fd))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def id(self):
        out = ctypes.c_uint64()
        _check(_lib.v_self(self._fd, ctypes.byref(out)))
        return out.value

    def send(self, dst, message, seg=None, access=None, timeout_ns=0, qualifier=0,
             flags=0):
        """Send and wait for the reply: (reply bytes, replier).  seg: a
        bytes-like segment granted with access (SEG_READ and/or SEG_WRITE;
        default read, and write too when seg is writable).  flags:
        SEND_DEADLOCK fails with EDEADLK where the Send would deadlock."""
        addr, length, keep = _buffer(seg, bool(access and access & SEG_WRITE))
        if access is None:
            access = SEG_READ | (SEG_WRITE if seg is not None and
                                 not memoryview(seg).readonly else 0)
        s = _Send(dst=dst, qualifier=qualifier, seg_addr=addr, seg_len=length,
                  timeout_ns=timeout_ns, seg_access=access if length else 0,
                  flags=flags, msg=_to_msg(message))
        _check(_lib.v_send_ex(self._fd, ctypes.byref(s)))
        del keep
        return bytes(s.msg.b), s.replier

    def receive(self, buf=None):
        """Block until a message or notice; buf (writable): ReceiveWithSegment."""
        addr, length, keep = _buffer(buf, True)
        r = _Receive(buf_addr=addr, buf_len=length)
        _check(_lib.v_receive_ex(self._fd, ctypes.byref(r)))
        del keep
        return Message(r)

    def reply(self, dst, message, data=None, offset=0):
        """Reply; with data, ReplyWithSegment (written at offset first)."""
        m = _to_msg(message)
        if data is None:
            _check(_lib.v_reply(self._fd, dst, ctypes.byref(m)))
            return
        addr, length, keep = _buffer(data, False)
        _check(_lib.v_reply_with_segment(self._fd, dst, ctypes.byref(m), offset, addr, length))
        del keep

    def reply_receive(self, dst, message):
        """Reply to dst (0: none), then Receive, in one call."""
        r = _Receive()
        m = _to_msg(message)
        _check(_lib.v_reply_receive(self._fd, dst, ctypes.byref(m), ctypes.byref(r)))
        return Message(r)

    def forward(self, frm, to, message):
        m = _to_msg(message)
        _check(_lib.v_forward(self._fd, frm, to, ctypes.byref(m)))

    def move_to(self, pid, offset, data):
        addr, length, keep = _buffer(data, False)
        _check(_lib.v_move_to(self._fd, pid, offset, addr, length))
        del keep

    def move_from(self, pid, offset, buf):
        """Copy from pid's segment at offset into buf (writable, its length)."""
        addr, length, keep = _buffer(buf, True)
        _check(_lib.v_move_from(self._fd, pid, offset, addr, length))
        del keep

    def set_pid(self, logical_id, scope=SCOPE_LOCAL, pid=None):
        _check(_lib.v_set_pid(self._fd, logical_id, self.id if pid is None else pid, scope))

    def get_pid(self, logical_id, scope=SCOPE_BOTH):
        out = ctypes.c_uint64()
        _check(_lib.v_get_pid(self._fd, logical_id, scope, ctypes.byref(out)))
        return out.value

    def group_create(self):
        out = ctypes.c_uint64()
        _check(_lib.v_group_create(self._fd, ctypes.byref(out)))
        return out.value

    def group_join(self, gid):
        _check(_lib.v_group_join(self._fd, gid))

    def group_leave(self, gid):
        _check(_lib.v_group_leave(self._fd, gid))

    def group_members(self, gid, max_ids=64, timeout_ns=0):
        ids = (ctypes.c_uint64 * max_ids)()
        total = _check(_lib.v_group_members(self._fd, gid, ids, max_ids, timeout_ns))
        return list(ids[:min(total, max_ids)]), total

    def get_reply(self, timeout_ns=0):
        """A further reply of the open group Send: (reply bytes, replier)."""
        m, who = _Msg(), ctypes.c_uint64()
        _check(_lib.v_get_reply(self._fd, ctypes.byref(m), ctypes.byref(who), timeout_ns))
        return bytes(m.b), who.value

    def watch(self, vid, cookie=0):
        _check(_lib.v_watch(self._fd, vid, cookie))

    def unwatch(self, vid):
        _check(_lib.v_unwatch(self._fd, vid))

    def notify(self, flags):
        _check(_lib.v_notify(self._fd, flags))

    def pulse(self, dst, message):
        """A one-way 32-byte message; never blocks (EAGAIN: dst's queue is
        full, ECONNREFUSED: dst does not take pulses)."""
        m = _to_msg(message)
        _check(_lib.v_pulse(self._fd, dst, ctypes.byref(m)))

    def set_opts(self, flags):
        """OPT_PULSES, OPT_INHERIT, OPT_DEADLOCK (replacing the last setting)."""
        _check(_lib.v_set_opts(self._fd, flags))
