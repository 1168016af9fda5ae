#!/bin/sh
# The `git describe` of the source tree $1 for --version; a tree exported for packaging
# (tools/dev package) carries it in .git-describe.
git -C "$1" describe --always --dirty --tags 2>/dev/null || cat "$1/.git-describe"
