#!/bin/sh
# Generates ./configure from a git checkout. autoreconf also runs
# autopoint (configure.ac asks for gettext), which copies po/Makefile.in.in
# and the gettext macros into the tree.
set -e
cd "$(dirname "$0")"
if ! command -v autopoint > /dev/null; then
  echo "autogen.sh: autopoint is missing: apt-get install autopoint (or run tools/deps)" >&2
  exit 1
fi
autoreconf --force --install --verbose
