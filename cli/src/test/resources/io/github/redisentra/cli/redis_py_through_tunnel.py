"""redis-py (RESP2) through `redis-entra connect`, for ConnectPythonIT.

usage: redis_py_through_tunnel.py PORT SECONDS KEY CHANNEL

Until SECONDS have passed: INCR KEY (each reply must be the previous one + 1), PUBLISH CHANNEL m<n> and read that
message on a subscriber connection (each message exactly once, in order). Both connections stay open the whole time,
so they live through the tunnel's token renewals. Prints "done <n>" and exits 0, or the first discrepancy and exits 1.
The local password is any: the tunnel answers AUTH itself.
"""
import sys
import time

import redis

port, seconds, key, channel = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]


def fail(message):
    print("FAILED " + message, flush=True)
    sys.exit(1)


client = redis.Redis(host="127.0.0.1", port=port, password="local", socket_timeout=10)
subscriber = client.pubsub(ignore_subscribe_messages=True)
subscriber.subscribe(channel)
# the subscribe confirmation (ignored), so that the first PUBLISH already has a receiver
deadline = time.monotonic() + 10
while not subscriber.subscribed and time.monotonic() < deadline:
    subscriber.get_message(timeout=0.5)
if not subscriber.subscribed:
    fail("no subscribe confirmation")

end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    n += 1
    value = client.incr(key)
    if value != n:
        fail("INCR %s returned %s, expected %s" % (key, value, n))
    receivers = client.publish(channel, "m%d" % n)
    if receivers < 1:
        fail("PUBLISH m%d reached %s subscribers" % (n, receivers))
    message = None
    deadline = time.monotonic() + 10
    while message is None and time.monotonic() < deadline:
        message = subscriber.get_message(timeout=1)
    if message is None:
        fail("message m%d not received" % n)
    data = message["data"].decode()
    if message["type"] != "message" or data != "m%d" % n:
        fail("received %s %s, expected message m%d" % (message["type"], data, n))
    if n % 20 == 0:
        print("progress %d" % n, flush=True)
    time.sleep(0.25)

subscriber.close()
client.close()
print("done %d" % n, flush=True)
