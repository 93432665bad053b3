# Sourced by .ci/services/*.sh: installs Debian packages, or says clearly why it cannot.
# install_packages PKG... installs the packages with apt-get (one `apt-get update` per script).
# Installing needs root: run as another user, it stops with the command to run instead.
_robit_apt_updated=no
install_packages() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "robit test: $* not installed, and installing needs root." >&2
    echo "  Run 'sudo ./test' once, or install them yourself: sudo apt-get install $*" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [[ $_robit_apt_updated == no ]]; then
    apt-get update -qq
    _robit_apt_updated=yes
  fi
  apt-get install -y -qq "$@" >/dev/null
}
