# SPDX-License-Identifier: GPL-2.0
"""make demo: pulses, priority inheritance and deadlock detection, through
the Python bindings (run as root in the demo's guest)."""
import errno
import os
import threading

import vkmod


def tid_nice(tid):
    return os.getpriority(os.PRIO_PROCESS, tid)


def main():
    me = threading.get_native_id()
    with vkmod.Process() as srv, vkmod.Process() as cli:
        srv.set_opts(vkmod.OPT_PULSES | vkmod.OPT_INHERIT)
        for i in range(3):
            cli.pulse(srv.id, vkmod.msg(0x10, bytes([i])))
        for _ in range(3):
            r = srv.receive()
            print("  pulse %d from %#x (kind %d: nobody waits for a reply)"
                  % (r.msg[2], r.sender, r.kind))

        os.setpriority(os.PRIO_PROCESS, me, 10)

        def client():
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), -5)
            cli.send(srv.id, vkmod.msg(1))
        t = threading.Thread(target=client)
        t.start()
        r = srv.receive()
        print("  server thread at nice 10 holds a nice -5 client's message: nice %d"
              % tid_nice(me))
        srv.reply(r.sender, vkmod.msg(0))
        t.join()
        print("  after the Reply: nice %d" % tid_nice(me))

    with vkmod.Process() as a, vkmod.Process() as b:
        t = threading.Thread(target=lambda: a.send(b.id, vkmod.msg(2)))
        t.start()
        r = b.receive()
        try:
            b.send(a.id, vkmod.msg(3), flags=vkmod.SEND_DEADLOCK)
            raise SystemExit("no EDEADLK")
        except OSError as e:
            if e.errno != errno.EDEADLK:
                raise
            print("  A waits for B, B Sends to A: %s" % os.strerror(e.errno))
        b.reply(r.sender, vkmod.msg(0))
        t.join()


if __name__ == "__main__":
    main()
