# SPDX-License-Identifier: GPL-2.0
"""The Python side of suite "python" (selftests/python.c).

    peer.py server echo|movefrom|asyncio   print our id, serve one request
    peer.py client DST                     Send to DST, check the answer
    peer.py errors                         errors as OSError, notices, watch, pulses

Requests carry a 64-bit value at bytes 8-15 (little-endian); an answer
carries value + 1 (echo), or the sum of the segment's bytes (movefrom).
Exit status 0 when all went as expected; a message on stderr otherwise.
"""
import asyncio
import errno
import os
import sys

import vkmod

REQ = 0x0777


def value(m):
    return int.from_bytes(m[8:16], "little")


def request(v):
    return vkmod.msg(REQ, bytes(6) + v.to_bytes(8, "little"))


def answer(v):
    return vkmod.msg(0, bytes(6) + v.to_bytes(8, "little"))


def serve_one(p, r, mode):
    if r.kind != vkmod.KIND_MESSAGE or r.code != REQ:
        sys.exit("unexpected %r" % r)
    if mode == "movefrom":
        buf = bytearray(r.seg_len)
        p.move_from(r.sender, 0, buf)
        p.reply(r.sender, answer(sum(buf) & 0xffffffffffffffff))
    else:
        p.reply(r.sender, answer(value(r.msg) + 1))


def server(mode):
    with vkmod.Process() as p:
        print("%#x" % p.id, flush=True)
        if mode != "asyncio":
            serve_one(p, p.receive(), mode)
            return
        loop = asyncio.new_event_loop()
        done = loop.create_future()

        def readable():
            serve_one(p, p.receive(), mode)
            done.set_result(True)
        loop.add_reader(p.fileno(), readable)
        loop.run_until_complete(asyncio.wait_for(done, 30))
        loop.remove_reader(p.fileno())
        loop.close()


def client(dst):
    seg = bytearray(b"python" * 100)
    with vkmod.Process() as p:
        rep, who = p.send(dst, request(41), seg=seg, access=vkmod.SEG_READ | vkmod.SEG_WRITE,
                          timeout_ns=30 * 10**9)
        if value(rep) != 42 or who != dst:
            sys.exit("reply %r from %#x" % (rep, who))
        if bytes(seg[:5]) != b"HELLO":
            sys.exit("the server's MoveTo did not land: %r" % bytes(seg[:8]))


def expect_errno(err, fn, *args):
    try:
        fn(*args)
    except OSError as e:
        if e.errno != err:
            sys.exit("%s%r: errno %d, want %d" % (fn.__name__, args, e.errno, err))
        return
    sys.exit("%s%r: no error, want errno %d" % (fn.__name__, args, err))


def errors():
    with vkmod.Process() as p, vkmod.Process() as q:
        me = p.id
        expect_errno(errno.ENOENT, p.reply, q.id, vkmod.msg())
        expect_errno(errno.EINVAL, p.watch, 0)
        expect_errno(errno.ESRCH, p.send, vkmod.id_make(vkmod.id_host(me), 0xabc00005),
                     vkmod.msg(1))
        expect_errno(errno.ENOENT, p.unwatch, q.id)
        try:
            p.send(q.id, b"short")
            sys.exit("a short message was sent")
        except ValueError:
            pass
        # A death notice: q goes, p hears of it.
        p.watch(q.id, 7)
        qid = q.id
        q.close()
        r = p.receive()
        if r.kind != vkmod.KIND_NOTICE or r.sender != qid or r.code != vkmod.NOTICE_DEATH:
            sys.exit("notice %r" % r)
        if int.from_bytes(r.msg[24:32], "little") != 7:
            sys.exit("cookie %r" % r.msg)
        # A group of one, and nonblocking Receive.
        g = p.group_create()
        p.group_join(g)
        ids, total = p.group_members(g)
        if ids != [me] or total != 1:
            sys.exit("members %r %d" % (ids, total))
        os.set_blocking(p.fileno(), False)
        expect_errno(errno.EAGAIN, p.receive)
        # Pulses: refused until taken, then one queued Receive returns it.
        with vkmod.Process() as s:
            expect_errno(errno.ECONNREFUSED, s.pulse, me, vkmod.msg(3))
            p.set_opts(vkmod.OPT_PULSES)
            s.pulse(me, vkmod.msg(3, b"x"))
            r = p.receive()
            if r.kind != vkmod.KIND_PULSE or r.sender != s.id or r.code != 3:
                sys.exit("pulse %r" % r)
            expect_errno(errno.ENOENT, p.reply, s.id, vkmod.msg())
            expect_errno(errno.EINVAL, p.set_opts, 0x80)


def main():
    if sys.argv[1] == "server":
        server(sys.argv[2])
    elif sys.argv[1] == "client":
        client(int(sys.argv[2], 0))
    else:
        errors()


if __name__ == "__main__":
    main()
