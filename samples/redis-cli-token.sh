#!/usr/bin/env bash
# redis-cli with an Entra ID access token: obtains a token, then runs
#   redis-cli --user <oid> --no-auth-warning [--tls ...] -h HOST -p PORT [command...]
# with the token as the password, against the redis-entra gateway or directly against an Azure cache.
#
# The token is handed to redis-cli through its REDISCLI_AUTH environment variable (the same as `-a <token>`, but not
# visible to other users in the process list), and never printed.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: samples/redis-cli-token.sh TOKEN-SOURCE [-h HOST] [-p PORT] [--tls] [--cacert FILE] [--user NAME] [command...]

Token source (one of):
  --az RESOURCE          Azure CLI: az account get-access-token --resource RESOURCE --query accessToken -o tsv
                         (a cache: https://redis.azure.com; the gateway: its App ID URI, e.g. api://redis-gateway)
  --sign-in              the samples' MSAL sign-in (device code on stderr; settings ENTRA_AUTHORITY_HOST,
                         ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_SCOPE as for the sample apps, see samples/README.md;
                         defaults: the local emulator's demo tenant). Needs samples/target/redis-entra-samples.jar.
  --token-command CMD    any command that prints a token on stdout (run with sh -c)

Connection (default 127.0.0.1:6388, the gateway's default port):
  -h HOST  -p PORT       gateway or cache (Azure Cache for Redis: port 6380, Azure Managed Redis: 10000, both --tls)
  --tls                  TLS; --cacert FILE trusts an extra CA (e.g. a gateway's private CA)
  --user NAME            Redis user name; default: the token's oid claim (what gateway and cache expect)

Anything else is passed to redis-cli (a command, or nothing for the interactive prompt).
USAGE
}

source_kind=""
source_arg=""
host=127.0.0.1
port=6388
user=""
tls=()
rest=()
here=$(cd "$(dirname "$0")" && pwd)

while [ $# -gt 0 ]; do
    case "$1" in
        --az) source_kind=az; source_arg=${2:?--az needs a resource, e.g. https://redis.azure.com}; shift 2 ;;
        --sign-in) source_kind=sign-in; shift ;;
        --token-command) source_kind=command; source_arg=${2:?--token-command needs a command}; shift 2 ;;
        -h) host=${2:?-h needs a host}; shift 2 ;;
        -p) port=${2:?-p needs a port}; shift 2 ;;
        --user) user=${2:?--user needs a name}; shift 2 ;;
        --tls) tls+=(--tls); shift ;;
        --cacert) tls+=(--cacert "${2:?--cacert needs a file}"); shift 2 ;;
        --help) usage; exit 0 ;;
        *) rest+=("$1"); shift ;;
    esac
done

[ -n "$source_kind" ] || { usage >&2; echo >&2; echo "redis-cli-token: choose a token source: --az RESOURCE, --sign-in or --token-command CMD" >&2; exit 2; }
command -v redis-cli >/dev/null 2>&1 || { echo "redis-cli-token: redis-cli not found; install it (Debian/Ubuntu: apt-get install redis-tools; macOS: brew install redis)" >&2; exit 2; }

case "$source_kind" in
    az)
        command -v az >/dev/null 2>&1 || { echo "redis-cli-token: az not found; install the Azure CLI and run az login" >&2; exit 2; }
        token=$(az account get-access-token --resource "$source_arg" --query accessToken -o tsv) ;;
    sign-in)
        jar="$here/target/redis-entra-samples.jar"
        [ -f "$jar" ] || { echo "redis-cli-token: $jar not found; build it: mvn -B -q -DskipTests package -pl samples -am" >&2; exit 2; }
        token=$(java -cp "$jar" io.github.redisentra.samples.SignInToken) ;;
    command)
        token=$(sh -c "$source_arg") ;;
esac
token=$(printf '%s' "$token" | tr -d '\r\n')
[ -n "$token" ] || { echo "redis-cli-token: the token source printed no token" >&2; exit 1; }

if [ -z "$user" ]; then
    # The oid claim from the JWT's payload (base64url): the Redis user name of the token's identity.
    payload=$(printf '%s' "$token" | cut -d. -f2 | tr '_-' '/+')
    while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
    user=$(printf '%s' "$payload" | base64 -d 2>/dev/null | grep -o '"oid" *: *"[^"]*"' | head -n1 | sed 's/.*"\([^"]*\)"$/\1/' || true)
    [ -n "$user" ] || { echo "redis-cli-token: the token has no oid claim (is it an Entra access token?); pass --user NAME" >&2; exit 1; }
fi

REDISCLI_AUTH="$token" exec redis-cli --user "$user" --no-auth-warning "${tls[@]}" -h "$host" -p "$port" "${rest[@]}"
