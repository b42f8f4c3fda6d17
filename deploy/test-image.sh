#!/usr/bin/env bash
# Builds the gateway image from deploy/Dockerfile and runs it for real (opt-in; not part of `mvn verify`).
#
#   sudo deploy/test-image.sh            # from anywhere; needs root, Debian's buildah, podman and debootstrap
#
# 1. Base images: every FROM of the Dockerfile that is not in local storage is pulled; where no registry is
#    reachable, a stand-in of the same name is built from Debian packages (debootstrap --variant=minbase bookworm
#    from the mirror apt already uses, plus openjdk-17 / maven) and imported with `podman import`, so the
#    Dockerfile itself stays unchanged and its own steps are what is tested.
# 2. `buildah bud --isolation chroot` builds the image (the Maven stage reuses ~/.m2 through a volume; set
#    TEST_IMAGE_M2=none to let it download everything).
# 3. ContainerImageIT runs the image's entrypoint with `buildah run --isolation chroot` (host network) against the
#    Entra emulator and a TLS redis-server: the gateway must run as the non-root user on epoll and OpenSSL,
#    /readyz must turn 200, a client must sign in and write through it, and SIGTERM must drain and stop it.
# `podman run` is not used: on these machines crun cannot set rlimits.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/redis-entra-gateway:test}
M2=${TEST_IMAGE_M2:-$HOME/.m2}
WORK=${TEST_IMAGE_WORK:-$(mktemp -d /tmp/redis-entra-image.XXXXXX)}
mkdir -p "$WORK"
say() { printf '[test-image] %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "deploy/test-image.sh: run as root (buildah with chroot isolation)" >&2; exit 2; }
need=()
for t in buildah podman debootstrap; do command -v "$t" >/dev/null 2>&1 || need+=("$t"); done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# The Debian mirror apt already uses (deb822 or one-line sources), else deb.debian.org.
mirror=$(grep -hsoE '^URIs: *http[^ ]*' /etc/apt/sources.list.d/*.sources | head -1 | sed 's/^URIs: *//' || true)
[ -n "$mirror" ] || mirror=$(grep -hsoE '^deb +http[^ ]*' /etc/apt/sources.list | head -1 | awk '{print $2}' || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

have_image() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# A Debian bookworm root file system with the given packages, imported under the base image's name.
standin() {
  local name=$1; shift
  local root="$WORK/rootfs-${name//[^a-zA-Z0-9]/_}"
  if [ ! -d "$WORK/minbase" ]; then
    say "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$WORK/minbase" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
      || { tail -20 "$WORK/debootstrap.log"; exit 1; }
  fi
  cp -a "$WORK/minbase" "$root"
  say "stand-in for $name: apt-get install $*"
  mount -t proc proc "$root/proc" 2>/dev/null || true
  chroot "$root" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $* && apt-get clean && rm -rf /var/lib/apt/lists/*" \
    >"$WORK/apt-$$.log" 2>&1 || { umount "$root/proc" 2>/dev/null || true; tail -20 "$WORK/apt-$$.log"; exit 1; }
  umount "$root/proc" 2>/dev/null || true
  tar -C "$root" -c . | podman import --quiet - "localhost/$name" >/dev/null
  # Short names in FROM resolve to docker.io/library/…: tag that too, so no pull is attempted.
  case "$name" in */*) ;; *) buildah tag "localhost/$name" "docker.io/library/$name" ;; esac
  rm -rf "$root"
}

for base in $(sed -nE 's/^FROM +([^ ]+).*/\1/p' deploy/Dockerfile | sort -u); do
  if have_image "$base"; then
    say "base image $base: present"
  elif timeout 60 buildah pull --quiet "$base" >/dev/null 2>&1; then
    say "base image $base: pulled"
  else
    case "$base" in
      maven:*) standin "$base" maven openjdk-17-jdk-headless ca-certificates ;;
      *jre*|*jdk*) standin "$base" openjdk-17-jre-headless passwd ca-certificates ;;
      *) echo "no stand-in recipe for base image $base" >&2; exit 1 ;;
    esac
    say "base image $base: stand-in built from Debian packages"
  fi
done

volume=()
if [ "$M2" != none ]; then volume=(--volume "$M2:/root/.m2"); fi
say "buildah bud --isolation chroot -f deploy/Dockerfile -t $IMAGE"
start=$(date +%s)
buildah bud --isolation chroot --pull=never "${volume[@]}" -f deploy/Dockerfile -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log"; exit 1; }
say "image built in $(( $(date +%s) - start ))s: $(buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$IMAGE" | head -1)"
say "user $(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$IMAGE"), entrypoint $(buildah inspect --type image --format '{{.OCIv1.Config.Entrypoint}}' "$IMAGE")"

say "running the image: ContainerImageIT"
mvn -B -q -o -pl gateway -am test -Dtest=ContainerImageIT -Dsurefire.failIfNoSpecifiedTests=false \
  -Dspotless.check.skip=true -Dgateway.image="$IMAGE" >"$WORK/test.log" 2>&1 || { tail -60 "$WORK/test.log"; exit 1; }
grep -h '^ContainerImageIT' gateway/target/surefire-reports/*ContainerImageIT-output.txt 2>/dev/null || true
grep -h 'Tests run' gateway/target/surefire-reports/*ContainerImageIT.txt
say "OK (logs in $WORK)"
