#!/usr/bin/env bash
# The one-command local demo: builds what it needs, then starts the Entra ID emulator, a TLS redis-server standing
# in for Azure Cache for Redis, and the gateway; runs the Lettuce and Jedis samples through the gateway, shows a
# refused user and a token renewal, runs a redis-cli session through `redis-entra connect`, prints a transcript and
# stops everything. Exit status 0 when all checks passed.
# Needs: JDK 17+, Maven 3.8+, redis-server 7 with TLS (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless maven
# redis-server). DEMO_SKIP_BUILD=1 reuses an earlier build.
set -euo pipefail
cd "$(dirname "$0")"

fail() {
    echo "demo: $*" >&2
    exit 2
}

command -v java >/dev/null 2>&1 || fail "java not found; install a JDK 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless)"
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
[ "${java_major:-0}" -ge 17 ] || fail "java ${java_major:-?} found; the demo needs Java 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless)"

redis=${REDIS_SERVER:-$(command -v redis-server || true)}
for candidate in /usr/bin/redis-server /usr/sbin/redis-server /usr/local/bin/redis-server /opt/homebrew/bin/redis-server; do
    [ -n "$redis" ] && break
    [ -x "$candidate" ] && redis=$candidate
done
[ -n "$redis" ] && [ -x "$redis" ] || fail "redis-server not found; install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_SERVER=/path/to/redis-server"
export REDIS_SERVER="$redis"

if [ "${DEMO_SKIP_BUILD:-0}" != 1 ] || [ ! -f samples/target/redis-entra-samples.jar ]; then
    command -v mvn >/dev/null 2>&1 || fail "mvn not found; install Maven 3.8 or newer (Debian/Ubuntu: apt-get install maven)"
    echo "demo: building the emulator, gateway, command line and samples (mvn package, tests skipped) ..." >&2
    # (Maven's console library writes colour resets even in quiet batch mode: filter them out of the transcript.)
    mvn -B -q -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package -pl samples,gateway,emulator,cli -am 2>&1 \
        | sed 's/\x1b\[[0-9;]*m//g' >&2
fi

exec java -jar samples/target/redis-entra-samples.jar
