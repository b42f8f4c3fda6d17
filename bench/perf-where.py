#!/usr/bin/env python3
import sys, subprocess, collections, re
# bench/perf-where.py REQUESTS FILE.data... : CPU per request (µs, from bench/probe-perf cpu-clock samples at 1999 Hz)
# by where each sample runs (its own frame; the JIT compiler threads and the leak detector by thread / stack)
def classify(comm, stack):
    if 'CompilerThre' in comm: return 'JIT compiler threads'
    whole = '\n'.join(stack)
    if 'ResourceLeakDetector' in whole or 'LeakAwareByteBuf' in whole: return 'Netty leak detector (sampled buffers)'
    top = stack[0] if stack else ''
    if '[kernel' in top: return 'kernel (syscalls, TCP/loopback, scheduler)'
    if 'tcnative' in top or 'libcrypto' in top or 'libssl' in top: return 'TLS library (BoringSSL / OpenSSL 3)'
    if '(/usr/sbin/haproxy' in top or 'haproxy)' in top: return 'proxy code: haproxy'
    if 'libjvm' in top: return 'JVM runtime (GC, stubs, safepoints)'
    if 'libc.so' in top or 'vdso' in top or 'ld-linux' in top: return 'libc / vdso'
    if 'RequestFramer' in top: return 'gateway Java: request framing'
    if 'ReplyFramer' in top or 'ByteReader' in top: return 'gateway Java: reply framing'
    if 'io.netty.handler.ssl' in top: return 'gateway Java: Netty SslHandler'
    if 'io.netty' in top: return 'gateway Java: Netty pipeline, buffers, epoll loop'
    if 'redisentra' in top: return 'gateway Java: session (gate, ledger, forward)'
    return 'other (Java runtime, interpreter, epoll native)'
n=int(sys.argv[1])
tot=collections.Counter(); runs=0
for f in sys.argv[2:]:
    runs+=1
    out=subprocess.run(['perf','script','-i',f,'-F','comm,ip,sym,dso'],capture_output=True,text=True).stdout
    for block in out.split('\n\n'):
        lines=[l for l in block.split('\n') if l.strip()]
        if not lines: continue
        comm=lines[0].strip(); stack=[l.strip() for l in lines[1:]]
        tot[classify(comm,stack)]+=1
allc=sum(tot.values())
for k,v in sorted(tot.items(), key=lambda x:-x[1]):
    print('%-52s %6.3f us/req %5.1f%%' % (k, v/runs/1999*1e6/n, 100*v/allc))
print('%-52s %6.3f us/req' % ('TOTAL', allc/runs/1999*1e6/n))
