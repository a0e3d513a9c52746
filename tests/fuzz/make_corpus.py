#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/fuzz_virtq_blk.c: a few small valid
inputs (a read, a write, a flush, an indirect chain, ...) in the input format
that file's header comment describes. Run it after changing that format:

    python3 tests/fuzz/make_corpus.py      # rewrites tests/fuzz/corpus/virtq_blk/
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "virtq_blk")

F_EVENT_IDX, F_INDIRECT = 1, 2
NEXT, WRITE, INDIRECT = 1, 2, 4
T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WRITE_ZEROES = 0, 1, 4, 8, 11, 13

HDR, STATUS, TABLE, DATA = 0x400, 0x440, 0x480, 0x600


class Input:
    """Guest RAM of one input, with the ring layout the target uses."""

    def __init__(self, log2_size=3, flags=0, start_idx=0, more=0):
        self.size = 1 << log2_size
        self.header = struct.pack("<BBHBBB", log2_size, flags, start_idx, 0, 7, more)
        self.ram = bytearray()
        self.avail = 16 * self.size
        self.avail_idx = start_idx
        self.next_desc = 0

    def put(self, gpa, data):
        if len(self.ram) < gpa + len(data):
            self.ram.extend(bytes(gpa + len(data) - len(self.ram)))
        self.ram[gpa:gpa + len(data)] = data

    def desc(self, table, i, addr, length, flags, nxt):
        self.put(table + 16 * i, struct.pack("<QIHH", addr, length, flags, nxt))

    def chain(self, segs, table=0, first=None):
        """segs: (gpa, len, writable); returns the head index."""
        first = self.next_desc if first is None else first
        for k, (gpa, length, writable) in enumerate(segs):
            last = k == len(segs) - 1
            self.desc(table, first + k, gpa, length,
                      (WRITE if writable else 0) | (0 if last else NEXT), first + k + 1)
        if table == 0:
            self.next_desc += len(segs)
        return first

    def available(self, head):
        self.put(self.avail + 4 + 2 * (self.avail_idx % self.size), struct.pack("<H", head))
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self.put(self.avail + 2, struct.pack("<H", self.avail_idx))

    def request(self, rtype, sector, data_len=0, writable=True, hdr=HDR, status=STATUS):
        self.put(hdr, struct.pack("<IIQ", rtype, 0, sector))
        segs = [(hdr, 16, False)]
        if data_len:
            segs.append((DATA, data_len, writable))
        segs.append((status, 1, True))
        self.available(self.chain(segs))

    def bytes(self):
        return self.header + bytes(self.ram)


def seeds():
    read = Input()
    read.request(T_IN, 1, 1024)
    yield "read", read

    write = Input()
    write.put(DATA, bytes((i * 7) & 0xFF for i in range(512)))
    write.request(T_OUT, 2, 512, writable=False)
    yield "write", write

    flush = Input()
    flush.request(T_FLUSH, 0)
    yield "flush", flush

    get_id = Input()
    get_id.request(T_GET_ID, 0, 20)
    yield "get_id", get_id

    for name, rtype, flags in (("discard", T_DISCARD, 0), ("write_zeroes", T_WRITE_ZEROES, 1)):
        d = Input()
        d.put(DATA, struct.pack("<QII", 3, 2, flags))
        d.request(rtype, 0, 16, writable=False)
        yield name, d

    indirect = Input(flags=F_INDIRECT)
    indirect.put(HDR, struct.pack("<IIQ", T_IN, 0, 4))
    indirect.chain([(HDR, 16, False), (DATA, 512, True), (STATUS, 1, True)], table=TABLE, first=0)
    indirect.desc(0, 0, TABLE, 3 * 16, INDIRECT, 0)
    indirect.available(0)
    yield "indirect", indirect

    # Two requests across the 16-bit index wrap, with EVENT_IDX; then the
    # same two ring slots made available again as a second batch.
    batch = Input(flags=F_EVENT_IDX, start_idx=0xFFFF, more=2)
    batch.request(T_IN, 0, 512)
    batch.request(T_FLUSH, 0, hdr=HDR + 0x10, status=STATUS + 1)
    yield "batch_wrap", batch


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, seed in seeds():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(seed.bytes())
    print(f"wrote {len(list(seeds()))} inputs to {OUT}")


if __name__ == "__main__":
    main()
