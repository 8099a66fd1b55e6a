#!/usr/bin/env bash
# Build labfleet's lab image (the users' single-user servers) locally, with no
# image registry:
#   1. debootstrap a minimal Debian root file system (cached as a tarball),
#   2. `docker import` it as a base image,
#   3. `docker build` the lab image on top: user jovyan (uid 1000) and a venv
#      in /opt/lab with JupyterHub, JupyterLab, the notifications extension,
#      nbgitpuller (and git) and labfleet's own single-user part (this checkout, without its dependencies).
#
# Usage: scripts/build-lab-image.sh [--force] [--refresh-rootfs] [TAG]
#   TAG               image tag (default labfleet-lab:latest); rebuilt when this
#                     checkout's labfleet differs from the one in the image
#   --force           rebuild the image even if TAG is up to date (reuses the rootfs)
#   --refresh-rootfs  also redo debootstrap (implies --force)
#
# Environment:
#   LABFLEET_CACHE_DIR      cache for the rootfs tarball (default /var/cache/labfleet)
#   LABFLEET_DEBIAN_MIRROR  Debian mirror (default: the one apt uses on this host)
set -euo pipefail

SUITE=bookworm
VARIANT=minbase
PACKAGES=(python3 python3-venv python3-pip ca-certificates git)
JUPYTERHUB_SPEC='jupyterhub>=6.1,<7'
JUPYTERLAB_SPEC='jupyterlab>=4.2'
NOTIFICATIONS_SPEC='jupyterlab-notifications-extension>=1.2.29'
GITPULLER_SPEC='nbgitpuller>=1.2'
REPO=$(cd "$(dirname "$0")/.." && pwd)
# extra jovyan-owned directories: volume mount points (workspace, .cache: labfleet's defaults)
LAB_DIRS=(/home/jovyan/work /home/jovyan/workspace /home/jovyan/.cache)
ROOTFS_RECIPE=1   # bump when the rootfs preparation below changes
CACHE_DIR=${LABFLEET_CACHE_DIR:-/var/cache/labfleet}

TAG=labfleet-lab:latest
FORCE=0
REFRESH_ROOTFS=0

say() { echo "build-lab-image: $*"; }
die() { echo "build-lab-image: ERROR: $*" >&2; exit 1; }
trap 'die "command failed at line $LINENO: $BASH_COMMAND"' ERR
usage() { sed -n '9,12s/^# \{0,1\}//p' "$0"; }

while (($#)); do
    case $1 in
        --force) FORCE=1 ;;
        --refresh-rootfs) FORCE=1; REFRESH_ROOTFS=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option $1" ;;
        *) TAG=$1 ;;
    esac
    shift
done

[[ $(id -u) -eq 0 ]] || die "must run as root"
docker version >/dev/null 2>&1 \
    || die "the Docker engine does not answer (run scripts/start-dockerd.sh)"

# what of this checkout goes into the image: labfleet's package and its Jupyter configuration
source_hash() {
    (cd "$REPO" && find labfleet jupyter-config pyproject.toml README.md -type f \
        ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum) \
        | sha256sum | cut -c1-16
}
SOURCE=$(source_hash)
if ((!FORCE)) && [[ $(docker image inspect -f '{{index .Config.Labels "org.labfleet.source"}}' "$TAG" 2>/dev/null) == "$SOURCE" ]]; then
    say "$TAG is up to date ($(docker image inspect -f '{{.Size}}' "$TAG" | numfmt --to=si --suffix=B)); use --force to rebuild"
    exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap not installed (run scripts/install-docker.sh)"
[[ -s /etc/ssl/certs/ca-certificates.crt ]] || die "/etc/ssl/certs/ca-certificates.crt missing on this host"

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.build.lock"
flock -w 600 9 || die "another build holds $CACHE_DIR/.build.lock"

WORK=$(mktemp -d "$CACHE_DIR/build.XXXXXX")
cleanup() {
    # Unmount anything debootstrap may have left mounted before deleting.
    awk -v w="$WORK" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r \
        | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

elapsed() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# The Debian mirror apt uses on this host for $SUITE (deb822 or one-line format).
apt_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        awk -v suite="$SUITE" '
            function flush() {
                if (enabled && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ")) {
                    split(uris, u, " "); print u[1]; found = 1; exit
                }
                types = uris = suites = ""; enabled = 1
            }
            BEGIN { enabled = 1 }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]*#/ { next }
            { key = tolower($1); sub(/:$/, "", key); $1 = "" ; sub(/^ +/, "") }
            key == "types" { types = $0 } key == "uris" { uris = $0 }
            key == "suites" { suites = $0 } key == "enabled" { enabled = (tolower($0) != "no") }
            END { if (!found) flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        sed -E 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite {print $2}'
    done
}

# pip settings from this host that work inside a container too: index URLs
# (http/https only), trusted hosts, proxy, timeouts.
pip_conf() {
    local -a pip
    if python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
    elif command -v pip3 >/dev/null; then pip=(pip3)
    else return 0
    fi
    local -A val=()
    local line key v section name
    while IFS= read -r line; do
        key=${line%%=*} v=${line#*=}
        v=${v#\'} v=${v%\'}
        section=${key%.*} name=${key##*.}
        case $section in global|install|download|:env:) ;; *) continue ;; esac
        case $name in
            index-url|extra-index-url|trusted-host|proxy|retries) ;;
            timeout|default-timeout) name=timeout ;;
            *) continue ;;
        esac
        if [[ $name == *index-url ]]; then   # local paths/file:// do not exist in the image
            v=$(tr -s '[:space:]' '\n' <<<"$v" | grep -E '^https?://' | paste -sd' ' || true)
            [[ -n $v ]] || continue
        fi
        # environment variables override configuration files, as in pip
        if [[ $section == :env: || -z ${val[$name]+x} ]]; then val[$name]=$v; fi
    done < <("${pip[@]}" config list 2>/dev/null)
    echo "[global]"
    echo "cert = /etc/ssl/certs/ca-certificates.crt"
    echo "disable-pip-version-check = true"
    for name in "${!val[@]}"; do echo "$name = ${val[$name]}"; done
}

t_total=$SECONDS

# --- 1. Root file system (debootstrap, cached) ------------------------------
include=("${PACKAGES[@]}")
if apt-cache show tini >/dev/null 2>&1; then include+=(tini); fi
key=$(printf '%s\n' "$ROOTFS_RECIPE" "$SUITE" "$VARIANT" "$(uname -m)" "${include[@]}" | sha256sum | cut -c1-12)
TARBALL=$CACHE_DIR/rootfs-$SUITE-$VARIANT-$key.tar
BASE_IMAGE=labfleet-lab-base:$SUITE-$key

if ((REFRESH_ROOTFS)) || [[ ! -s $TARBALL ]]; then
    MIRROR=${LABFLEET_DEBIAN_MIRROR:-$(apt_mirror)}
    MIRROR=${MIRROR%%$'\n'*}
    [[ -n $MIRROR ]] || die "no Debian mirror for $SUITE in apt's sources; set LABFLEET_DEBIAN_MIRROR"
    MIRROR=${MIRROR%/}
    if command -v curl >/dev/null; then
        curl -fsS -o /dev/null --max-time 30 "$MIRROR/dists/$SUITE/Release" \
            || die "mirror $MIRROR does not serve $SUITE"
    fi
    say "debootstrap $SUITE ($VARIANT, +${include[*]}) from $MIRROR"
    t=$SECONDS
    ROOTFS=$WORK/rootfs
    debootstrap --variant="$VARIANT" --include="$(IFS=,; echo "${include[*]}")" \
        "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
            tail -n 25 "$WORK/debootstrap.log" >&2
            if [[ -f $ROOTFS/debootstrap/debootstrap.log ]]; then tail -n 25 "$ROOTFS/debootstrap/debootstrap.log" >&2; fi
            die "debootstrap failed"
        }

    # Trust the same CAs as this host (e.g. for a TLS-intercepting proxy);
    # extra local CAs are kept so update-ca-certificates in the image keeps them.
    cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
    if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/"
    fi

    # Keep the image small: no docs/man pages/locales for later packages, no apt caches.
    cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/labfleet-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    cat >"$ROOTFS/etc/apt/apt.conf.d/labfleet-slim" <<'EOF'
APT::Install-Recommends "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
EOF
    find "$ROOTFS/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
    find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$ROOTFS"/usr/share/{man,info}/* "$ROOTFS"/var/lib/apt/lists/* \
        "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb \
        "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/var/lib/dpkg/*-old
    find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
    find "$ROOTFS/var/log" -type f -delete
    rm -f "$ROOTFS/etc/machine-id" "$ROOTFS/var/lib/dbus/machine-id"
    : >"$ROOTFS/etc/hostname"

    # The engine provides /dev, /proc and /sys.
    tar --numeric-owner --xattrs -C "$ROOTFS" -cf "$WORK/rootfs.tar" \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' .
    mv "$WORK/rootfs.tar" "$TARBALL"
    rm -rf --one-file-system "$ROOTFS"
    say "rootfs cached in $TARBALL ($(du -h "$TARBALL" | cut -f1), debootstrap took $(elapsed "$t"))"
    docker image rm "$BASE_IMAGE" >/dev/null 2>&1 || true
else
    say "using cached rootfs $TARBALL"
fi

# --- 2. Base image -----------------------------------------------------------
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    t=$SECONDS
    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["/bin/bash"]' \
        "$TARBALL" "$BASE_IMAGE" >/dev/null
    say "imported $BASE_IMAGE ($(elapsed "$t"))"
fi

# --- 3. Lab image ------------------------------------------------------------
CTX=$WORK/context
mkdir -p "$CTX"
pip_conf >"$CTX/pip.conf"
mkdir "$CTX/labfleet-src"
(cd "$REPO" && tar --exclude=__pycache__ -cf - labfleet jupyter-config pyproject.toml README.md) \
    | tar -xf - -C "$CTX/labfleet-src"

entrypoint=''
if [[ " ${include[*]} " == *" tini "* ]]; then
    # tini as PID 1 reaps zombies and forwards signals to the server
    entrypoint='ENTRYPOINT ["/usr/bin/tini", "-g", "--"]'
fi

cat >"$CTX/Dockerfile" <<EOF
ARG BASE
FROM \${BASE}
ENV LANG=C.UTF-8 \\
    SHELL=/bin/bash \\
    PATH=/opt/lab/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY pip.conf /etc/pip.conf
# A new named volume copies the ownership of its mount point in the image, so
# mount points that jovyan must write to have to exist here, owned by jovyan.
RUN useradd --uid 1000 --user-group --create-home --home-dir /home/jovyan \\
        --shell /bin/bash jovyan \\
 && install -d -o jovyan -g jovyan ${LAB_DIRS[*]} \\
 && python3 -m venv /opt/lab \\
 && /opt/lab/bin/pip install --no-cache-dir '$JUPYTERHUB_SPEC' '$JUPYTERLAB_SPEC' '$NOTIFICATIONS_SPEC' '$GITPULLER_SPEC' \\
 && rm -rf /root/.cache /tmp/*
# labfleet's single-user part, in a layer of its own: a change of labfleet rebuilds only it
COPY labfleet-src /tmp/labfleet-src
RUN /opt/lab/bin/pip install --no-cache-dir --no-deps /tmp/labfleet-src \\
 && rm -rf /root/.cache /tmp/*
LABEL org.labfleet.source=$SOURCE
$entrypoint
USER jovyan
WORKDIR /home/jovyan
EXPOSE 8888
CMD ["/opt/lab/bin/python", "-m", "labfleet.singleuser"]
EOF

say "building $TAG"
t=$SECONDS
old_id=$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
build_args=(--network host --build-arg "BASE=$BASE_IMAGE" -t "$TAG")
if ((FORCE)); then build_args+=(--no-cache); fi
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    if [[ -n ${!v:-} ]]; then build_args+=(--build-arg "$v=${!v}"); fi
done
DOCKER_BUILDKIT=0 docker build "${build_args[@]}" "$CTX" >"$WORK/build.log" 2>&1 || {
    tail -n 40 "$WORK/build.log" >&2
    die "docker build failed"
}
say "built $TAG ($(elapsed "$t"))"
# Drop the image this build replaced, unless containers still use it.
if [[ -n $old_id && $old_id != "$(docker image inspect -f '{{.Id}}' "$TAG")" ]]; then
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi

versions=$(docker run --rm --network host --entrypoint /opt/lab/bin/python "$TAG" -c \
    'import jupyterhub, jupyterlab; print(f"jupyterhub {jupyterhub.__version__}, jupyterlab {jupyterlab.__version__}")') \
    || die "the new image does not run"
size=$(docker image inspect -f '{{.Size}}' "$TAG" | numfmt --to=si --suffix=B)
say "$TAG: $size, $versions, built in $(elapsed "$t_total")"
