# Sourced by ab.sh and audit-cost.sh. With BENCH_PARTITION=1 the servers get CPU 0 to themselves, and wrk, hey,
# PostgreSQL and Redis share the others: the database and the cache off the IdP's CPU, as RDS and ElastiCache
# (Cloud SQL and Memorystore) run them, and a load generator that takes none of the IdP's CPU. By default
# everything shares every CPU — and a sync audit's commits, the load generator and the cache take CPU from the IdP
# itself, which no deployment does. PostgreSQL's and Redis's pinning (taskset, every thread; the backends fork from
# the postmaster and inherit it) is undone by unpin_services, which the caller's cleanup runs.
#
#   "${pin_idp[@]}" java -jar … serve      "${pin_load[@]}" wrk …      pin_services / unpin_services
#   idle_cpu_line: the /proc/stat line whose idle time means the IdP waited (cpu: the machine, or cpu0)
pin_idp=()
pin_load=()
idle_cpu_line=cpu
idle_label='machine idle'
if [ "${BENCH_PARTITION:-0}" = 1 ]; then
  [ "$(nproc)" -ge 2 ] || { echo "bench: BENCH_PARTITION=1 needs 2 CPUs" >&2; exit 1; }
  pin_idp=(taskset -c 0)
  pin_load=(taskset -c "1-$(($(nproc) - 1))")
  idle_cpu_line=cpu0
  idle_label='IdP CPU idle'
fi
_pin() { # cpu list
  local pid
  for pid in $(pgrep -x postgres; pgrep -x redis-server); do
    taskset -a -p -c "$1" "$pid" >/dev/null 2>&1 || true
  done
}
pin_services() {
  [ ${#pin_load[@]} = 0 ] && return 0
  _pin "${pin_load[2]}"
  echo "== partitioned: servers on CPU 0; load generator, PostgreSQL and Redis on CPU ${pin_load[2]}"
}
unpin_services() {
  [ ${#pin_load[@]} = 0 ] || _pin "0-$(($(nproc) - 1))"
}
