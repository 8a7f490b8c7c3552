"""The Python side of shm_frames.c: creates a named shared memory block, starts the C program
with its name, and reads the frames the C side draws into it.

    cc -std=c99 -O2 -o shm_frames examples/shm_frames.c
    python3 examples/shm_frames.py ./shm_frames
"""
import struct
import subprocess
import sys
import time
from multiprocessing import shared_memory

W, H, HEADER = 64, 48, 16  # the C header: frame, w, h, done (4 unsigned ints)
exe = sys.argv[1] if len(sys.argv) > 1 else "./shm_frames"
shm = shared_memory.SharedMemory(create=True, size=HEADER + W * H)  # name: psm_...
drawer = subprocess.Popen([exe, shm.name])  # the C side attaches by the same name
try:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        frame, w, h, done = struct.unpack_from("IIII", shm.buf, 0)
        if frame:
            pixels = bytes(shm.buf[HEADER:HEADER + w * h])
            print("frame %d: %dx%d, mean %.1f" % (frame, w, h, sum(pixels) / len(pixels)))
            struct.pack_into("I", shm.buf, 0, 0)  # seen: the C side draws the next one
        elif done:
            break
        time.sleep(0.001)
    drawer.wait(10)
finally:
    shm.close()
    shm.unlink()
