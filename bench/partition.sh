# Sourced by run.sh, ab.sh and audit-cost.sh. With BENCH_PARTITION=1 the servers get CPU 0 to themselves, and wrk,
# hey, PostgreSQL and Redis share the others: the database and the cache off the IdP's CPU, as RDS and ElastiCache
# (Cloud SQL and Memorystore) run them, and a load generator that takes none of the IdP's CPU. By default everything
# shares every CPU — and a sync audit's commits, the load generator and the cache take CPU from the IdP itself, which
# no deployment does.
#
# PostgreSQL and Redis are pinned with taskset, every thread (the backends fork from the postmaster and inherit its
# mask). Each process's mask before pinning is saved in bench/.work/partition-masks and restored by unpin_services,
# which the caller's EXIT trap runs; a run killed with SIGKILL leaves the file, and the next run that sources this
# restores it first, partitioned or not. Pinning that did not take (taskset refused) stops the run.
#
#   "${pin_idp[@]}" java -jar … serve      "${pin_load[@]}" wrk …      pin_services / unpin_services
#   idle_cpu_line: the /proc/stat line whose idle time means the IdP waited (cpu: the machine, or cpu0)
pin_idp=()
pin_load=()
idle_cpu_line=cpu
idle_label='machine idle'
partition_masks=$(pwd)/bench/.work/partition-masks
if [ "${BENCH_PARTITION:-0}" = 1 ]; then
  [ "$(nproc --all)" -ge 2 ] || { echo "bench: BENCH_PARTITION=1 needs 2 CPUs" >&2; exit 1; }
  pin_idp=(taskset -c 0)
  # As taskset -c -p prints it back: "1" on two CPUs, "1-3" on four.
  pin_load=(taskset -c "$([ "$(nproc --all)" = 2 ] && echo 1 || echo "1-$(($(nproc --all) - 1))")")
  idle_cpu_line=cpu0
  idle_label='IdP CPU idle'
fi
_services() { pgrep -x postgres; pgrep -x redis-server; }
unpin_services() { # restores the saved masks, if any (every run's EXIT trap calls this)
  [ -f "$partition_masks" ] || return 0
  local pid mask
  while read -r pid mask; do
    taskset -a -p "$mask" "$pid" >/dev/null 2>&1 || true
  done < "$partition_masks"
  rm -f "$partition_masks"
}
pin_services() {
  [ ${#pin_load[@]} = 0 ] && return 0
  local pid cpus=${pin_load[2]}
  mkdir -p "$(dirname "$partition_masks")"
  for pid in $(_services); do
    echo "$pid $(taskset -p "$pid" 2>/dev/null | awk '{print $NF}')" >> "$partition_masks"
    taskset -a -p -c "$cpus" "$pid" >/dev/null 2>&1 || true
  done
  local now
  for pid in $(_services); do # a backend that exited meanwhile prints nothing and is skipped
    now=$(taskset -c -p "$pid" 2>/dev/null | awk '{print $NF}')
    [ -z "$now" ] || [ "$now" = "$cpus" ] \
      || { echo "bench: could not pin $(cat "/proc/$pid/comm" 2>/dev/null) ($pid) to CPU $cpus" >&2; exit 1; }
  done
  echo "== partitioned: servers on CPU 0; load generator, PostgreSQL and Redis on CPU $cpus"
}
unpin_services # a killed run's pinning
