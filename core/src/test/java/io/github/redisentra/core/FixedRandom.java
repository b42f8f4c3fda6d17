package io.github.redisentra.core;

import java.util.random.RandomGenerator;

/** A "random" generator whose {@link #nextDouble()} is fixed, to pin jitter at either end of its range. */
final class FixedRandom implements RandomGenerator {
    private final double value;

    FixedRandom(double value) {
        this.value = value;
    }

    static FixedRandom lowest() {
        return new FixedRandom(0.0);
    }

    static FixedRandom highest() {
        return new FixedRandom(Math.nextDown(1.0));
    }

    @Override
    public double nextDouble() {
        return value;
    }

    @Override
    public long nextLong() {
        return (long) (value * Long.MAX_VALUE);
    }
}
