#!/bin/bash
# Writes a short man page for a swift-argument-parser command from its own --help output (and each
# subcommand's), so the page always matches the binary. (The argument parser's generate-manual
# plugin needs to build a tool, which is not always possible offline.)
#
#   scripts/man-from-help.sh BINARY SECTION > NAME.SECTION
set -euo pipefail
bin=$1 section=$2
name=$(basename "$bin")
help=$(COLUMNS=80 "$bin" --help)
version=$("$bin" --version 2>/dev/null || echo "")
summary=$(printf '%s\n' "$help" | sed -n '/^OVERVIEW:/,/^$/p' | sed '1s/^OVERVIEW: //' | tr '\n' ' ' | sed 's/ *$//')

# roff: escape backslashes, and a leading dot or quote would be read as a request.
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

echo ".TH $(echo "$name" | tr a-z A-Z) $section \"\" \"heapwatch $version\" \"heapwatch\""
echo ".SH NAME"
echo "$name \\- $(printf '%s' "$summary" | sed 's/\. .*//; s/\.$//' | roff)"
echo ".SH DESCRIPTION"
echo ".nf"
printf '%s\n' "$help" | roff
echo ".fi"
subcommands=$(printf '%s\n' "$help" | sed -n '/^SUBCOMMANDS:/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ {print $1}')
for sub in $subcommands; do
    echo ".SH \"$(echo "$name $sub" | tr a-z A-Z)\""
    echo ".nf"
    COLUMNS=80 "$bin" "$sub" --help | roff
    echo ".fi"
done
echo ".SH SEE ALSO"
if [[ $name == heapwatchd ]]; then echo "heapwatchctl(1), systemd.exec(5)"; else echo "heapwatchd(8)"; fi
