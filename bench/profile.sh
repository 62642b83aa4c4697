#!/usr/bin/env bash
# Where a compiled model spends its time: the share of each ukernel (and of
# the step function, into which the small kernels are inlined) in a decode or
# a prefill run, from `perf record -e cpu-clock` (a software clock, so it
# works in VMs without hardware counters), with the milliseconds per token
# that share stands for.
#
#   bench/profile.sh EXECUTABLE decode|prefill [THREADS] [TOKENS]
#
# decode: `--bench -pp 0 -tg TOKENS` (default 128); prefill: `--bench -pp
# TOKENS -tg 0` (default 512). Both run 3 repetitions after a warm-up, and
# the executable is first copied to a fresh file (bench/cpu.sh says why);
# the rate is that of the sampled run (sampling at 2 kHz costs little).
# Needs perf (Debian: linux-perf) and kernel.perf_event_paranoid <= 2.
set -euo pipefail

die() { echo "profile.sh: $*" >&2; exit 1; }
[[ $# -ge 2 && $# -le 4 ]] ||
  die "usage: bench/profile.sh EXECUTABLE decode|prefill [THREADS] [TOKENS]"
exe="$1" mode="$2" threads="${3:-1}"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer, not '$threads'"
[[ -z "${4:-}" || "$4" =~ ^[1-9][0-9]*$ ]] || die "TOKENS must be a positive integer, not '$4'"
[[ -f "$exe" && -x "$exe" ]] || die "$exe is not an executable file"
command -v perf >/dev/null || die "perf is not installed (apt-get install linux-perf)"
case "$mode" in
  decode) tokens="${4:-128}"; args=(-pp 0 -tg "$tokens") ;;
  prefill) tokens="${4:-512}"; args=(-pp "$tokens" -tg 0) ;;
  *) die "mode must be decode or prefill, not '$mode'" ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -- "$exe" "$work/model"
# One run: its --bench table gives the rate, the samples give the shares.
perf record -q -e cpu-clock -F 2000 -o "$work/perf.data" -- \
  "$work/model" --bench "${args[@]}" -r 3 --threads "$threads" \
  >"$work/bench.md" 2>"$work/perf.err" ||
  die "perf record of $exe --bench failed: $(head -n 1 "$work/perf.err")"
perf report -q -i "$work/perf.data" --stdio --sort symbol 2>/dev/null >"$work/report.txt"

python3 - "$work/bench.md" "$work/report.txt" "$mode" "$threads" "$exe" <<'EOF'
import re, sys
bench, report, mode, threads, exe = sys.argv[1:]
rate = None
for line in open(bench):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 6 and cells[4][:2] in ("pp", "tg") and cells[5][:1].isdigit():
        rate, test = float(cells[5].split()[0]), cells[4]
if rate is None:
    sys.exit("profile.sh: no t/s in the --bench output")
shares = {}
for line in open(report):
    m = re.match(r"\s*([\d.]+)%\s+\[[.k]\]\s+(\S+)", line)
    if not m:
        continue
    name = m.group(2)
    if name.startswith("ingot_forward"):
        name = "step function (inlined small kernels, norms, residuals)"
    elif not name.startswith(("ingot_uk_", "uk_")):
        name = "libc, libm, kernel and the rest" if "[k]" not in line else "operating system"
    shares[name] = shares.get(name, 0.0) + float(m.group(1))
ms = 1000.0 / rate
print(f"{exe}: {test}, {threads} thread(s): {rate:.2f} t/s, {ms:.3f} ms per token")
print()
print("| where | share | ms per token |")
print("|---|---:|---:|")
for name, share in sorted(shares.items(), key=lambda kv: -kv[1]):
    if share < 0.1:
        continue
    print(f"| {name} | {share:.1f}% | {share * ms / 100:.3f} |")
EOF
