#!/usr/bin/env bash
# test-docs.sh — keeps docs/ honest. Prints TAP.
#
#  - no file of the source tree points to the design notes that were kept
#    outside the repository (the documentation is docs/);
#  - every relative link in docs/*.md and README.md leads to a file, and
#    every source path and function named in docs/*.md exists;
#  - every hex string, hex dump, key and base64url text quoted in
#    docs/record-format.md is, byte for byte, a value of
#    tests/data/vectors.ini, so the worked examples cannot drift from the
#    vectors the unit tests use.
# Needs only bash, awk, grep, base64 and od.

srcdir=${srcdir:-.}
docs=$srcdir/docs
spec=$docs/record-format.md
vectors=$srcdir/tests/data/vectors.ini
n=0
check() {
  n=$((n + 1))
  if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}

# The files of the source tree: git's view in a checkout (tracked and
# untracked, not ignored), else every file below srcdir except version
# control and build trees (a directory with config.status below the top).
source_files() {
  local top
  top=$(git -C "$srcdir" rev-parse --show-toplevel 2> /dev/null)
  if [[ -n $top && $(cd "$top" && pwd -P) == $(cd "$srcdir" && pwd -P) ]]; then
    git -C "$srcdir" ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [[ -f $srcdir/$f ]] && printf '%s\0' "$srcdir/$f"; done
  else
    find "$srcdir" \( -name .git -o -name autom4te.cache \) -prune -o \
      -mindepth 1 -type d -exec test -e '{}/config.status' ';' -prune -o -type f -print0
  fi
}

# The bytes of a vector as lowercase hex without spaces.
b64_hex() { base64 -d 2> /dev/null | od -An -v -tx1 | tr -d ' \n'; }
b64url_hex() {
  local t=${1//_//}
  t=${t//-/+}
  while ((${#t} % 4)); do t+='='; done
  printf '%s' "$t" | b64_hex
}
# The name of the vector whose whole value is this hex, or nothing.
vector_named() {
  [[ -n $1 ]] && awk -v hex="$1" '
    /^\[/ { section = $0 }
    index($0, "=") && substr($0, index($0, "=") + 1) == hex {
      print section " " substr($0, 1, index($0, "=") - 1); exit
    }' "$vectors"
}

# 1. Nothing refers to the design notes outside the repository. (The
#    patterns are written so that this file does not match itself.)
stale=$(source_files | xargs -0 -r grep -IlE 'DESIGN[.]md|DESIGN[ ]§' 2> /dev/null |
          sed "s|^$srcdir/||" | tr '\n' ' ')
check "no file refers to design notes outside the repository${stale:+: $stale}" '[[ -z $stale ]]'

# 2. The documents exist, and their relative links lead somewhere.
for doc in README.md architecture.md trust-model.md record-format.md dbus-api.md rendezvous.md \
  dynamic-dns.md; do
  check "docs/$doc exists" '[[ -s $docs/$doc ]]'
done
for md in "$docs"/*.md "$srcdir/README.md"; do
  dir=${md%/*}
  broken=
  while IFS= read -r target; do
    [[ -e $dir/$target ]] || broken+=" $target"
  done < <(grep -oE '\]\([^)#]+' "$md" | sed 's/^](//' | grep -vE '^[a-z]+:')
  check "the links of ${md#"$srcdir"/} lead to files${broken:+; broken:$broken}" '[[ -z $broken ]]'
done

# 3. The paths and functions docs/ names exist.
missing=
while IFS= read -r path; do
  [[ -e $srcdir/$path ]] || missing+=" $path"
done < <(grep -ohE '`(src|tests|man|data|bench|tools)/[^` ]*`' "$docs"/*.md | tr -d '`' | sort -u)
check "every source path named in docs/ exists${missing:+; missing:$missing}" '[[ -z $missing ]]'
missing=
while IFS= read -r name; do
  grep -rqw -- "$name" "$srcdir/src" || missing+=" $name"
done < <(grep -ohE '`(wgd|daemon|on|log|mdns)_[A-Za-z0-9_]+`|`WGD_[A-Z0-9_]+`' "$docs"/*.md |
           tr -d '`' | sort -u)
check "every function and constant named in docs/ exists in src/${missing:+; missing:$missing}" \
  '[[ -z $missing ]]'

# 4. Hex strings of 16 digits or more quoted anywhere in the specification.
bad=
count=0
while IFS= read -r hex; do
  count=$((count + 1))
  grep -qF -- "$hex" "$vectors" || bad+=" ${hex:0:16}…"
done < <(grep -oE '[0-9a-f]{16,}' "$spec")
check "the $count hex strings in record-format.md are in vectors.ini${bad:+; not:$bad}" \
  '[[ $count -gt 0 && -z $bad ]]'

# 5. The hex dumps (```hexdump blocks: offset, bytes, "# comment"): the
#    offsets count the bytes, and the bytes are one whole vector.
dumps=$(awk '
  /^```/ {
    if (!fence) { fence = 1; lang = substr($0, 4); start = NR; off = 0; hex = ""; err = ""; next }
    if (lang == "hexdump") print start, (err != "" ? "error:" err : hex)
    fence = 0; next
  }
  fence && lang == "hexdump" {
    line = $0; sub(/#.*/, "", line)
    k = split(line, f, " ")
    if (f[1] != sprintf("%04x", off)) err = err " line " NR " offset " f[1] " should be " sprintf("%04x", off)
    for (i = 2; i <= k; i++) {
      if (f[i] !~ /^[0-9a-f][0-9a-f]$/) err = err " line " NR " byte " f[i]
      hex = hex f[i]; off++
    }
  }' "$spec")
check "record-format.md has hex dumps" '[[ -n $dumps ]]'
while read -r line hex; do
  if [[ $hex == error:* ]]; then
    check "the hex dump at record-format.md:$line counts its bytes:${hex#error:}" 'false'
    continue
  fi
  name=$(vector_named "$hex")
  check "the hex dump at record-format.md:$line is the vector ${name:-(none: ${hex:0:40}…)}" \
    '[[ -n $name ]]'
done <<< "$dumps"

# 6. Keys in standard base64 are vectors.
count=0
while IFS= read -r key; do
  count=$((count + 1))
  name=$(vector_named "$(printf '%s' "$key" | b64_hex)")
  check "the key $key in record-format.md is the vector ${name:-(none)}" '[[ -n $name ]]'
done < <(grep -oE '(^|[^A-Za-z0-9+/_-])[A-Za-z0-9+/]{43}=' "$spec" | grep -oE '[A-Za-z0-9+/]{43}=' |
           awk '!seen[$0]++')
check "record-format.md quotes keys in base64" '[[ $count -gt 0 ]]'

# 7. Base64url in code blocks: TXT forms (a0=, a1=, … in order, every
#    chunk but the last 240 characters) and lone lines of base64url.
texts=$(awk '
  /^```/ {
    if (!fence) { fence = 1; lang = substr($0, 4); start = NR; chunks = 0; joined = ""; err = ""; next }
    if (chunks > 0) print "txt", start, (err != "" ? "error:" err : joined)
    fence = 0; next
  }
  fence && lang != "hexdump" && /^a[0-9]+=/ {
    eq = index($0, "="); idx = substr($0, 2, eq - 2) + 0; value = substr($0, eq + 1)
    if (idx != chunks) err = err " line " NR " is a" idx ", expected a" chunks
    if (chunks > 0 && last != 240) err = err " chunk a" (chunks - 1) " has " last " characters, not 240"
    if (length(value) > 240) err = err " line " NR " is longer than 240"
    joined = joined value; last = length(value); chunks++
    next
  }
  fence && lang != "hexdump" && /^[A-Za-z0-9_-]+$/ && length($0) >= 40 { print "line", NR, $0 }
' "$spec")
check "record-format.md shows a TXT form" 'grep -q "^txt " <<< "$texts"'
while read -r kind line text; do
  if [[ $text == error:* ]]; then
    check "the TXT form at record-format.md:$line is well formed:${text#error:}" 'false'
    continue
  fi
  name=$(vector_named "$(b64url_hex "$text")")
  check "the base64url ($kind) at record-format.md:$line is the vector ${name:-(none)}" \
    '[[ -n $name ]]'
done <<< "$texts"

# 8. The D-Bus API: every interface and every property of
#    data/org.wgdiscover1.xml has its section and its row (name and type)
#    in docs/dbus-api.md, every one has a doc comment in the XML, and
#    the page describes nothing the XML does not have.
api=$docs/dbus-api.md
xml=$srcdir/data/org.wgdiscover1.xml
# "interface NAME" and "property NAME TYPE" lines, with "undocumented"
# after those the XML gives no comment right before.
xml_members=$(awk '
  /<!--/ { commented = 1 }
  /<interface name=/ {
    match($0, /name="[^"]*"/); iface = substr($0, RSTART + 6, RLENGTH - 7)
    print "interface " iface (commented ? "" : " undocumented"); commented = 0; next
  }
  /<property name=/ {
    match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
    match($0, /type="[^"]*"/); type = substr($0, RSTART + 6, RLENGTH - 7)
    print "property " iface " " name " " type (commented ? "" : " undocumented"); commented = 0; next
  }
  /<(method|signal) name=/ {
    match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
    print "member " iface " " name (commented ? "" : " undocumented"); commented = 0; next
  }
  /<\/interface>|<node>/ { commented = 0 }
' "$xml")
undocumented=$(grep ' undocumented$' <<< "$xml_members" | sed 's/ undocumented$//' | tr '\n' ';')
check "every interface, property and signal of the XML has a doc comment${undocumented:+; not:$undocumented}" \
  '[[ -n $xml_members && -z $undocumented ]]'
missing=
while read -r kind iface name type _; do
  case $kind in
    interface) grep -qx "## $iface" "$api" || missing+=" $iface" ;;
    property)
      # The row in the section of its interface.
      awk -v i="## $iface" -v row="| \`$name\` | \`$type\` |" '
        /^## / { in_section = ($0 == i) }
        in_section && index($0, row) == 1 { found = 1 }
        END { exit !found }' "$api" || missing+=" $iface.$name($type)" ;;
    member) grep -qF "\`$name\`" "$api" || missing+=" $iface.$name" ;;
  esac
done <<< "$xml_members"
check "docs/dbus-api.md describes every member of the XML with its type${missing:+; missing:$missing}" \
  '[[ -z $missing ]]'
extra=
while IFS= read -r row; do
  name=$(sed -E 's/^\| `([A-Za-z]+)`.*/\1/' <<< "$row")
  grep -qE "<(property|method|signal) name=\"$name\"" "$xml" || extra+=" $name"
done < <(grep -E '^\| `[A-Z][A-Za-z]+` \| `' "$api")
check "docs/dbus-api.md describes nothing the XML does not have${extra:+; extra:$extra}" \
  '[[ -z $extra ]]'

echo "1..$n"
