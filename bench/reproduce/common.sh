# Sourced by the reproduce scripts, after ROOT, OUT and SEED are set: the CLI (built when missing), the clock, the
# blend's component arguments and the report each script ends with.

DLL="$ROOT/src/Trove.Cli/bin/Release/net10.0/trove.dll"
[ -f "$DLL" ] || dotnet build "$ROOT/src/Trove.Cli/Trove.Cli.csproj" -c Release -v quiet >/dev/null
trove() { dotnet "$DLL" "$@"; }
start=$(date +%s)

# reproduce_header NAME: the first line on stderr (when, where, how loaded, where the outputs go).
reproduce_header() {
  echo "# $1 reproduction: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), output $OUT" >&2
}

# blend_components MODEL...: BLEND holds `-p first=M -p first_parameters=<its tuned parameters>` for each model in
# turn (first, second, third), so the blend's trials vary only the weights.
blend_components() {
  local slots=(first second third) i=0 model
  BLEND=()
  for model in "$@"; do
    BLEND+=(-p "${slots[i]}=$model" -p "${slots[i]}_parameters=$(jq -c .parameters "$OUT/$model.json")")
    i=$((i + 1))
  done
}

# report DATASET VALIDATION_METRIC METRIC1 METRIC2 [HEADER1 HEADER2]: a table of every model in MODELS (validation
# score, the two test metrics, tuned parameters, train seconds) and the headline line for the model with the best
# VALIDATION score, never the best test score. The test metrics are read from $RESULTS (default $OUT/test.json).
report() {
  local dataset=$1 validation=$2 m1=$3 m2=$4 h1=${5:-$3} h2=${6:-$4} m best
  best=$(for m in "${MODELS[@]}"; do jq -r '"\(.validation_score) \(.algorithm)"' "$OUT/$m.json"; done | sort -g | tail -1 | cut -d' ' -f2)
  echo
  echo "| model | validation $validation | test $h1 | test $h2 | tuned parameters | train s |"
  echo "|---|---|---|---|---|---|"
  for m in "${MODELS[@]}"; do
    jq -r --arg alg "$m" --arg m1 "$m1" --arg m2 "$m2" --slurpfile tune "$OUT/$m.json" '.models[] | select(.algorithm == $alg) |
      "| \(.algorithm) | \($tune[0].validation_score) | \(.metrics[$m1] * 10000 | round / 10000) | \(.metrics[$m2] * 10000 | round / 10000) | \($tune[0].parameters | to_entries | map(select(.key | test("_parameters$") | not)) | map("\(.key)=\(.value)") | join(", ")) | \(.train_seconds) |"' "${RESULTS:-$OUT/test.json}"
  done
  echo
  echo "total $(( $(date +%s) - start )) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "headline model (best validation $validation): $best"
  jq -r --arg alg "$best" --arg d "$dataset" --arg m1 "$m1" --arg m2 "$m2" '.models[] | select(.algorithm == $alg) |
    "\($d) \($m1) \(.metrics[$m1] * 10000 | round / 10000) \($m2) \(.metrics[$m2] * 10000 | round / 10000)"' "${RESULTS:-$OUT/test.json}"
}
