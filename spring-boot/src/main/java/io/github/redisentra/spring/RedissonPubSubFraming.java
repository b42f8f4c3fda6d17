package io.github.redisentra.spring;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.redisson.client.DefaultNettyHook;
import org.redisson.client.NettyHook;
import org.redisson.client.handler.CommandPubSubDecoder;
import org.redisson.client.handler.CommandsQueuePubSub;
import org.redisson.config.Config;

/**
 * Sits in front of Redisson's pub/sub decoder and hands it whole RESP frames, with no push message ahead of the reply
 * to a command it is waiting for. Redisson 4.7.0 ({@code CommandPubSubDecoder} over {@code CommandDecoder}) loses
 * messages on a subscribed connection that has a command in flight — the {@code AUTH} of every renewal, a
 * {@code PING} — in two ways:
 *
 * <ul>
 *   <li>A push message that arrives before the command's reply is decoded as part of that reply: each of its elements
 *       goes through the command's reply convertor ({@code AUTH}'s turns every value into null), so the message kind
 *       reads as null and the message is dropped without a word. Redis writes a message published after the client
 *       sent {@code AUTH}, but before it ran it, ahead of the {@code +OK}.
 *   <li>When one read holds the reply, then a whole push message, then part of another, the decoder's replay
 *       checkpoint lands after the first message while the answered command is not yet retired; when the rest arrives,
 *       the command counts as executed and the decoder skips "its reply", which is the second message.
 * </ul>
 *
 * Both were seen as messages missing right after a renewal although {@code PUBLISH} had counted the subscriber, and are
 * reproduced byte for byte by {@code RedissonPubSubAcrossReauthIT}. So this decoder passes on the longest run of
 * complete frames (keeping a partial one until it is complete) and, while Redisson's current command on the connection
 * ({@link CommandsQueuePubSub#CURRENT_COMMAND}) has not had its reply passed on, keeps push frames back and passes them
 * right behind that reply: pushes are out of band, their order among themselves is kept.
 *
 * <p>Installed on pub/sub connections only, through Redisson's {@link NettyHook} (see {@link #hook(NettyHook)});
 * ordinary connections are left alone. A type byte it does not know makes it pass everything through from then on, as
 * without it. Not sharable: one instance per channel, on its event loop.
 */
final class RedissonPubSubFraming extends ByteToMessageDecoder {
    private static final int INCOMPLETE = -1;
    private static final int UNKNOWN = -2;

    private boolean passThrough;
    /** The current command whose reply was passed on; pushes after it need not wait. */
    private Object answered;
    /** Push frames kept back until the current command's reply has been passed on. */
    private ByteBuf held;

    /**
     * A hook that installs this decoder on every pub/sub connection and then runs {@code next} (the application's own
     * hook, if any). Returns {@code next} unchanged when it already is such a hook.
     */
    static NettyHook hook(NettyHook next) {
        if (next instanceof Hook) {
            return next;
        }
        return new Hook(next == null ? new DefaultNettyHook() : next);
    }

    /** Sets {@link #hook(NettyHook)} around {@code config}'s current hook. */
    static void installOn(Config config) {
        config.setNettyHook(hook(config.getNettyHook()));
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int end = in.writerIndex();
        if (passThrough) {
            out.add(in.readRetainedSlice(end - in.readerIndex()));
            return;
        }
        Object current = ctx.channel().attr(CommandsQueuePubSub.CURRENT_COMMAND).get();
        int run = in.readerIndex(); // start of the frames not yet passed on or kept back
        int i = run;
        while (i < end) {
            int next = frameEnd(in, i, end);
            if (next == INCOMPLETE) {
                break;
            }
            if (next == UNKNOWN) {
                // Not RESP as we know it: from here on, as without this decoder (what was kept back goes first).
                passThrough = true;
                pass(in, run, i, out);
                passHeld(out);
                run = i;
                i = end;
                break;
            }
            boolean waiting = current != null && current != answered;
            if (waiting && in.getByte(i) == '>') {
                pass(in, run, i, out);
                if (held == null) {
                    held = ctx.alloc().buffer();
                }
                held.writeBytes(in, i, next - i);
                run = next;
            } else if (waiting) {
                answered = current; // this frame is the reply: what was kept back goes right behind it
                pass(in, run, next, out);
                passHeld(out);
                run = next;
            }
            i = next;
        }
        pass(in, run, i, out);
        in.readerIndex(i);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (held != null) {
            held.release();
            held = null;
        }
    }

    private void passHeld(List<Object> out) {
        if (held != null) {
            out.add(held); // handed over: the next decoder releases it
            held = null;
        }
    }

    private static void pass(ByteBuf in, int from, int to, List<Object> out) {
        if (to > from) {
            out.add(in.retainedSlice(from, to - from));
        }
    }

    /**
     * The index just past the RESP2/RESP3 frame that starts at {@code i}, {@link #INCOMPLETE} if it is not all in
     * {@code [i, end)}, {@link #UNKNOWN} if a type byte or a length is not valid RESP.
     */
    static int frameEnd(ByteBuf in, int i, int end) {
        long pending = 1; // values still to read, nested aggregates included
        while (pending > 0) {
            if (i >= end) {
                return INCOMPLETE;
            }
            byte type = in.getByte(i);
            int lf = in.indexOf(i + 1, end, (byte) '\n');
            if (lf < 0) {
                return INCOMPLETE;
            }
            pending--;
            int next = lf + 1;
            switch (type) {
                case '+', '-', ':', '_', ',', '#', '(' -> i = next;
                case '$', '=', '!' -> {
                    long length = parseLength(in, i + 1, lf);
                    if (length == Long.MIN_VALUE) {
                        return UNKNOWN;
                    }
                    long after = length < 0 ? next : next + length + 2;
                    if (after > end) {
                        return INCOMPLETE;
                    }
                    i = (int) after;
                }
                case '*', '>', '~', '%', '|' -> {
                    long count = parseLength(in, i + 1, lf);
                    if (count == Long.MIN_VALUE) {
                        return UNKNOWN;
                    }
                    if (count > 0) {
                        // A map holds key and value per entry; an attribute is a map followed by the value it
                        // annotates.
                        pending += type == '%' ? 2 * count : type == '|' ? 2 * count + 1 : count;
                    }
                    i = next;
                }
                default -> {
                    return UNKNOWN;
                }
            }
        }
        return i;
    }

    /** The decimal between {@code from} and the CRLF ending at {@code lf}; Long.MIN_VALUE if it is not one. */
    private static long parseLength(ByteBuf in, int from, int lf) {
        int to = lf - 1; // the '\r'
        if (to <= from || to - from > 19 || in.getByte(to) != '\r') {
            return Long.MIN_VALUE;
        }
        boolean negative = in.getByte(from) == '-';
        long value = 0;
        for (int j = negative ? from + 1 : from; j < to; j++) {
            byte b = in.getByte(j);
            if (b < '0' || b > '9') {
                return Long.MIN_VALUE;
            }
            value = value * 10 + (b - '0');
        }
        if (negative && (to == from + 1)) {
            return Long.MIN_VALUE;
        }
        return negative ? -value : value;
    }

    private static final class Hook implements NettyHook {
        private final NettyHook next;

        Hook(NettyHook next) {
            this.next = next;
        }

        @Override
        public void afterBoostrapInitialization(Bootstrap bootstrap) {
            next.afterBoostrapInitialization(bootstrap);
        }

        @Override
        public void afterChannelInitialization(Channel channel) {
            ChannelHandlerContext decoder = channel.pipeline().context(CommandPubSubDecoder.class);
            if (decoder != null) {
                channel.pipeline().addBefore(decoder.name(), "redis-entra-pubsub-framing", new RedissonPubSubFraming());
            }
            next.afterChannelInitialization(channel);
        }
    }
}
