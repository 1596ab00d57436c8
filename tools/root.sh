# tools/root.sh — sourced by tools/demo and tools/check, which need root
# (to install packages and to make network namespaces). From a root shell
# they just run; from a user's shell they run again through sudo where
# there is one (a minimal Debian install has none: then they say so).

# wgd_need_root PROGRAM [ARG...]: returns if root, else execs sudo or exits.
wgd_need_root() {
  [[ $(id -u) -eq 0 ]] && return 0
  if command -v sudo >/dev/null; then
    echo "$1: needs root; running it again through sudo" >&2
    exec sudo -- "$@"
  fi
  echo "$1: needs root: run it from a root shell (su -, then $1)" >&2
  exit 1
}
