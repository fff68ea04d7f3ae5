#!/bin/sh
# Make a Debian chroot that holds a newer FFmpeg than the host's, and two
# wrapper commands (DIR/ffmpeg, DIR/ffprobe) that run it on host paths.
#
#   scripts/ffmpeg-chroot.sh SUITE DIR [MIRROR]
#   scripts/ffmpeg-chroot.sh trixie /work/chroots/trixie     # FFmpeg 7.1
#   scripts/ffmpeg-chroot.sh sid    /work/chroots/sid        # Debian unstable
#
# Making the chroot needs root (debootstrap). Running the wrappers does not:
# they start the chroot's own dynamic loader with the chroot's library
# directories, so the binary sees the chroot's glibc and libav* and the
# host's file system. No bind mount, no chroot(2), nothing on the host is
# touched. Re-running with an existing DIR only rewrites the wrappers.
set -eu

usage() {
    echo "usage: $0 SUITE DIR [MIRROR]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
suite=$1
dir=$2
mirror=${3:-http://deb.debian.org/debian}

make_chroot() {
    if [ -x "$dir/usr/bin/ffmpeg" ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "$0: debootstrap needs root; run as root or with sudo" >&2
        exit 1
    fi
    if ! command -v debootstrap >/dev/null 2>&1; then
        apt-get install -y debootstrap
    fi
    mkdir -p "$dir"
    # minbase + ffmpeg only: debootstrap resolves ffmpeg's Depends (libx264,
    # the libav* libraries), not its Recommends.
    debootstrap --variant=minbase --include=ffmpeg "$suite" "$dir" "$mirror"
    # The packages' .debs are not needed once unpacked.
    rm -rf "$dir/var/cache/apt/archives/"*.deb
}

# The loader's name is fixed by the x86-64 ABI; other architectures would
# need theirs here.
find_loader() {
    # The file itself first: lib64's entry is a symbolic link, and one that
    # is absolute would lead to the host's loader.
    for l in "$dir/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
             "$dir/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
             "$dir/usr/lib64/ld-linux-x86-64.so.2" \
             "$dir/lib64/ld-linux-x86-64.so.2"; do
        if [ -f "$l" ] && [ ! -L "$l" ]; then
            echo "$l"
            return 0
        fi
    done
    echo "$0: no x86-64 dynamic loader under $dir" >&2
    exit 1
}

write_wrapper() {
    tool=$1
    loader=$2
    abs=$(cd "$dir" && pwd -P)
    rel_loader=${loader#"$dir"}
    out="$dir/$tool"
    # The wrapper finds the chroot by its own location so that the tree can
    # be moved. LD_LIBRARY_PATH is cleared: host libraries must not leak in.
    # --argv0 keeps the program's name in messages (glibc >= 2.33).
    cat >"$out" <<EOF
#!/bin/sh
# Runs $suite's $tool (from $abs) on host paths without chroot(2).
# Made by scripts/ffmpeg-chroot.sh.
root=\$(cd "\$(dirname "\$0")" && pwd -P)
# pulseaudio: libpulse's private library (found through a RUNPATH that
# would name the host's directory); blas/lapack: the alternatives' targets
# (their symbolic links in the library directory are absolute, so they would
# also point at the host).
arch="\$root/usr/lib/x86_64-linux-gnu"
libs="\$arch:\$arch/pulseaudio:\$arch/blas:\$arch/lapack:\$root/lib/x86_64-linux-gnu"
unset LD_LIBRARY_PATH LD_PRELOAD
exec "\$root$rel_loader" --library-path "\$libs" --argv0 $tool \\
    "\$root/usr/bin/$tool" "\$@"
EOF
    chmod 755 "$out"
}

make_chroot
loader=$(find_loader)
write_wrapper ffmpeg "$loader"
write_wrapper ffprobe "$loader"
# Prove that it runs before anyone relies on it.
version=$("$dir/ffmpeg" -hide_banner -version) || {
    echo "$0: $dir/ffmpeg does not run" >&2
    exit 1
}
echo "$version" | head -n 1
