#!/usr/bin/env bash
# Issue 7: peak resident memory of the longest default preset, 3-2-parameters (Net_1 … Net_10
# on CIFAR-10, 10 epochs each: many hours on 2 cores), measured headless through trainlab-cli
# for a bounded time.
#
# The engine trains the costliest nets first (Net_10, then Net_9, …; runAll in
# experiments/image_experiment_common.cpp), as many side by side as cores / --threads allow
# (workerCount in experiments/parallel_runs.cpp): with --threads 1 on 2 cores, Net_10 and
# Net_9 train together from the start, which is when the memory of the whole run peaks (the
# nets after them are smaller). The script starts the run, samples VmRSS and VmHWM of the
# process from /proc/<pid>/status every second, stops it with SIGINT after --seconds (the CLI
# then cancels before the next training step, records the run as cancelled and exits with
# 130), and prints the curve and the peak.
#
#   tests/bench/peak_rss.sh [--seconds 1560] [--threads 1] [--preset 3-2-parameters]
#                           [--data-dir /work/shared/datasets] [--cli build/app/trainlab-cli]
#                           [--csv rss.csv] [--every 10] [--nice 0]
#   tests/bench/peak_rss.sh --summary rss.csv      # the summary of an earlier run's samples
#
# Uses both cores for the whole time: run it alone.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds=1560  # two end-of-epoch evaluations of Net_9, one of Net_10 (2 cores)
threads=1
preset=3-2-parameters
data_dir=/work/shared/datasets
cli="$here/build/app/trainlab-cli"
csv=""
every=10
niceness=0
# Peak and shape of the curve from the samples (the part before the SIGINT): the peak, when
# 95% of it was first reached, the lowest and highest RSS of each minute, and whether RSS grows.
# RSS swings within each training step as the activations of a batch are allocated and freed,
# and jumps while a net evaluates (batches of 500): growth is judged on the typical minute, the
# median of the per-minute highs of each half (a plateau when the second's is within 5% of the
# first's), and minutes whose high is 10% over that median are listed as spikes.
summarize() {  # csv, VmHWM in KiB (0: take the largest VmHWM sampled), SIGINT time
    awk -F, -v hwm="$2" -v stop="$3" '
        function median(a, k,    i, j, x) {  # of a[1..k], sorting a in place
            for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
            return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
        }
        NR > 1 && $1 <= stop {
            n++; t[n] = $1; r[n] = $2
            if ($2 > max) { max = $2; tmax = $1 }
            if ($3 * 1024 > hwm) hwm = $3 * 1024
            w = int($1 / 60); if (w > wn) wn = w
            if (!(w in lo) || $2 < lo[w]) lo[w] = $2
            if ($2 > hi[w]) hi[w] = $2
        }
        END {
            if (n == 0) { print "no samples"; exit }
            for (i = 1; i <= n; i++) if (r[i] >= 0.95 * max) { t95 = t[i]; break }
            printf "peak VmRSS sampled %.1f MB at %.0f s (95%% of it first reached at %.0f s)\n", max, tmax, t95
            printf "VmHWM (the kernel'"'"'s peak, between samples too) %.1f MB\n", hwm / 1024
            print "VmRSS per minute, MB (lowest-highest):"
            for (w = 0; w <= wn; w++) if (w in lo) printf "  %5d-%-5d s  %7.0f-%-7.0f\n", 60 * w, 60 * w + 60, lo[w], hi[w]
            # Whole minutes after the first (start-up) only.
            k1 = k2 = 0
            for (w = 1; w < wn; w++) {
                if (!(w in hi)) continue
                if (w <= wn / 2) { a1[++k1] = hi[w] } else { a2[++k2] = hi[w] }
                all[++ka] = hi[w]; wi[ka] = w
            }
            if (k1 == 0 || k2 == 0) { print "too short to judge growth"; exit }
            for (i = 1; i <= ka; i++) c[i] = all[i]
            typical = median(c, ka)
            m1 = median(a1, k1); m2 = median(a2, k2)
            printf "typical minute'"'"'s high: first half %.0f MB, second half %.0f MB: %s\n", m1, m2,
                   m2 <= 1.05 * m1 ? "a plateau, no growth" : "still growing"
            for (i = 1; i <= ka; i++)
                if (all[i] > 1.10 * typical)
                    printf "  spike: %d-%d s, up to %.0f MB (%.0f MB over the typical %.0f)\n",
                           60 * wi[i], 60 * wi[i] + 60, all[i], all[i] - typical, typical
        }' "$1"
}

summary_of=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --preset) preset="$2"; shift 2 ;;
        --data-dir) data_dir="$2"; shift 2 ;;
        --cli) cli="$2"; shift 2 ;;
        --csv) csv="$2"; shift 2 ;;
        --every) every="$2"; shift 2 ;;
        --nice) niceness="$2"; shift 2 ;;
        --summary) summary_of="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "peak_rss.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ -n "$summary_of" ]]; then summarize "$summary_of" 0 1e99; exit 0; fi
[[ -x "$cli" ]] || { echo "peak_rss.sh: no trainlab-cli at $cli (build it first)" >&2; exit 2; }

out="$(mktemp -d /tmp/peak_rss.XXXXXX)"
[[ -n "$csv" ]] || csv="$out/rss.csv"
echo "t_s,rss_mb,hwm_mb,threads" > "$csv"

kb() {  # field of /proc/<pid>/status in KiB, empty when gone
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

echo "peak_rss.sh: $cli run $preset --threads $threads --data-dir $data_dir (stopped after ${seconds} s)"
echo "run folder under $out; samples in $csv"
nice -n "$niceness" "$cli" run "$preset" --data-dir "$data_dir" --out "$out" \
    --threads "$threads" --no-plots >"$out/stdout" 2>"$out/stderr" &
pid=$!
t0=$(date +%s.%N)
stopped_at=""
hwm=0
last_print=-1
printf "%8s  %10s  %10s  %7s\n" "t (s)" "VmRSS MB" "VmHWM MB" "threads"
while kill -0 "$pid" 2>/dev/null; do
    now=$(date +%s.%N)
    t=$(awk -v a="$now" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
    rss=$(kb "$pid" VmRSS)
    h=$(kb "$pid" VmHWM)
    nthreads=$(kb "$pid" Threads)
    if [[ -n "$rss" && -n "$h" ]]; then
        rss_mb=$(awk -v v="$rss" 'BEGIN { printf "%.1f", v / 1024 }')
        hwm_mb=$(awk -v v="$h" 'BEGIN { printf "%.1f", v / 1024 }')
        echo "$t,$rss_mb,$hwm_mb,$nthreads" >> "$csv"
        (( h > hwm )) && hwm=$h
        ti=${t%.*}
        if (( ti / every != last_print )); then
            last_print=$(( ti / every ))
            printf "%8s  %10s  %10s  %7s\n" "$t" "$rss_mb" "$hwm_mb" "$nthreads"
        fi
    fi
    if [[ -z "$stopped_at" ]] && awk -v t="$t" -v s="$seconds" 'BEGIN { exit !(t >= s) }'; then
        stopped_at=$t
        echo "  -- SIGINT at ${t} s"
        kill -INT "$pid" 2>/dev/null || true
    fi
    if [[ -n "$stopped_at" ]] && awk -v t="$t" -v s="$stopped_at" 'BEGIN { exit !(t - s > 300) }'; then
        echo "  -- still running 300 s after SIGINT: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 1
done
set +e
wait "$pid"
rc=$?
set -e
t_end=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')

echo
echo "exit code $rc after ${t_end} s (130 = cancelled, as asked)"
echo "last lines of its stderr:"
tail -n 4 "$out/stderr" | sed 's/^/  /'
echo "epochs finished (the net's own seconds; each ends with an evaluation on the test set):"
grep -E "^[^[].* epoch [0-9]+: " "$out/stderr" | sed 's/^/  /' || echo "  none"
summarize "$csv" "$hwm" "${stopped_at:-1e99}"
