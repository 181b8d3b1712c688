// migrations/approach-a.js: Approach A, direct ALTER.
//
// Adds users.premium_level in place and sets it from created_at (users who
// signed up before 2024 get level 1). One transaction; safe to re-run.
const DatabaseTest = require('../db-test');

async function migrate() {
  const db = new DatabaseTest();
  try {
    const before = await db.getTableCounts();
    console.log('Approach A (direct ALTER), before:', before);

    await db.executeInTransaction(async (client) => {
      await client.query(`
        ALTER TABLE users
          ADD COLUMN IF NOT EXISTS premium_level INTEGER NOT NULL DEFAULT 0
      `);
      await client.query(`
        UPDATE users
        SET premium_level = CASE WHEN created_at < '2024-01-01' THEN 1 ELSE 0 END
      `);
    });

    const after = await db.getTableCounts();
    console.log('Approach A (direct ALTER), after:', after);
    for (const table of Object.keys(before)) {
      if (after[table] !== before[table]) {
        throw new Error(
          `${table} count changed from ${before[table]} to ${after[table]}`);
      }
    }
    await db.verifyIntegrity();

    const levels = await db.pool.query(`
      SELECT premium_level, COUNT(*)::int AS users
      FROM users GROUP BY 1 ORDER BY 1
    `);
    console.table(levels.rows);
    console.log('approach-a: migration applied');
  } finally {
    await db.close();
  }
}

migrate().catch((e) => {
  console.error(`approach-a: FAILED: ${e.message}`);
  process.exitCode = 1;
});
