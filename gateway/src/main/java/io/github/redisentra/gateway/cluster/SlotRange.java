package io.github.redisentra.gateway.cluster;

/** An inclusive range of hash slots, 0 to 16383. */
public record SlotRange(int start, int end) {

    public static final int SLOTS = 16384;

    public SlotRange {
        if (start < 0 || end >= SLOTS || start > end) {
            throw new IllegalArgumentException("slot range must be within 0-16383, got " + start + "-" + end);
        }
    }

    public int size() {
        return end - start + 1;
    }

    @Override
    public String toString() {
        return start == end ? Integer.toString(start) : start + "-" + end;
    }
}
