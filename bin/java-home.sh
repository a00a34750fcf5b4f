# Sourced by ./mvnw and bin/starling: sets STARLING_JAVA_HOME to a JDK 25 or newer, or
# prints one line saying what to fix and exits 2.
# Order: $JAVA_HOME (must be 25+ when set), the `java` on PATH, then /usr/lib/jvm/*.

starling_java_major() { # $1 = a JDK home; prints its feature version, or nothing
  [ -f "$1/release" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
}

starling_find_java() {
  local need=25 home major
  if [ -n "${JAVA_HOME:-}" ]; then
    major=$(starling_java_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge "$need" ]; then STARLING_JAVA_HOME=$JAVA_HOME; return 0; fi
    echo "starling: JAVA_HOME=$JAVA_HOME is JDK ${major:-unknown}; Starling needs JDK $need or newer: point JAVA_HOME at one (or unset it to search /usr/lib/jvm)." >&2
    exit 2
  fi
  if command -v java >/dev/null 2>&1; then
    home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    major=$(starling_java_major "$home")
    if [ -n "$major" ] && [ "$major" -ge "$need" ]; then STARLING_JAVA_HOME=$home; return 0; fi
  fi
  for home in /usr/lib/jvm/*; do
    major=$(starling_java_major "$home")
    if [ -n "$major" ] && [ "$major" -ge "$need" ] && [ -x "$home/bin/javac" ]; then
      STARLING_JAVA_HOME=$home; return 0
    fi
  done
  echo "starling: no JDK $need or newer found (looked at JAVA_HOME, PATH and /usr/lib/jvm); install one and set JAVA_HOME." >&2
  exit 2
}
starling_find_java
