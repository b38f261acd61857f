#!/usr/bin/env bash
# Cold start and peak memory of TinyNet's first batch-1 output, whole processes, Native AOT builds of both:
# Fusion (generated kernels) and ONNX Runtime (native library + session + run). Medians of 20 runs after one warm-up.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
dotnet publish Fusion.ColdStart -c Release -r linux-x64 -p:NativeAot=true -o "$out/fusion" > "$out/publish-fusion.log"
dotnet publish Onnx.ColdStart -c Release -r linux-x64 -p:NativeAot=true -o "$out/onnx" > "$out/publish-onnx.log"
# The ONNX file holds the same network with the same seeded weights, written by the benchmark project's exporter.
dotnet run -c Release --project ../Fusion.Benchmarks -- --export-tinynet "$out/tinynet.onnx" > /dev/null
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
measure() {
  local name=$1; shift
  "$@" > /dev/null
  : > "$out/samples"
  for i in $(seq 20); do
    start=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$out/rss" "$@" > "$out/line"
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000 )) $(cat "$out/rss")" >> "$out/samples"
  done
  # The whole process, start to exit (the output is its last act): an upper bound on start → first output.
  printf "%-8s whole process %6.1f ms, peak RSS %5.1f MiB (medians of 20 runs; %s)\n" "$name" \
    "$(cut -d' ' -f1 "$out/samples" | median | awk '{print $1/1000}')" \
    "$(cut -d' ' -f2 "$out/samples" | median | awk '{print $1/1024}')" "$(cat "$out/line")"
}
measure fusion "$out/fusion/Fusion.ColdStart"
measure onnx "$out/onnx/Onnx.ColdStart" "$out/tinynet.onnx"
du -sh "$out/fusion" "$out/onnx" | sed 's/^/published size: /'
