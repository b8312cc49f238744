# Sourced by ./tandem and .ci/run: sets JAVA_HOME to a JDK of version 21 or newer.
# Takes JAVA_HOME when it is one, else the newest such JDK under /usr/lib/jvm (or /opt/java).

jdk_major() {
  local release="$1/release" version
  [ -x "$1/bin/javac" ] && [ -f "$release" ] || { echo 0; return; }
  version="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")"
  echo "${version:-0}"
}

find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ "$(jdk_major "$JAVA_HOME")" -ge 21 ]; then
    echo "$JAVA_HOME"; return 0
  fi
  local best="" best_major=0 dir major
  for dir in /usr/lib/jvm/* /opt/java/* /usr/local/lib/jvm/*; do
    [ -d "$dir" ] || continue
    major="$(jdk_major "$dir")"
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then best="$dir"; best_major="$major"; fi
  done
  [ -n "$best" ] && echo "$best"
}

if ! JAVA_HOME="$(find_jdk)" || [ -z "$JAVA_HOME" ]; then
  echo "Tandem needs a JDK of version 21 or newer: none found in JAVA_HOME or /usr/lib/jvm." >&2
  echo "Install one (e.g. apt-get install openjdk-21-jdk-headless) or point JAVA_HOME at it." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
