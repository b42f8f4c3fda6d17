package io.github.redisentra.gateway.resp;

import io.netty.buffer.ByteBuf;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.internal.PlatformDependent;

/**
 * Reads the bytes of one buffer during one framing call without Netty's per-access checks (issue #19: the liveness
 * check behind every {@link ByteBuf#getByte} was ~8 % of the gateway's samples). {@link #reset} checks once that the
 * buffer is live; within the call nothing can release it (one event-loop thread), and every caller reads only
 * between the buffer's reader and writer index, which it has already bounded. Direct buffers are read through their
 * memory address, heap buffers through their array; any other buffer (composite) through its checked accessors.
 * The tests run with assertions on, so every framing test and fuzz input also checks the bounds the callers keep.
 */
final class ByteReader {
    private ByteBuf buf;
    private byte[] array;
    private int arrayOffset;
    private long address;

    /** Starts reading {@code b} (before every framing call: the buffer may have changed); fails if it was released. */
    void reset(ByteBuf b) {
        if (b.refCnt() == 0) {
            throw new IllegalReferenceCountException(0);
        }
        buf = b;
        if (b.hasMemoryAddress()) {
            address = b.memoryAddress();
            array = null;
        } else if (b.hasArray()) {
            address = 0;
            array = b.array();
            arrayOffset = b.arrayOffset();
        } else {
            address = 0;
            array = null;
        }
    }

    /** The byte at absolute {@code index}, which the caller keeps within the buffer's readable bytes. */
    byte get(int index) {
        assert index >= 0 && index < buf.writerIndex() : "read at " + index + " past " + buf;
        if (address != 0) {
            return PlatformDependent.getByte(address + index);
        }
        if (array != null) {
            return array[arrayOffset + index];
        }
        return buf.getByte(index);
    }

    /** The first index of {@code value} in {@code [from, to)}, or -1 ({@code to} at most the writer index). */
    int indexOf(int from, int to, byte value) {
        assert from >= 0 && to <= buf.writerIndex() : "scan of [" + from + ", " + to + ") past " + buf;
        if (address != 0) {
            for (int i = from; i < to; i++) {
                if (PlatformDependent.getByte(address + i) == value) {
                    return i;
                }
            }
            return -1;
        }
        if (array != null) {
            int off = arrayOffset;
            for (int i = from; i < to; i++) {
                if (array[off + i] == value) {
                    return i;
                }
            }
            return -1;
        }
        return buf.indexOf(from, to, value);
    }
}
