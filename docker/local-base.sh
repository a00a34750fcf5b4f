#!/usr/bin/env bash
# Builds Starling's Docker base images from parts on this machine, for hosts that reach no image
# registry (docker pull is not needed):
#   starling/debian:bookworm  a Debian root filesystem made by debootstrap from Debian's mirror
#   starling/jdk:25           that plus this machine's JDK 25 at /opt/java/openjdk (build stage)
#   starling/jre:25           that plus a jlink'ed Java 25 runtime at /opt/java/openjdk (run stage)
# The images trust the same certificate authorities as this machine (its JDK trust store and the
# extra CAs under /usr/local/share/ca-certificates), so Maven inside a build behaves as it does here.
# Use them with: docker build --build-arg BUILD_IMAGE=starling/jdk:25 --build-arg BASE_IMAGE=starling/jre:25
# Needs root, a running dockerd, and the debootstrap package. Re-running skips images that exist
# (FORCE=1 rebuilds).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-bookworm}
force=${FORCE:-0}
. "$root/bin/java-home.sh"
jdk=$STARLING_JAVA_HOME

say() { echo "local-base: $*" >&2; }
have() { [ "$force" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }
command -v docker >/dev/null || { say "docker is not installed (apt-get install docker.io)"; exit 2; }
docker info >/dev/null 2>&1 || { say "no Docker engine answers; start dockerd first"; exit 2; }

work=$(mktemp -d /tmp/starling-base.XXXXXX)
trap 'rm -rf "$work"' EXIT

if have "starling/debian:$suite"; then
  say "starling/debian:$suite exists"
else
  command -v debootstrap >/dev/null || { say "debootstrap is not installed (apt-get install debootstrap)"; exit 2; }
  say "debootstrap $suite from $mirror (a few minutes)"
  debootstrap --variant=minbase --include=ca-certificates,curl,procps "$suite" "$work/rootfs" "$mirror" \
    > "$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$work/rootfs/usr/local/share/ca-certificates/"
    chroot "$work/rootfs" update-ca-certificates >"$work/ca.log" 2>&1 || { cat "$work/ca.log" >&2; exit 1; }
  fi
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | docker import \
    -c 'ENV LANG=C.UTF-8' -c 'CMD ["/bin/bash"]' - "starling/debian:$suite" >/dev/null
  rm -rf "$work/rootfs"
  say "built starling/debian:$suite"
fi

java_image() { # $1 image name, $2 directory holding the Java home to install
  mkdir -p "$work/ctx"
  cat > "$work/ctx/Dockerfile" <<DOCKERFILE
FROM starling/debian:$suite
COPY java /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
DOCKERFILE
  rm -rf "$work/ctx/java" && mv "$2" "$work/ctx/java"
  docker build -q --force-rm -t "$1" "$work/ctx" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
  rm -rf "$work/ctx"
  say "built $1"
}

if have starling/jdk:25; then
  say "starling/jdk:25 exists"
else
  # -L: the trust store is often a link into /etc/ssl; the image needs the file itself.
  cp -rL "$jdk" "$work/jdk"
  java_image starling/jdk:25 "$work/jdk"
fi

if have starling/jre:25; then
  say "starling/jre:25 exists"
else
  "$jdk/bin/jlink" --add-modules java.se,jdk.incubator.vector,jdk.httpserver,jdk.unsupported,jdk.crypto.ec,jdk.management,jdk.jfr \
    --strip-debug --no-man-pages --no-header-files --output "$work/jre" \
    >"$work/jlink.log" 2>&1 || { cat "$work/jlink.log" >&2; exit 1; }
  rm -f "$work/jre/lib/security/cacerts"
  cp -L "$jdk/lib/security/cacerts" "$work/jre/lib/security/cacerts"
  java_image starling/jre:25 "$work/jre"
fi
say "done: starling/debian:$suite starling/jdk:25 starling/jre:25"
