// test-migrations.js: the "migrations" test of vers-integration.yaml.
//
//   MIGRATION_DIRECTION=up|down  (default up)
//   MIGRATION_RUNS=N             (default 1)
//   npm run test:migrations
//
// up:   applies migrations/*.up.sql in name order, N times (N=2 checks that
//       the migrations are safe to re-apply), then checks the new columns.
// down: N times, applies every *.up.sql in order and then every *.down.sql
//       in reverse order, then checks the schema is back to the baseline.
// Either way the row counts must be unchanged and every foreign key intact.
const fs = require('fs');
const path = require('path');
const DatabaseTest = require('./db-test');

const NAME = 'migrations';
const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const MISSING_USER = '00000000-0000-0000-0000-000000000000';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function readSettings() {
  const direction = (process.env.MIGRATION_DIRECTION || 'up').trim();
  check(direction === 'up' || direction === 'down',
    `MIGRATION_DIRECTION must be "up" or "down", got "${direction}"`);
  const runsText = (process.env.MIGRATION_RUNS || '1').trim();
  check(/^[1-9][0-9]*$/.test(runsText),
    `MIGRATION_RUNS must be a positive integer, got "${runsText}"`);
  return { direction, runs: parseInt(runsText, 10) };
}

// [{ name: '001_add_premium_level', up: '<path>', down: '<path>' }, ...]
function listMigrations() {
  const ups = fs.readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.up.sql'))
    .sort();
  check(ups.length > 0, `no *.up.sql files in ${MIGRATIONS_DIR}`);
  return ups.map((f) => {
    const name = f.slice(0, -'.up.sql'.length);
    const down = path.join(MIGRATIONS_DIR, `${name}.down.sql`);
    check(fs.existsSync(down), `${name}.up.sql has no ${name}.down.sql`);
    return { name, up: path.join(MIGRATIONS_DIR, f), down };
  });
}

async function apply(db, file) {
  const sql = fs.readFileSync(file, 'utf8');
  const client = await db.pool.connect();
  try {
    await client.query(sql);
  } catch (e) {
    // The files wrap themselves in BEGIN/COMMIT; leave no open transaction.
    await client.query('ROLLBACK').catch(() => {});
    throw new Error(`${path.basename(file)}: ${e.message}`);
  } finally {
    client.release();
  }
  console.log(`applied ${path.basename(file)}`);
}

async function counts(db) {
  const result = await db.getTableCounts();
  const events = await db.pool.query(
    `SELECT to_regclass('public.analytics_events') AS t`);
  if (events.rows[0].t !== null) {
    const n = await db.pool.query('SELECT COUNT(*)::int AS n FROM analytics_events');
    result.analytics_events = n.rows[0].n;
  }
  return result;
}

async function columnType(db, table, column) {
  const result = await db.pool.query(`
    SELECT data_type FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2
  `, [table, column]);
  return result.rows.length ? result.rows[0].data_type : null;
}

async function relationExists(db, name) {
  const result = await db.pool.query('SELECT to_regclass($1) AS t', [name]);
  return result.rows[0].t !== null;
}

async function constraintExists(db, table, name) {
  const result = await db.pool.query(`
    SELECT 1 FROM pg_constraint
    WHERE conrelid = $1::regclass AND conname = $2
  `, [table, name]);
  return result.rows.length > 0;
}

async function verifyUp(db) {
  // 001: users.premium_level, 1 exactly for the pre-2024 users.
  const level = await columnType(db, 'users', 'premium_level');
  check(level === 'integer',
    `users.premium_level: expected integer column, found ${level}`);
  const premium = await db.pool.query(`
    SELECT COUNT(*) FILTER (WHERE premium_level = 1)::int AS premium,
           COUNT(*) FILTER (WHERE created_at < '2024-01-01')::int AS early,
           COUNT(*) FILTER (WHERE premium_level = 1
                            AND created_at >= '2024-01-01')::int AS wrong
    FROM users
  `);
  const p = premium.rows[0];
  console.log(`premium users: ${p.premium} (users before 2024: ${p.early})`);
  check(p.premium > 0 && p.premium === p.early && p.wrong === 0,
    `expected ${p.early} premium users (all pre-2024), found ${p.premium} ` +
    `(${p.wrong} from 2024 or later)`);

  // 002: orders.status, every existing order 'completed', constrained.
  const status = await columnType(db, 'orders', 'status');
  check(status === 'character varying',
    `orders.status: expected varchar column, found ${status}`);
  const statuses = await db.pool.query(
    'SELECT status, COUNT(*)::int AS n FROM orders GROUP BY status');
  console.log('order statuses:', Object.fromEntries(
    statuses.rows.map((r) => [r.status, r.n])));
  check(statuses.rows.length === 1 && statuses.rows[0].status === 'completed',
    'expected every existing order to have status completed');
  check(await constraintExists(db, 'orders', 'orders_status_check'),
    'orders_status_check constraint is missing');
  check(await relationExists(db, 'public.orders_status_idx'),
    'orders_status_idx index is missing');
  // The CHECK constraint rejects unknown states (rolled back either way).
  const client = await db.pool.connect();
  let accepted = false;
  try {
    await client.query('BEGIN');
    await client.query(
      "UPDATE orders SET status = 'teleported' WHERE id = " +
      '(SELECT id FROM orders ORDER BY id LIMIT 1)');
    accepted = true;
  } catch (e) {
    check(e.code === '23514', `invalid status update failed unexpectedly: ${e.message}`);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
  check(!accepted, 'orders_status_check accepted an invalid status');
}

async function verifyDown(db) {
  check(await columnType(db, 'users', 'premium_level') === null,
    'users.premium_level still exists after the down migrations');
  check(await columnType(db, 'orders', 'status') === null,
    'orders.status still exists after the down migrations');
  check(!(await relationExists(db, 'public.orders_status_idx')),
    'orders_status_idx still exists after the down migrations');
  console.log('schema is back to the baseline');
}

async function verifyForeignKeys(db) {
  await db.verifyIntegrity();
  // The orders -> users foreign key still rejects an orphan.
  try {
    await db.pool.query(
      'INSERT INTO orders (user_id, total) VALUES ($1, 100)', [MISSING_USER]);
  } catch (e) {
    check(e.code === '23503', `orphan insert failed unexpectedly: ${e.message}`);
    console.log('FK constraints working correctly');
    return;
  }
  throw new Error('orphan order was accepted: orders.user_id FK is missing');
}

async function testMigrations() {
  const { direction, runs } = readSettings();
  const migrations = listMigrations();
  console.log(`direction=${direction} runs=${runs} migrations=` +
    migrations.map((m) => m.name).join(','));

  const db = new DatabaseTest();
  try {
    const before = await counts(db);
    console.log('counts before:', before);

    for (let run = 1; run <= runs; run++) {
      console.log(`run ${run}/${runs}`);
      for (const m of migrations) {
        await apply(db, m.up);
      }
      if (direction === 'down') {
        for (const m of [...migrations].reverse()) {
          await apply(db, m.down);
        }
      }
    }

    if (direction === 'up') {
      await verifyUp(db);
    } else {
      await verifyDown(db);
    }

    const after = await counts(db);
    console.log('counts after:', after);
    for (const table of Object.keys(before)) {
      check(after[table] === before[table],
        `${table} count changed from ${before[table]} to ${after[table]}`);
    }

    await verifyForeignKeys(db);
  } finally {
    await db.close();
  }
}

testMigrations().then(() => {
  console.log(`${NAME}: passed`);
}).catch((e) => {
  console.error(`${NAME}: FAILED: ${e.message}`);
  process.exitCode = 1;
});
