#!/usr/bin/env bash
# Wall and CPU time of the test suite, per vitest project and for the whole `npm test`, with the load
# average when each started (the machine may be shared: CPU seconds are the figure a busy machine does
# not inflate much; wall time is what a pull request waits).
#
#   npm run test:times            # each project alone, then the whole suite in one run
#   npm run test:times -- infra   # only the named project(s)
#
# Target (issue 17 item 2): the whole suite <= 120 s wall on 2 cores from a clean clone.
set -uo pipefail
case "${1:-}" in
  -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
for p in "$@"; do
  case "$p" in
    infra | services | twin) ;;
    *) printf 'error: unknown project "%s" (infra, services or twin)\n' "$p" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
projects=("$@")
whole=0
if [ ${#projects[@]} -eq 0 ]; then projects=(infra services twin); whole=1; fi

measure() { # label, vitest args...
  local label=$1; shift
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local out; out=$(mktemp)
  /usr/bin/time -f '%e %U %S' -o "$out.time" npx vitest run "$@" --reporter=dot >"$out" 2>&1
  local status=$?
  read -r wall user sys <"$out.time"
  local tests; tests=$(grep -Eo 'Tests +[0-9]+ (passed|failed).*' "$out" | sed 's/\x1b\[[0-9;]*m//g' | head -1)
  printf '%-9s %7.1f s wall %7.1f s CPU  load %5s  %s%s\n' "$label" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$load" "$tests" \
    "$([ $status -ne 0 ] && echo "  (exit $status)")"
  # The whole suite's figure is what `npm run bench` reports (scripts/bench/test-timing.ts).
  if [ "$label" = "npm test" ] && [ $status -eq 0 ]; then
    npx tsx scripts/bench/test-timing.ts --wall-seconds "$wall" --cpu-seconds "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >/dev/null || true
  fi
  rm -f "$out" "$out.time"
}

for p in "${projects[@]}"; do measure "$p" --project "$p"; done
if [ "$whole" -eq 1 ]; then measure "npm test"; fi
echo "target: npm test <= 120 s wall on 2 cores ($(nproc) here)"
