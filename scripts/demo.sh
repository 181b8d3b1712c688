#!/bin/bash
# make demo: the seed's Quick Reference, Feature Branch and Rollback patterns on
# examples/ecommerce, typed as in the seed, printing table counts per branch and the tree.
#
# Uses a temporary VERS_ROOT (removed at the end) unless VERS_ROOT is set;
# DEMO_KEEP=1 leaves the envs running for a look around.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
VERS="${VERS:-$repo/build/vers}"
vers() { "$VERS" "$@"; }

own_root=0
if [ -z "${VERS_ROOT:-}" ]; then
        VERS_ROOT=$(mktemp -d /tmp/vers-demo.XXXXXX)
        own_root=1
fi
export VERS_ROOT
unset VERS_ENV

cleanup() {
        cd "$repo/examples/ecommerce"
        rm -f .vers/HEAD
        if [ "${DEMO_KEEP:-0}" != 1 ] && [ "$own_root" = 1 ]; then
                vers shutdown >/dev/null 2>&1 || true
                "$repo/scripts/release-ids.sh" "$VERS_ROOT"
                rm -rf "$VERS_ROOT"
        fi
}
trap cleanup EXIT

# seconds since $1 (a date +%s.%N), times $2
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" -v m="$2" 'BEGIN { print (b - a) * m }'; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
counts() {
        printf '%-28s' "$1"
        vers execute -b "$1" "psql -At -F' ' -c \"SELECT 'users', count(*) FROM users UNION ALL SELECT 'products', count(*) FROM products UNION ALL SELECT 'orders', count(*) FROM orders UNION ALL SELECT 'order_items', count(*) FROM order_items\"" |
                awk '{ printf "%s=%s  ", $1, $2 } END { print "" }'
}

cd "$repo/examples/ecommerce"
rm -f .vers/HEAD

echo "== Quick Reference =="
step vers build
vers build
step 'vers connect   (psql -f schema.sql; psql -f seed-data.sql)'
t0=$(date +%s.%N)
vers connect <<'SH'
psql -q -v ON_ERROR_STOP=1 -f schema.sql
psql -q -v ON_ERROR_STOP=1 -f seed-data.sql
SH
printf 'schema + seed loaded in %.1f s (paid once)\n' "$(elapsed "$t0" 1)"
step 'vers commit --tag "Base e-commerce schema with sample data loaded"'
vers commit --tag "Base e-commerce schema with sample data loaded"
step vers branch --alias premium-features-test
vers branch --alias premium-features-test
step vers branch --alias inventory-management-test
vers branch --alias inventory-management-test
step 'vers checkout premium-features-test && vers execute "node premium-test.js"  (after premium-features.sql)'
vers checkout premium-features-test && vers execute "psql -q -f premium-features.sql" &&
        vers execute "node premium-test.js"
step 'vers checkout inventory-management-test && vers execute "node inventory-test.js"  (after inventory-management.sql)'
vers checkout inventory-management-test && vers execute "psql -q -f inventory-management.sql" &&
        vers execute "node inventory-test.js"

echo
echo "== Feature Branch Pattern =="
step 'vers commit --tag "baseline-schema"'
vers checkout "Base e-commerce schema with sample data loaded"
vers branch --alias baseline-env --checkout
vers commit --tag "baseline-schema"
step 'vers branch --alias premium-features; vers checkout premium-features; vers connect (psql <<EOF ...)'
vers branch --alias premium-features
vers checkout premium-features
vers connect <<'SH'
psql -q <<EOF
CREATE TABLE premium_features (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id UUID REFERENCES users(id),
  feature_name VARCHAR(100) NOT NULL,
  enabled_at TIMESTAMP DEFAULT NOW()
);
ALTER TABLE users ADD COLUMN is_premium BOOLEAN DEFAULT FALSE;
EOF
SH
step 'vers checkout baseline-schema; vers branch --alias inventory-management; ...'
vers checkout baseline-schema
vers branch --alias inventory-management
vers checkout inventory-management
vers connect <<'SH'
psql -q <<EOF
CREATE TABLE inventory_movements (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  product_id UUID REFERENCES products(id),
  quantity_change INTEGER NOT NULL,
  reason VARCHAR(50) NOT NULL,
  created_at TIMESTAMP DEFAULT NOW()
);
CREATE TABLE stock_alerts (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  product_id UUID REFERENCES products(id),
  threshold INTEGER NOT NULL,
  triggered_at TIMESTAMP
);
EOF
SH
step 'test both in parallel (each with -b, so that they do not race on HEAD)'
vers execute -b premium-features "node premium-test.js" &
p1=$!
vers execute -b inventory-management "node inventory-test.js" &
p2=$!
wait $p1
wait $p2

echo
echo "== Rollback Testing Pattern =="
step 'vers commit --tag "healthy-state"'
vers checkout baseline-env
vers commit --tag "healthy-state"
step vers branch --alias simulate-corruption
vers branch --alias simulate-corruption
vers checkout simulate-corruption
# the seed's "DELETE FROM orders WHERE id > 100" compares a UUID with an integer; with UUID
# keys the same corruption is "the upper half of the orders"
step "vers execute \"psql -c \\\"DELETE FROM orders WHERE id > '80000000-0000-0000-0000-000000000000';\\\"\""
vers execute "psql -c \"DELETE FROM orders WHERE id > '80000000-0000-0000-0000-000000000000';\""
step "vers execute \"psql -c 'UPDATE users SET email = NULL;'\""
vers execute "psql -c 'UPDATE users SET email = NULL;'"
step "vers execute \"psql -c 'SELECT COUNT(*) FROM orders;'\""
vers execute "psql -c 'SELECT COUNT(*) FROM orders;'"
step vers rollback healthy-state
vers rollback healthy-state
step "vers execute \"psql -c 'SELECT COUNT(*) FROM orders;'\"  # Should be original count"
vers execute "psql -c 'SELECT COUNT(*) FROM orders;'"

echo
echo "== Table counts per branch =="
for b in baseline-env premium-features-test inventory-management-test premium-features \
        inventory-management simulate-corruption; do
        counts "$b"
done
echo
echo "== vers tree =="
vers tree
echo
echo "== Timing: vers branch to first answered query =="
vers checkout healthy-state >/dev/null
t0=$(date +%s.%N)
vers branch --alias timing-probe >/dev/null
vers execute -b timing-probe "psql -Atc 'SELECT count(*) FROM orders'" >/dev/null
printf 'branch + first query: %.0f ms\n' "$(elapsed "$t0" 1000)"
step "vers branch delete '*-test'"
vers branch delete -y '*-test'
echo
echo "demo: ok"
