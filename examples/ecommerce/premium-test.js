// premium-test.js: Feature Branch Pattern, premium-features branch.
//
// Run on a branch where premium-features.sql has been applied:
//   psql -d app -f premium-features.sql
//   node premium-test.js
const DatabaseTest = require('./db-test');

const FEATURE = 'priority-support';
const MISSING_USER = '00000000-0000-0000-0000-000000000000';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function testPremium() {
  const db = new DatabaseTest();
  try {
    // 1. The branch's schema change is present.
    const table = await db.pool.query(
      `SELECT to_regclass('public.premium_features') AS t`
    );
    check(table.rows[0].t !== null,
      'premium_features table is missing (apply premium-features.sql)');

    const column = await db.pool.query(`
      SELECT data_type FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = 'users'
        AND column_name = 'is_premium'
    `);
    check(column.rows.length === 1,
      'users.is_premium column is missing (apply premium-features.sql)');
    check(column.rows[0].data_type === 'boolean',
      `users.is_premium has type ${column.rows[0].data_type}, expected boolean`);

    const before = await db.getTableCounts();
    console.log('Table counts before:', before);

    // 2. Enable a premium feature for an existing user, in one transaction.
    const { userId, featureId } = await db.executeInTransaction(async (client) => {
      const user = await client.query(
        'SELECT id FROM users ORDER BY id LIMIT 1 FOR UPDATE'
      );
      check(user.rows.length === 1, 'no users found: is the seed data loaded?');
      const uid = user.rows[0].id;

      const inserted = await client.query(
        `INSERT INTO premium_features (user_id, feature_name)
         VALUES ($1, $2) RETURNING id`,
        [uid, FEATURE]
      );
      await client.query(
        'UPDATE users SET is_premium = TRUE WHERE id = $1', [uid]
      );
      return { userId: uid, featureId: inserted.rows[0].id };
    });
    console.log(`Enabled '${FEATURE}' for user ${userId}`);

    // 3. The committed row is visible and consistent.
    const row = await db.pool.query(`
      SELECT pf.user_id, pf.feature_name, pf.enabled_at, u.is_premium
      FROM premium_features pf JOIN users u ON u.id = pf.user_id
      WHERE pf.id = $1
    `, [featureId]);
    check(row.rows.length === 1, `premium feature ${featureId} not found`);
    check(row.rows[0].user_id === userId, 'premium feature has the wrong user');
    check(row.rows[0].feature_name === FEATURE, 'premium feature has the wrong name');
    check(row.rows[0].enabled_at !== null, 'enabled_at was not defaulted');
    check(row.rows[0].is_premium === true, 'user was not marked premium');

    // The new column's default applies to everyone else.
    const nulls = await db.pool.query(
      'SELECT COUNT(*) AS count FROM users WHERE is_premium IS NULL'
    );
    check(parseInt(nulls.rows[0].count) === 0,
      `${nulls.rows[0].count} users have is_premium NULL`);

    // 4. The new foreign key rejects unknown users.
    try {
      await db.pool.query(
        `INSERT INTO premium_features (user_id, feature_name) VALUES ($1, $2)`,
        [MISSING_USER, FEATURE]
      );
      throw new Error('premium_features accepted a nonexistent user');
    } catch (e) {
      if (e.code !== '23503') throw e;
      console.log('premium_features.user_id FK constraint working correctly');
    }

    // 5. Integrity, and the baseline tables are untouched.
    await db.verifyIntegrity();
    const orphans = await db.pool.query(`
      SELECT COUNT(*) AS count FROM premium_features pf
      LEFT JOIN users u ON u.id = pf.user_id
      WHERE pf.user_id IS NOT NULL AND u.id IS NULL
    `);
    check(parseInt(orphans.rows[0].count) === 0,
      `found ${orphans.rows[0].count} orphan premium features`);

    const after = await db.getTableCounts();
    const features = await db.pool.query(
      'SELECT COUNT(*) AS count FROM premium_features'
    );
    after.premium_features = parseInt(features.rows[0].count);
    console.log('Table counts after:', after);
    for (const t of Object.keys(before)) {
      check(after[t] === before[t],
        `${t} count changed from ${before[t]} to ${after[t]}`);
    }

    console.log('premium-test: passed');
  } finally {
    await db.close();
  }
}

testPremium().catch((e) => {
  console.error(`premium-test: FAILED: ${e.message}`);
  process.exitCode = 1;
});
