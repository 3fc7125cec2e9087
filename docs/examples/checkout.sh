#!/usr/bin/env bash
# A signed checkout with curl and openssl: identify by citizen card, then commit one dish.
#
#   ZHUCAN_BASE_URL=https://zhucan.example.gov.cn ZHUCAN_KEY_ID=tk_… ZHUCAN_SECRET=… \
#   ZHUCAN_DISH_ID=12 ZHUCAN_CARD=3301000012345678 bash docs/examples/checkout.sh
set -euo pipefail
: "${ZHUCAN_BASE_URL:?}" "${ZHUCAN_KEY_ID:?}" "${ZHUCAN_SECRET:?}" "${ZHUCAN_DISH_ID:?}" "${ZHUCAN_CARD:?}"

# signed METHOD PATH BODY [IDEMPOTENCY_KEY] — prints the JSON answer; fails on HTTP >= 400.
signed() {
  local method=$1 path=$2 body=$3 key=${4:-}
  local ts nonce digest signature
  ts=$(date +%s)
  nonce=$(openssl rand -hex 16)
  digest=$(printf '%s' "$body" | openssl dgst -sha256 -hex | sed 's/^.* //')
  signature=$(printf '%s\n%s\n%s\n%s\n%s' "$method" "$path" "$ts" "$nonce" "$digest" \
    | openssl dgst -sha256 -hmac "$ZHUCAN_SECRET" -hex | sed 's/^.* //')
  local args=(-sS --fail-with-body -X "$method" "$ZHUCAN_BASE_URL$path"
    -H "Content-Type: application/json"
    -H "X-Zhucan-Key: $ZHUCAN_KEY_ID" -H "X-Zhucan-Timestamp: $ts"
    -H "X-Zhucan-Nonce: $nonce" -H "X-Zhucan-Signature: $signature")
  [ -n "$key" ] && args+=(-H "Idempotency-Key: $key")
  [ -n "$body" ] && args+=(--data-binary "$body")
  curl "${args[@]}"
}

elder=$(signed POST /api/v1/elders/identify "{\"card_number\":\"$ZHUCAN_CARD\"}")
echo "identified: $elder"
elder_id=$(printf '%s' "$elder" | sed -n 's/.*"elder_id": *\([0-9]*\).*/\1/p')

body="{\"elder\":{\"elder_id\":$elder_id,\"identified_by\":\"card\"},\"items\":[{\"dish_id\":$ZHUCAN_DISH_ID,\"quantity\":1}]}"
meal=$(signed POST /api/v1/meals/commit "$body" "sh-$(date +%s)-$(openssl rand -hex 4)")
echo "committed: $meal"
echo "receipt_no: $(printf '%s' "$meal" | sed -n 's/.*"receipt_no": *"\([^"]*\)".*/\1/p')"
