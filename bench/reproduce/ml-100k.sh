#!/usr/bin/env bash
# Honest reproduction on ml-100k, full ranking, random per-user 80/10/10 (the split of bench/RESULTS.md "Full ranking").
#
# How the parameters are chosen (the test set is never used for that):
#   `trove tune --test-fraction 0.1 --validation-fraction 0.1 --seed $SEED` builds exactly the split that
#   `trove evaluate --protocol holdout --test-fraction 0.1 --validation-fraction 0.1 --seed $SEED` uses (per user, a seeded
#   shuffle of the user's items: 10% test, 10% validation, 80% train), drops its test part unseen, fits every
#   configuration on the 80% train part and scores NDCG@10 on the 10% validation part (full ranking; only the user's train
#   items are excluded). Each model's best configuration is written to $OUT/<model>.json.
#   The blend (ease + bspm + als, each with its own tuned parameters) then has its two weights and its normalisation tuned
#   the same way. Last, `trove evaluate` fits every model with its chosen parameters on the same 80% train part and
#   evaluates once on the 10% test part. The headline is the model with the best VALIDATION score.
#
# Usage: bench/reproduce/ml-100k.sh           (env: ML100K=dataset folder, OUT=output folder, SEED=42)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
M=${ML100K:-/work/shared/datasets/ml-100k}
OUT=${OUT:-$(mktemp -d /tmp/trove-ml100k.XXXX)}
SEED=${SEED:-42}
mkdir -p "$OUT"
DLL="$ROOT/src/Trove.Cli/bin/Release/net10.0/trove.dll"
[ -f "$DLL" ] || dotnet build "$ROOT/src/Trove.Cli/Trove.Cli.csproj" -c Release -v quiet >/dev/null
trove() { dotnet "$DLL" "$@"; }
start=$(date +%s)
echo "# ml-100k reproduction: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), output $OUT" >&2
SPLIT=(--data "$M" --test-fraction 0.1 --validation-fraction 0.1 --seed "$SEED" --metric ndcg@10 --eta 1)

# 1. Tune each model on the validation part (the test part is dropped before anything is fitted).
trove tune "${SPLIT[@]}" --model ease --trials 20 --out "$OUT/ease.json"
trove tune "${SPLIT[@]}" --model bspm --trials 40 --out "$OUT/bspm.json"
trove tune "${SPLIT[@]}" --model als --trials 20 --out "$OUT/als.json"
trove tune "${SPLIT[@]}" --model rp3beta --trials 20 --out "$OUT/rp3beta.json"
# 2. The blend's weights, with each component's tuned parameters held fixed.
trove tune "${SPLIT[@]}" --model blend --trials 40 \
  -p first=ease -p "first_parameters=$(jq -c .parameters "$OUT/ease.json")" \
  -p second=bspm -p "second_parameters=$(jq -c .parameters "$OUT/bspm.json")" \
  -p third=als -p "third_parameters=$(jq -c .parameters "$OUT/als.json")" --out "$OUT/blend.json"

# 3. Fit with the chosen parameters on the train part; evaluate once on the test part.
MODELS=(ease bspm als rp3beta blend)
trove evaluate --protocol holdout --data "$M" --test-fraction 0.1 --validation-fraction 0.1 --seed "$SEED" --k 10,20 \
  $(for m in "${MODELS[@]}"; do echo --params "$OUT/$m.json"; done) --json "$OUT/test.json" >&2

# 4. Report: a table of every model, and the model chosen by validation score.
best=$(for m in "${MODELS[@]}"; do jq -r '"\(.validation_score) \(.algorithm)"' "$OUT/$m.json"; done | sort -g | tail -1 | cut -d' ' -f2)
echo
echo "| model | validation ndcg@10 | test ndcg@10 | test recall@20 | tuned parameters | train s |"
echo "|---|---|---|---|---|---|"
for m in "${MODELS[@]}"; do
  jq -r --arg alg "$m" --slurpfile tune "$OUT/$m.json" '.models[] | select(.algorithm == $alg) |
    "| \(.algorithm) | \($tune[0].validation_score) | \(.metrics["ndcg@10"] * 10000 | round / 10000) | \(.metrics["recall@20"] * 10000 | round / 10000) | \($tune[0].parameters | to_entries | map(select(.key | test("_parameters$") | not)) | map("\(.key)=\(.value)") | join(", ")) | \(.train_seconds) |"' "$OUT/test.json"
done
echo
echo "total $(( $(date +%s) - start )) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "headline model (best validation ndcg@10): $best"
jq -r --arg alg "$best" '.models[] | select(.algorithm == $alg) | "ml-100k ndcg@10 \(.metrics["ndcg@10"] * 10000 | round / 10000) recall@20 \(.metrics["recall@20"] * 10000 | round / 10000)"' "$OUT/test.json"
