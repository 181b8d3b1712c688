// inventory-test.js: Feature Branch Pattern, inventory-management branch.
//
// Run on a branch where inventory-management.sql has been applied:
//   psql -d app -f inventory-management.sql
//   node inventory-test.js
const DatabaseTest = require('./db-test');

const SOLD = 3;
const MISSING_PRODUCT = '00000000-0000-0000-0000-000000000000';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function testInventory() {
  const db = new DatabaseTest();
  try {
    // 1. The branch's schema change is present.
    for (const table of ['inventory_movements', 'stock_alerts']) {
      const r = await db.pool.query('SELECT to_regclass($1) AS t', [`public.${table}`]);
      check(r.rows[0].t !== null,
        `${table} table is missing (apply inventory-management.sql)`);
    }

    const before = await db.getTableCounts();
    console.log('Table counts before:', before);

    // 2. Record a sale for an existing product: movement + stock update +
    //    low-stock alert, all in one transaction.
    const result = await db.executeInTransaction(async (client) => {
      const product = await client.query(
        'SELECT id, stock FROM products WHERE stock >= $1 ORDER BY id LIMIT 1 FOR UPDATE',
        [SOLD]
      );
      check(product.rows.length === 1,
        'no product with enough stock: is the seed data loaded?');
      const { id, stock } = product.rows[0];

      const movement = await client.query(
        `INSERT INTO inventory_movements (product_id, quantity_change, reason)
         VALUES ($1, $2, 'sale') RETURNING id`,
        [id, -SOLD]
      );
      const updated = await client.query(
        'UPDATE products SET stock = stock + $2 WHERE id = $1 RETURNING stock',
        [id, -SOLD]
      );
      // Alert threshold above the new stock level, so the alert fires.
      const threshold = updated.rows[0].stock + 1;
      const alert = await client.query(
        `INSERT INTO stock_alerts (product_id, threshold, triggered_at)
         VALUES ($1, $2, CASE WHEN $3::int < $2 THEN NOW() END) RETURNING id`,
        [id, threshold, updated.rows[0].stock]
      );
      return {
        productId: id,
        stockBefore: stock,
        movementId: movement.rows[0].id,
        alertId: alert.rows[0].id
      };
    });
    console.log(`Recorded sale of ${SOLD} x product ${result.productId}`);

    // 3. The committed rows are visible and consistent.
    const product = await db.pool.query(
      'SELECT stock FROM products WHERE id = $1', [result.productId]
    );
    check(product.rows[0].stock === result.stockBefore - SOLD,
      `stock is ${product.rows[0].stock}, expected ${result.stockBefore - SOLD}`);

    const movement = await db.pool.query(
      'SELECT product_id, quantity_change, reason, created_at FROM inventory_movements WHERE id = $1',
      [result.movementId]
    );
    check(movement.rows.length === 1, 'inventory movement not found');
    check(movement.rows[0].product_id === result.productId, 'movement has the wrong product');
    check(movement.rows[0].quantity_change === -SOLD, 'movement has the wrong quantity');
    check(movement.rows[0].reason === 'sale', 'movement has the wrong reason');
    check(movement.rows[0].created_at !== null, 'movement created_at was not defaulted');

    const alert = await db.pool.query(
      'SELECT product_id, threshold, triggered_at FROM stock_alerts WHERE id = $1',
      [result.alertId]
    );
    check(alert.rows.length === 1, 'stock alert not found');
    check(alert.rows[0].product_id === result.productId, 'alert has the wrong product');
    check(alert.rows[0].triggered_at !== null, 'low-stock alert did not trigger');

    // 4. The new foreign keys reject unknown products.
    for (const [table, sql] of [
      ['inventory_movements',
        `INSERT INTO inventory_movements (product_id, quantity_change, reason)
         VALUES ($1, 1, 'restock')`],
      ['stock_alerts',
        'INSERT INTO stock_alerts (product_id, threshold) VALUES ($1, 5)']
    ]) {
      try {
        await db.pool.query(sql, [MISSING_PRODUCT]);
        throw new Error(`${table} accepted a nonexistent product`);
      } catch (e) {
        if (e.code !== '23503') throw e;
      }
    }
    console.log('inventory FK constraints working correctly');

    // 5. Integrity, and the baseline tables keep their row counts.
    await db.verifyIntegrity();
    const orphans = await db.pool.query(`
      SELECT
        (SELECT COUNT(*) FROM inventory_movements m
           LEFT JOIN products p ON p.id = m.product_id
           WHERE m.product_id IS NOT NULL AND p.id IS NULL)
      + (SELECT COUNT(*) FROM stock_alerts a
           LEFT JOIN products p ON p.id = a.product_id
           WHERE a.product_id IS NOT NULL AND p.id IS NULL) AS count
    `);
    check(parseInt(orphans.rows[0].count) === 0,
      `found ${orphans.rows[0].count} orphan inventory rows`);
    const negative = await db.pool.query(
      'SELECT COUNT(*) AS count FROM products WHERE stock < 0'
    );
    check(parseInt(negative.rows[0].count) === 0, 'products with negative stock');

    const after = await db.getTableCounts();
    for (const table of ['inventory_movements', 'stock_alerts']) {
      const r = await db.pool.query(`SELECT COUNT(*) AS count FROM ${table}`);
      after[table] = parseInt(r.rows[0].count);
    }
    console.log('Table counts after:', after);
    for (const t of Object.keys(before)) {
      check(after[t] === before[t],
        `${t} count changed from ${before[t]} to ${after[t]}`);
    }

    console.log('inventory-test: passed');
  } finally {
    await db.close();
  }
}

testInventory().catch((e) => {
  console.error(`inventory-test: FAILED: ${e.message}`);
  process.exitCode = 1;
});
