#!/usr/bin/env python3
# Drive 'vers connect -b ENV' in a pty as a user would: leave a process behind that holds
# the shell's terminal, exit the shell, then type a line. Prints "exited" when vers returned
# once the shell exited (the line reached nothing), "still running" when it went on relaying.
import os, pty, select, sys, time

vers, env = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(vers, [vers, "connect", "-b", env])


def read_for(seconds, until=None):
    out, end = b"", time.time() + seconds
    while time.time() < end and not (until and until in out):
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out


read_for(30, until=b"#")
os.write(fd, b"setsid sh -c 'cat > /tmp/captured' & sleep 0.5; exit\n")
end, exited = time.time() + 20, False
while time.time() < end:
    if os.waitpid(pid, os.WNOHANG)[0]:
        exited = True
        break
    read_for(0.1)
if not exited:
    os.write(fd, b"typed-after-exit\n")
    read_for(2)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print("exited" if exited else "still running")
