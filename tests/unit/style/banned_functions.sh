#!/bin/sh
# banned_functions.sh SRCDIR - fails if project C code calls a function the
# house style bans (curl's list): strcpy strcat sprintf vsprintf gets atoi
# atol sscanf strtok. Comments are not code, so lines inside /* */ blocks
# and // comments are skipped.
set -eu
src=$1
hits=$(find "$src/ca" "$src/lint" "$src/acme" "$src/crl" "$src/spiffe" \
        "$src/tests" "$src/include" -name '*.[ch]' -print0 |
    xargs -0 awk '
        /\/\*/ { c = 1 }
        {
            line = $0
            if (!c && line !~ /^[ \t]*\/\//) {
                if (line ~ /(^|[^a-zA-Z0-9_])(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|sscanf|strtok)[ \t]*\(/)
                    print FILENAME ":" FNR ": " line
            }
        }
        /\*\// { c = 0 }
    ')
if [ -n "$hits" ]; then
    echo "banned functions:"
    echo "$hits"
    exit 1
fi
echo "no banned functions"
