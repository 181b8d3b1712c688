// migrations/approach-b.js: Approach B, new table + migrate + swap.
//
// Builds users_new with the premium_level column, copies every user into
// it, then swaps it in for users, all inside one transaction:
//
//   1. lock users against writes for the duration
//   2. CREATE TABLE users_new (LIKE users INCLUDING ALL) + new column
//   3. copy rows, computing premium_level from created_at
//   4. drop the foreign keys that reference users (orders.user_id, and any
//      added on a branch, e.g. premium_features.user_id)
//   5. drop users, rename users_new -> users, restore index/constraint names
//   6. re-create the foreign keys against the new table (this re-validates
//      every referencing row)
//
// If anything fails the transaction rolls back and users is untouched.
// Safe to re-run: it does nothing if premium_level already exists.
const DatabaseTest = require('../db-test');

async function migrate() {
  const db = new DatabaseTest();
  try {
    const before = await db.getTableCounts();
    console.log('Approach B (new table + swap), before:', before);

    const applied = await db.executeInTransaction(async (client) => {
      await client.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');

      const existing = await client.query(`
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'users'
          AND column_name = 'premium_level'
      `);
      if (existing.rows.length > 0) return false;

      await client.query('CREATE TABLE users_new (LIKE users INCLUDING ALL)');
      await client.query(`
        ALTER TABLE users_new
          ADD COLUMN premium_level INTEGER NOT NULL DEFAULT 0
      `);
      const copied = await client.query(`
        INSERT INTO users_new
        SELECT u.*,
               CASE WHEN u.created_at < '2024-01-01' THEN 1 ELSE 0 END
        FROM users u
      `);
      console.log(`Copied ${copied.rowCount} users into users_new`);

      // Foreign keys pointing at users, with their definitions, so they can
      // be re-created against the new table after the swap.
      const fks = await client.query(`
        SELECT conrelid::regclass::text AS child, conname,
               pg_get_constraintdef(oid) AS def
        FROM pg_constraint
        WHERE contype = 'f' AND confrelid = 'public.users'::regclass
        ORDER BY conrelid::regclass::text, conname
      `);
      for (const fk of fks.rows) {
        await client.query(
          `ALTER TABLE ${fk.child} DROP CONSTRAINT ${quoteIdent(fk.conname)}`);
      }

      await client.query('DROP TABLE users');
      await client.query('ALTER TABLE users_new RENAME TO users');

      // LIKE ... INCLUDING ALL named the copied indexes after users_new
      // (users_new_pkey, users_new_email_key); renaming an index also
      // renames the constraint it backs.
      const indexes = await client.query(`
        SELECT indexrelid::regclass::text AS name
        FROM pg_index WHERE indrelid = 'public.users'::regclass
      `);
      for (const { name } of indexes.rows) {
        if (name.startsWith('users_new_')) {
          const renamed = 'users_' + name.slice('users_new_'.length);
          await client.query(
            `ALTER INDEX ${quoteIdent(name)} RENAME TO ${quoteIdent(renamed)}`);
        }
      }

      for (const fk of fks.rows) {
        await client.query(
          `ALTER TABLE ${fk.child} ADD CONSTRAINT ${quoteIdent(fk.conname)} ${fk.def}`);
        console.log(`Re-created ${fk.child}.${fk.conname}: ${fk.def}`);
      }
      return true;
    });

    if (!applied) {
      console.log('users.premium_level already exists; nothing to do');
    } else {
      await db.pool.query('ANALYZE users');
    }

    const after = await db.getTableCounts();
    console.log('Approach B (new table + swap), after:', after);
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
    console.log('approach-b: migration applied');
  } finally {
    await db.close();
  }
}

function quoteIdent(name) {
  return '"' + name.replace(/"/g, '""') + '"';
}

migrate().catch((e) => {
  console.error(`approach-b: FAILED: ${e.message}`);
  process.exitCode = 1;
});
