#!/bin/sh
# Installs the Debian 12 packages lmarc needs to build, test and benchmark,
# skipping those already present. Uses sudo when not run as root.
set -eu

PACKAGES="build-essential cmake pkg-config git
libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
libdnnl-dev ocl-icd-opencl-dev opencl-c-headers
libboost-program-options-dev libgtest-dev libzstd-dev libxxhash-dev
python3 python3-numpy python3-h5py python3-matplotlib
zlib1g-dev netcdf-bin
zstd xz-utils bzip3 brotli fpzip-utils zfp libblosc-dev
flac wavpack webp libjxl-tools optipng netpbm"
# The Slurm cluster test (tests/slurm_cluster_test.sh) runs only with
# LMARC_TEST_SLURM=1, and only then are the Slurm daemons installed.
if [ "${LMARC_TEST_SLURM:-}" = 1 ]; then
  PACKAGES="$PACKAGES slurm-wlm slurmctld slurmd slurm-client munge"
fi

missing=""
for package in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $package"
done
[ -z "$missing" ] && exit 0

echo "lmarc: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
