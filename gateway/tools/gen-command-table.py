#!/usr/bin/env python3
"""Writes the gateway's built-in Redis command table from a live redis-server's COMMAND reply.

Usage:  gateway/tools/gen-command-table.py [PORT]
  With PORT, asks the redis-server listening on 127.0.0.1:PORT; without, starts a throw-away
  `redis-server` (the one on PATH) on a free loopback port. Writes
  gateway/src/main/resources/io/github/redisentra/gateway/acl/redis-commands.json:
  one JSON array per line, each the COMMAND INFO reply of one command, exactly as RESP2 gives it
  (name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands).
  The gateway reads the same shape from an upstream's COMMAND reply (CommandTable.fromCommandReply).
"""
import json, os, socket, subprocess, sys, tempfile, time

def read_reply(f):
    line = f.readline()
    if not line:
        raise EOFError
    t, rest = line[:1], line[1:-2].decode()
    if t == b'+':
        return rest
    if t == b'-':
        raise RuntimeError(rest)
    if t == b':':
        return int(rest)
    if t == b'$':
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if t == b'*':
        n = int(rest)
        return None if n < 0 else [read_reply(f) for _ in range(n)]
    raise RuntimeError('unexpected reply type %r' % t)

def command(sock, *args):
    out = b'*%d\r\n' % len(args)
    for a in args:
        b = a.encode()
        out += b'$%d\r\n%s\r\n' % (len(b), b)
    sock.sendall(out)

def main():
    proc = None
    if len(sys.argv) > 1:
        port = int(sys.argv[1])
    else:
        s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
        tmp = tempfile.mkdtemp()
        proc = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                                 '--appendonly', 'no', '--dir', tmp], stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(('127.0.0.1', port)).close(); break
            except OSError:
                time.sleep(0.05)
    try:
        sock = socket.create_connection(('127.0.0.1', port))
        f = sock.makefile('rb')
        command(sock, 'INFO', 'server')
        version = [l.split(':', 1)[1] for l in read_reply(f).splitlines() if l.startswith('redis_version:')][0]
        command(sock, 'COMMAND')
        cmds = sorted(read_reply(f), key=lambda c: c[0])
    finally:
        if proc:
            proc.terminate(); proc.wait()
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, '..', 'src', 'main', 'resources', 'io', 'github', 'redisentra', 'gateway', 'acl',
                          'redis-commands.json')
    with open(target, 'w') as out:
        out.write('{"generator":"gateway/tools/gen-command-table.py","redis_version":%s,"commands":[\n'
                  % json.dumps(version))
        out.write(',\n'.join(json.dumps(c, separators=(',', ':')) for c in cmds))
        out.write('\n]}\n')
    print('wrote %d commands of redis %s to %s' % (len(cmds), version, os.path.normpath(target)))

if __name__ == '__main__':
    main()
