#!/usr/bin/env bash
# The serving image's root file system, without a base image (no container registry is needed to build it):
# a Java runtime made by jlink from the building JDK with only the modules the server uses, the shared libraries
# that runtime links against (copied from this machine: Debian's glibc and zlib here), a passwd entry for the
# non-root user and an empty /tmp. Jib (serve/pom.xml) layers it under the server's class path.
#
#   deploy/image/runtime.sh OUT_DIR
#
# IMAGE_MODULES overrides the jlink modules (the training image takes more). IMAGE_NATIVE_CLASSPATH names a file with
# the image's class path (colon-separated jars): the Linux x86-64 native libraries those jars carry (XGBoost's, JNA's)
# are unpacked here and the libraries they link against are copied too; one whose libraries this machine lacks is
# reported and left out (its Java fallback runs).
#
# Needs a JDK with jmods (Debian's openjdk-17-jdk, Temurin 17/21), ldd and a Linux x86_64 or aarch64 host.
set -euo pipefail
out="${1:?usage: runtime.sh OUT_DIR}"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
jlink="$java_home/bin/jlink"
[[ -x "$jlink" ]] || { echo "runtime.sh: no jlink in $java_home (set JAVA_HOME to a JDK)" >&2; exit 1; }
[[ -d "$java_home/jmods" ]] || { echo "runtime.sh: $java_home has no jmods (Debian: apt-get install openjdk-17-jmods)" >&2; exit 1; }

# jdeps --print-module-deps over the server's runtime class path, plus jdk.crypto.ec (TLS with ECDHE, to PostgreSQL
# and for serve.tls) and jdk.zipfs (none needed yet; left out). java.desktop is for java.beans (PostgreSQL's driver,
# genmodel, Micrometer): its native AWT libraries are in the runtime but never loaded, and their X11 libraries are
# not copied below.
modules=${IMAGE_MODULES:-java.base,java.compiler,java.desktop,java.management,java.naming,java.net.http,java.security.jgss,java.sql,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.unsupported}

rm -rf "$out"
mkdir -p "$out"
"$jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$out/opt/java"

# Shared libraries: the closure of what the launcher, the JVM and the runtime's non-desktop libraries link against.
desktop='libawt|libawt_headless|libawt_xawt|libfontmanager|libjavajpeg|libjawt|liblcms|libmlib_image|libsplashscreen|libjsound'
mapfile -t elfs < <(find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) | grep -Ev "/($desktop)\.so$")
# Native libraries of the class path (loaded from their jars at run time): only what they link against is copied.
if [[ -n "${IMAGE_NATIVE_CLASSPATH:-}" ]]; then
  natives="$(mktemp -d)"
  # Jars that carry native code say so in their names (xgboost4j-linux-*, *-natives, jna); unzip lists them, or the
  # JDK's jar tool where unzip is missing.
  list() { if command -v unzip >/dev/null; then unzip -Z1 "$1"; else "$java_home/bin/jar" tf "$1"; fi; }
  { tr ':' '\n' < "$IMAGE_NATIVE_CLASSPATH" | grep -E '\.jar$' | grep -Ei 'linux|native|jna' || true; } | while read -r jar; do
    { list "$jar" 2>/dev/null || true; } | { grep -E '\.so$' || true; } | { grep -Ei 'linux' || true; } \
      | { grep -Ei 'x86.64|amd64|linux_64' || true; } | while read -r entry; do
          dest="$natives/$(basename "$jar")"
          mkdir -p "$dest"
          (cd "$dest" && "$java_home/bin/jar" xf "$jar" "$entry" && mv "$entry" . 2>/dev/null || true)
        done
  done
  while read -r so; do
    missing=$({ ldd "$so" 2>/dev/null || true; } | { grep 'not found' || true; } | { grep -v 'libjvm\.so' || true; } \
      | awk '{print $1}' | tr '\n' ' ')
    if [[ -n "$missing" ]]; then
      echo "runtime.sh: left out $(basename "$so") (from $(basename "$(dirname "$so")")): it links against $missing, which this machine lacks; its Java fallback runs" >&2
    else
      elfs+=("$so")
    fi
  done < <(find "$natives" -name '*.so')
fi
mapfile -t libs < <(for f in "${elfs[@]}"; do ldd "$f" 2>/dev/null || true; done \
  | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 ~ /ld-linux/ {print $1}' | sort -u)
for lib in "${libs[@]}"; do
  case "$lib" in "$out"/*|/tmp/*) continue ;; esac   # the runtime's own (libjli.so), the unpacked natives
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
  # The dynamic loader is also found through its canonical directory (/lib64 on x86_64, /lib on aarch64).
  real="$(readlink -f "$lib")"
  if [[ "$lib" == *ld-linux* && "$real" != "$lib" && ! -e "$out$real" ]]; then
    mkdir -p "$out$(dirname "$real")"
    cp -L "$lib" "$out$real"
  fi
done
# Everything the runtime needs must be in the image: fail the build here, not the container at start. (libjvm.so is
# the runtime's own, loaded by the launcher before the libraries that name it.)
for f in "${elfs[@]}"; do
  if ldd "$f" 2>/dev/null | grep 'not found' | grep -qv '^\s*libjvm\.so '; then
    echo "runtime.sh: $f links against a library this machine lacks:" >&2
    ldd "$f" | grep 'not found' >&2
    exit 1
  fi
done

mkdir -p "$out/etc" "$out/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nconverge:x:10001:10001:converge:/tmp:/sbin/nologin\n' > "$out/etc/passwd"
printf 'root:x:0:\nconverge:x:10001:\n' > "$out/etc/group"
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
# Jib keeps no empty directory; a marker keeps /tmp (the container's writable scratch, an emptyDir on Kubernetes).
: > "$out/tmp/.keep"
echo "runtime.sh: $(du -sh "$out" | cut -f1) in $out (jlink modules: $modules; ${#libs[@]} shared libraries)"
