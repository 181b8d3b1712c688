// test-integrity.js: the "data-integrity" test of vers-integration.yaml.
//
//   ENABLE_CONSTRAINTS=true|false  (default true)
//   npm run test:integrity
//
// true:  an orphan order and an orphan order item are rejected by the
//        foreign keys, and DatabaseTest.verifyIntegrity() finds no orphans.
// false: every foreign key in the public schema is dropped first; then the
//        orphan inserts succeed and verifyIntegrity() must detect them.
//
// Everything happens in one transaction that is rolled back at the end, so
// the database (foreign keys included) is left exactly as it was. The test
// passes when the behaviour matches the setting.
const DatabaseTest = require('./db-test');

const NAME = 'data-integrity';
const MISSING = '00000000-0000-0000-0000-000000000000';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function readEnabled() {
  const value = (process.env.ENABLE_CONSTRAINTS || 'true').trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new Error(
    `ENABLE_CONSTRAINTS must be true or false, got "${process.env.ENABLE_CONSTRAINTS}"`);
}

async function foreignKeys(queryable) {
  const result = await queryable.query(`
    SELECT conrelid::regclass::text AS tbl, conname
    FROM pg_constraint
    WHERE contype = 'f' AND connamespace = 'public'::regnamespace
    ORDER BY 1, 2
  `);
  return result.rows;
}

// Runs sql inside a savepoint; returns null on success or the error.
async function tryInsert(client, sql, params) {
  await client.query('SAVEPOINT orphan');
  try {
    await client.query(sql, params);
    await client.query('RELEASE SAVEPOINT orphan');
    return null;
  } catch (e) {
    await client.query('ROLLBACK TO SAVEPOINT orphan');
    return e;
  }
}

async function testIntegrity() {
  const enabled = readEnabled();
  console.log(`ENABLE_CONSTRAINTS=${enabled}`);

  const db = new DatabaseTest();
  try {
    const fksBefore = await foreignKeys(db.pool);
    check(fksBefore.length >= 3,
      `expected the schema's foreign keys, found ${fksBefore.length}`);
    await db.verifyIntegrity();
    console.log(`baseline: ${fksBefore.length} foreign keys, no orphans`);

    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');

      if (!enabled) {
        for (const fk of fksBefore) {
          await client.query(
            `ALTER TABLE ${fk.tbl} DROP CONSTRAINT ${client.escapeIdentifier(fk.conname)}`);
        }
        check((await foreignKeys(client)).length === 0,
          'foreign keys remain after dropping them');
        console.log(`dropped ${fksBefore.length} foreign keys (inside the transaction)`);
      }

      const product = await client.query(
        'SELECT id, price FROM products ORDER BY id LIMIT 1');
      check(product.rows.length === 1, 'no products: is the seed data loaded?');

      const orphans = [
        {
          what: 'order for a missing user',
          sql: 'INSERT INTO orders (user_id, total) VALUES ($1, 100)',
          params: [MISSING]
        },
        {
          what: 'order item for a missing order',
          sql: `INSERT INTO order_items (order_id, product_id, quantity, price)
                VALUES ($1, $2, 1, $3)`,
          params: [MISSING, product.rows[0].id, product.rows[0].price]
        }
      ];

      for (const orphan of orphans) {
        const error = await tryInsert(client, orphan.sql, orphan.params);
        if (enabled) {
          check(error !== null, `${orphan.what} was accepted despite the foreign keys`);
          check(error.code === '23503',
            `${orphan.what} failed with an unexpected error: ${error.message}`);
          console.log(`${orphan.what}: rejected (${error.message})`);
        } else {
          check(error === null,
            `${orphan.what} failed without foreign keys: ${error && error.message}`);
          console.log(`${orphan.what}: accepted`);
        }
      }

      let detected = null;
      try {
        await db.verifyIntegrity(client);
      } catch (e) {
        detected = e;
      }
      if (enabled) {
        check(detected === null, `verifyIntegrity failed: ${detected && detected.message}`);
        console.log('verifyIntegrity: no orphans');
      } else {
        check(detected !== null && /orphan/.test(detected.message),
          'verifyIntegrity did not detect the orphan rows' +
          (detected ? `: ${detected.message}` : ''));
        console.log(`verifyIntegrity detected: ${detected.message}`);
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }

    // The rollback restored every foreign key and removed the orphans.
    const fksAfter = await foreignKeys(db.pool);
    check(JSON.stringify(fksAfter) === JSON.stringify(fksBefore),
      'foreign keys differ after the rollback');
    await db.verifyIntegrity();
    console.log('after rollback: foreign keys restored, no orphans');
  } finally {
    await db.close();
  }
}

testIntegrity().then(() => {
  console.log(`${NAME}: passed`);
}).catch((e) => {
  console.error(`${NAME}: FAILED: ${e.message}`);
  process.exitCode = 1;
});
