# Sourced by the load scripts: whether a JVM's JIT has settled. On 2 vCPUs the C2 compiler still took ~50 % of a core
# 20-35 s into load (seen 2026-12-02), so a fixed warm-up measured the compiler as much as the server, and unevenly:
# two servers, or two token paths, compile different code.

# CPU ticks of the JVM's C2 compiler threads.
c2_ticks() {
  local t s=0
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in C2*) s=$((s + $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0))) ;; esac
  done
  echo "$s"
}

# warm_until_quiet <pid> <max seconds> <command...>: runs the command (about 10 s of load) until C2 used less than
# 5 % of a core during one run, or until max seconds of load; prints how long it took.
warm_until_quiet() {
  local pid=$1 max=$2 warmed=0 before started last=100
  shift 2
  while [ "$warmed" -lt "$max" ]; do
    before=$(c2_ticks "$pid"); started=$(date +%s%N)
    "$@"
    warmed=$((warmed + ($(date +%s%N) - started) / 1000000000))
    last=$(( ($(c2_ticks "$pid") - before) * 100 * 1000000000 / ($(getconf CLK_TCK) * ($(date +%s%N) - started)) ))
    [ "$last" -lt 5 ] && break
  done
  echo "   warm after ${warmed} s of load (C2 used ${last} % of a core in the last run)"
}
